import Crypto

/// How a received packet's two integrity checks came out.
package struct RadiusVerification: Sendable, Hashable, CustomStringConvertible {
    package enum MessageAuthenticator: Sendable, Hashable {
        /// Computed as the RFCs say for this kind of packet.
        case valid
        /// A response's, computed over a zero authenticator field instead of the request's
        /// authenticator, as FreeRADIUS 3 signs its CoA- and Disconnect-ACKs and -NAKs.
        case validOverZeroAuthenticator
        /// Present but wrong, or more than one of them.
        case invalid
        case missing
    }

    /// The Request Authenticator (of a request) or the Response Authenticator (of a response).
    package var authenticatorValid: Bool
    package var messageAuthenticator: MessageAuthenticator

    package init(authenticatorValid: Bool, messageAuthenticator: MessageAuthenticator) {
        self.authenticatorValid = authenticatorValid
        self.messageAuthenticator = messageAuthenticator
    }

    /// Both checks passed. Message-Authenticator is required, not merely checked when present: without it
    /// a response can be forged from a known one (Blast-RADIUS, CVE-2024-3596).
    package var isValid: Bool {
        authenticatorValid && (messageAuthenticator == .valid || messageAuthenticator == .validOverZeroAuthenticator)
    }

    package var description: String {
        "authenticator \(authenticatorValid ? "valid" : "invalid"), Message-Authenticator \(messageAuthenticator)"
    }
}

/// Signing and checking, RFC 2866 §3 and RFC 5176 for the authenticator, RFC 3579 §3.2 for
/// Message-Authenticator:
///
/// - Accounting-, Disconnect- and CoA-Request: Message-Authenticator = HMAC-MD5(secret, packet) with the
///   authenticator field and the Message-Authenticator value both sixteen zero octets; then
///   Request Authenticator = MD5(packet with a zero authenticator field, Message-Authenticator filled in,
///   + secret). The Message-Authenticator is computed first, so it cannot cover the Request Authenticator,
///   which covers it in turn.
/// - Responses: Message-Authenticator = HMAC-MD5(secret, packet) with the request's authenticator in the
///   authenticator field and a zero Message-Authenticator value; then
///   Response Authenticator = MD5(packet with the request's authenticator, Message-Authenticator filled in,
///   + secret).
///
/// FreeRADIUS's radclient computes requests and checks responses the same way (see the captured vectors
/// in the tests). FreeRADIUS 3 as a CoA server, though, computes its ACKs' and NAKs' Message-Authenticator
/// over a zero authenticator field; `verifyResponse` accepts that form too. It is no weaker where it
/// matters: the HMAC still covers every attribute under the secret, so a forged or altered answer fails
/// it, and the Response Authenticator, which covers the Message-Authenticator, still binds the answer to
/// its request.
extension RadiusPacket {
    /// The octets of this Accounting-, Disconnect- or CoA-Request, signed with `secret`. A
    /// Message-Authenticator is always included: where the attribute list has one (any value), it is
    /// filled in there; otherwise one is added as the first attribute.
    package func signedRequest(secret: String) throws(RadiusError) -> [UInt8] {
        guard code.hasComputedRequestAuthenticator else {
            throw RadiusError.invalidRequest("\(code) is not signed with a computed Request Authenticator")
        }
        return try signed(authenticatorField: Self.zeroAuthenticator, secret: secret)
    }

    /// The octets of this response to a request whose authenticator was `requestAuthenticator`, signed
    /// with `secret`, Message-Authenticator included as for `signedRequest(secret:)`.
    package func signedResponse(to requestAuthenticator: [UInt8], secret: String) throws(RadiusError) -> [UInt8] {
        guard requestAuthenticator.count == Self.authenticatorLength else {
            throw RadiusError.invalidRequest("the request authenticator is not 16 octets")
        }
        return try signed(authenticatorField: requestAuthenticator, secret: secret)
    }

    /// Checks a received Accounting-, Disconnect- or CoA-Request.
    package static func verifyRequest(_ octets: [UInt8], secret: String) -> RadiusVerification {
        verify(octets, authenticatorField: zeroAuthenticator, messageAuthenticatorFields: [zeroAuthenticator], secret: secret)
    }

