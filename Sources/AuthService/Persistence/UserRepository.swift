import Foundation
import Logging
import Platform
import PostgresNIO

/// A login as stored in `platform.users`, with the status of its tenant.
package struct UserAccount: Sendable, Hashable {
    package var id: Int64
    package var username: String
    package var email: String?
    package var passwordHash: String
    package var role: Role
    package var tenantID: Int64
    package var operatorID: Int64
    package var isActive: Bool
    package var tenantIsActive: Bool
}

/// SQL for `platform.users` and `platform.auth_events`.
package struct UserRepository: Sendable {
    let logger: Logger

    package init(logger: Logger) { self.logger = logger }

    /// By username or e-mail, case-insensitively.
    package func account(login: String, on connection: PostgresConnection) async throws -> UserAccount? {
        let rows = try await connection.query(
            """
            SELECT u.id, u.username, u.email, u.password_hash, u.role, u.tenant_id, u.operator_id,
                   u.status = 'active', t.status = 'active'
            FROM platform.users u JOIN platform.tenants t ON t.id = u.tenant_id
            WHERE lower(u.username) = lower(\(login)) OR lower(u.email) = lower(\(login))
            ORDER BY (lower(u.username) = lower(\(login))) DESC
            LIMIT 1
            """,
            logger: logger
        )
        for try await row in rows.decode((Int64, String, String?, String, String, Int64, Int64, Bool, Bool).self) {
            guard let role = Role(rawValue: row.4) else { return nil }
            return UserAccount(
                id: row.0, username: row.1, email: row.2, passwordHash: row.3, role: role,
                tenantID: row.5, operatorID: row.6, isActive: row.7, tenantIsActive: row.8
            )
        }
        return nil
    }

    /// Inserts a login; a taken username or e-mail is a `conflict` with its own code.
    package func insert(
        username: String, email: String?, passwordHash: String, role: Role, tenantID: Int64, operatorID: Int64,
        on connection: PostgresConnection
    ) async throws -> Int64 {
        try await translatingUniqueViolation({ $0 == "users_email_key" ? AuthError.emailTaken : AuthError.usernameTaken }) {
            let rows = try await connection.query(
                """
                INSERT INTO platform.users (username, email, password_hash, role, tenant_id, operator_id)
                VALUES (\(username), \(email), \(passwordHash), \(role.rawValue), \(tenantID), \(operatorID))
                RETURNING id
                """,
                logger: logger
            )
            for try await id in rows.decode(Int64.self) { return id }
            throw PlatformError.internalError("user insert returned nothing")
        }
    }

    /// True when the username (case-insensitively) is free.
    package func isUsernameFree(_ username: String, on connection: PostgresConnection) async throws -> Bool {
        try await !connection.returnsRow("SELECT 1 FROM platform.users WHERE lower(username) = lower(\(username))", logger: logger)
    }

    package func recordLogin(userID: Int64, on connection: PostgresConnection) async throws {
        try await connection.query("UPDATE platform.users SET last_login_at = now() WHERE id = \(userID)", logger: logger)
    }

    /// Sets the status of the logins of an operator; returns their ids.
    package func setStatus(operatorID: Int64, tenantID: Int64, active: Bool, on connection: PostgresConnection) async throws -> [Int64] {
        var ids: [Int64] = []
        let rows = try await connection.query(
            """
            UPDATE platform.users SET status = \(active ? "active" : "disabled"), updated_at = now()
            WHERE operator_id = \(operatorID) AND tenant_id = \(tenantID) RETURNING id
            """,
            logger: logger
        )
        for try await id in rows.decode(Int64.self) { ids.append(id) }
        return ids
    }

    /// The login name of an operator (the first, when it has several).
    package func username(ofOperator operatorID: Int64, tenantID: Int64, on connection: PostgresConnection) async throws -> String? {
        try await connection.scalar(
            "SELECT username FROM platform.users WHERE operator_id = \(operatorID) AND tenant_id = \(tenantID) ORDER BY id LIMIT 1",
            as: String.self, logger: logger
        )
    }

    /// Users of the given tenant (for revoking their sessions when it is suspended).
    package func userIDs(tenantID: Int64, on connection: PostgresConnection) async throws -> [Int64] {
        var ids: [Int64] = []
        let rows = try await connection.query("SELECT id FROM platform.users WHERE tenant_id = \(tenantID)", logger: logger)
        for try await id in rows.decode(Int64.self) { ids.append(id) }
        return ids
    }

    package func recordEvent(
        _ event: String, userID: Int64?, tenantID: Int64?, username: String?, clientIP: String?, detail: String? = nil,
        on connection: PostgresConnection
    ) async throws {
        // Usernames from failed attempts are client text: keep them short in the audit table.
        let name = username.map { String($0.prefix(64)) }
        try await connection.query(
            """
            INSERT INTO platform.auth_events (event, user_id, tenant_id, username, client_ip, detail)
            VALUES (\(event), \(userID), \(tenantID), \(name), \(clientIP), \(detail))
            """,
            logger: logger
        )
    }
}
