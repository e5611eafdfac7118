import Foundation
import Platform
import Synchronization

/// The online view in Redis: per tenant one hash `{t<id>}:online` of open sessions (radacct id → the
/// session as JSON) and `{t<id>}:online:v`, a random token replaced with every write of the hash, both
/// written only by the accounting poller; and `online:as_of`, the time of its last tick (absent: the view
/// must be built from `radius.radacct` again, as after a flush).
///
/// Readers keep each tenant's decoded sessions in memory (`OnlineMemo`) for as long as the token stays
/// the same, and read the token at most every quarter second: a request costs no Redis round trip, or
/// one small one, unless the tenant's sessions changed.
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

    /// The tenant's open sessions, in every order the list offers, and the view's freshness. Served from
    /// memory for `OnlineMemo.recheck` after the tenant's token was last read; then one round trip asks
    /// for the token again, and only a changed token reads, decodes and sorts the sessions again. While one
    /// request does that, the others of the process keep answering from the view they have.
    func view(tenantID: Int64) async throws -> (view: OnlineTenantView, asOf: Date?) {
        switch memo.lookup(tenantID: tenantID) {
        case .fresh(let view, let asOf):
            return (view, asOf)
        case .check(let known):
            let probe = try await redis.pipeline([["GET", versionKey(tenantID)], ["GET", asOfKey]])
            let asOf = probe.count > 1 ? probe[1].integer.map { Date(timeIntervalSince1970: Double($0) / 1000) } : nil
            guard let version = probe.first?.string else {
                memo.remember(tenantID: tenantID, version: "", view: OnlineTenantView([]), asOf: asOf)
                return (OnlineTenantView([]), asOf)
            }
            if let known, known.version == version {
                memo.remember(tenantID: tenantID, version: version, view: known.view, asOf: asOf)
                return (known.view, asOf)
            }
            if let known, !memo.claimRefresh(tenantID: tenantID) { return (known.view, known.asOf) }
            do {
                let (read, view) = try await readView(tenantID: tenantID)
                memo.remember(tenantID: tenantID, version: read ?? "", view: view, asOf: asOf)
                return (view, asOf)
            } catch {
                memo.releaseRefresh(tenantID: tenantID)
                throw error
            }
        }
    }

    /// The tenant's hash and its token, read together so the memo never pairs a token with other contents.
    private func readView(tenantID: Int64) async throws -> (version: String?, view: OnlineTenantView) {
        let replies = try await redis.pipeline([["MULTI"], ["GET", versionKey(tenantID)], ["HVALS", tenantKey(tenantID)], ["EXEC"]])
        guard let results = replies.last?.array, results.count == 2 else { throw RedisError.protocolViolation }
        var sessions: [OnlineSession] = []
        for value in results[1].array ?? [] {
            guard case .bulk(let bytes) = value, let session = try? Self.decoder.decode(OnlineSession.self, from: Data(bytes)) else { continue }
            sessions.append(session)
        }
        return (results[0].string, OnlineTenantView(sessions))
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
    /// The customers with at least one open session.
    let customerIDs: Set<Int64>
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
        self.customerIDs = Set(sessions.lazy.map(\.customerID))
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

/// Each tenant's view under the token it was read with, and when the token was last read; shared by a
/// process's requests.
final class OnlineMemo: Sendable {
    /// How long a view answers before its token is read again: the view moves once a poll tick (seconds),
    /// and a busy list then costs no Redis round trip at all.
    static let recheck: Duration = .milliseconds(250)

    struct Entry {
        var version: String
        var view: OnlineTenantView
        var asOf: Date?
        var checked: ContinuousClock.Instant
        var refreshing = false
    }

    enum Lookup {
        /// Checked within `recheck`: answer from it.
        case fresh(OnlineTenantView, asOf: Date?)
        /// Read the token again; `known` is what the process has (nil: nothing yet).
        case check(known: Entry?)
    }

    private let entries = Mutex<[Int64: Entry]>([:])

    init() {}

    func lookup(tenantID: Int64, now: ContinuousClock.Instant = .now) -> Lookup {
        entries.withLock { entries in
            guard let entry = entries[tenantID] else { return .check(known: nil) }
            if now - entry.checked < Self.recheck { return .fresh(entry.view, asOf: entry.asOf) }
            return .check(known: entry)
        }
    }

    /// True for the one caller that is to read a changed view; the others answer from the old one meanwhile.
    func claimRefresh(tenantID: Int64) -> Bool {
        entries.withLock { entries in
            guard entries[tenantID]?.refreshing == false else { return false }
            entries[tenantID]?.refreshing = true
            return true
        }
    }

    func releaseRefresh(tenantID: Int64) {
        entries.withLock { $0[tenantID]?.refreshing = false }
    }

    func remember(tenantID: Int64, version: String, view: OnlineTenantView, asOf: Date?, now: ContinuousClock.Instant = .now) {
        entries.withLock { $0[tenantID] = Entry(version: version, view: view, asOf: asOf, checked: now) }
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
