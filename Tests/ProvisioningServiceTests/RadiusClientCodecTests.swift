import Crypto
import ProvisioningService
import Testing

/// Octets from a hex string; the vectors below are written that way.
func octets(hex: String) -> [UInt8] {
    var octets: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        octets.append(UInt8(hex[index..<next], radix: 16) ?? 0)
        index = next
    }
    return octets
}

func md5(_ octets: [UInt8]) -> [UInt8] {
    Array(Insecure.MD5.hash(data: octets))
}

/// Packets FreeRADIUS 3.2.1's radclient sent, captured off the socket:
/// `echo '<attributes>' | radclient -x 127.0.0.1:PORT disconnect|coa s3cret`. radclient computes the
/// Message-Authenticator when its input has `Message-Authenticator = 0x00`, in the place it is listed.
enum RadclientVectors {
    static let secret = "s3cret"

    /// `User-Name = "alice", Acct-Session-Id = "81a00001", Message-Authenticator = 0x00`, disconnect, Id 197.
    static let disconnect = octets(hex:
        "28c500379c098ff34651a339bdac4afb655fdef1" + "0107616c696365" + "2c0a3831613030303031"
            + "5012127db9889129b85d942d6f814e7b30ee")

    /// The same plus `Framed-IP-Address = 10.10.0.7`, `NAS-IP-Address = 10.0.0.1` and
    /// `Mikrotik-Rate-Limit = "10M/20M"`, coa, Id 50.
    static let coa = octets(hex:
        "2b3200525f8e09799cb04e732af6fb3362685f0d" + "0107616c696365" + "2c0a3831613030303031" + "08060a0a0007"
            + "04060a000001" + "1a0f00003a8c080931304d2f32304d" + "5012e90833e49a730932d5e192dc14603db4")
}

/// Answers FreeRADIUS 3.2.1 sent as a CoA server (`listen { type = coa }`, a `recv-coa` section adding
/// `Message-Authenticator` to the reply), captured off the socket. FreeRADIUS computes their
/// Message-Authenticator over a zero authenticator field, not over the request's authenticator.
enum FreeRADIUSVectors {
    /// The Disconnect-ACK to `RadclientVectors.disconnect`.
    static let disconnectACK = octets(hex: "29c5002640b28b4b86c8c32276ebe430bfdc4183" + "50120b262dd7746bb31a18800a4c38a336ba")

    /// A CoA-Request for `User-Name = "alice", Acct-Session-Id = "unknown"`, Id 51, and FreeRADIUS's
    /// CoA-NAK to it with `Error-Cause = Session-Context-Not-Found`.
    static let coaForUnknownSession = octets(hex:
        "2b33003660f8aeaf56b4d5bcc6a0d99958d2c28d" + "0107616c696365" + "2c09756e6b6e6f776e" + "5012c38a4aba0c0db5a8971b50aaf3c1b2ab")
    static let coaNAK = octets(hex: "2d33002c9c6cae82d49b26b72a775fdae0920162" + "6506000001f7" + "501253e9bbf20ff1d7532a9420f130aa4a8e")
}

@Suite struct RadiusClientCodecTests {
    @Test func everyAttributeSurvivesARoundTrip() throws {
        let packet = RadiusPacket(code: .coaRequest, identifier: 7, attributes: [
            .userName("alice"), try .nasIPAddress("10.0.0.1"), try .framedIPAddress("10.10.0.7"), .replyMessage("bye"),
            .state([1, 2, 3]), .class([0xFF]), .sessionTimeout(seconds: 3600), .callingStationID("00:11:22:33:44:55"),
            .nasIdentifier("core-1"), .acctSessionID("81a00001"), .eventTimestamp(1_700_000_000),
            .errorCause(.sessionContextNotFound), .vendor(14988, 8, "10M/20M"), RadiusPacket.Attribute(RadiusAttributeType(rawValue: 200), [9, 9]),
            .messageAuthenticatorPlaceholder,
        ])
        let decoded = try RadiusPacket(decoding: try packet.encoded())
        #expect(decoded == packet)
        #expect(decoded.userName == "alice")
        #expect(decoded.nasIPAddress == "10.0.0.1")
        #expect(decoded.framedIPAddress == "10.10.0.7")
        #expect(decoded.acctSessionID == "81a00001")
        #expect(decoded.replyMessage == "bye")
        #expect(decoded.errorCause == .sessionContextNotFound)
        #expect(decoded.attribute(.sessionTimeout)?.integerValue == 3600)
        #expect(decoded.attribute(.eventTimestamp)?.integerValue == 1_700_000_000)
        #expect(decoded.attribute(.state)?.value == [1, 2, 3])
        #expect(decoded.vendorAttribute(14988, 8) == Array("10M/20M".utf8))
        #expect(decoded.attribute(RadiusAttributeType(rawValue: 200))?.value == [9, 9])
    }

