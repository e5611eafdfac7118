import Foundation

/// Input checks shared by every endpoint. They reject before any SQL runs, so bad input changes nothing.
package enum Validate {
    /// An id given as text (a query parameter, a form field): a positive integer.
    package static func positiveID(_ text: String, field: String) throws -> Int64 {
        guard let id = Int64(text), id > 0 else { throw PlatformError.invalidInput(field: field, reason: "must be a positive integer") }
        return id
    }

    /// Free text: trimmed, 1...max characters, no control characters (NUL included).
    package static func text(_ value: String, field: String, max: Int = 200) throws -> String {
        let trimmed = Self.trimmed(value)
        guard !trimmed.isEmpty else { throw PlatformError.invalidInput(field: field, reason: "must not be empty") }
        guard trimmed.utf8.count <= max || trimmed.count <= max else { throw PlatformError.invalidInput(field: field, reason: "must be at most \(max) characters") }
        // Printable ASCII has no control characters; anything else is looked at scalar by scalar.
        let printableASCII = trimmed.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
        guard printableASCII || !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw PlatformError.invalidInput(field: field, reason: "must not contain control characters")
        }
        return trimmed
    }

    /// `value` without surrounding white space (and line breaks, unless `newlines` is false). Values that
    /// start and end with a visible ASCII character, nearly all of them, are returned as they are without
    /// a trip through Foundation (which is slow, and serialises threads, on this platform).
    package static func trimmed(_ value: String, newlines: Bool = true) -> String {
        guard let first = value.utf8.first, let last = value.utf8.last else { return value }
        if first > 0x20, first < 0x7F, last > 0x20, last < 0x7F { return value }
        return value.trimmingCharacters(in: newlines ? .whitespacesAndNewlines : .whitespaces)
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
        let trimmed = Self.trimmed(value, newlines: false)
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

extension Validate {
    /// Phone numbers as people type them. Bangladeshi mobiles in any usual form (`01712345678`,
    /// `+8801712345678`, `8801712345678`, `01712-345678`) become `01712345678`; other international
    /// numbers become `+<digits>`. Spaces, dashes, dots and parentheses are ignored.
    package static func phone(_ value: String, field: String = "phone") throws -> String {
        guard let phone = normalizedPhone(value) else {
            throw PlatformError.invalidInput(field: field, reason: "must be a Bangladeshi mobile number (01XXXXXXXXX or +8801XXXXXXXXX) or +<country code><number>")
        }
        return phone
    }

    /// The canonical form of a phone number, or nil when it is not one.
    package static func normalizedPhone(_ value: String) -> String? {
        var text = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case " ", "-", ".", "(", ")", "\t": continue
            case "+" where text.isEmpty: text.unicodeScalars.append(scalar)
            case "0"..."9": text.unicodeScalars.append(scalar)
            default: return nil
            }
        }
        var international = false
        if text.hasPrefix("+") {
            text.removeFirst()
            international = true
        } else if text.hasPrefix("00") {
            text.removeFirst(2)
            international = true
        }
        if text.hasPrefix("880"), text.count == 13, isBangladeshiMobile("0" + text.dropFirst(3)) { return "0" + text.dropFirst(3) }
        if !international, text.count == 11, isBangladeshiMobile(text) { return text }
        if !international, text.count == 10, text.hasPrefix("1"), isBangladeshiMobile("0" + text) { return "0" + text }
        if international, (8...15).contains(text.count), !text.hasPrefix("0") { return "+" + text }
        return nil
    }

    private static func isBangladeshiMobile(_ digits: String) -> Bool {
        let scalars = Array(digits.unicodeScalars)
        return scalars.count == 11 && scalars[0] == "0" && scalars[1] == "1" && ("3"..."9").contains(scalars[2])
    }

    /// A MAC address in any common notation (`aa:bb:cc:dd:ee:ff`, `AA-BB-…`, `aabb.ccdd.eeff`,
    /// `aabbccddeeff`) as `AA:BB:CC:DD:EE:FF`.
    package static func mac(_ value: String, field: String = "mac") throws -> String {
        let trimmed = Self.trimmed(value, newlines: false)
        let hexDigits = trimmed.unicodeScalars.filter { $0 != ":" && $0 != "-" && $0 != "." }
        let allowedSeparators = trimmed.unicodeScalars.allSatisfy {
            $0 == ":" || $0 == "-" || $0 == "." || $0.properties.isASCIIHexDigit
        }
        guard allowedSeparators, hexDigits.count == 12, hexDigits.allSatisfy({ $0.properties.isASCIIHexDigit }) else {
            throw PlatformError.invalidInput(field: field, reason: "must be a MAC address like AA:BB:CC:DD:EE:FF")
        }
        let upper = String(String.UnicodeScalarView(hexDigits)).uppercased()
        var pairs: [Substring] = []
        var index = upper.startIndex
        while index < upper.endIndex {
            let next = upper.index(index, offsetBy: 2)
            pairs.append(upper[index..<next])
            index = next
        }
        return pairs.joined(separator: ":")
    }

    /// A dotted IPv4 address (`10.20.30.40`), no leading zeros.
    package static func ipv4(_ value: String, field: String) throws -> String {
        let text = Self.trimmed(value, newlines: false)
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.allSatisfy({ part in
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(part) else { return false }
            return number <= 255 && (part.count == 1 || !part.hasPrefix("0"))
        }) else {
            throw PlatformError.invalidInput(field: field, reason: "must be an IPv4 address like 10.20.30.40")
        }
        return text
    }

    /// An ISO date `YYYY-MM-DD` that exists in the calendar.
    package static func date(_ value: String, field: String) throws -> String {
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), day >= 1
        else { throw PlatformError.invalidInput(field: field, reason: "must be a date YYYY-MM-DD") }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard day <= days[month - 1] else { throw PlatformError.invalidInput(field: field, reason: "must be a date YYYY-MM-DD") }
        return value
    }

    /// An ISO 8601 date and time with a zone (`2026-12-01T00:00:00+06:00`, `…Z`, optional fractional seconds).
    package static func timestamp(_ value: String, field: String) throws -> Date {
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard value.count <= 40, let date = plain.date(from: value) ?? fractional.date(from: value) else {
            throw PlatformError.invalidInput(field: field, reason: "must be a date and time like 2026-12-01T00:00:00+06:00")
        }
        return date
    }
}
