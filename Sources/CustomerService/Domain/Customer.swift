import Foundation
import Hummingbird
import Platform

/// A subscriber of one tenant, owned by one operator. The password is never part of this value: it is
/// read only through the explicit password endpoint. Written as JSON by hand (`JSONWritable`): the list
/// returns up to 200 of them per request, and `JSONEncoder` cost more than the query.
package struct Customer: Sendable, Hashable, JSONWritable {
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
    /// The stored `custom` object as JSON text (key → normalised text value).
    package var customFieldsJSON: String
    package var notes: String?
    package var createdAt: Date
    package var createdBy: String?
    package var updatedAt: Date
    package var updatedBy: String?
    package var deletedAt: Date?
    package var deletedBy: String?
    /// Where the customer's network state stands (the single record only; lists leave it out).
    package var provisioning: ProvisioningStatus?
    /// Whether the customer has an open session, from the online view (nil: not known).
    package var online: Bool?

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
    }

    /// The custom field values, parsed from `customFieldsJSON`.
    package var customFields: [String: String] {
        let object = (try? JSONSerialization.jsonObject(with: Data(customFieldsJSON.utf8)) as? [String: Any]) ?? [:]
        return object.compactMapValues { $0 as? String }
    }

    /// Every member, `null` included, keys in sorted order.
    package func writeJSON(to out: inout JSONOutput) {
        out.object { out in
            out.key("address")
            out.object { out in
                out.key("area"); out.string(address.area)
                out.key("district"); out.string(address.district)
                out.key("division"); out.string(address.division)
                out.key("house"); out.string(address.house)
                out.key("road"); out.string(address.road)
                out.key("thana"); out.string(address.thana)
            }
            out.key("billing_profile_id"); out.int(billingProfileID)
            out.key("client_type"); out.string(clientType)
            out.key("code"); out.string(code)
            out.key("connection_date"); out.string(connectionDate)
            out.key("connection_type"); out.string(connectionType)
            out.key("connectivity"); out.string(connectivity)
            out.key("created_at"); out.date(createdAt)
            out.key("created_by"); out.string(createdBy)
            out.key("custom_fields"); out.raw(customFieldsJSON)
            out.key("deleted_at"); out.date(deletedAt)
            out.key("deleted_by"); out.string(deletedBy)
            out.key("email"); out.string(email)
            out.key("expires_at"); out.date(expiresAt)
            out.key("full_name"); out.string(fullName)
            out.key("gender"); out.string(gender)
            out.key("id"); out.int(id)
            out.key("nas_id"); out.int(nasID)
            out.key("nid"); out.string(nid)
            out.key("notes"); out.string(notes)
            out.key("online")
            if let online { out.bool(online) } else { out.null() }
            out.key("operator_id"); out.int(operatorID)
            out.key("package_id"); out.int(packageID)
            out.key("package_name"); out.string(packageName)
            out.key("phone"); out.string(phone)
            if let provisioning {
                out.key("provisioning")
                out.object { out in
                    out.key("applied_version"); out.int(provisioning.appliedVersion)
                    out.key("attempts"); out.int(Int64(provisioning.attempts))
                    out.key("last_error"); out.string(provisioning.lastError)
                    out.key("next_attempt_at"); out.date(provisioning.nextAttemptAt)
                    out.key("requested_version"); out.int(provisioning.requestedVersion)
                    out.key("state"); out.string(provisioning.state)
                    out.key("updated_at"); out.date(provisioning.updatedAt)
                }
            }
            out.key("static_ip"); out.string(staticIP)
            out.key("status"); out.string(status.rawValue)
            out.key("status_reason"); out.string(statusReason)
            out.key("suspend_date"); out.string(suspendDate)
            out.key("type"); out.string(type.rawValue)
            out.key("updated_at"); out.date(updatedAt)
            out.key("updated_by"); out.string(updatedBy)
            out.key("username"); out.string(username)
            out.key("zone_id"); out.int(zoneID)
            out.key("zone_name"); out.string(zoneName)
        }
    }
}