    @Test func headerAndAttributesLandWhereRFC2865PutsThem() throws {
        let encoded = try RadiusPacket(code: .disconnectRequest, identifier: 0xAB, attributes: [.userName("bo")]).encoded()
        #expect(encoded == [40, 0xAB, 0, 24] + [UInt8](repeating: 0, count: 16) + [1, 4, 0x62, 0x6F])
    }

    @Test func vendorSpecificCarriesVendorIdAndSubAttribute() throws {
        let rateLimit = RadiusPacket.Attribute.vendor(14988, 8, "10M/20M")
        #expect(rateLimit.type == .vendorSpecific)
        #expect(rateLimit.value == [0, 0, 0x3A, 0x8C, 8, 9] + Array("10M/20M".utf8))
        #expect(rateLimit.vendorAttributes == [.init(vendorID: 14988, type: 8, value: Array("10M/20M".utf8))])
        // Two sub-attributes packed in one Vendor-Specific, as some NASes send them.
        let packed = RadiusPacket.Attribute(.vendorSpecific, [0, 0, 0x3A, 0x8C, 8, 4, 0x31, 0x4D, 1, 3, 0x78])
        #expect(packed.vendorAttributes?.map(\.type) == [8, 1])
        #expect(RadiusPacket.Attribute(.vendorSpecific, [0, 0, 0x3A, 0x8C, 8, 9, 0x31]).vendorAttributes == nil)
        #expect(RadiusPacket.Attribute.userName("x").vendorAttributes == nil)
    }

    @Test(arguments: [
        ("shorter than a header", [UInt8](repeating: 0, count: 19)),
        ("length field below 20", [40, 1, 0, 19] + [UInt8](repeating: 0, count: 16)),
        ("length field beyond the octets", [40, 1, 0, 30] + [UInt8](repeating: 0, count: 16)),
        ("length field over 4096", [40, 1, 0x10, 0x01] + [UInt8](repeating: 0, count: 4097)),
        ("attribute length 0", [40, 1, 0, 22] + [UInt8](repeating: 0, count: 16) + [1, 0]),
        ("attribute length 1", [40, 1, 0, 22] + [UInt8](repeating: 0, count: 16) + [1, 1]),
        ("attribute overruns the packet", [40, 1, 0, 23] + [UInt8](repeating: 0, count: 16) + [1, 4, 0x61]),
        ("lone attribute type octet", [40, 1, 0, 21] + [UInt8](repeating: 0, count: 16) + [1]),
        ("short Message-Authenticator", [40, 1, 0, 24] + [UInt8](repeating: 0, count: 16) + [80, 4, 0, 0]),
    ])
    func malformedPacketsAreRefused(_ reason: String, _ octets: [UInt8]) {
        #expect(throws: RadiusError.self, "\(reason)") { try RadiusPacket(decoding: octets) }
    }

    @Test func octetsPastTheLengthFieldArePadding() throws {
        let encoded = try RadiusPacket(code: .disconnectACK, identifier: 3, attributes: [.userName("a")]).encoded()
        let decoded = try RadiusPacket(decoding: encoded + [0xDE, 0xAD])
        #expect(decoded.attributes == [.userName("a")])
    }

