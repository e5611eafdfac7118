import Platform

/// What can go wrong speaking RADIUS to a NAS's dynamic authorization port.
///
/// A NAK is not an error: it is an answer (`DynamicAuthResult.nak`). These are the cases with no
/// trustworthy answer at all, and packets that could not be built or read.
package enum RadiusError: ServiceError, Equatable {
    /// No authenticated answer after every try.
    case timeout
    /// Answers came back, but none carried a valid Response Authenticator and Message-Authenticator:
    /// a wrong shared secret, a NAS that does not sign its answers, or forged packets.
    case badAuthenticator
    /// The request could not be sent (no route, socket failure, the client shut down).
    case unreachable(String)
    /// The request cannot be encoded as given: an attribute over 253 octets, a packet over 4096, no
    /// attribute naming the session, a host that is not an IP address, an empty secret.
    case invalidRequest(String)
    /// Bytes that do not frame a RADIUS packet (RFC 2865 §3, §5).
    case malformedPacket(String)
    /// An authenticated answer with a code that does not answer the request (a CoA-ACK to a Disconnect-Request).
    case unexpectedResponse(code: UInt8)

    package var code: String {
        switch self {
        case .timeout: "radius.timeout"
        case .badAuthenticator: "radius.bad_authenticator"
        case .unreachable: "radius.unreachable"
        case .invalidRequest: "radius.invalid_request"
        case .malformedPacket: "radius.malformed_packet"
        case .unexpectedResponse: "radius.unexpected_response"
        }
    }

    package var message: String {
        switch self {
        case .timeout: "the NAS did not answer in time"
        case .badAuthenticator: "the NAS's answer failed authentication; check the shared secret"
        case .unreachable: "the NAS could not be reached"
        case .invalidRequest: "the RADIUS request is malformed"
        case .malformedPacket: "a RADIUS packet could not be understood"
        case .unexpectedResponse: "the NAS answered with an unexpected packet type"
        }
    }

    package var kind: ErrorKind {
        switch self {
        case .timeout, .badAuthenticator, .unreachable: .unavailable
        case .invalidRequest, .malformedPacket, .unexpectedResponse: .internal
        }
    }

    package var details: [String: String] {
        switch self {
        case .unexpectedResponse(let code): ["radius_code": String(code)]
        default: [:]
        }
    }
}
