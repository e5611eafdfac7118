import Foundation

/// Input checks shared by every endpoint. They reject before any SQL runs, so bad input changes nothing.
package enum Validate {
    /// Free text: trimmed, 1...max characters, no control characters (NUL included).
    package static func text(_ value: String, field: String, max: Int = 200) throws -> String {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw PlatformError.invalidInput(field: field, reason: "must not be empty") }
        guard trimmed.count <= max else { throw PlatformError.invalidInput(field: field, reason: "must be at most \(max) characters") }
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw PlatformError.invalidInput(field: field, reason: "must not contain control characters")
        }
        return trimmed
    }

    /// Login names: 3-64 of `A-Z a-z 0-9 . _ @ -`, starting with a letter or digit.
    package static func username(_ value: String, field: String = "username") throws -> String {
        let scalars = value.unicodeScalars
        guard (3...64).contains(scalars.count),
              let first = scalars.first, isASCIIAlphanumeric(first),
              scalars.allSatisfy({ isASCIIAlphanumeric($0) || $0 == "." || $0 == "_" || $0 == "@" || $0 == "-" })
        else {
            throw PlatformError.invalidInput(field: field, reason: "must be 3-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit")
        }
        return value
    }

    /// Tenant slugs: 2-40 of `a-z 0-9 -`, starting with a letter or digit.
    package static func slug(_ value: String, field: String = "slug") throws -> String {
        let scalars = value.unicodeScalars
        guard (2...40).contains(scalars.count),
              let first = scalars.first, isLowerAlphanumeric(first),
              scalars.allSatisfy({ isLowerAlphanumeric($0) || $0 == "-" })
        else {
            throw PlatformError.invalidInput(field: field, reason: "must be 2-40 lowercase letters, digits or '-'")
        }
        return value
    }

    /// A plausible e-mail address (one '@', a dot in the domain, no spaces), at most 254 characters.
    package static func email(_ value: String, field: String = "email") throws -> String {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard trimmed.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
              !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              trimmed.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value < 127 })
        else { throw PlatformError.invalidInput(field: field, reason: "is not a valid e-mail address") }
        return trimmed
    }

    /// Passwords for operators' logins: 8-128 characters, no control characters.
    package static func newPassword(_ value: String, field: String = "password") throws -> String {
        guard (8...128).contains(value.count) else {
            throw PlatformError.invalidInput(field: field, reason: "must be 8-128 characters")
        }
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw PlatformError.invalidInput(field: field, reason: "must not contain control characters")
        }
        return value
    }

    private static func isASCIIAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }

    private static func isLowerAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}