    @Test func overlongValuesAreRefusedWhenEncoding() throws {
        let longest = String(repeating: "x", count: 253)
        #expect(try RadiusPacket(code: .coaRequest, attributes: [.userName(longest)]).encoded().count == 20 + 255)
        #expect(throws: RadiusError.invalidRequest("User-Name is longer than 253 octets")) {
            try RadiusPacket(code: .coaRequest, attributes: [.userName(longest + "x")]).encoded()
        }
        // A Vendor-Specific spends six octets on vendor id and sub-header: 247 octets of value at most.
        #expect(try RadiusPacket(code: .coaRequest, attributes: [.vendor(14988, 8, String(repeating: "r", count: 247))]).encoded().count == 275)
        #expect(throws: RadiusError.self) {
            try RadiusPacket(code: .coaRequest, attributes: [.vendor(14988, 8, String(repeating: "r", count: 248))]).encoded()
        }
        let tooMany = [RadiusPacket.Attribute](repeating: .userName(String(repeating: "y", count: 200)), count: 21)
        #expect(throws: RadiusError.invalidRequest("the packet is longer than 4096 octets")) {
            try RadiusPacket(code: .coaRequest, attributes: tooMany).encoded()
        }
        #expect(throws: RadiusError.invalidRequest("Framed-IP-Address is not an IPv4 address")) { try RadiusPacket.Attribute.framedIPAddress("10.0.0.256") }
        #expect(throws: RadiusError.self) { try RadiusPacket.Attribute.nasIPAddress("10.0.0") }
        #expect(throws: RadiusError.self) { try RadiusPacket.Attribute.nasIPAddress("+1.2.3.4") }
    }

    @Test func radclientsDisconnectRequestIsReadAndVerified() throws {
        let packet = try RadiusPacket(decoding: RadclientVectors.disconnect)
        #expect(packet.code == .disconnectRequest)
        #expect(packet.identifier == 197)
        #expect(packet.userName == "alice")
        #expect(packet.acctSessionID == "81a00001")
        #expect(packet.attributes.map(\.type) == [.userName, .acctSessionID, .messageAuthenticator])

        let verification = RadiusPacket.verifyRequest(RadclientVectors.disconnect, secret: RadclientVectors.secret)
        #expect(verification == RadiusVerification(authenticatorValid: true, messageAuthenticator: .valid))
        #expect(!RadiusPacket.verifyRequest(RadclientVectors.disconnect, secret: "wrong").authenticatorValid)
        #expect(RadiusPacket.verifyRequest(RadclientVectors.disconnect, secret: "wrong").messageAuthenticator == .invalid)

        // Our signer, given the same attributes in the same order and the same identifier, sends the same octets.
        let ours = RadiusPacket(code: .disconnectRequest, identifier: 197, attributes: [
            .userName("alice"), .acctSessionID("81a00001"), .messageAuthenticatorPlaceholder,
        ])
        #expect(try ours.signedRequest(secret: RadclientVectors.secret) == RadclientVectors.disconnect)
    }

    @Test func radclientsCoARequestWithAVendorAttributeIsReadAndVerified() throws {
        let packet = try RadiusPacket(decoding: RadclientVectors.coa)
        #expect(packet.code == .coaRequest)
        #expect(packet.identifier == 50)
        #expect(packet.framedIPAddress == "10.10.0.7")
        #expect(packet.nasIPAddress == "10.0.0.1")
        #expect(packet.vendorAttribute(14988, 8).flatMap { String(validating: $0, as: UTF8.self) } == "10M/20M")
        #expect(RadiusPacket.verifyRequest(RadclientVectors.coa, secret: RadclientVectors.secret).isValid)

        let ours = RadiusPacket(code: .coaRequest, identifier: 50, attributes: [
            .userName("alice"), .acctSessionID("81a00001"), try .framedIPAddress("10.10.0.7"), try .nasIPAddress("10.0.0.1"),
            .vendor(14988, 8, "10M/20M"), .messageAuthenticatorPlaceholder,
        ])
        #expect(try ours.signedRequest(secret: RadclientVectors.secret) == RadclientVectors.coa)
    }

    @Test func aSignedRequestCarriesMessageAuthenticatorFirstAndAnyChangedOctetBreaksIt() throws {
        let request = RadiusPacket(code: .disconnectRequest, identifier: 9, attributes: [.userName("alice"), .acctSessionID("s1")])
        let signed = try request.signedRequest(secret: "s3cret")
        #expect(signed[20] == RadiusAttributeType.messageAuthenticator.rawValue)
        #expect(signed[21] == 18)
        #expect(RadiusPacket.verifyRequest(signed, secret: "s3cret").isValid)
        // A Message-Authenticator already in the list is filled in where it stands, whatever its value.
        let placed = RadiusPacket(code: .disconnectRequest, identifier: 9, attributes: [
            .userName("alice"), .acctSessionID("s1"), RadiusPacket.Attribute(.messageAuthenticator, [UInt8](repeating: 7, count: 16)),
        ])
        let placedOctets = try placed.signedRequest(secret: "s3cret")
        #expect(try RadiusPacket(decoding: placedOctets).attributes.last?.type == .messageAuthenticator)
        #expect(RadiusPacket.verifyRequest(placedOctets, secret: "s3cret").isValid)

        for index in signed.indices {
            var tampered = signed
            tampered[index] ^= 0x20
            #expect(!RadiusPacket.verifyRequest(tampered, secret: "s3cret").isValid, "octet \(index) changed unnoticed")
        }
    }

    @Test func signingRefusesWhatCannotBeSigned() {
        #expect(throws: RadiusError.self) { try RadiusPacket(code: .accessRequest).signedRequest(secret: "s") }
        #expect(throws: RadiusError.invalidRequest("the shared secret is empty")) {
            try RadiusPacket(code: .disconnectRequest, attributes: [.userName("a")]).signedRequest(secret: "")
        }
        #expect(throws: RadiusError.invalidRequest("more than one Message-Authenticator")) {
            try RadiusPacket(code: .coaRequest, attributes: [.messageAuthenticatorPlaceholder, .messageAuthenticatorPlaceholder])
                .signedRequest(secret: "s")
        }
    }

    @Test func aResponseIsBoundToItsRequestAndNeedsItsMessageAuthenticator() throws {
        let request = try RadiusPacket(code: .disconnectRequest, identifier: 4, attributes: [.userName("a")]).signedRequest(secret: "s3cret")
        let requestAuthenticator = Array(request[4..<20])
        let nak = RadiusPacket(code: .disconnectNAK, identifier: 4, attributes: [.errorCause(.sessionContextNotFound)])
        let signed = try nak.signedResponse(to: requestAuthenticator, secret: "s3cret")
        #expect(RadiusPacket.verifyResponse(signed, requestAuthenticator: requestAuthenticator, secret: "s3cret")
            == RadiusVerification(authenticatorValid: true, messageAuthenticator: .valid))
        #expect(try RadiusPacket(decoding: signed).errorCause == .sessionContextNotFound)

        let otherRequest = [UInt8](repeating: 1, count: 16)
        let replayed = RadiusPacket.verifyResponse(signed, requestAuthenticator: otherRequest, secret: "s3cret")
        #expect(!replayed.authenticatorValid)
        #expect(replayed.messageAuthenticator == .invalid)
        #expect(!RadiusPacket.verifyResponse(signed, requestAuthenticator: requestAuthenticator, secret: "other").isValid)

        // Correct Response Authenticator, no Message-Authenticator: what Blast-RADIUS forges. Not valid.
        var bare = nak
        bare.authenticator = requestAuthenticator
        var unsigned = try bare.encoded()
        unsigned.replaceSubrange(4..<20, with: md5(unsigned + Array("s3cret".utf8)))
        let verification = RadiusPacket.verifyResponse(unsigned, requestAuthenticator: requestAuthenticator, secret: "s3cret")
        #expect(verification == RadiusVerification(authenticatorValid: true, messageAuthenticator: .missing))
        #expect(!verification.isValid)
    }

    @Test func freeRADIUSsAnswersAreAccepted() throws {
        let ackVerification = RadiusPacket.verifyResponse(
            FreeRADIUSVectors.disconnectACK, requestAuthenticator: Array(RadclientVectors.disconnect[4..<20]), secret: RadclientVectors.secret
        )
        #expect(ackVerification == RadiusVerification(authenticatorValid: true, messageAuthenticator: .validOverZeroAuthenticator))
        #expect(ackVerification.isValid)
        #expect(try RadiusPacket(decoding: FreeRADIUSVectors.disconnectACK).code == .disconnectACK)

        #expect(RadiusPacket.verifyRequest(FreeRADIUSVectors.coaForUnknownSession, secret: RadclientVectors.secret).isValid)
        let requestAuthenticator = Array(FreeRADIUSVectors.coaForUnknownSession[4..<20])
        #expect(RadiusPacket.verifyResponse(FreeRADIUSVectors.coaNAK, requestAuthenticator: requestAuthenticator, secret: RadclientVectors.secret).isValid)
        let nak = try RadiusPacket(decoding: FreeRADIUSVectors.coaNAK)
        #expect(DynamicAuthResult(response: nak, to: .coaRequest) == .nak(errorCause: .sessionContextNotFound, message: nil))

        // This Message-Authenticator does not cover the request, but the Response Authenticator does:
        // replayed as the answer to another request, it fails.
        let replayed = RadiusPacket.verifyResponse(FreeRADIUSVectors.coaNAK, requestAuthenticator: Array(RadclientVectors.disconnect[4..<20]), secret: RadclientVectors.secret)
        #expect(replayed == RadiusVerification(authenticatorValid: false, messageAuthenticator: .validOverZeroAuthenticator))
        #expect(!replayed.isValid)
        #expect(!RadiusPacket.verifyResponse(FreeRADIUSVectors.coaNAK, requestAuthenticator: requestAuthenticator, secret: "other").isValid)
    }

    @Test func errorCausesReadAsTheRFCNamesThem() {
        let named: [(Int, String)] = [
            (201, "Residual Session Context Removed"), (202, "Invalid EAP Packet (Ignored)"), (401, "Unsupported Attribute"),
            (402, "Missing Attribute"), (403, "NAS Identification Mismatch"), (404, "Invalid Request"),
            (405, "Unsupported Service"), (406, "Unsupported Extension"), (407, "Invalid Attribute Value"),
            (501, "Administratively Prohibited"), (502, "Request Not Routable (Proxy)"), (503, "Session Context Not Found"),
            (504, "Session Context Not Removable"), (505, "Other Proxy Processing Error"), (506, "Resources Unavailable"),
            (507, "Request Initiated"), (508, "Multiple Session Selection Unsupported"),
        ]
        for (value, name) in named {
            #expect(RadiusErrorCause(rawValue: value).name == name)
            #expect(RadiusErrorCause(rawValue: value).description == "\(name) (\(value))")
        }
        #expect(RadiusErrorCause(rawValue: 999).name == nil)
        #expect(RadiusErrorCause(rawValue: 999).description == "Error-Cause 999")
        #expect(RadiusErrorCause.missingAttribute.isRequestError)
        #expect(!RadiusErrorCause.sessionContextNotFound.isRequestError)
        #expect(DynamicAuthResult.nak(errorCause: .sessionContextNotFound, message: "no such user").description
            == "NAK: Session Context Not Found (503), \"no such user\"")
        #expect(DynamicAuthResult.nak(errorCause: nil, message: nil).description == "NAK")
        #expect(DynamicAuthResult.ack.description == "ACK")
    }

    @Test func aSessionIdentityListsNASThenSessionAttributes() throws {
        let identity = SessionIdentity(userName: "alice", acctSessionID: "81a00001", framedIP: "10.10.0.7", nasIP: "10.0.0.1")
        #expect(try identity.attributes().map(\.type) == [.nasIPAddress, .userName, .acctSessionID, .framedIPAddress])
        #expect(throws: RadiusError.invalidRequest("no attribute identifies the session")) {
            try SessionIdentity(nasIP: "10.0.0.1").attributes()
        }
        #expect(throws: RadiusError.self) { try SessionIdentity(framedIP: "fe80::1").attributes() }
    }
}
