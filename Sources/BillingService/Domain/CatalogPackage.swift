import Foundation
import Hummingbird
import Platform

/// A package: the technical profile (speeds, limits, pools) and the commercial part (price, validity).
package struct CatalogPackage: Codable, Sendable, Hashable, ResponseEncodable {
    package var id: Int64
    package var name: String
    package var customerType: CustomerType
    package var downloadKbps: Int
    package var uploadKbps: Int
    package var burst: Burst?
    package var timeLimitMinutes: Int?
    package var dataLimitMB: Int64?
    package var validityDays: Int?
    package var validityHours: Int?
    package var ipPool: String?
    package var suspendedPool: String?
    package var pppProfile: String?
    /// The customer price, minor units (poisha), excluding VAT.
    package var price: Int64
    package var currency: String
    package var vatProfileID: Int64?
    package var visibility: Visibility
    package var status: Status
    /// For a reseller or sub-reseller: what it pays for this package (its assignment's price).
    package var operatorPrice: Int64?
    package var createdAt: Date
    package var updatedAt: Date

    package struct Burst: Codable, Sendable, Hashable {
        package var downloadKbps: Int
        package var uploadKbps: Int
        package var thresholdDownloadKbps: Int?
        package var thresholdUploadKbps: Int?
        package var timeSeconds: Int?

        enum CodingKeys: String, CodingKey {
            case downloadKbps = "download_kbps", uploadKbps = "upload_kbps"
            case thresholdDownloadKbps = "threshold_download_kbps", thresholdUploadKbps = "threshold_upload_kbps"
            case timeSeconds = "time_seconds"
        }
    }

    package enum Visibility: String, Codable, Sendable { case `public`, `private` }
    package enum Status: String, Codable, Sendable { case active, archived }

    enum CodingKeys: String, CodingKey {
        case id, name, burst, price, currency, visibility, status
        case customerType = "customer_type", downloadKbps = "download_kbps", uploadKbps = "upload_kbps"
        case timeLimitMinutes = "time_limit_minutes", dataLimitMB = "data_limit_mb"
        case validityDays = "validity_days", validityHours = "validity_hours"
        case ipPool = "ip_pool", suspendedPool = "suspended_pool", pppProfile = "ppp_profile"
        case vatProfileID = "vat_profile_id", operatorPrice = "operator_price"
        case createdAt = "created_at", updatedAt = "updated_at"
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(customerType, forKey: .customerType)
        try container.encode(downloadKbps, forKey: .downloadKbps)
        try container.encode(uploadKbps, forKey: .uploadKbps)
        try container.encode(burst, forKey: .burst)
        try container.encode(timeLimitMinutes, forKey: .timeLimitMinutes)
        try container.encode(dataLimitMB, forKey: .dataLimitMB)
        try container.encode(validityDays, forKey: .validityDays)
        try container.encode(validityHours, forKey: .validityHours)
        try container.encode(ipPool, forKey: .ipPool)
        try container.encode(suspendedPool, forKey: .suspendedPool)
        try container.encode(pppProfile, forKey: .pppProfile)
        try container.encode(price, forKey: .price)
        try container.encode(currency, forKey: .currency)
        try container.encode(vatProfileID, forKey: .vatProfileID)
        try container.encode(visibility, forKey: .visibility)
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(operatorPrice, forKey: .operatorPrice)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}

/// A package's fields as a request gives them, for create (all that apply) and update (what changes);
/// the service validates them.
package struct PackageInput: Sendable, PartialInput {
    package var name: String?
    package var customerType: String?
    package var downloadKbps: Int?
    package var uploadKbps: Int?
    package var burst: CatalogPackage.Burst?
    package var timeLimitMinutes: Int?
    package var dataLimitMB: Int64?
    package var validityDays: Int?
    package var validityHours: Int?
    package var ipPool: String?
    package var suspendedPool: String?
    package var pppProfile: String?
    package var price: Int64?
    package var vatProfileID: Int64?
    package var visibility: String?
    package var status: String?
    /// Members given as `null`, to clear (optional ones only).
    package var nulls: Set<String> = []

    package init() {}

    enum CodingKeys: String, CodingKey {
        case name, burst, price, visibility, status
        case customerType = "customer_type", downloadKbps = "download_kbps", uploadKbps = "upload_kbps"
        case timeLimitMinutes = "time_limit_minutes", dataLimitMB = "data_limit_mb"
        case validityDays = "validity_days", validityHours = "validity_hours"
        case ipPool = "ip_pool", suspendedPool = "suspended_pool", pppProfile = "ppp_profile"
        case vatProfileID = "vat_profile_id"
    }
}

/// Which operator may sell a package and at what operator price.
package struct PackageAssignment: Codable, Sendable, Hashable, ResponseEncodable {
    package var packageID: Int64
    package var tenantID: Int64
    package var operatorID: Int64
    package var level: Level
    package var price: Int64
    package var createdAt: Date
    package var updatedAt: Date

    package enum Level: String, Codable, Sendable {
        /// The admin to a reseller tenant's owner.
        case reseller
        /// A tenant's owner to one of its sub-resellers.
        case subReseller = "sub_reseller"
    }

    enum CodingKeys: String, CodingKey {
        case level, price
        case packageID = "package_id", tenantID = "tenant_id", operatorID = "operator_id"
        case createdAt = "created_at", updatedAt = "updated_at"
    }
}

/// How a monthly customer is billed: cycle day, due and grace days, what happens automatically.
package struct BillingProfile: Codable, Sendable, Hashable, ResponseEncodable {
    package var id: Int64
    package var name: String
    package var cycleDay: Int
    package var dueDays: Int
    package var graceDays: Int
    package var autoInvoice: Bool
    package var autoSuspend: Bool
    package var autoReactivate: Bool
    package var cycleEndsWithMonth: Bool
    package var vatProfileID: Int64?
    package var createdAt: Date
    package var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name
        case cycleDay = "cycle_day", dueDays = "due_days", graceDays = "grace_days"
        case autoInvoice = "auto_invoice", autoSuspend = "auto_suspend", autoReactivate = "auto_reactivate"
        case cycleEndsWithMonth = "cycle_ends_with_month", vatProfileID = "vat_profile_id"
        case createdAt = "created_at", updatedAt = "updated_at"
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(cycleDay, forKey: .cycleDay)
        try container.encode(dueDays, forKey: .dueDays)
        try container.encode(graceDays, forKey: .graceDays)
        try container.encode(autoInvoice, forKey: .autoInvoice)
        try container.encode(autoSuspend, forKey: .autoSuspend)
        try container.encode(autoReactivate, forKey: .autoReactivate)
        try container.encode(cycleEndsWithMonth, forKey: .cycleEndsWithMonth)
        try container.encode(vatProfileID, forKey: .vatProfileID)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}

package struct BillingProfileInput: Sendable, PartialInput {
    package var name: String?
    package var cycleDay: Int?
    package var dueDays: Int?
    package var graceDays: Int?
    package var autoInvoice: Bool?
    package var autoSuspend: Bool?
    package var autoReactivate: Bool?
    package var cycleEndsWithMonth: Bool?
    package var vatProfileID: Int64?
    package var nulls: Set<String> = []

    package init() {}

    enum CodingKeys: String, CodingKey {
        case name
        case cycleDay = "cycle_day", dueDays = "due_days", graceDays = "grace_days"
        case autoInvoice = "auto_invoice", autoSuspend = "auto_suspend", autoReactivate = "auto_reactivate"
        case cycleEndsWithMonth = "cycle_ends_with_month", vatProfileID = "vat_profile_id"
    }
}

package struct VATProfile: Codable, Sendable, Hashable, ResponseEncodable {
    package var id: Int64
    package var name: String
    package var rateBasisPoints: Int

    enum CodingKeys: String, CodingKey {
        case id, name
        case rateBasisPoints = "rate_basis_points"
    }
}

package enum CatalogError: ServiceError {
    case packageNameTaken
    case billingProfileNameTaken
    case inUse(String)
    case packageNotAssignedToYou

    package var code: String {
        switch self {
        case .packageNameTaken: "package_name_taken"
        case .billingProfileNameTaken: "billing_profile_name_taken"
        case .inUse: "in_use"
        case .packageNotAssignedToYou: "package_not_assigned"
        }
    }

    package var message: String {
        switch self {
        case .packageNameTaken: "a package with this name already exists"
        case .billingProfileNameTaken: "a billing profile with this name already exists"
        case .inUse(let what): "the \(what) is in use by customers; archive it instead"
        case .packageNotAssignedToYou: "this package is not assigned to you, so you cannot assign it onward"
        }
    }

    package var kind: ErrorKind {
        switch self {
        case .packageNameTaken, .billingProfileNameTaken, .inUse: .conflict
        case .packageNotAssignedToYou: .unprocessable
        }
    }
}