    /// Checks a received response against the authenticator of the request it answers.
    package static func verifyResponse(_ octets: [UInt8], requestAuthenticator: [UInt8], secret: String) -> RadiusVerification {
        verify(octets, authenticatorField: requestAuthenticator, messageAuthenticatorFields: [requestAuthenticator, zeroAuthenticator], secret: secret)
    }

    private static let zeroAuthenticator = [UInt8](repeating: 0, count: authenticatorLength)

    private func signed(authenticatorField: [UInt8], secret: String) throws(RadiusError) -> [UInt8] {
        guard !secret.isEmpty else { throw RadiusError.invalidRequest("the shared secret is empty") }
        var packet = self
        packet.authenticator = authenticatorField
        let indices = packet.attributes.indices.filter { packet.attributes[$0].type == .messageAuthenticator }
        switch indices.count {
        case 0: packet.attributes.insert(.messageAuthenticatorPlaceholder, at: 0)
        case 1: packet.attributes[indices[0]] = .messageAuthenticatorPlaceholder
        default: throw RadiusError.invalidRequest("more than one Message-Authenticator")
        }
        var octets = try packet.encoded()
        guard let offset = Self.messageAuthenticatorOffsets(octets, length: octets.count)?.first else {
            throw RadiusError.invalidRequest("no Message-Authenticator to sign")
        }
        let secretOctets = Array(secret.utf8)
        octets.replaceSubrange(offset..<(offset + Self.authenticatorLength), with: Self.hmac(octets, secret: secretOctets))
        octets.replaceSubrange(4..<Self.headerLength, with: Self.md5(octets + secretOctets))
        return octets
    }

    /// `messageAuthenticatorFields`: the authenticator fields to try for the HMAC, the RFC's first.
    private static func verify(
        _ received: [UInt8], authenticatorField: [UInt8], messageAuthenticatorFields: [[UInt8]], secret: String
    ) -> RadiusVerification {
        guard let length = try? framedLength(received), !secret.isEmpty,
              let offsets = messageAuthenticatorOffsets(received, length: length)
        else {
            return RadiusVerification(authenticatorValid: false, messageAuthenticator: .missing)
        }
        let octets = Array(received.prefix(length))
        let secretOctets = Array(secret.utf8)
        let sent = Array(octets[4..<headerLength])

        var unsigned = octets
        unsigned.replaceSubrange(4..<headerLength, with: authenticatorField)
        let authenticatorValid = constantTimeEquals(md5(unsigned + secretOctets), sent)

        var messageAuthenticator = RadiusVerification.MessageAuthenticator.invalid
        if offsets.isEmpty {
            messageAuthenticator = .missing
        } else if offsets.count == 1 {
            let offset = offsets[0]
            let carried = Array(octets[offset..<(offset + authenticatorLength)])
            unsigned = octets
            unsigned.replaceSubrange(offset..<(offset + authenticatorLength), with: zeroAuthenticator)
            for (attempt, field) in messageAuthenticatorFields.enumerated() {
                unsigned.replaceSubrange(4..<headerLength, with: field)
                if constantTimeEquals(hmac(unsigned, secret: secretOctets), carried) {
                    messageAuthenticator = attempt == 0 ? .valid : .validOverZeroAuthenticator
                    break
                }
            }
        }
        return RadiusVerification(authenticatorValid: authenticatorValid, messageAuthenticator: messageAuthenticator)
    }

    /// Where each Message-Authenticator value starts; `nil` when the attributes do not frame.
    private static func messageAuthenticatorOffsets(_ octets: [UInt8], length: Int) -> [Int]? {
        var offsets: [Int] = []
        var index = headerLength
        while index < length {
            guard length - index >= 2 else { return nil }
            let attributeLength = Int(octets[index + 1])
            guard attributeLength >= 2, index + attributeLength <= length else { return nil }
            if octets[index] == RadiusAttributeType.messageAuthenticator.rawValue {
                guard attributeLength == 2 + authenticatorLength else { return nil }
                offsets.append(index + 2)
            }
            index += attributeLength
        }
        return offsets
    }

    private static func md5(_ octets: [UInt8]) -> [UInt8] {
        Array(Insecure.MD5.hash(data: octets))
    }

    private static func hmac(_ octets: [UInt8], secret: [UInt8]) -> [UInt8] {
        Array(HMAC<Insecure.MD5>.authenticationCode(for: octets, using: SymmetricKey(data: secret)))
    }

    /// Compares every octet, so the time taken says nothing about where a forged digest first differs.
    private static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
