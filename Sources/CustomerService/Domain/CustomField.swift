import Foundation
import Hummingbird
import Platform

/// A field a tenant adds to its customers: shown on create/edit/detail, validated by type, filterable.
package struct CustomField: Codable, Sendable, Hashable, ResponseEncodable {
    package var id: Int64
    package var key: String
    package var name: String
    package var type: FieldType
    package var options: [String]
    package var required: Bool
    package var order: Int
    package var createdAt: Date
    package var updatedAt: Date

    package init(
        id: Int64, key: String, name: String, type: FieldType, options: [String], required: Bool, order: Int,
        createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.key = key
        self.name = name
        self.type = type
        self.options = options
        self.required = required
        self.order = order
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    package enum FieldType: String, Codable, Sendable, CaseIterable {
        case text, number, date, textarea, select
    }

    enum CodingKeys: String, CodingKey {
        case id, key, name, type, options, required, order
        case createdAt = "created_at", updatedAt = "updated_at"
    }

    /// The stored form of a customer's value for this field, or why it is not acceptable.
    /// Text up to 1,000 characters, textarea 10,000, a decimal number, an ISO date (YYYY-MM-DD), or one of
    /// the options. An empty value is "no value": refused only when the field is required.
    package func normalized(_ raw: String?) throws -> String? {
        let value = raw.map { Validate.trimmed($0) } ?? ""
        let field = "custom_fields.\(key)"
        guard !value.isEmpty else {
            if required { throw PlatformError.invalidInput(field: field, reason: "is required") }
            return nil
        }
        switch type {
        case .text:
            return try Validate.text(value, field: field, max: 1000)
        case .textarea:
            guard value.count <= 10_000, !value.unicodeScalars.contains(where: { $0.value == 0 }) else {
                throw PlatformError.invalidInput(field: field, reason: "must be at most 10000 characters of text")
            }
            return value
        case .number:
            guard value.count <= 40, Self.isDecimal(value),
                  let number = Decimal(string: value, locale: Locale(identifier: "en_US_POSIX"))
            else { throw PlatformError.invalidInput(field: field, reason: "must be a number") }
            return "\(number)"
        case .date:
            guard Self.isISODate(value) else { throw PlatformError.invalidInput(field: field, reason: "must be a date YYYY-MM-DD") }
            return value
        case .select:
            guard options.contains(value) else {
                throw PlatformError.invalidInput(field: field, reason: "must be one of: \(options.joined(separator: ", "))")
            }
            return value
        }
    }

    /// `[+-]digits[.digits]`, ASCII only.
    static func isDecimal(_ text: String) -> Bool {
        var scalars = Substring(text).unicodeScalars[...]
        if let first = scalars.first, first == "+" || first == "-" { scalars = scalars.dropFirst() }
        let parts = String(scalars).split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return false }
        return parts.allSatisfy { part in !part.isEmpty && part.unicodeScalars.allSatisfy { ("0"..."9").contains($0) } }
    }

    static func isISODate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), day >= 1
        else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= days[month - 1]
    }

    /// `Connection Type` → `connection_type`; nil when nothing ASCII is left (then a key must be given).
    package static func key(from name: String) -> String? {
        var key = ""
        for scalar in name.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                key.unicodeScalars.append(scalar)
            } else if !key.isEmpty, !key.hasSuffix("_") {
                key += "_"
            }
        }
        while key.hasSuffix("_") { key.removeLast() }
        while let first = key.unicodeScalars.first, ("0"..."9").contains(first) { key.removeFirst() }
        key = String(key.prefix(40))
        while key.hasSuffix("_") { key.removeLast() }
        return key.isEmpty ? nil : key
    }

    /// Keys: a lowercase letter, then up to 39 lowercase letters, digits or `_`.
    package static func validateKey(_ key: String) throws -> String {
        let scalars = key.unicodeScalars
        guard (1...40).contains(scalars.count), let first = scalars.first, ("a"..."z").contains(first),
              scalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" })
        else { throw PlatformError.invalidInput(field: "key", reason: "must be a lowercase letter then up to 39 of a-z, 0-9, _") }
        return key
    }

    /// Options of a select field: 1-100 distinct, non-empty texts of at most 100 characters.
    package static func validateOptions(_ options: [String]) throws -> [String] {
        guard (1...100).contains(options.count) else {
            throw PlatformError.invalidInput(field: "options", reason: "a select field needs 1-100 options")
        }
        let cleaned = try options.map { try Validate.text($0, field: "options", max: 100) }
        guard Set(cleaned).count == cleaned.count else {
            throw PlatformError.invalidInput(field: "options", reason: "must not repeat an option")
        }
        return cleaned
    }
}
