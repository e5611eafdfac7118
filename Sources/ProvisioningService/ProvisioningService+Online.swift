import Foundation
import Logging
import Platform
import PostgresNIO

/// Where the accounting poller is: the `acctupdatetime` it has read up to, and when it last rebuilt the view.
package struct AccountingPollState: Sendable {
    var watermark: Date?
    var lastRebuild: Date?

    package init() {}
}

/// What one poll tick did.
package struct AccountingTick: Sendable {
    package var rebuilt = false
    /// Sessions written to the view (opened or updated) and removed from it.
    package var upserted = 0
    package var removed = 0
    /// Sessions closed as `Stale-Session`.
    package var staleClosed = 0
    package var seconds = 0.0
}

extension ProvisioningService {
    /// A tick reads again what changed this long before its watermark: a FreeRADIUS write that committed
    /// late (its `acctupdatetime` is the request's time) is still seen.
    static let accountingOverlapSeconds = 10.0

    var onlineCache: OnlineCache { OnlineCache(redis: redis, memo: onlineMemo) }

    /// One tick of the accounting poller: closes stale sessions, then brings the online view up to date:
    /// the sessions whose `acctupdatetime` moved since the last tick (a Start, an Interim, a Stop, a NAS's
    /// Accounting-On, a stale close), or all open sessions when the view is missing (a new process, a
    /// flushed Redis) or due for its periodic rebuild.
    package func pollAccounting(_ state: inout AccountingPollState) async throws -> AccountingTick {
        let started = ContinuousClock.now
        var tick = AccountingTick()
        tick.staleClosed = try await closeStaleSessions()
        let cache = onlineCache
        let rebuildDue = state.lastRebuild.map { Date().timeIntervalSince($0) >= Double(settings.onlineRebuildSeconds) } ?? true
        let viewMissing = try await cache.asOf() == nil
        if state.watermark == nil || rebuildDue || viewMissing {
            let (now, rows) = try await readSessions(since: nil)
            let tenants = try await tenantIDs()
            try await cache.replace(tenants: tenants, with: Dictionary(grouping: rows.compactMap(\.session), by: \.tenantID).mapValues { $0.map(\.session) })
            tick.rebuilt = true
            tick.upserted = rows.count
            state.watermark = now
            state.lastRebuild = Date()
        } else if let watermark = state.watermark {
            let (now, rows) = try await readSessions(since: watermark.addingTimeInterval(-Self.accountingOverlapSeconds))
            var upserts: [Int64: [OnlineSession]] = [:], removals: [Int64: [Int64]] = [:]
            for row in rows {
                guard let (tenantID, session) = row.session else { continue }
                if row.open {
                    upserts[tenantID, default: []].append(session)
                } else {
                    removals[tenantID, default: []].append(session.id)
                }
            }
            try await cache.apply(upserts: upserts, removals: removals)
            tick.upserted = upserts.values.map(\.count).reduce(0, +)
            tick.removed = removals.values.map(\.count).reduce(0, +)
            state.watermark = now
        }
        try await cache.markFresh(Date())
        let elapsed = ContinuousClock.now - started
        tick.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return tick
    }

    /// Closes open sessions whose NAS has said nothing for twice its interim interval plus the grace (the
    /// router's `interim_seconds`, or the platform's for a NAS that is no router): `acctstoptime` at the last
    /// word heard, terminate cause `Stale-Session`. Never deletes. FreeRADIUS' simultaneous-use check then no
    /// longer counts them.
    func closeStaleSessions() async throws -> Int {
        try await database.withPlatformConnection { connection in
            let rows = try await connection.query(
                """
                WITH stale AS (
                    SELECT a.radacctid FROM radius.radacct a
                    LEFT JOIN platform.routers r ON r.nas_ip = a.nasipaddress
                    WHERE a.acctstoptime IS NULL
                      AND coalesce(a.acctupdatetime, a.acctstarttime)
                          < now() - make_interval(secs => 2 * coalesce(r.interim_seconds, \(settings.interimIntervalSeconds)) + \(settings.staleGraceSeconds))
                    ORDER BY a.radacctid LIMIT 10000
                    FOR UPDATE OF a SKIP LOCKED
                )
                UPDATE radius.radacct a
                SET acctstoptime = greatest(coalesce(a.acctupdatetime, a.acctstarttime), a.acctstarttime),
                    acctupdatetime = now(), acctterminatecause = 'Stale-Session'
                FROM stale WHERE a.radacctid = stale.radacctid
                RETURNING a.radacctid
                """,
                logger: logger
            )
            var count = 0
            for try await _ in rows.decode(Int64.self) { count += 1 }
            if count > 0 { logger.info("closed stale sessions", metadata: ["count": "\(count)"]) }
            return count
        }
    }

