import Foundation
import Platform

/// The answer to a successful sign-in.
package struct LoginResult: Codable, Sendable {
    package var token: String
    package var expiresAt: Date
    package var user: UserSummary

    enum CodingKeys: String, CodingKey {
        case token, user
        case expiresAt = "expires_at"
    }
}

package struct UserSummary: Codable, Sendable, Hashable {
    package var id: Int64
    package var username: String
    package var role: Role
    package var tenantID: Int64
    package var operatorID: Int64

    enum CodingKeys: String, CodingKey {
        case id, username, role
        case tenantID = "tenant_id"
        case operatorID = "operator_id"
    }
}

extension AuthService {
    /// Signs in with username (or e-mail) and password. Throttled per username and per client address
    /// before any password is checked; an unknown user costs the same Argon2 work as a wrong password.
    package func login(username: String, password: String, clientIP: String) async throws -> LoginResult {
        guard (1...254).contains(username.count), (1...1024).contains(password.count),
              !username.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { throw AuthError.invalidCredentials }
        try await throttle.check(username: username, clientIP: clientIP)

        let account = try await database.withPlatformConnection { connection in
            try await users.account(login: username, on: connection)
        }
        guard let account else {
            try await hasher.verifyDecoy(password)
            try await failLogin(username: username, clientIP: clientIP, account: nil)
        }
        guard try await hasher.verify(password, against: account.passwordHash) else {
            try await failLogin(username: username, clientIP: clientIP, account: account)
        }
        guard account.isActive, account.tenantIsActive else {
            try await database.withPlatformConnection { connection in
                try await users.recordEvent("login.suspended", userID: account.id, tenantID: account.tenantID, username: account.username, clientIP: clientIP, on: connection)
            }
            throw AuthError.accountSuspended
        }

        let record = SessionRecord(
            userID: account.id, username: account.username, role: account.role,
            tenantID: account.tenantID, operatorID: account.operatorID, createdAt: clock.now()
        )
        let (token, _) = try await sessions.create(record)
        try await throttle.reset(username: username)
        try await database.withPlatformTransaction { connection in
            try await users.recordLogin(userID: account.id, on: connection)
            try await users.recordEvent("login.succeeded", userID: account.id, tenantID: account.tenantID, username: account.username, clientIP: clientIP, on: connection)
        }
        return LoginResult(
            token: token,
            expiresAt: clock.now().addingTimeInterval(TimeInterval(sessions.ttlSeconds)),
            user: UserSummary(id: account.id, username: account.username, role: account.role, tenantID: account.tenantID, operatorID: account.operatorID)
        )
    }

    private func failLogin(username: String, clientIP: String, account: UserAccount?) async throws -> Never {
        try await throttle.recordFailure(username: username, clientIP: clientIP)
        try await database.withPlatformConnection { connection in
            try await users.recordEvent("login.failed", userID: account?.id, tenantID: account?.tenantID, username: username, clientIP: clientIP, on: connection)
        }
        throw AuthError.invalidCredentials
    }

    /// Resolves an `Authorization: Bearer` credential: a session (`ups_…`) or an API token (`upk_…`).
    package func authenticate(bearer: String) async throws -> Principal {
        if bearer.hasPrefix("ups_"), bearer.count < 100 {
            guard let (record, hash) = try await sessions.lookup(token: bearer) else { throw AuthError.invalidToken }
            return Principal(
                userID: record.userID, username: record.username, role: record.role, tenantID: record.tenantID,
                operatorID: record.operatorID, permissions: record.role.permissions, credential: .session(hash: hash)
            )
        }
        if bearer.hasPrefix("upk_"), bearer.count < 100 {
            let grant = try await tokenGrant(bearer)
            return Principal(
                userID: grant.userID, username: grant.username, role: grant.role, tenantID: grant.tenantID,
                operatorID: grant.operatorID,
                // Never more than the role allows, even if the role changed after the token was made.
                permissions: Set(grant.scopes).intersection(grant.role.permissions),
                credential: .token(id: grant.tokenID)
            )
        }
        throw AuthError.invalidToken
    }

    /// Ends this session (a token cannot log out; revoke it instead).
    package func logout(_ principal: Principal) async throws {
        guard case .session(let hash) = principal.credential else {
            throw PlatformError.invalidInput(field: "authorization", reason: "API tokens are revoked with DELETE /api/v1/tokens/{id}")
        }
        try await sessions.revoke(hash: hash, userID: principal.userID)
    }

    /// Ends every session of the signed-in user.
    package func logoutAll(_ principal: Principal) async throws -> Int {
        let count = try await sessions.revokeAll(userID: principal.userID)
        try await database.withPlatformConnection { connection in
            try await users.recordEvent("logout.all", userID: principal.userID, tenantID: principal.tenantID, username: principal.username, clientIP: nil, detail: "\(count) sessions", on: connection)
        }
        return count
    }
}
