import Foundation
import Platform
import PostgresNIO

/// A new reseller and its owner login.
package struct CreatedReseller: Codable, Sendable {
    package var id: Int64
    package var slug: String
    package var name: String
    package var status: Tenant.Status
    package var createdAt: Date
    package var owner: UserSummary

    enum CodingKeys: String, CodingKey {
        case id, slug, name, status, owner
        case createdAt = "created_at"
    }
}

package struct NewLogin: Sendable {
    package var username: String
    package var password: String
    package var email: String?

    package init(username: String, password: String, email: String?) {
        self.username = username
        self.password = password
        self.email = email
    }
}

extension AuthService {
    /// Creates a reseller tenant: its row, schema, role, migrations, owner operator and owner login, in one
    /// transaction. Admin only.
    package func createReseller(by principal: Principal, name: String, slug: String, owner: NewLogin) async throws -> CreatedReseller {
        guard principal.isAdmin else { throw PlatformError.forbidden("only the platform admin may create resellers") }
        let name = try Validate.text(name, field: "name")
        let slug = try Validate.slug(slug)
        let login = try validated(owner, prefix: "owner.")
        // Checked before an id (and its role) is reserved, so the usual mistakes leave nothing behind;
        // checked again inside the transaction against a concurrent creation.
        try await database.withPlatformConnection { connection in
            try await requireNewReseller(slug: slug, username: login.username, on: connection)
        }
        let passwordHash = try await hasher.hash(login.password)
        let tenantID = try await tenants.reserveTenantID()
        return try await database.withPlatformTransaction { connection in
            try await requireNewReseller(slug: slug, username: login.username, on: connection)
            let (tenant, ownerOperatorID) = try await tenants.create(id: tenantID, slug: slug, name: name, kind: .reseller, on: connection)
            let userID = try await users.insert(
                username: login.username, email: login.email, passwordHash: passwordHash, role: .reseller,
                tenantID: tenant.id, operatorID: ownerOperatorID, on: connection
            )
            try await users.recordEvent("reseller.created", userID: principal.userID, tenantID: tenant.id, username: principal.username, clientIP: nil, detail: slug, on: connection)
            return CreatedReseller(
                id: tenant.id, slug: tenant.slug, name: tenant.name, status: tenant.status, createdAt: tenant.createdAt,
                owner: UserSummary(id: userID, username: login.username, role: .reseller, tenantID: tenant.id, operatorID: ownerOperatorID)
            )
        }
    }

    package func listResellers(by principal: Principal, page: PageRequest) async throws -> Page<Tenant> {
        guard principal.isAdmin else { throw PlatformError.forbidden("only the platform admin may list resellers") }
        return try await database.withPlatformConnection { connection in
            try await tenants.list(kind: .reseller, page: page, on: connection)
        }
    }

    package func reseller(id: Int64, by principal: Principal) async throws -> Tenant {
        guard principal.isAdmin else { throw PlatformError.notFound("reseller") }
        let tenant = try await database.withPlatformConnection { connection in
            try await tenants.tenant(id: id, on: connection)
        }
        guard let tenant, tenant.kind == .reseller else { throw PlatformError.notFound("reseller") }
        return tenant
    }

    /// Renames or suspends/reactivates a reseller. Suspending ends its sessions and tokens at once.
    package func updateReseller(id: Int64, by principal: Principal, name: String?, status: Tenant.Status?) async throws -> Tenant {
        guard principal.isAdmin else { throw PlatformError.notFound("reseller") }
        let name = try name.map { try Validate.text($0, field: "name") }
        let (tenant, userIDs, tokenHashes) = try await database.withPlatformTransaction { connection in
            guard let tenant = try await tenants.update(id: id, name: name, status: status, on: connection) else {
                throw PlatformError.notFound("reseller")
            }
            try await users.recordEvent("reseller.updated", userID: principal.userID, tenantID: id, username: principal.username, clientIP: nil, detail: "status=\(tenant.status.rawValue)", on: connection)
            // Any status change invalidates cached token answers (positive or negative) of the tenant.
            let hashes = status == nil ? [] : try await tokens.hashes(tenantID: id, on: connection)
            guard tenant.status == .suspended else { return (tenant, [Int64](), hashes) }
            return (tenant, try await users.userIDs(tenantID: id, on: connection), hashes)
        }
        // After commit: a new sign-in or token lookup now sees the suspension; these end what is already open.
        for userID in userIDs {
            try await sessions.revokeAll(userID: userID)
        }
        try await evictTokens(tokenHashes)
        return tenant
    }

