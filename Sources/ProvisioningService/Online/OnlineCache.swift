import Foundation
import Platform
import Synchronization

/// The online view in Redis: per tenant one hash `{t<id>}:online` of open sessions (radacct id → the
/// session as JSON) and `{t<id>}:online:v`, a random token replaced with every write of the hash, both
/// written only by the accounting poller; and `online:as_of`, the time of its last tick (absent: the view
/// must be built from `radius.radacct` again, as after a flush).
///
/// Readers keep each tenant's decoded sessions in memory (`OnlineMemo`) for as long as the token stays
/// the same, so a request costs one small `GET` unless the tenant's sessions changed.
struct OnlineCache: Sendable {
    let redis: RedisClient
    let memo: OnlineMemo

    private static let encoder = JSONEncoder()
    private static let decoder = JSONDecoder()

    func tenantKey(_ tenantID: Int64) -> String { redis.key("{t\(tenantID)}:online") }
    func versionKey(_ tenantID: Int64) -> String { redis.key("{t\(tenantID)}:online:v") }
    private static func token() -> String { UUID().uuidString }
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
            commands.append(["SET", versionKey(tenantID), Self.token()])
            commands.append(["EXEC"])
        }
        try await run(commands)
    }

    /// Writes changed sessions and removes ended ones.
    func apply(upserts: [Int64: [OnlineSession]], removals: [Int64: [Int64]]) async throws {
        var commands: [[String]] = []
        for tenantID in Set(upserts.keys).union(removals.keys).sorted() {
            commands.append(["MULTI"])
            for chunk in (upserts[tenantID] ?? []).chunked(1000) {
                commands.append(["HSET", tenantKey(tenantID)] + (try chunk.flatMap { [String($0.id), try Self.encode($0)] }))
            }
            for chunk in (removals[tenantID] ?? []).chunked(1000) {
                commands.append(["HDEL", tenantKey(tenantID)] + chunk.map(String.init))
            }
            commands.append(["SET", versionKey(tenantID), Self.token()])
            commands.append(["EXEC"])
        }
        try await run(commands)
    }

    func markFresh(_ date: Date) async throws {
        _ = try await redis.send("SET", asOfKey, String(Int64((date.timeIntervalSince1970 * 1000).rounded())))
    }

    func asOf() async throws -> Date? {
        try await redis.send("GET", asOfKey).integer.map { Date(timeIntervalSince1970: Double($0) / 1000) }
    }

    /// The tenant's open sessions, in every order the list offers, and the view's freshness: from memory
    /// while the tenant's token is the one they were read under (one round trip), else read, decoded and
    /// sorted again (two).
    func view(tenantID: Int64) async throws -> (view: OnlineTenantView, asOf: Date?) {
        let probe = try await redis.pipeline([["GET", versionKey(tenantID)], ["GET", asOfKey]])
        let asOf = probe.count > 1 ? probe[1].integer.map { Date(timeIntervalSince1970: Double($0) / 1000) } : nil
        guard let version = probe.first?.string else { return (OnlineTenantView([]), asOf) }
        if let known = memo.view(tenantID: tenantID, version: version) { return (known, asOf) }
        // The hash and its token read together, so the memo never pairs a token with other contents.
        let replies = try await redis.pipeline([["MULTI"], ["GET", versionKey(tenantID)], ["HVALS", tenantKey(tenantID)], ["EXEC"]])
        guard let results = replies.last?.array, results.count == 2 else { throw RedisError.protocolViolation }
        var sessions: [OnlineSession] = []
        for value in results[1].array ?? [] {
            guard case .bulk(let bytes) = value, let session = try? Self.decoder.decode(OnlineSession.self, from: Data(bytes)) else { continue }
            sessions.append(session)
        }
        let view = OnlineTenantView(sessions)
        if let read = results[0].string { memo.remember(tenantID: tenantID, version: read, view: view) }
        return (view, asOf)
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

/// One tenant's open sessions, sorted once in every order the list offers, with the count per NAS.
struct OnlineTenantView: Sendable {
    let orders: [OnlineQuery.Sort: [OnlineSession]]
    let byNAS: [OnlineList.NASCount]
    var count: Int { orders[.uptime]?.count ?? 0 }

    init(_ sessions: [OnlineSession]) {
        var orders: [OnlineQuery.Sort: [OnlineSession]] = [:]
        for sort in OnlineQuery.Sort.allCases {
            orders[sort] = sessions.sorted { a, b in
                let order: (Int64, Int64) = switch sort {
                case .uptime: (b.start, a.start)
                case .minusUptime: (a.start, b.start)
                case .download: (a.download, b.download)
                case .minusDownload: (b.download, a.download)
                case .upload: (a.upload, b.upload)
                case .minusUpload: (b.upload, a.upload)
                }
                return order.0 != order.1 ? order.0 < order.1 : a.id < b.id
            }
        }
        self.orders = orders
        self.byNAS = Self.countByNAS(sessions)
    }

    /// Sessions per NAS, most first.
    static func countByNAS(_ sessions: some Sequence<OnlineSession>) -> [OnlineList.NASCount] {
        var byNAS: [String: OnlineList.NASCount] = [:]
        for session in sessions {
            byNAS[session.nasIP, default: .init(nasIP: session.nasIP, nas: session.nas, count: 0)].count += 1
        }
        return byNAS.values.sorted { ($0.count, $1.nasIP) > ($1.count, $0.nasIP) }
    }
}

/// Each tenant's view under the token it was read with; shared by a process's requests.
final class OnlineMemo: Sendable {
    private let entries = Mutex<[Int64: (version: String, view: OnlineTenantView)]>([:])

    init() {}

    func view(tenantID: Int64, version: String) -> OnlineTenantView? {
        entries.withLock { entries in
            guard let entry = entries[tenantID], entry.version == version else { return nil }
            return entry.view
        }
    }

    func remember(tenantID: Int64, version: String, view: OnlineTenantView) {
        entries.withLock { $0[tenantID] = (version, view) }
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
