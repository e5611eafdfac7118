import Foundation
import Hummingbird
import Platform

/// A subscriber of one tenant, owned by one operator. The password is never part of this value: it is
/// read only through the explicit password endpoint.
package struct Customer: Codable, Sendable, Hashable, ResponseEncodable {
    package var id: Int64
    package var code: String
    package var type: CustomerType
    package var operatorID: Int64
    package var username: String
    package var fullName: String
    package var phone: String?
    package var email: String?
    package var address: Address
    package var zoneID: Int64?
    package var zoneName: String?
    package var packageID: Int64?
    package var packageName: String?
    package var billingProfileID: Int64?
    package var nasID: Int64?
    package var staticIP: String?
    package var clientType: String
    package var connectionType: String
    package var connectivity: String
    package var gender: String?
    package var nid: String?
    package var connectionDate: String
    package var expiresAt: Date?
    package var suspendDate: String?
    package var status: CustomerStatus
    package var statusReason: String?
    package var customFields: [String: String]
    package var notes: String?
    package var createdAt: Date
    package var createdBy: String?
    package var updatedAt: Date
    package var updatedBy: String?
    package var deletedAt: Date?
    package var deletedBy: String?

    package struct Address: Codable, Sendable, Hashable {
        package var house: String?
        package var road: String?
        package var area: String?
        package var thana: String?
        package var district: String?
        package var division: String?

        package init(house: String? = nil, road: String? = nil, area: String? = nil, thana: String? = nil, district: String? = nil, division: String? = nil) {
            self.house = house
            self.road = road
            self.area = area
            self.thana = thana
            self.district = district
            self.division = division
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(house, forKey: .house)
            try container.encode(road, forKey: .road)
            try container.encode(area, forKey: .area)
            try container.encode(thana, forKey: .thana)
            try container.encode(district, forKey: .district)
            try container.encode(division, forKey: .division)
        }

        enum CodingKeys: String, CodingKey { case house, road, area, thana, district, division }
    }

    enum CodingKeys: String, CodingKey {
        case id, code, type, username, phone, email, address, gender, nid, status, notes
        case operatorID = "operator_id", fullName = "full_name", zoneID = "zone_id", zoneName = "zone_name"
        case packageID = "package_id", packageName = "package_name", billingProfileID = "billing_profile_id"
        case nasID = "nas_id", staticIP = "static_ip", clientType = "client_type", connectionType = "connection_type"
        case connectivity, connectionDate = "connection_date", expiresAt = "expires_at", suspendDate = "suspend_date"
        case statusReason = "status_reason", customFields = "custom_fields"
        case createdAt = "created_at", createdBy = "created_by", updatedAt = "updated_at", updatedBy = "updated_by"
        case deletedAt = "deleted_at", deletedBy = "deleted_by"
    }

    /// Every member, `null` included, so clients see one shape.
    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(code, forKey: .code)
        try c.encode(type, forKey: .type)
        try c.encode(operatorID, forKey: .operatorID)
        try c.encode(username, forKey: .username)
        try c.encode(fullName, forKey: .fullName)
        try c.encode(phone, forKey: .phone)
        try c.encode(email, forKey: .email)
        try c.encode(address, forKey: .address)
        try c.encode(zoneID, forKey: .zoneID)
        try c.encode(zoneName, forKey: .zoneName)
        try c.encode(packageID, forKey: .packageID)
        try c.encode(packageName, forKey: .packageName)
        try c.encode(billingProfileID, forKey: .billingProfileID)
        try c.encode(nasID, forKey: .nasID)
        try c.encode(staticIP, forKey: .staticIP)
        try c.encode(clientType, forKey: .clientType)
        try c.encode(connectionType, forKey: .connectionType)
        try c.encode(connectivity, forKey: .connectivity)
        try c.encode(gender, forKey: .gender)
        try c.encode(nid, forKey: .nid)
        try c.encode(connectionDate, forKey: .connectionDate)
        try c.encode(expiresAt, forKey: .expiresAt)
        try c.encode(suspendDate, forKey: .suspendDate)
        try c.encode(status, forKey: .status)
        try c.encode(statusReason, forKey: .statusReason)
        try c.encode(customFields, forKey: .customFields)
        try c.encode(notes, forKey: .notes)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(createdBy, forKey: .createdBy)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(updatedBy, forKey: .updatedBy)
        try c.encode(deletedAt, forKey: .deletedAt)
        try c.encode(deletedBy, forKey: .deletedBy)
    }
}

package enum CustomerStatus: String, Codable, Sendable, CaseIterable {
    case active, expired, suspended, disabled
}

/// A page of customers with the per-status counts of the same filter.
package struct CustomerPage: Codable, Sendable, ResponseEncodable {
    package var items: [Customer]
    package var page: Int
    package var perPage: Int
    package var total: Int
    package var counts: [String: Int]

    enum CodingKeys: String, CodingKey {
        case items, page, total, counts
        case perPage = "per_page"
    }
}