    /// What a prune removed.
    package struct PruneReport: Sendable {
        package var sessions = 0
        package var authentications = 0
        package var seconds = 0.0
    }

    /// Deletes closed sessions that started, and authentications made, more than
    /// `UPLINK_ACCOUNTING_RETENTION_DAYS` ago (as of `now`), in batches of `batch` rows, each its own short
    /// statement: FreeRADIUS' inserts never wait on it. Open sessions are kept however old. Walks the
    /// primary keys from the oldest, so a batch reads little more than it deletes.
    package func pruneAccounting(now: Date? = nil, batch: Int = 10_000) async throws -> PruneReport {
        let started = ContinuousClock.now
        var report = PruneReport()
        guard settings.accountingRetentionDays > 0 else { return report }
        let cutoff = (now ?? clock.now()).addingTimeInterval(-Double(settings.accountingRetentionDays) * 86_400)
        while !Task.isCancelled {
            let removed = try await database.withPlatformConnection { connection in
                try await connection.scalar(
                    """
                    WITH old AS (
                        SELECT radacctid FROM radius.radacct
                        WHERE acctstarttime < \(cutoff) AND acctstoptime IS NOT NULL
                        ORDER BY radacctid LIMIT \(batch)
                    ), gone AS (DELETE FROM radius.radacct a USING old WHERE a.radacctid = old.radacctid RETURNING 1)
                    SELECT count(*)::int FROM gone
                    """,
                    as: Int.self, logger: logger
                ) ?? 0
            }
            report.sessions += removed
            if removed < batch { break }
        }
        while !Task.isCancelled {
            let removed = try await database.withPlatformConnection { connection in
                try await connection.scalar(
                    """
                    WITH old AS (SELECT id FROM radius.radpostauth WHERE authdate < \(cutoff) ORDER BY id LIMIT \(batch)),
                    gone AS (DELETE FROM radius.radpostauth p USING old WHERE p.id = old.id RETURNING 1)
                    SELECT count(*)::int FROM gone
                    """,
                    as: Int.self, logger: logger
                ) ?? 0
            }
            report.authentications += removed
            if removed < batch { break }
        }
        let elapsed = ContinuousClock.now - started
        report.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        if report.sessions + report.authentications > 0 {
            logger.info("pruned accounting", metadata: ["sessions": "\(report.sessions)", "authentications": "\(report.authentications)"])
        }
        return report
    }

    /// A session row and, when its username is a customer's, the customer's session in the view.
    struct AccountingRow: Sendable {
        var open: Bool
        var session: (tenantID: Int64, session: OnlineSession)?
    }

    /// Open sessions (`since` nil), or every session whose `acctupdatetime` is later than `since`, with the
    /// customer each belongs to; and the database's time when they were read (the next watermark).
    private func readSessions(since: Date?) async throws -> (now: Date, rows: [AccountingRow]) {
        try await database.withPlatformTransaction { connection in
            let now = try await connection.scalar("SELECT now()", as: Date.self, logger: logger) ?? Date()
            let rows = try await connection.query(
                """
                SELECT a.radacctid, a.acctstoptime IS NULL, a.username, host(a.framedipaddress), a.callingstationid,
                       host(a.nasipaddress), r.name, a.acctsessionid,
                       extract(epoch FROM coalesce(a.acctstarttime, a.acctupdatetime, now()))::bigint,
                       extract(epoch FROM coalesce(a.acctupdatetime, a.acctstarttime, now()))::bigint,
                       coalesce(a.acctinputoctets, 0), coalesce(a.acctoutputoctets, 0),
                       u.tenant_id, u.customer_id, ci.operator_id, ci.full_name
                FROM radius.radacct a
                LEFT JOIN platform.usernames u ON u.username = lower(a.username)
                LEFT JOIN platform.customer_index ci ON ci.tenant_id = u.tenant_id AND ci.customer_id = u.customer_id
                LEFT JOIN platform.routers r ON r.nas_ip = a.nasipaddress
                WHERE CASE WHEN \(since == nil) THEN a.acctstoptime IS NULL
                           ELSE a.acctupdatetime > \(since ?? now) END
                ORDER BY a.radacctid
                """,
                logger: logger
            )
            var result: [AccountingRow] = []
            for try await row in rows {
                let (id, open, username, ip, mac, nasIP, nasName, sessionID) = try row.decode(
                    (Int64, Bool, String?, String?, String?, String, String?, String).self
                )
                let columns = row.makeRandomAccess()
                let start = try columns[8].decode(Int64.self), update = try columns[9].decode(Int64.self)
                let upload = try columns[10].decode(Int64.self), download = try columns[11].decode(Int64.self)
                guard let tenantID = try columns[12].decode(Int64?.self), let customerID = try columns[13].decode(Int64?.self),
                      let operatorID = try columns[14].decode(Int64?.self), let username
                else {
                    // No customer's (a test login, a deleted registry entry): not in anyone's view.
                    result.append(AccountingRow(open: open, session: nil))
                    continue
                }
                let session = OnlineSession(
                    id: id, customerID: customerID, operatorID: operatorID, zoneID: nil, packageID: nil,
                    name: try columns[15].decode(String?.self) ?? username, username: username, ip: ip, mac: mac, nasIP: nasIP, nas: nasName,
                    sessionID: sessionID, start: start, update: update, upload: upload, download: download
                )
                result.append(AccountingRow(open: open, session: (tenantID, session)))
            }
            try await addCustomerDetails(&result, on: connection)
            return (now, result)
        }
    }

