extension RadiusPacket {
    /// One attribute: its type and its value octets as they go on the wire (RFC 2865 §5).
    ///
    /// The constructors encode the RFC data types (text, 32-bit integer, IPv4 address, time) and the
    /// Vendor-Specific layout; the readers decode them and return `nil` when the octets do not fit the type.
    package struct Attribute: Sendable, Hashable, CustomStringConvertible {
        /// The longest value one attribute can carry: its length octet counts the two header octets too.
        package static let maximumValueLength = 253

        package var type: RadiusAttributeType
        package var value: [UInt8]

        package init(_ type: RadiusAttributeType, _ value: [UInt8]) {
            self.type = type
            self.value = value
        }

        /// One sub-attribute of a Vendor-Specific attribute in the RFC 2865 §5.26 layout
        /// (vendor type, vendor length, value), as MikroTik and most vendors use it.
        package struct VendorAttribute: Sendable, Hashable {
            package var vendorID: UInt32
            package var type: UInt8
            package var value: [UInt8]

            package init(vendorID: UInt32, type: UInt8, value: [UInt8]) {
                self.vendorID = vendorID
                self.type = type
                self.value = value
            }

            package var stringValue: String? { String(validating: value, as: UTF8.self) }
        }

        // MARK: Building

        /// Text as UTF-8, without a terminating NUL.
        package static func string(_ type: RadiusAttributeType, _ text: String) -> Attribute {
            Attribute(type, Array(text.utf8))
        }

        /// A 32-bit unsigned integer, network order.
        package static func integer(_ type: RadiusAttributeType, _ number: UInt32) -> Attribute {
            Attribute(type, [UInt8(number >> 24), UInt8(number >> 16 & 0xFF), UInt8(number >> 8 & 0xFF), UInt8(number & 0xFF)])
        }

        /// An IPv4 address in dotted-quad form (`10.0.0.1`).
        package static func ipv4Address(_ type: RadiusAttributeType, _ address: String) throws(RadiusError) -> Attribute {
            guard let octets = Self.ipv4Octets(address) else {
                throw RadiusError.invalidRequest("\(type) is not an IPv4 address")
            }
            return Attribute(type, octets)
        }

        package static func userName(_ name: String) -> Attribute { .string(.userName, name) }
        package static func acctSessionID(_ id: String) -> Attribute { .string(.acctSessionID, id) }
        package static func nasIdentifier(_ identifier: String) -> Attribute { .string(.nasIdentifier, identifier) }
        package static func callingStationID(_ id: String) -> Attribute { .string(.callingStationID, id) }
        package static func replyMessage(_ text: String) -> Attribute { .string(.replyMessage, text) }
        package static func state(_ octets: [UInt8]) -> Attribute { Attribute(.state, octets) }
        package static func `class`(_ octets: [UInt8]) -> Attribute { Attribute(.class, octets) }
        package static func sessionTimeout(seconds: UInt32) -> Attribute { .integer(.sessionTimeout, seconds) }
        /// Seconds since 1970-01-01 UTC.
        package static func eventTimestamp(_ secondsSince1970: UInt32) -> Attribute { .integer(.eventTimestamp, secondsSince1970) }
        package static func errorCause(_ cause: RadiusErrorCause) -> Attribute { .integer(.errorCause, UInt32(truncatingIfNeeded: cause.rawValue)) }

        package static func framedIPAddress(_ address: String) throws(RadiusError) -> Attribute {
            try .ipv4Address(.framedIPAddress, address)
        }

        package static func nasIPAddress(_ address: String) throws(RadiusError) -> Attribute {
            try .ipv4Address(.nasIPAddress, address)
        }

        /// A Message-Authenticator of sixteen zero octets: where it stands in the attribute list is where the
        /// signed packet carries it; signing fills in the value.
        package static let messageAuthenticatorPlaceholder = Attribute(.messageAuthenticator, [UInt8](repeating: 0, count: 16))

        /// A Vendor-Specific attribute holding one sub-attribute (`.vendor(14988, 8, "10M/20M")` is
        /// Mikrotik-Rate-Limit). A value over 247 octets does not fit and fails when the packet is encoded.
        package static func vendor(_ vendorID: UInt32, _ type: UInt8, _ value: String) -> Attribute {
            .vendorSpecific(vendorID: vendorID, type: type, value: Array(value.utf8))
        }

        package static func vendorSpecific(vendorID: UInt32, type: UInt8, value: [UInt8]) -> Attribute {
            var octets = Attribute.integer(.vendorSpecific, vendorID).value
            // An overlong value wraps the sub-length here and is refused by the packet encoder's length check.
            octets += [type, UInt8(truncatingIfNeeded: value.count + 2)]
            octets += value
            return Attribute(.vendorSpecific, octets)
        }

        // MARK: Reading

        /// The value as UTF-8 text; `nil` when it is not valid UTF-8.
        package var stringValue: String? { String(validating: value, as: UTF8.self) }

        /// The value as a 32-bit integer; `nil` unless it is exactly four octets.
        package var integerValue: UInt32? {
            guard value.count == 4 else { return nil }
            return value.reduce(0) { $0 << 8 | UInt32($1) }
        }

        /// The value as a dotted-quad IPv4 address; `nil` unless it is exactly four octets.
        package var ipv4AddressValue: String? {
            value.count == 4 ? value.map(String.init).joined(separator: ".") : nil
        }

        /// The sub-attributes of a Vendor-Specific attribute; `nil` for other types or when the sub-attributes
        /// do not exactly fill the value.
        package var vendorAttributes: [VendorAttribute]? {
            guard type == .vendorSpecific, value.count >= 4 else { return nil }
            let vendorID = value.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
            var found: [VendorAttribute] = []
            var index = 4
            while index < value.count {
                guard value.count - index >= 2 else { return nil }
                let length = Int(value[index + 1])
                guard length >= 2, index + length <= value.count else { return nil }
                found.append(VendorAttribute(vendorID: vendorID, type: value[index], value: Array(value[(index + 2)..<(index + length)])))
                index += length
            }
            return found
        }

        package var description: String {
            if let vendorAttributes {
                return vendorAttributes.map { "Vendor-\($0.vendorID)-Attr-\($0.type) = \(Self.show($0.value))" }.joined(separator: ", ")
            }
            return "\(type) = \(Self.show(value))"
        }

        /// Text in quotes when printable, hex otherwise.
        private static func show(_ octets: [UInt8]) -> String {
            if let text = String(validating: octets, as: UTF8.self), text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) {
                return "\"\(text)\""
            }
            return "0x" + octets.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        }

        private static func ipv4Octets(_ text: String) -> [UInt8]? {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            var octets: [UInt8] = []
            for part in parts {
                guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }), let octet = UInt8(part) else { return nil }
                octets.append(octet)
            }
            return octets
        }
    }
}
