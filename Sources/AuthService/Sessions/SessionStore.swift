import Foundation
import Platform

/// What a session remembers about its user. Rights come from the role at each request.
package struct SessionRecord: Codable, Sendable, Hashable {
    package var userID: Int64
    package var username: String
    package var role: Role
    package var tenantID: Int64
    package var operatorID: Int64
    package var createdAt: Date

    package init(userID: Int64, username: String, role: Role, tenantID: Int64, operatorID: Int64, createdAt: Date) {
        self.userID = userID
        self.username = username
        self.role = role
        self.tenantID = tenantID
        self.operatorID = operatorID
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case userID = "u", username = "n", role = "r", tenantID = "t", operatorID = "o", createdAt = "c"
    }
}

/// Sessions in Redis: `sess:<sha256(secret)>` → record, with a sliding TTL; `usess:<user>` lists a user's
/// session hashes for logout everywhere. Only hashes of secrets are keys; the secret is shown once.
package struct SessionStore: Sendable {
    package let redis: RedisClient
    package let ttlSeconds: Int

    // Made once, not per request: a session is decoded on every authenticated call. Default date coding
    // keeps sub-second precision.
    private static let encoder = JSONEncoder()
    private static let decoder = JSONDecoder()

    package init(redis: RedisClient, ttlSeconds: Int) {
        self.redis = redis
        self.ttlSeconds = ttlSeconds
    }

    /// Creates a session; returns its secret (`ups_…`) and hash.
    package func create(_ record: SessionRecord) async throws -> (token: String, hash: String) {
        let token = Secrets.token(prefix: "ups_")
        let hash = Secrets.sha256Hex(token)
        let json = String(decoding: try Self.encoder.encode(record), as: UTF8.self)
        let userKey = userSessionsKey(record.userID)
        let replies = try await redis.pipeline([
            ["SET", sessionKey(hash), json, "EX", String(ttlSeconds)],
            ["SADD", userKey, hash],
            ["EXPIRE", userKey, String(ttlSeconds)],
        ])
        if let failure = replies.first(where: { if case .error = $0 { true } else { false } }), case .error(let message) = failure {
            throw RedisError.command(message)
        }
        return (token, hash)
    }

    /// The session for `token`, extending its life by the TTL (sliding expiry); nil when unknown or expired.
    /// One Redis round trip.
    package func lookup(token: String) async throws -> (SessionRecord, hash: String)? {
        let hash = Secrets.sha256Hex(token)
        let reply = try await redis.send("GETEX", sessionKey(hash), "EX", String(ttlSeconds))
        guard case .bulk(let bytes) = reply else { return nil }
        guard let record = try? Self.decoder.decode(SessionRecord.self, from: Data(bytes)) else { return nil }
        return (record, hash)
    }

    package func revoke(hash: String, userID: Int64) async throws {
        _ = try await redis.pipeline([
            ["DEL", sessionKey(hash)],
            ["SREM", userSessionsKey(userID), hash],
        ])
    }

    /// Ends every session of the user. Returns how many were open.
    @discardableResult
    package func revokeAll(userID: Int64) async throws -> Int {
        let userKey = userSessionsKey(userID)
        let hashes = (try await redis.send("SMEMBERS", userKey)).array?.compactMap(\.string) ?? []
        var commands = hashes.map { ["DEL", sessionKey($0)] }
        commands.append(["DEL", userKey])
        let replies = try await redis.pipeline(commands)
        return replies.dropLast().reduce(0) { $0 + Int($1.integer ?? 0) }
    }

    private func sessionKey(_ hash: String) -> String { redis.key("sess:" + hash) }
    private func userSessionsKey(_ userID: Int64) -> String { redis.key("usess:\(userID)") }
}