    /// Fills in each open session's zone and package from its tenant's customers (one query per tenant).
    private func addCustomerDetails(_ rows: inout [AccountingRow], on connection: PostgresConnection) async throws {
        var byTenant: [Int64: Set<Int64>] = [:]
        for row in rows where row.open {
            if let (tenantID, session) = row.session { byTenant[tenantID, default: []].insert(session.customerID) }
        }
        var details: [Int64: [Int64: (zone: Int64?, package: Int64?)]] = [:]
        for (tenantID, ids) in byTenant {
            let schema = TenantNaming.schema(tenantID)
            let query = PostgresQuery(
                unsafeSQL: "SELECT id, zone_id, package_id FROM \(schema).customers WHERE id = ANY($1::bigint[])",
                binds: { var binds = PostgresBindings(); binds.append(Array(ids)); return binds }()
            )
            for try await (id, zone, package) in try await connection.query(query, logger: logger).decode((Int64, Int64?, Int64?).self) {
                details[tenantID, default: [:]][id] = (zone, package)
            }
        }
        for index in rows.indices {
            guard let (tenantID, session) = rows[index].session, let found = details[tenantID]?[session.customerID] else { continue }
            rows[index].session?.session.zoneID = found.zone
            rows[index].session?.session.packageID = found.package
        }
    }

    /// One page of the caller's online customers, from the view alone (never from Postgres): a sub-reseller
    /// sees only its own customers' sessions; the tenant always comes from the caller.
    package func onlineCustomers(for principal: Principal, _ query: OnlineQuery) async throws -> OnlineList {
        let (view, asOf) = try await onlineCache.view(tenantID: principal.tenantID)
        let ordered = view.orders[query.sort] ?? []
        let scoped: [OnlineSession]?
        switch principal.tenantScope.operators {
        case .all: scoped = nil
        case .only(let operators): scoped = ordered.filter { operators.contains($0.operatorID) }
        }
        let visible = scoped ?? ordered
        let needle = query.text?.lowercased()
        let filtered = query.operatorID == nil && query.zoneID == nil && query.packageID == nil && query.nas == nil && (needle ?? "").isEmpty
        let matching = filtered ? visible : visible.filter { session in
            if let operatorID = query.operatorID, session.operatorID != operatorID { return false }
            if let zoneID = query.zoneID, session.zoneID != zoneID { return false }
            if let packageID = query.packageID, session.packageID != packageID { return false }
            if let nas = query.nas, session.nasIP != nas, session.nas?.lowercased() != nas.lowercased() { return false }
            if let needle, !needle.isEmpty {
                let fields = [session.name.lowercased(), session.username.lowercased(), session.ip ?? "", session.mac?.lowercased() ?? ""]
                if !fields.contains(where: { $0.contains(needle) }) { return false }
            }
            return true
        }
        let now = Int64(Date().timeIntervalSince1970)
        let page = matching.dropFirst(query.page.offset).prefix(query.page.perPage).map { OnlineCustomer($0, now: now) }
        return OnlineList(
            items: Array(page), page: query.page.page, perPage: query.page.perPage, matching: matching.count,
            counts: .init(total: visible.count, byNAS: scoped.map { OnlineTenantView.countByNAS($0) } ?? view.byNAS),
            asOf: asOf
        )
    }
}

extension ProvisioningService: OnlinePresence {
    /// From the online view (memory, or Redis): never from Postgres. A Redis failure is logged and answered
    /// nil, so a customer record still loads without its flag.
    package func onlineCustomerIDs(tenantID: Int64) async -> Set<Int64>? {
        do {
            return try await onlineCache.view(tenantID: tenantID).view.customerIDs
        } catch {
            logger.warning("online view unreadable", metadata: ["tenant": "\(tenantID)", "error": "\(error)"])
            return nil
        }
    }
}
