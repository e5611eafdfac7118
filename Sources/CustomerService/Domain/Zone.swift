import Foundation
import Hummingbird
import Platform

/// A customer zone: an area or point of presence of one tenant, used to filter customers and in reports.
package struct Zone: Codable, Sendable, Hashable, ResponseEncodable {
    package var id: Int64
    package var name: String
    package var description: String?
    package var createdAt: Date
    package var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name, description
        case createdAt = "created_at", updatedAt = "updated_at"
    }
}

/// Errors of the customers module.
package enum CustomerError: ServiceError, Equatable {
    case zoneNameTaken
    case customFieldKeyTaken
    case usernameTaken
    case codeTaken
    case staticIPTaken
    case macTaken
    case tooManyDevices(max: Int)
    /// The action is not allowed from the customer's current state.
    case invalidTransition(action: String, status: String, deleted: Bool)

    package var code: String {
        switch self {
        case .zoneNameTaken: "zone_name_taken"
        case .customFieldKeyTaken: "custom_field_key_taken"
        case .usernameTaken: "username_taken"
        case .codeTaken: "customer_code_taken"
        case .staticIPTaken: "static_ip_taken"
        case .macTaken: "mac_taken"
        case .tooManyDevices: "too_many_devices"
        case .invalidTransition: "invalid_transition"
        }
    }

    package var message: String {
        switch self {
        case .zoneNameTaken: "a zone with this name already exists"
        case .customFieldKeyTaken: "a custom field with this key already exists"
        case .usernameTaken: "this username is taken (usernames are unique across the platform)"
        case .codeTaken: "another customer has this code"
        case .staticIPTaken: "another customer has this static IP"
        case .macTaken: "this MAC address is bound to another customer"
        case .tooManyDevices(let max): "a customer may have at most \(max) devices"
        case .invalidTransition(let action, let status, let deleted):
            deleted ? "cannot \(action) a deleted customer" : "cannot \(action) a customer that is \(status)"
        }
    }

    package var kind: ErrorKind {
        switch self {
        case .tooManyDevices: .unprocessable
        default: .conflict
        }
    }

    package var details: [String: String] {
        switch self {
        case .invalidTransition(_, let status, let deleted): ["status": status, "deleted": String(deleted)]
        case .tooManyDevices(let max): ["max": String(max)]
        default: [:]
        }
    }

    /// The error a violated unique constraint of the customers tables stands for.
    static func forConstraint(_ constraint: String?) -> CustomerError? {
        switch constraint {
        case "usernames_pkey": .usernameTaken
        case "customers_code_key": .codeTaken
        case "customers_static_ip_key": .staticIPTaken
        case "customer_devices_mac_key": .macTaken
        default: nil
        }
    }
}
