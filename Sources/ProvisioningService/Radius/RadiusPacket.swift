/// A RADIUS packet (RFC 2865 §3): code, identifier, the 16-octet authenticator and the attributes.
///
/// `encoded()` and `init(decoding:)` only frame: they neither compute nor check authenticators (see
/// `RadiusPacket+Authenticators.swift`). Attributes keep their order, which matters for signing.
package struct RadiusPacket: Sendable, Hashable, CustomStringConvertible {
    package static let headerLength = 20
    package static let authenticatorLength = 16
    /// RFC 2865 §3: the largest packet a RADIUS peer has to accept.
    package static let maximumLength = 4096

    package var code: RadiusCode
    package var identifier: UInt8
    package var authenticator: [UInt8]
    package var attributes: [Attribute]

    package init(code: RadiusCode, identifier: UInt8 = 0, authenticator: [UInt8]? = nil, attributes: [Attribute] = []) {
        self.code = code
        self.identifier = identifier
        self.authenticator = authenticator ?? [UInt8](repeating: 0, count: Self.authenticatorLength)
        self.attributes = attributes
    }

    /// The packet's octets as they stand.
    package func encoded() throws(RadiusError) -> [UInt8] {
        guard authenticator.count == Self.authenticatorLength else {
            throw RadiusError.invalidRequest("the authenticator is not 16 octets")
        }
        var octets = [code.rawValue, identifier, 0, 0] + authenticator
        for attribute in attributes {
            guard attribute.value.count <= Attribute.maximumValueLength else {
                throw RadiusError.invalidRequest("\(attribute.type) is longer than \(Attribute.maximumValueLength) octets")
            }
            if attribute.type == .messageAuthenticator, attribute.value.count != Self.authenticatorLength {
                throw RadiusError.invalidRequest("Message-Authenticator is not 16 octets")
            }
            octets += [attribute.type.rawValue, UInt8(attribute.value.count + 2)]
            octets += attribute.value
        }
        guard octets.count <= Self.maximumLength else {
            throw RadiusError.invalidRequest("the packet is longer than \(Self.maximumLength) octets")
        }
        octets[2] = UInt8(octets.count >> 8)
        octets[3] = UInt8(octets.count & 0xFF)
        return octets
    }

    /// Reads one packet. Octets past the Length field are padding and ignored (RFC 2865 §3); anything
    /// else that does not frame exactly — a short packet, attributes over- or under-filling it, an
    /// attribute shorter than its header, a Message-Authenticator that is not 16 octets — is refused.
    package init(decoding octets: some Collection<UInt8>) throws(RadiusError) {
        let octets = Array(octets)
        let length = try Self.framedLength(octets)
        var attributes: [Attribute] = []
        var index = Self.headerLength
        while index < length {
            guard length - index >= 2 else { throw RadiusError.malformedPacket("an attribute header overruns the packet") }
            let type = RadiusAttributeType(rawValue: octets[index])
            let attributeLength = Int(octets[index + 1])
            guard attributeLength >= 2 else { throw RadiusError.malformedPacket("\(type) is shorter than its header") }
            guard index + attributeLength <= length else { throw RadiusError.malformedPacket("\(type) overruns the packet") }
            if type == .messageAuthenticator, attributeLength != 2 + Self.authenticatorLength {
                throw RadiusError.malformedPacket("Message-Authenticator is not 16 octets")
            }
            attributes.append(Attribute(type, Array(octets[(index + 2)..<(index + attributeLength)])))
            index += attributeLength
        }
        self.init(
            code: RadiusCode(rawValue: octets[0]), identifier: octets[1],
            authenticator: Array(octets[4..<Self.headerLength]), attributes: attributes
        )
    }

    /// The Length field, checked against the header size, the maximum and the octets received.
    static func framedLength(_ octets: [UInt8]) throws(RadiusError) -> Int {
        guard octets.count >= headerLength else { throw RadiusError.malformedPacket("shorter than a RADIUS header") }
        let length = Int(octets[2]) << 8 | Int(octets[3])
        guard length >= headerLength, length <= maximumLength else {
            throw RadiusError.malformedPacket("the Length field (\(length)) is out of range")
        }
        guard length <= octets.count else { throw RadiusError.malformedPacket("fewer octets than the Length field says") }
        return length
    }

    // MARK: Attributes

    /// The first attribute of `type`.
    package func attribute(_ type: RadiusAttributeType) -> Attribute? {
        attributes.first { $0.type == type }
    }

    /// Every attribute of `type`, in order.
    package func attributes(_ type: RadiusAttributeType) -> [Attribute] {
        attributes.filter { $0.type == type }
    }

    /// The value of the first vendor sub-attribute `type` of `vendorID`.
    package func vendorAttribute(_ vendorID: UInt32, _ type: UInt8) -> [UInt8]? {
        attributes(.vendorSpecific).lazy.compactMap(\.vendorAttributes).joined()
            .first { $0.vendorID == vendorID && $0.type == type }?.value
    }

    package var userName: String? { attribute(.userName)?.stringValue }
    package var acctSessionID: String? { attribute(.acctSessionID)?.stringValue }
    package var framedIPAddress: String? { attribute(.framedIPAddress)?.ipv4AddressValue }
    package var nasIPAddress: String? { attribute(.nasIPAddress)?.ipv4AddressValue }
    package var errorCause: RadiusErrorCause? { attribute(.errorCause)?.integerValue.map { RadiusErrorCause(rawValue: Int($0)) } }

    /// Every Reply-Message, in order, one per line; `nil` without one.
    package var replyMessage: String? {
        let parts = attributes(.replyMessage).compactMap(\.stringValue)
        return parts.isEmpty ? nil : parts.joined(separator: "\n")
    }

    package var description: String {
        "\(code) id \(identifier) [" + attributes.map(\.description).joined(separator: ", ") + "]"
    }
}
