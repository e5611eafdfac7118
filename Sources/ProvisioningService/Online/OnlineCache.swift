import Foundation
import Platform

/// The online view in Redis: per tenant one hash `{t<id>}:online` of open sessions (radacct id → the
/// session as JSON), written only by the accounting poller, and `online:as_of`, the time of its last tick
/// (absent: the view must be built from `radius.radacct` again, as after a flush).
struct OnlineCache: Sendable {
    let redis: RedisClient

    private static let encoder = JSONEncoder()
    private static let decoder = JSONDecoder()

    func tenantKey(_ tenantID: Int64) -> String { redis.key("{t\(tenantID)}:online") }
    var asOfKey: String { redis.key("online:as_of") }

    /// Replaces every listed tenant's sessions with `sessions` (tenants without any get none), each tenant
    /// at once (`MULTI`), so a reader never sees a half-built hash.
    func replace(tenants: [Int64], with sessions: [Int64: [OnlineSession]]) async throws {
        var commands: [[String]] = []
        for tenantID in Set(tenants).union(sessions.keys).sorted() {
            let key = tenantKey(tenantID)
            commands.append(["MULTI"])
            commands.append(["DEL", key])
            for chunk in (sessions[tenantID] ?? []).chunked(1000) {
                commands.append(["HSET", key] + (try chunk.flatMap { [String($0.id), try Self.encode($0)] }))
            }
            commands.append(["EXEC"])
        }
        try await run(commands)
    }

    /// Writes changed sessions and removes ended ones.
    func apply(upserts: [Int64: [OnlineSession]], removals: [Int64: [Int64]]) async throws {
        var commands: [[String]] = []
        for (tenantID, sessions) in upserts.sorted(by: { $0.key < $1.key }) {
            for chunk in sessions.chunked(1000) {
                commands.append(["HSET", tenantKey(tenantID)] + (try chunk.flatMap { [String($0.id), try Self.encode($0)] }))
            }
        }
        for (tenantID, ids) in removals.sorted(by: { $0.key < $1.key }) {
            for chunk in ids.chunked(1000) { commands.append(["HDEL", tenantKey(tenantID)] + chunk.map(String.init)) }
        }
        try await run(commands)
    }

    func markFresh(_ date: Date) async throws {
        _ = try await redis.send("SET", asOfKey, String(Int64((date.timeIntervalSince1970 * 1000).rounded())))
    }

    func asOf() async throws -> Date? {
        try await redis.send("GET", asOfKey).integer.map { Date(timeIntervalSince1970: Double($0) / 1000) }
    }

    /// The tenant's open sessions and the view's freshness, in one round trip.
    func sessions(tenantID: Int64) async throws -> (sessions: [OnlineSession], asOf: Date?) {
        let replies = try await redis.pipeline([["HVALS", tenantKey(tenantID)], ["GET", asOfKey]])
        var sessions: [OnlineSession] = []
        for value in replies.first?.array ?? [] {
            guard case .bulk(let bytes) = value, let session = try? Self.decoder.decode(OnlineSession.self, from: Data(bytes)) else { continue }
            sessions.append(session)
        }
        let asOf = replies.count > 1 ? replies[1].integer.map { Date(timeIntervalSince1970: Double($0) / 1000) } : nil
        return (sessions, asOf)
    }

    private func run(_ commands: [[String]]) async throws {
        guard !commands.isEmpty else { return }
        for reply in try await redis.pipeline(commands) {
            if case .error(let message) = reply { throw RedisError.command(message) }
        }
    }

    private static func encode(_ session: OnlineSession) throws -> String {
        String(decoding: try encoder.encode(session), as: UTF8.self)
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
