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

    package var code: String {
        switch self {
        case .zoneNameTaken: "zone_name_taken"
        case .customFieldKeyTaken: "custom_field_key_taken"
        }
    }

    package var message: String {
        switch self {
        case .zoneNameTaken: "a zone with this name already exists"
        case .customFieldKeyTaken: "a custom field with this key already exists"
        }
    }

    package var kind: ErrorKind {
        switch self {
        case .zoneNameTaken, .customFieldKeyTaken: .conflict
        }
    }
}
