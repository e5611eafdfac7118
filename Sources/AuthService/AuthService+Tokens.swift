import Foundation
import Platform

/// A new token: the only time its secret is shown.
package struct CreatedToken: Codable, Sendable {
    package var id: Int64
    package var token: String
    package var name: String
    package var scopes: [Permission]
    package var expiresAt: Date?
    package var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, token, name, scopes
        case expiresAt = "expires_at", createdAt = "created_at"
    }
}

extension AuthService {
    /// Creates an API token for the caller. Its scopes must be a subset of the caller's own rights, so a token
    /// can never exceed its owner (a token with `tokens:write` cannot mint a broader one).
    package func createToken(for principal: Principal, name: String, scopes: [String], expiresInDays: Int?) async throws -> CreatedToken {
        let name = try Validate.text(name, field: "name", max: 100)
        guard !scopes.isEmpty, scopes.count <= Permission.allCases.count * 2 else {
            throw PlatformError.invalidInput(field: "scopes", reason: "must list 1-\(Permission.allCases.count) scopes")
        }
        var granted: Set<Permission> = []
        for text in scopes {
            guard let permission = Permission(rawValue: text) else {
                throw PlatformError.invalidInput(field: "scopes", reason: "unknown scope; known: \(Permission.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard principal.permissions.contains(permission) else { throw AuthError.scopeNotAllowed(text) }
            granted.insert(permission)
        }
        if let expiresInDays, !(1...3650).contains(expiresInDays) {
            throw PlatformError.invalidInput(field: "expires_in_days", reason: "must be 1-3650")
        }
        let expiresAt = expiresInDays.map { clock.now().addingTimeInterval(TimeInterval($0) * 86_400) }
        let secret = Secrets.token(prefix: "upk_")
        let sortedScopes = granted.sorted()
        let token = try await database.withPlatformTransaction { connection in
            let token = try await tokens.insert(
                userID: principal.userID, tenantID: principal.tenantID, name: name, hash: Secrets.sha256Hex(secret),
                prefix: String(secret.prefix(10)), scopes: sortedScopes, expiresAt: expiresAt, on: connection
            )
            try await users.recordEvent("token.created", userID: principal.userID, tenantID: principal.tenantID, username: principal.username, clientIP: nil, detail: "token \(token.id)", on: connection)
            return token
        }
        return CreatedToken(id: token.id, token: secret, name: token.name, scopes: token.scopes, expiresAt: token.expiresAt, createdAt: token.createdAt)
    }

    package func listTokens(for principal: Principal, page: PageRequest) async throws -> Page<APIToken> {
        try await database.withPlatformConnection { connection in
            try await tokens.list(userID: principal.userID, page: page, on: connection)
        }
    }

    /// Revokes one of the caller's tokens at once (database and cache). Another user's token is a 404.
    package func revokeToken(id: Int64, for principal: Principal) async throws {
        let hash = try await database.withPlatformTransaction { connection in
            let hash = try await tokens.revoke(id: id, userID: principal.userID, on: connection)
            if hash != nil {
                try await users.recordEvent("token.revoked", userID: principal.userID, tenantID: principal.tenantID, username: principal.username, clientIP: nil, detail: "token \(id)", on: connection)
            }
            return hash
        }
        guard let hash else { throw PlatformError.notFound("token") }
        try await evictTokens([hash])
    }

    /// The grant for a token secret: from the Redis cache, else the database (then cached, also when absent).
    func tokenGrant(_ secret: String) async throws -> TokenGrant {
        let hash = Secrets.sha256Hex(secret)
        let cacheKey = tokenCacheKey(hash)
        let replies = try await redis.pipeline([
            ["GET", cacheKey],
            // Records use at most once a minute per token, without a database write per request.
            ["SET", redis.key("tokused:" + hash), "1", "NX", "EX", "60"],
        ])
        let dueForTouch = replies[1] == .status("OK")
        var grant: TokenGrant?
        if case .bulk(let bytes) = replies[0] {
            if bytes == Array("-".utf8) { throw AuthError.invalidToken }
            grant = try? AppJSON.decoder.decode(TokenGrant.self, from: Data(bytes))
        }
        if grant == nil {
            let fresh = try await database.withPlatformConnection { connection in
                try await tokens.grant(hash: hash, on: connection)
            }
            let cached = try fresh.map { String(decoding: try AppJSON.encoder.encode($0), as: UTF8.self) } ?? "-"
            var seconds = tokenCacheSeconds
            if let expiresAt = fresh?.expiresAt {
                seconds = max(1, min(seconds, Int(expiresAt.timeIntervalSince(clock.now()))))
            }
            try await redis.send("SET", cacheKey, cached, "EX", String(seconds))
            grant = fresh
        }
        guard let grant else { throw AuthError.invalidToken }
        if let expiresAt = grant.expiresAt, expiresAt <= clock.now() { throw AuthError.invalidToken }
        if dueForTouch {
            try await database.withPlatformConnection { connection in
                try await tokens.touch(id: grant.tokenID, on: connection)
            }
        }
        return grant
    }

    func evictTokens(_ hashes: [String]) async throws {
        guard !hashes.isEmpty else { return }
        _ = try await redis.pipeline(hashes.map { ["DEL", tokenCacheKey($0)] })
    }

    private func tokenCacheKey(_ hash: String) -> String {
        redis.key("tok:" + hash)
    }
}
