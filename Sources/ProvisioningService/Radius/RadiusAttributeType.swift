/// An attribute's Type octet. The named ones are those the dynamic authorization client reads or
/// writes; any other number works through `RadiusPacket.Attribute(_:_:)` and the raw value.
package struct RadiusAttributeType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    package var rawValue: UInt8

    package init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    package static let userName = RadiusAttributeType(rawValue: 1)
    package static let nasIPAddress = RadiusAttributeType(rawValue: 4)
    package static let framedIPAddress = RadiusAttributeType(rawValue: 8)
    package static let replyMessage = RadiusAttributeType(rawValue: 18)
    package static let state = RadiusAttributeType(rawValue: 24)
    package static let `class` = RadiusAttributeType(rawValue: 25)
    package static let vendorSpecific = RadiusAttributeType(rawValue: 26)
    package static let sessionTimeout = RadiusAttributeType(rawValue: 27)
    package static let callingStationID = RadiusAttributeType(rawValue: 31)
    package static let nasIdentifier = RadiusAttributeType(rawValue: 32)
    package static let acctSessionID = RadiusAttributeType(rawValue: 44)
    package static let eventTimestamp = RadiusAttributeType(rawValue: 55)
    package static let messageAuthenticator = RadiusAttributeType(rawValue: 80)
    package static let errorCause = RadiusAttributeType(rawValue: 101)

    package var description: String {
        switch self {
        case .userName: "User-Name"
        case .nasIPAddress: "NAS-IP-Address"
        case .framedIPAddress: "Framed-IP-Address"
        case .replyMessage: "Reply-Message"
        case .state: "State"
        case .class: "Class"
        case .vendorSpecific: "Vendor-Specific"
        case .sessionTimeout: "Session-Timeout"
        case .callingStationID: "Calling-Station-Id"
        case .nasIdentifier: "NAS-Identifier"
        case .acctSessionID: "Acct-Session-Id"
        case .eventTimestamp: "Event-Timestamp"
        case .messageAuthenticator: "Message-Authenticator"
        case .errorCause: "Error-Cause"
        default: "Attr-\(rawValue)"
        }
    }
}