/// The fields of a create or an edit, as given (validated by the service). `nulls` names members given
/// as `null` in an edit, to clear them.
package struct CustomerInput: Sendable {
    package var code: String?
    package var type: String?
    package var operatorID: Int64?
    package var username: String?
    package var password: String?
    package var fullName: String?
    package var phone: String?
    package var email: String?
    package var address: Customer.Address?
    package var zoneID: Int64?
    package var packageID: Int64?
    package var billingProfileID: Int64?
    package var nasID: Int64?
    package var staticIP: String?
    package var clientType: String?
    package var connectionType: String?
    package var connectivity: String?
    package var gender: String?
    package var nid: String?
    package var connectionDate: String?
    package var expiresAt: Date?
    package var status: String?
    package var customFields: [String: AnyJSON]?
    package var notes: String?
    package var nulls: Set<String> = []

    package init() {}
}

/// What an action changes besides the status: its parameters.
package struct ActionInput: Sendable {
    package var reason: String?
    package var packageID: Int64?
    package var operatorID: Int64?
    package var password: String?
    package var suspendDate: String??

    package init(reason: String? = nil, packageID: Int64? = nil, operatorID: Int64? = nil, password: String? = nil, suspendDate: String?? = nil) {
        self.reason = reason
        self.packageID = packageID
        self.operatorID = operatorID
        self.password = password
        self.suspendDate = suspendDate
    }
}

/// The customer actions (single and bulk).
package enum CustomerAction: String, Sendable, CaseIterable {
    case activate, suspend, disable, delete
    case changePackage = "change-package"
    case changeOperator = "change-operator"
    case resetPassword = "reset-password"
    case setSuspendDate = "set-suspend-date"
    case restore

    /// The name in the activity log.
    var logName: String { rawValue.replacingOccurrences(of: "-", with: "_") }

    /// Why provisioning must look at the customer again, or nil when the network is not affected.
    var outboxReason: String? {
        switch self {
        case .activate, .suspend, .disable: "status_changed"
        case .delete: "deleted"
        case .restore: "restored"
        case .changePackage: "package_changed"
        case .changeOperator: "operator_changed"
        case .resetPassword: "password_changed"
        case .setSuspendDate: nil
        }
    }
}

/// One id's outcome in a bulk action.
package struct BulkResult: Codable, Sendable {
    package var id: Int64
    package var ok: Bool
    package var status: String?
    package var error: BulkError?

    package struct BulkError: Codable, Sendable {
        package var code: String
        package var message: String
        package var details: [String: String]
    }
}

package struct BulkOutcome: Codable, Sendable, ResponseEncodable {
    package var results: [BulkResult]
    package var succeeded: Int
    package var failed: Int
}

/// A MAC binding of a customer's device.
package struct Device: Codable, Sendable, Hashable, ResponseEncodable {
    package var id: Int64
    package var customerID: Int64
    package var customerName: String
    package var username: String
    package var mac: String
    package var label: String?
    package var addedBy: String
    package var addedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, username, mac, label
        case customerID = "customer_id", customerName = "customer_name", addedBy = "added_by", addedAt = "added_at"
    }
}

/// One entry of the activity log.
package struct ActivityEntry: Codable, Sendable, ResponseEncodable {
    package var id: Int64
    package var occurredAt: Date
    package var operatorID: Int64
    package var customerID: Int64?
    package var action: String
    package var actor: String
    package var actorUserID: Int64?
    package var actorTokenID: Int64?
    package var changes: JSONText
    package var requestID: String?
    package var clientIP: String?

    enum CodingKeys: String, CodingKey {
        case id, action, actor, changes
        case occurredAt = "occurred_at", operatorID = "operator_id", customerID = "customer_id"
        case actorUserID = "actor_user_id", actorTokenID = "actor_token_id", requestID = "request_id", clientIP = "client_ip"
    }
}

/// A JSON value carried as its text and emitted as JSON (not as a string).
package struct JSONText: Codable, Sendable {
    package var value: AnyJSON

    package init(text: String) {
        value = (try? JSONDecoder().decode(AnyJSON.self, from: Data(text.utf8))) ?? .null
    }

    package init(from decoder: any Decoder) throws { value = try AnyJSON(from: decoder) }
    package func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

/// Any JSON value, for passing stored JSON through.
package indirect enum AnyJSON: Codable, Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([AnyJSON])
    case object([String: AnyJSON])

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([AnyJSON].self) { self = .array(value) }
        else { self = .object(try container.decode([String: AnyJSON].self)) }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value.rounded() == value, abs(value) < 9e15 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

/// A customer as the admin's cross-tenant search shows it.
package struct AdminCustomerHit: Codable, Sendable {
    package var tenantID: Int64
    package var tenantName: String
    package var customerID: Int64
    package var operatorID: Int64
    package var code: String
    package var username: String
    package var fullName: String
    package var phone: String?
    package var type: String
    package var status: String
    package var deleted: Bool
    package var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case code, username, phone, type, status, deleted
        case tenantID = "tenant_id", tenantName = "tenant_name", customerID = "customer_id", operatorID = "operator_id"
        case fullName = "full_name", createdAt = "created_at"
    }
}
