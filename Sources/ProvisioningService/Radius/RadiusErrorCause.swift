/// The Error-Cause attribute's value (RFC 5176): why a NAS refused a Disconnect- or CoA-Request,
/// or, with 201, what it did besides acknowledging one. Values the RFC does not name keep their number.
package struct RadiusErrorCause: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    package var rawValue: Int

    package init(rawValue: Int) {
        self.rawValue = rawValue
    }

    package static let residualSessionContextRemoved = RadiusErrorCause(rawValue: 201)
    package static let invalidEAPPacket = RadiusErrorCause(rawValue: 202)
    package static let unsupportedAttribute = RadiusErrorCause(rawValue: 401)
    package static let missingAttribute = RadiusErrorCause(rawValue: 402)
    package static let nasIdentificationMismatch = RadiusErrorCause(rawValue: 403)
    package static let invalidRequest = RadiusErrorCause(rawValue: 404)
    package static let unsupportedService = RadiusErrorCause(rawValue: 405)
    package static let unsupportedExtension = RadiusErrorCause(rawValue: 406)
    package static let invalidAttributeValue = RadiusErrorCause(rawValue: 407)
    package static let administrativelyProhibited = RadiusErrorCause(rawValue: 501)
    package static let requestNotRoutable = RadiusErrorCause(rawValue: 502)
    package static let sessionContextNotFound = RadiusErrorCause(rawValue: 503)
    package static let sessionContextNotRemovable = RadiusErrorCause(rawValue: 504)
    package static let otherProxyProcessingError = RadiusErrorCause(rawValue: 505)
    package static let resourcesUnavailable = RadiusErrorCause(rawValue: 506)
    package static let requestInitiated = RadiusErrorCause(rawValue: 507)
    package static let multipleSessionSelectionUnsupported = RadiusErrorCause(rawValue: 508)

    /// The RFC's name for the value, `nil` when it names none.
    package var name: String? {
        switch rawValue {
        case 201: "Residual Session Context Removed"
        case 202: "Invalid EAP Packet (Ignored)"
        case 401: "Unsupported Attribute"
        case 402: "Missing Attribute"
        case 403: "NAS Identification Mismatch"
        case 404: "Invalid Request"
        case 405: "Unsupported Service"
        case 406: "Unsupported Extension"
        case 407: "Invalid Attribute Value"
        case 501: "Administratively Prohibited"
        case 502: "Request Not Routable (Proxy)"
        case 503: "Session Context Not Found"
        case 504: "Session Context Not Removable"
        case 505: "Other Proxy Processing Error"
        case 506: "Resources Unavailable"
        case 507: "Request Initiated"
        case 508: "Multiple Session Selection Unsupported"
        default: nil
        }
    }

    /// 4xx: the request itself was at fault and resending it unchanged will not help. 5xx: the NAS
    /// could not act on a valid request (no such session, prohibited, out of resources).
    package var isRequestError: Bool { (400..<500).contains(rawValue) }

    /// "Session Context Not Found (503)".
    package var description: String {
        name.map { "\($0) (\(rawValue))" } ?? "Error-Cause \(rawValue)"
    }
}
