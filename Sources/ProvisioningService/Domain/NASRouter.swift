import Foundation
import Hummingbird
import Platform

/// One of the ISP's routers (a MikroTik NAS) as the API shows it: never its RADIUS secret or API password.
package struct NASRouter: Codable, Sendable, Hashable, ResponseEncodable {
    package var id: Int64
    package var name: String
    package var nasIP: String
    /// Where the API is reached: the configured host, or the NAS address when none is.
    package var apiHost: String
    package var apiPort: Int
    package var apiTLS: Bool
    package var apiTLSVerify: Bool
    package var apiUsername: String
    package var hasAPIPassword: Bool
    package var coaPort: Int
    package var disconnectMethod: DisconnectMethod
    package var coaEnabled: Bool
    package var location: String?
    package var interimSeconds: Int
    package var status: Status
    /// The reseller tenants that may use it; shown to the admin only.
    package var assignedTenantIDs: [Int64]?
    /// `nil` until the first connection test has been recorded.
    package var lastTest: ConnectionTest?
    /// `nil` until the first configuration push (`POST /routers/{id}/configure`).
    package var lastConfigure: ConnectionTest?
    package var createdAt: Date
    package var updatedAt: Date

    /// How a session is ended when a change must take effect at once.
    package enum DisconnectMethod: String, Codable, Sendable, CaseIterable {
        /// RADIUS Disconnect-Request (RFC 5176) to `coa_port`.
        case radius
        /// `/ppp/active/remove` over the RouterOS API.
        case api
        /// Sessions run on until they end by themselves.
        case none
    }

    package enum Status: String, Codable, Sendable, CaseIterable {
        /// FreeRADIUS knows it (a `radius.nas` row).
        case active
        /// Kept, but FreeRADIUS no longer answers it.
        case disabled
    }

    /// The outcome of the last API login and `/system/resource/print` (or of the last configuration push).
    package struct ConnectionTest: Codable, Sendable, Hashable {
        package var at: Date
        package var ok: Bool
        /// The router's version and board on success, a readable reason otherwise.
        package var message: String
    }

    enum CodingKeys: String, CodingKey {
        case id, name, location, status
        case nasIP = "nas_ip", apiHost = "api_host", apiPort = "api_port", apiTLS = "api_tls", apiTLSVerify = "api_tls_verify"
        case apiUsername = "api_username", hasAPIPassword = "has_api_password", coaPort = "coa_port"
        case disconnectMethod = "disconnect_method", coaEnabled = "coa_enabled", interimSeconds = "interim_seconds"
        case assignedTenantIDs = "assigned_tenant_ids", lastTest = "last_test", lastConfigure = "last_configure", createdAt = "created_at", updatedAt = "updated_at"
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(nasIP, forKey: .nasIP)
        try container.encode(apiHost, forKey: .apiHost)
        try container.encode(apiPort, forKey: .apiPort)
        try container.encode(apiTLS, forKey: .apiTLS)
        try container.encode(apiTLSVerify, forKey: .apiTLSVerify)
        try container.encode(apiUsername, forKey: .apiUsername)
        try container.encode(hasAPIPassword, forKey: .hasAPIPassword)
        try container.encode(coaPort, forKey: .coaPort)
        try container.encode(disconnectMethod, forKey: .disconnectMethod)
        try container.encode(coaEnabled, forKey: .coaEnabled)
        try container.encode(location, forKey: .location)
        try container.encode(interimSeconds, forKey: .interimSeconds)
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(assignedTenantIDs, forKey: .assignedTenantIDs)
        try container.encode(lastTest, forKey: .lastTest)
        try container.encode(lastConfigure, forKey: .lastConfigure)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}

/// A router's fields as a request gives them: all required ones on create, what changes on update. The
/// service validates them (`RouterSettings`).
package struct RouterInput: Sendable, PartialInput {
    package var name: String?
    package var nasIP: String?
    package var radiusSecret: String?
    package var apiHost: String?
    package var apiPort: Int?
    package var apiTLS: Bool?
    package var apiTLSVerify: Bool?
    package var apiUsername: String?
    package var apiPassword: String?
    package var coaPort: Int?
    package var disconnectMethod: String?
    package var coaEnabled: Bool?
    package var location: String?
    package var interimSeconds: Int?
    package var status: String?
    /// Members given as `null`, to clear (optional ones only).
    package var nulls: Set<String> = []

    package init() {}

    enum CodingKeys: String, CodingKey {
        case name, location, status
        case nasIP = "nas_ip", radiusSecret = "radius_secret", apiHost = "api_host", apiPort = "api_port", apiTLS = "api_tls"
        case apiTLSVerify = "api_tls_verify", apiUsername = "api_username", apiPassword = "api_password", coaPort = "coa_port"
        case disconnectMethod = "disconnect_method", coaEnabled = "coa_enabled", interimSeconds = "interim_seconds"
    }
}

package enum RouterError: ServiceError, Equatable {
    case nameTaken
    case nasIPTaken
    /// Live customers (of any tenant) are on the router.
    case inUse(customers: Int64)

    package var code: String {
        switch self {
        case .nameTaken: "router_name_taken"
        case .nasIPTaken: "nas_ip_taken"
        case .inUse: "router_in_use"
        }
    }

    package var message: String {
        switch self {
        case .nameTaken: "a router with this name already exists"
        case .nasIPTaken: "another router has this NAS address"
        case .inUse: "customers are on this router; move them to another router first"
        }
    }

    package var kind: ErrorKind { .conflict }

    package var details: [String: String] {
        switch self {
        case .nameTaken: ["field": "name"]
        case .nasIPTaken: ["field": "nas_ip"]
        case .inUse(let customers): ["customers": String(customers)]
        }
    }
}