package enum CustomerStatus: String, Codable, Sendable, CaseIterable {
    case active, expired, suspended, disabled
}

/// A page of customers, the items already a JSON array (written from the rows, see
/// `CustomerRepository.listFields`); the live list adds the per-status counts of the same filter.
package struct CustomerPage: Sendable, JSONWritable {
    package var items: [UInt8]
    package var page: Int
    package var perPage: Int
    package var total: Int
    package var counts: [String: Int]?

    package func writeJSON(to out: inout JSONOutput) {
        out.object { out in
            if let counts {
                out.key("counts")
                out.object { out in
                    for status in CustomerStatus.allCases {
                        out.key(status.rawValue)
                        out.int(counts[status.rawValue] ?? 0)
                    }
                }
            }
            out.key("items")
            out.raw(items)
            out.key("page"); out.int(page)
            out.key("per_page"); out.int(perPage)
            out.key("total"); out.int(total)
        }
    }
}

/// The fields of a create or an edit, as given (validated by the service). `nulls` names members given
/// as `null` in an edit, to clear them.
package struct CustomerInput: Sendable, PartialInput {
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

    enum CodingKeys: String, CodingKey {
        case code, type, username, password, phone, email, address, gender, nid, status, notes, connectivity
        case operatorID = "operator_id", fullName = "full_name", zoneID = "zone_id", packageID = "package_id"
        case billingProfileID = "billing_profile_id", nasID = "nas_id", staticIP = "static_ip", clientType = "client_type"
        case connectionType = "connection_type", connectionDate = "connection_date", expiresAt = "expires_at"
        case customFields = "custom_fields"
    }
}

/// A customer's provisioning state: `in_sync`, `pending` (a job is queued or waiting for its retry) or
/// `failed` (every attempt failed; `last_error` says why), with the outbox versions requested and applied.
package struct ProvisioningStatus: Sendable, Hashable {
    package var state: String
    package var attempts: Int
    package var lastError: String?
    package var requestedVersion: Int64
    package var appliedVersion: Int64
    package var nextAttemptAt: Date?
    package var updatedAt: Date?

    /// A customer whose first job has not been relayed yet (every change queues one).
    static let pending = ProvisioningStatus(
        state: "pending", attempts: 0, lastError: nil, requestedVersion: 0, appliedVersion: 0, nextAttemptAt: nil, updatedAt: nil
    )
}

/// What an action changes besides the status: its parameters.
package struct ActionInput: Sendable {
    package var reason: String?
    package var packageID: Int64?
    package var operatorID: Int64?
    package var billingProfileID: Int64?
    package var password: String?
    package var suspendDate: String??

    package init(
        reason: String? = nil, packageID: Int64? = nil, operatorID: Int64? = nil, billingProfileID: Int64? = nil,
        password: String? = nil, suspendDate: String?? = nil
    ) {
        self.reason = reason
        self.packageID = packageID
        self.operatorID = operatorID
        self.billingProfileID = billingProfileID
        self.password = password
        self.suspendDate = suspendDate
    }
}

/// The customer actions (single and bulk).
package enum CustomerAction: String, Sendable, CaseIterable {
    case activate, suspend, disable, delete
    case changePackage = "change-package"
    case changeOperator = "change-operator"
    case changeBillingProfile = "change-billing-profile"
    case resetPassword = "reset-password"
    case setSuspendDate = "set-suspend-date"
    case restore

    /// The name in the activity log.
    var logName: String { rawValue.replacingOccurrences(of: "-", with: "_") }

    /// Why provisioning must look at the customer again, or nil when the network is not affected.
    /// Stopping a prepaid customer early (suspend, disable, delete) refunds its unused whole days.
    var refundsUnusedDays: Bool { self == .suspend || self == .disable || self == .delete }

    var outboxReason: String? {
        switch self {
        case .activate, .suspend, .disable: "status_changed"
        case .delete: "deleted"
        case .restore: "restored"
        case .changePackage: "package_changed"
        case .changeOperator: "operator_changed"
        case .resetPassword: "password_changed"
        case .setSuspendDate, .changeBillingProfile: nil
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
