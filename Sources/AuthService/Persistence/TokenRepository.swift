import Foundation
import Logging
import Platform
import PostgresNIO

/// An API token as listed: never its secret.
package struct APIToken: Codable, Sendable, Hashable {
    package var id: Int64
    package var name: String
    package var prefix: String
    package var scopes: [Permission]
    package var expiresAt: Date?
    package var revokedAt: Date?
    package var lastUsedAt: Date?
    package var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name, prefix, scopes
        case expiresAt = "expires_at", revokedAt = "revoked_at", lastUsedAt = "last_used_at", createdAt = "created_at"
    }
}

/// What authenticating with a token needs, cached briefly in Redis.
package struct TokenGrant: Codable, Sendable, Hashable {
    package var tokenID: Int64
    package var userID: Int64
    package var username: String
    package var role: Role
    package var tenantID: Int64
    package var operatorID: Int64
    package var scopes: [Permission]
    package var expiresAt: Date?
}

/// SQL for `platform.api_tokens`.
package struct TokenRepository: Sendable {
    let logger: Logger

    package init(logger: Logger) { self.logger = logger }

    package func insert(
        userID: Int64, tenantID: Int64, name: String, hash: String, prefix: String, scopes: [Permission], expiresAt: Date?,
        on connection: PostgresConnection
    ) async throws -> APIToken {
        let rows = try await connection.query(
            """
            INSERT INTO platform.api_tokens (user_id, tenant_id, name, token_hash, display_prefix, scopes, expires_at)
            VALUES (\(userID), \(tenantID), \(name), \(hash), \(prefix), \(scopes.map(\.rawValue)), \(expiresAt))
            RETURNING id, name, display_prefix, scopes, expires_at, revoked_at, last_used_at, created_at
            """,
            logger: logger
        )
        guard let token = try await decode(rows).first else { throw PlatformError.internalError("token insert returned nothing") }
        return token
    }

    package func list(userID: Int64, page: PageRequest, on connection: PostgresConnection) async throws -> Page<APIToken> {
        let total = try await connection.scalar(
            "SELECT count(*) FROM platform.api_tokens WHERE user_id = \(userID)", as: Int.self, logger: logger
        ) ?? 0
        let rows = try await connection.query(
            """
            SELECT id, name, display_prefix, scopes, expires_at, revoked_at, last_used_at, created_at
            FROM platform.api_tokens WHERE user_id = \(userID)
            ORDER BY id DESC LIMIT \(page.perPage) OFFSET \(page.offset)
            """,
            logger: logger
        )
        return Page(items: try await decode(rows), page: page.page, perPage: page.perPage, total: total)
    }

    /// Revokes the user's own token; returns its hash (hex) (to evict the cache), nil when it is not theirs.
    package func revoke(id: Int64, userID: Int64, on connection: PostgresConnection) async throws -> String? {
        let rows = try await connection.query(
            """
            UPDATE platform.api_tokens SET revoked_at = coalesce(revoked_at, now())
            WHERE id = \(id) AND user_id = \(userID) RETURNING token_hash
            """,
            logger: logger
        )
        for try await hash in rows.decode(String.self) { return hash }
        return nil
    }

    /// A usable grant for the token hash: not revoked, not expired, its user and tenant active.
    package func grant(hash: String, on connection: PostgresConnection) async throws -> TokenGrant? {
        let rows = try await connection.query(
            """
            SELECT k.id, u.id, u.username, u.role, u.tenant_id, u.operator_id, k.scopes, k.expires_at
            FROM platform.api_tokens k
            JOIN platform.users u ON u.id = k.user_id
            JOIN platform.tenants t ON t.id = u.tenant_id
            WHERE k.token_hash = \(hash) AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
              AND u.status = 'active' AND t.status = 'active'
            """,
            logger: logger
        )
        for try await row in rows.decode((Int64, Int64, String, String, Int64, Int64, [String], Date?).self) {
            guard let role = Role(rawValue: row.3) else { return nil }
            return TokenGrant(
                tokenID: row.0, userID: row.1, username: row.2, role: role, tenantID: row.4, operatorID: row.5,
                scopes: row.6.compactMap(Permission.init(rawValue:)), expiresAt: row.7
            )
        }
        return nil
    }

    /// Hashes of every token of a tenant's users (to evict them from the cache).
    package func hashes(tenantID: Int64, on connection: PostgresConnection) async throws -> [String] {
        var hashes: [String] = []
        let rows = try await connection.query("SELECT token_hash FROM platform.api_tokens WHERE tenant_id = \(tenantID)", logger: logger)
        for try await hash in rows.decode(String.self) { hashes.append(hash) }
        return hashes
    }

    /// Hashes of every token of the given users (to evict them from the cache).
    package func hashes(userIDs: [Int64], on connection: PostgresConnection) async throws -> [String] {
        var hashes: [String] = []
        let rows = try await connection.query("SELECT token_hash FROM platform.api_tokens WHERE user_id = ANY(\(userIDs))", logger: logger)
        for try await hash in rows.decode(String.self) { hashes.append(hash) }
        return hashes
    }

    package func touch(id: Int64, on connection: PostgresConnection) async throws {
        try await connection.query("UPDATE platform.api_tokens SET last_used_at = now() WHERE id = \(id)", logger: logger)
    }

    private func decode(_ rows: PostgresRowSequence) async throws -> [APIToken] {
        var tokens: [APIToken] = []
        for try await row in rows.decode((Int64, String, String, [String], Date?, Date?, Date?, Date).self) {
            tokens.append(APIToken(
                id: row.0, name: row.1, prefix: row.2, scopes: row.3.compactMap(Permission.init(rawValue:)),
                expiresAt: row.4, revokedAt: row.5, lastUsedAt: row.6, createdAt: row.7
            ))
        }
        return tokens
    }
}
