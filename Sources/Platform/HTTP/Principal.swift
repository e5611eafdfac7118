/// An operator's role. Decides the default rights and how much of the tenant its scope sees.
package enum Role: String, Codable, Sendable, CaseIterable {
    case admin
    case reseller
    case subReseller = "sub_reseller"

    /// What a signed-in session of this role may do. Tokens carry a subset.
    package var permissions: Set<Permission> {
        switch self {
        case .admin, .reseller: Set(Permission.allCases)
        case .subReseller: Set(Permission.allCases).subtracting([.operatorsWrite])
        }
    }
}

/// API scopes. A token's scopes are a subset of its creator's rights.
package enum Permission: String, Codable, Sendable, CaseIterable, Comparable {
    case customersRead = "customers:read"
    case customersWrite = "customers:write"
    case billingRead = "billing:read"
    case billingWrite = "billing:write"
    case onlineRead = "online:read"
    case reportsRead = "reports:read"
    case operatorsWrite = "operators:write"
    case tokensWrite = "tokens:write"

    package static func < (lhs: Permission, rhs: Permission) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Who is calling: a signed-in user (session) or an API token, with the rights that apply to this request.
package struct Principal: Codable, Sendable, Hashable {
    package var userID: Int64
    package var username: String
    package var role: Role
    package var tenantID: Int64
    package var operatorID: Int64
    package var permissions: Set<Permission>
    package var credential: Credential

    package enum Credential: Codable, Sendable, Hashable {
        /// A session: the SHA-256 (hex) of its secret, which is its Redis key.
        case session(hash: String)
        /// An API token, by id.
        case token(id: Int64)
    }

    package init(
        userID: Int64, username: String, role: Role, tenantID: Int64, operatorID: Int64,
        permissions: Set<Permission>, credential: Credential
    ) {
        self.userID = userID
        self.username = username
        self.role = role
        self.tenantID = tenantID
        self.operatorID = operatorID
        self.permissions = permissions
        self.credential = credential
    }

    /// The database scope of this principal: the whole tenant for its owner, only itself for a sub-reseller.
    package var tenantScope: TenantScope {
        switch role {
        case .admin, .reseller: TenantScope(tenantID: tenantID, operators: .all)
        case .subReseller: TenantScope(tenantID: tenantID, operators: .only([operatorID]))
        }
    }

    package var isAdmin: Bool { role == .admin }
}
