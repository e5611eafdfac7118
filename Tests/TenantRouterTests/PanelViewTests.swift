import Foundation
import Testing
@testable import WebPanel

@Suite struct PanelViewTests {
    @Test func jsonReadsIntoPlainValues() throws {
        let text = #"{"a":1,"b":-2.5e1,"c":true,"d":false,"e":null,"f":"x\"y\\z\n\u00e9\ud83d\ude00","g":[1,"two",null,{"h":[]}],"i":{},"j":"রহিম"}"#
        let object = try ViewValue.object(Array(text.utf8))
        #expect(object["a"] as? Int == 1)
        #expect(object["b"] as? Double == -25)
        #expect(object["c"] as? Bool == true && object["d"] as? Bool == false)
        #expect(object["e"] == nil && object.keys.count == 8, "a null member is left out")
        #expect(object["f"] as? String == "x\"y\\z\né😀")
        let array = try #require(object["g"] as? [Any])
        #expect(array.count == 3 && array[0] as? Int == 1 && array[1] as? String == "two")
        #expect(((array[2] as? [String: Any])?["h"] as? [Any])?.isEmpty == true)
        #expect((object["i"] as? [String: Any])?.isEmpty == true)
        #expect(object["j"] as? String == "রহিম")
        // Agrees with Foundation's reader on what it accepts.
        for bad in ["{", #"{"a":}"#, "[1,", #"{"a" 1}"#, "tru", #""open"#] {
            #expect(throws: ViewValue.Malformed.self) { try ViewValue.parse(Array(bad.utf8)) }
            #expect((try? JSONSerialization.jsonObject(with: Data(bad.utf8), options: .fragmentsAllowed)) == nil)
        }
    }

    @Test func timesAreShownInDhaka() throws {
        let formatter = ISO8601DateFormatter()
        for text in ["2026-11-28T18:30:00Z", "2024-02-29T23:59:59.999Z", "1999-12-31T18:00:00+00:00", "2026-03-01T00:00:00+06:00"] {
            let parsed = try #require(Display.date(text), "\(text)")
            let expected = try #require(formatter.date(from: text.replacingOccurrences(of: ".999", with: "")))
            #expect(abs(parsed.timeIntervalSince(expected)) < 1, "\(text)")
        }
        #expect(Display.time(try #require(Display.date("2026-11-28T18:30:00Z"))) == "2026-11-29 00:30")
        #expect(Display.time(try #require(Display.date("2024-02-29T17:59:00Z"))) == "2024-02-29 23:59")
        #expect(Display.time(try #require(Display.date("2026-03-01T00:00:00+06:00"))) == "2026-03-01 00:00")
        #expect(Display.date("yesterday") == nil)
        #expect(Display.money(123_456_78) == "123,456.78" && Display.money(-5) == "-0.05" && Display.money(100) == "1.00")
    }
}
