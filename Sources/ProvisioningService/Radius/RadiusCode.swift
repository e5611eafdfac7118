/// A RADIUS packet's Code octet (RFC 2865 §3, RFC 2866, RFC 5176).
package struct RadiusCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    package var rawValue: UInt8

    package init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    package static let accessRequest = RadiusCode(rawValue: 1)
    package static let accessAccept = RadiusCode(rawValue: 2)
    package static let accessReject = RadiusCode(rawValue: 3)
    package static let accountingRequest = RadiusCode(rawValue: 4)
    package static let accountingResponse = RadiusCode(rawValue: 5)
    package static let accessChallenge = RadiusCode(rawValue: 11)
    package static let disconnectRequest = RadiusCode(rawValue: 40)
    package static let disconnectACK = RadiusCode(rawValue: 41)
    package static let disconnectNAK = RadiusCode(rawValue: 42)
    package static let coaRequest = RadiusCode(rawValue: 43)
    package static let coaACK = RadiusCode(rawValue: 44)
    package static let coaNAK = RadiusCode(rawValue: 45)

    /// Requests whose Request Authenticator is an MD5 digest over the packet and the secret rather than
    /// random octets (RFC 2866 §3, RFC 5176).
    package var hasComputedRequestAuthenticator: Bool {
        self == .accountingRequest || self == .disconnectRequest || self == .coaRequest
    }

    /// The positive and negative answers to a Disconnect- or CoA-Request; `nil` for other codes.
    package var dynamicAuthAnswers: (ack: RadiusCode, nak: RadiusCode)? {
        switch self {
        case .disconnectRequest: (.disconnectACK, .disconnectNAK)
        case .coaRequest: (.coaACK, .coaNAK)
        default: nil
        }
    }

    package var description: String {
        switch self {
        case .accessRequest: "Access-Request"
        case .accessAccept: "Access-Accept"
        case .accessReject: "Access-Reject"
        case .accountingRequest: "Accounting-Request"
        case .accountingResponse: "Accounting-Response"
        case .accessChallenge: "Access-Challenge"
        case .disconnectRequest: "Disconnect-Request"
        case .disconnectACK: "Disconnect-ACK"
        case .disconnectNAK: "Disconnect-NAK"
        case .coaRequest: "CoA-Request"
        case .coaACK: "CoA-ACK"
        case .coaNAK: "CoA-NAK"
        default: "Code-\(rawValue)"
        }
    }
}