    private func requireNewReseller(slug: String, username: String, on connection: PostgresConnection) async throws {
        if try await tenants.tenant(slug: slug, on: connection) != nil { throw AuthError.slugTaken }
        guard try await users.isUsernameFree(username, on: connection) else { throw AuthError.usernameTaken }
    }

    func validated(_ login: NewLogin, prefix: String) throws -> NewLogin {
        NewLogin(
            username: try Validate.username(login.username, field: prefix + "username"),
            password: try Validate.newPassword(login.password, field: prefix + "password"),
            email: try login.email.map { try Validate.email($0, field: prefix + "email") }
        )
    }
}

extension AuthService {
    /// Creates an admin login in the admin tenant (the ISP's staff). For the CLI and the demo seed.
    package func createAdmin(_ login: NewLogin) async throws -> UserSummary {
        let login = try validated(login, prefix: "")
        let passwordHash = try await hasher.hash(login.password)
        return try await database.withPlatformTransaction { connection in
            guard try await users.isUsernameFree(login.username, on: connection) else { throw AuthError.usernameTaken }
            let adminTenantID = try await tenants.adminTenantID(on: connection)
            let operatorID = try await tenants.ownerOperatorID(of: adminTenantID, on: connection)
            let id = try await users.insert(
                username: login.username, email: login.email, passwordHash: passwordHash, role: .admin,
                tenantID: adminTenantID, operatorID: operatorID, on: connection
            )
            return UserSummary(id: id, username: login.username, role: .admin, tenantID: adminTenantID, operatorID: operatorID)
        }
    }

    /// The admin "viewing as" a reseller: the admin's own user and credential (so every change is logged
    /// and revoked as the admin's), with the reseller owner's role and scope. Only the admin may ask, only
    /// for an active reseller; anything else is a 404, as for `reseller(id:)`.
    package func viewAs(resellerID: Int64, by principal: Principal) async throws -> (principal: Principal, name: String) {
        guard principal.isAdmin else { throw PlatformError.notFound("reseller") }
        return try await database.withPlatformConnection { connection in
            guard let tenant = try await tenants.tenant(id: resellerID, on: connection), tenant.kind == .reseller, tenant.status == .active else {
                throw PlatformError.notFound("reseller")
            }
            let operatorID = try await tenants.ownerOperatorID(of: tenant.id, on: connection)
            let viewing = Principal(
                userID: principal.userID, username: principal.username, role: .reseller, tenantID: tenant.id, operatorID: operatorID,
                permissions: principal.permissions.intersection(Role.reseller.permissions), credential: principal.credential
            )
            return (viewing, tenant.name)
        }
    }

    /// The principal the CLI acts as: the platform admin, without a session.
    package func systemAdminPrincipal() async throws -> Principal {
        try await database.withPlatformConnection { connection in
            let adminTenantID = try await tenants.adminTenantID(on: connection)
            let operatorID = try await tenants.ownerOperatorID(of: adminTenantID, on: connection)
            return Principal(
                userID: 0, username: "system", role: .admin, tenantID: adminTenantID, operatorID: operatorID,
                permissions: Role.admin.permissions, credential: .token(id: 0)
            )
        }
    }

    /// The session principal of a known user, for the CLI (seed) to act as a reseller.
    package func principal(forUsername username: String) async throws -> Principal? {
        let account = try await database.withPlatformConnection { connection in
            try await users.account(login: username, on: connection)
        }
        guard let account else { return nil }
        return Principal(
            userID: account.id, username: account.username, role: account.role, tenantID: account.tenantID,
            operatorID: account.operatorID, permissions: account.role.permissions, credential: .token(id: 0)
        )
    }
}
