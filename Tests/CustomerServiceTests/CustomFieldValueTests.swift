import CustomerService
import Foundation
import Platform
import Testing

@Suite struct CustomFieldValueTests {
    func field(_ type: CustomField.FieldType, required: Bool = false, options: [String] = []) -> CustomField {
        CustomField(id: 1, key: "f", name: "F", type: type, options: options, required: required, order: 0, createdAt: Date(), updatedAt: Date())
    }

    @Test func numbersAreDecimalsNothingElse() throws {
        #expect(try field(.number).normalized(" 42 ") == "42")
        #expect(try field(.number).normalized("-3.50") == "-3.5")
        for bad in ["4,2", "1e5", "abc", "১২", "NaN", "--1"] {
            #expect(throws: PlatformError.self, "\(bad)") { try field(.number).normalized(bad) }
        }
    }

    @Test func datesAreRealCalendarDays() throws {
        #expect(try field(.date).normalized("2024-02-29") == "2024-02-29")
        for bad in ["2023-02-29", "2024-13-01", "2024-1-01", "01/02/2024", "2024-04-31", "2024-00-10"] {
            #expect(throws: PlatformError.self, "\(bad)") { try field(.date).normalized(bad) }
        }
    }

    @Test func selectsAcceptOnlyTheirOptions() throws {
        let select = field(.select, options: ["Home", "Corporate"])
        #expect(try select.normalized("Home") == "Home")
        #expect(throws: PlatformError.self) { try select.normalized("home") }
    }

    @Test func textLimitsAndEmptyValues() throws {
        #expect(try field(.text).normalized(String(repeating: "x", count: 1000))?.count == 1000)
        #expect(throws: PlatformError.self) { try field(.text).normalized(String(repeating: "x", count: 1001)) }
        #expect(throws: PlatformError.self) { try field(.text).normalized("a\u{0}b") }
        #expect(try field(.textarea).normalized("line one\nline two") == "line one\nline two")
        #expect(try field(.text).normalized("   ") == nil)
        #expect(try field(.text).normalized(nil) == nil)
        #expect(throws: PlatformError.invalidInput(field: "custom_fields.f", reason: "is required")) {
            try field(.text, required: true).normalized(" ")
        }
    }

    @Test func keysFromNames() {
        #expect(CustomField.key(from: "Connection Type") == "connection_type")
        #expect(CustomField.key(from: "  NID / Passport no. ") == "nid_passport_no")
        #expect(CustomField.key(from: "2nd phone") == "nd_phone")
        #expect(CustomField.key(from: "জাতীয় পরিচয়পত্র") == nil)
    }
}
