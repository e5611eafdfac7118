import Foundation
import Logging
import Platform
import PostgresNIO

/// Reads customers' network state and writes their `radius` rows: one transaction per tenant batch, as the
/// role `uplink_provisioner` (reads the tenant's customers and devices, writes `radius.*` and the
/// provisioning state, nothing else).
struct RadiusStore: Sendable {
    let database: Database
    let secrets: SecretBox
    let policy: RadiusPolicy
    let logger: Logger

    /// What one convergence did.
    struct Outcome: Sendable {
        /// Customers converged.
        var customers = 0
        /// Usernames whose rows were not as wanted (rows deleted or inserted); empty when all were.
        var changedUsers = Set<String>()
        /// Package groups whose rows changed.
        var changedGroups = 0
        /// Customers whose open sessions must end (or be told their new rate) now that their rows changed.
        var sessionActions: [SessionAction] = []
        /// Static-IP customers whose queue and address-list entry are to be written on their router (and
        /// removed from the one they were on), after the commit. Only when asked for (`routers`).
        var routerWork: [RouterWork] = []
    }

    /// Converges `customers` of one tenant to their desired state, read fresh inside the transaction under a
    /// per-customer lock (so two workers on one customer apply in turn, the later reading the later state).
    /// `versions`: the newest outbox id each job carries, recorded as applied. `dryRun` computes and counts
    /// the difference, then rolls it back. `routers`: also return the router entries of static-IP customers
    /// and mark them `router_pending` until the caller has written them (the worker's path; the reconciler
    /// compares routers in one pass of its own).
    func converge(tenantID: Int64, versions: [Int64: Int64], dryRun: Bool = false, routers: Bool = false) async throws -> Outcome {
        let ids = versions.keys.sorted()
        guard !ids.isEmpty else { return Outcome() }
        let body: (PostgresConnection) async throws -> Outcome = { connection in
            let (subjects, packages) = try await lockAndRead(tenantID: tenantID, ids: ids, on: connection)
            var outcome = Outcome(customers: ids.count)

            // Users: the names the rows should be under now, and any older name still holding rows.
            var names = Set<String>()
            var check = AttributeColumns(), reply = AttributeColumns()
            var groupUsers: [String] = [], groupNames: [String] = [], priorities: [Int32] = []
            // The name each customer's rows are under after this run; "" for none (arrays cannot carry NULLs here).
            var appliedNames: [String] = []
            var wanted: [Int64: UserRadiusRows] = [:]
            for entry in subjects {
                if let previous = entry.appliedUsername { names.insert(previous) }
                guard let subject = entry.subject else { appliedNames.append(""); continue }
                names.insert(subject.username)
                let rows = policy.rows(for: subject, package: subject.packageID.flatMap { packages[$0] })
                wanted[subject.customerID] = rows
                appliedNames.append(subject.username)
                for row in rows.check { check.append(subject.username, row) }
                for row in rows.reply { reply.append(subject.username, row) }
                for (index, group) in rows.groups.enumerated() {
                    groupUsers.append(subject.username)
                    groupNames.append(group)
                    priorities.append(Int32(index + 1))
                }
            }
            let userNames = names.sorted()
            var attributesChanged = Set<String>()
            for (table, rows) in [("radcheck", check), ("radreply", reply)] {
                attributesChanged.formUnion(try await connection.scalar(
                    "SELECT radius.converge_attributes(\(table), \(userNames), \(rows.users), \(rows.attributes), \(rows.ops), \(rows.values))",
                    as: [String].self, logger: logger
                ) ?? [])
            }
            let groupsChanged = Set(try await connection.scalar(
                "SELECT radius.converge_groups(\(userNames), \(groupUsers), \(groupNames), \(priorities))",
                as: [String].self, logger: logger
            ) ?? [])
            let changed = attributesChanged.union(groupsChanged)
            outcome.changedUsers = changed
            outcome.sessionActions = try await sessionActions(
                subjects, wanted: wanted, packages: packages, attributesChanged: attributesChanged, groupsChanged: groupsChanged, on: connection
            )
            let pendingIDs = outcome.sessionActions.map(\.customerID)
            if routers { outcome.routerWork = routerWork(subjects, packages: packages, tenantID: tenantID) }
            let routerIDs = outcome.routerWork.map(\.customerID)
            outcome.changedGroups = try await convergeGroups(Array(packages.values), on: connection)

            let versionList = ids.map { versions[$0] ?? 0 }
            // A job's customers always get their state written; a reconcile's only when something changed or
            // the state is missing or out of date (a pass over every customer writes almost nothing).
            let touched = subjects.filter { entry in
                entry.appliedUsername.map(changed.contains) == true || entry.subject.map { changed.contains($0.username) } == true
            }.map(\.customerID)
            try await connection.query(
                """
                INSERT INTO platform.provisioning_state AS s
                    (tenant_id, customer_id, username, state, attempts, requested_version, applied_version, disconnect_pending,
                     router_pending, updated_at)
                SELECT \(tenantID), j.id, NULLIF(j.username, ''),
                       CASE WHEN j.id = ANY(\(pendingIDs)::bigint[]) OR j.id = ANY(\(routerIDs)::bigint[]) THEN 'pending' ELSE 'in_sync' END,
                       0, j.version, j.version, j.id = ANY(\(pendingIDs)::bigint[]), j.id = ANY(\(routerIDs)::bigint[]), now()
                FROM unnest(\(ids)::bigint[], \(appliedNames)::text[], \(versionList)::bigint[]) j(id, username, version)
                LEFT JOIN platform.provisioning_state o ON o.tenant_id = \(tenantID) AND o.customer_id = j.id
                WHERE j.version > 0 OR o.customer_id IS NULL OR o.username IS DISTINCT FROM NULLIF(j.username, '')
                   OR o.state <> 'in_sync' OR o.disconnect_pending OR j.id = ANY(\(touched)::bigint[])
                   OR j.id = ANY(\(pendingIDs)::bigint[]) OR j.id = ANY(\(routerIDs)::bigint[])
                ORDER BY j.id
                ON CONFLICT (tenant_id, customer_id) DO UPDATE SET
                    username = EXCLUDED.username,
                    applied_version = greatest(s.applied_version, EXCLUDED.applied_version),
                    requested_version = greatest(s.requested_version, EXCLUDED.requested_version),
                    state = CASE WHEN EXCLUDED.disconnect_pending OR EXCLUDED.router_pending OR (s.router_pending AND NOT \(routers))
                                 THEN 'pending'
                                 WHEN greatest(s.applied_version, EXCLUDED.applied_version) >= s.requested_version THEN 'in_sync'
                                 ELSE 'pending' END,
                    attempts = 0, last_error = NULL, next_attempt_at = NULL, disconnect_pending = EXCLUDED.disconnect_pending,
                    router_pending = EXCLUDED.router_pending OR (s.router_pending AND NOT \(routers)), updated_at = now()
                """,
                logger: logger
            )
            return outcome
        }
        if dryRun {
            return try await database.withPlatformConnection { connection in
                try await connection.query("BEGIN", logger: logger)
                do {
                    let outcome = try await body(connection)
                    try await connection.query("ROLLBACK", logger: logger)
                    return outcome
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
        }
        return try await database.withPlatformTransaction(body)
    }

    /// What must happen to the open sessions of the customers whose rows changed (or whose earlier request
    /// did not get through): a CoA with the new rate when only the package group changed and the customer
    /// stays active, a Disconnect otherwise (rejected, suspended, password, MAC or address changed, renamed).
    /// Only customers with an open session in `radius.radacct` are returned.
    private func sessionActions(
        _ subjects: [SubjectRow], wanted: [Int64: UserRadiusRows], packages: [Int64: PackageProfile],
        attributesChanged: Set<String>, groupsChanged: Set<String>, on connection: PostgresConnection
    ) async throws -> [SessionAction] {
        var candidates: [SessionAction] = []
        for entry in subjects {
            let current = entry.subject?.username
            let names = Set([current, entry.appliedUsername].compactMap { $0 })
            let touched = !names.isDisjoint(with: attributesChanged) || !names.isDisjoint(with: groupsChanged)
            guard touched || entry.disconnectPending else { continue }
            var action = SessionAction(customerID: entry.customerID, usernames: names.sorted(), newRateLimit: nil)
            if let subject = entry.subject, let rows = wanted[subject.customerID], !entry.disconnectPending,
               entry.appliedUsername == nil || entry.appliedUsername == subject.username,
               !attributesChanged.contains(subject.username), let group = rows.groups.first,
               let package = subject.packageID.flatMap({ packages[$0] }), group == package.activeGroup {
                action.newRateLimit = package.rateLimit
            }
            candidates.append(action)
        }
        guard !candidates.isEmpty else { return [] }
        var online = Set<String>()
        for try await name in try await connection.query(
            "SELECT DISTINCT username FROM radius.radacct WHERE username = ANY(\(candidates.flatMap(\.usernames))) AND acctstoptime IS NULL",
            logger: logger
        ).decode(String.self) { online.insert(name) }
        return candidates.filter { !online.isDisjoint(with: $0.usernames) }
    }

    /// The ids of the tenant's static-IP customers and of customers whose entries were written before (a
    /// customer that stopped being one, or was purged, must lose them).
    func staticCustomerIDs(tenantID: Int64) async throws -> [Int64] {
        try await database.withPlatformTransaction { connection in
            try await enter(tenantID: tenantID, on: connection)
            var ids: [Int64] = []
            for try await id in try await connection.query(
                """
                SELECT id FROM customers WHERE type = 'static_monthly'
                UNION
                SELECT customer_id FROM platform.provisioning_state
                WHERE tenant_id = \(tenantID) AND (router_id IS NOT NULL OR router_pending)
                ORDER BY 1
                """,
                logger: logger
            ).decode(Int64.self) { ids.append(id) }
            return ids
        }
    }

    /// The router entries these customers should have, read fresh inside a transaction that holds their
    /// locks (the ones convergence takes) until `body` returns: `body` writes the routers and settles the
    /// state on `connection` (as the provisioner), so no convergence of these customers runs in between and
    /// the last writer always wrote the newest state.
    func withRouterWork<T: Sendable>(
        tenantID: Int64, ids: [Int64], _ body: @Sendable ([RouterWork], PostgresConnection) async throws -> T
    ) async throws -> T {
        let ids = Array(Set(ids)).sorted()
        return try await database.withPlatformTransaction { connection in
            let (subjects, packages) = try await lockAndRead(tenantID: tenantID, ids: ids, on: connection)
            return try await body(routerWork(subjects, packages: packages, tenantID: tenantID, includeAll: true), connection)
        }
    }

    /// The router step of the static-IP customers among `subjects`: the entries each should have on its
    /// router, and the router it was on before. Customers with neither are left out (unless `includeAll`).
    private func routerWork(_ subjects: [SubjectRow], packages: [Int64: PackageProfile], tenantID: Int64, includeAll: Bool = false) -> [RouterWork] {
        let entries = StaticEntryPolicy(suspendedRateLimit: policy.settings.suspendedRateLimit)
        return subjects.compactMap { entry -> RouterWork? in
            let wanted = entry.subject.flatMap { subject in
                entries.entries(for: subject, routerID: entry.routerID, package: subject.packageID.flatMap { packages[$0] }, tenantID: tenantID)
            }
            guard includeAll || wanted != nil || entry.appliedRouterID != nil || entry.routerPending else { return nil }
            return RouterWork(
                customerID: entry.customerID, key: StaticEntryPolicy.key(tenantID: tenantID, customerID: entry.customerID),
                routerID: wanted?.routerID, items: wanted?.items ?? [], previousRouterID: entry.appliedRouterID, pending: entry.routerPending
            )
        }
    }

    /// Records a failed attempt: `pending` with the time of the next attempt, or `failed` after the last.
    func recordFailure(tenantID: Int64, customerID: Int64, version: Int64, attempt: Int, failed: Bool, nextAttempt: Date?, reason: String) async throws {
        let state = failed ? "failed" : "pending"
        let reasonText = String(reason.prefix(500))
        _ = try await database.withPlatformTransaction { connection in
            try await connection.query(
                """
                INSERT INTO platform.provisioning_state AS s
                    (tenant_id, customer_id, state, attempts, last_error, requested_version, next_attempt_at, updated_at)
                VALUES (\(tenantID), \(customerID), \(state), \(attempt), \(reasonText), \(version), \(nextAttempt), now())
                ON CONFLICT (tenant_id, customer_id) DO UPDATE SET
                    state = CASE WHEN s.applied_version >= greatest(s.requested_version, EXCLUDED.requested_version)
                                      AND NOT s.disconnect_pending AND NOT s.router_pending
                                 THEN 'in_sync' ELSE EXCLUDED.state END,
                    attempts = EXCLUDED.attempts, last_error = EXCLUDED.last_error,
                    requested_version = greatest(s.requested_version, EXCLUDED.requested_version),
                    next_attempt_at = EXCLUDED.next_attempt_at, updated_at = now()
                """,
                logger: logger
            )
        }
    }

    /// Enters the tenant as the provisioner, takes the customers' locks (in id order, so two callers never
    /// deadlock) and reads them and their packages fresh.
    private func lockAndRead(tenantID: Int64, ids: [Int64], on connection: PostgresConnection) async throws
        -> (subjects: [SubjectRow], packages: [Int64: PackageProfile])
    {
        try await enter(tenantID: tenantID, on: connection)
        try await connection.query(
            "SELECT count(pg_advisory_xact_lock((\(tenantID)::bigint << 40) + id)) FROM (SELECT unnest(\(ids)::bigint[]) AS id ORDER BY 1) s",
            logger: logger
        )
        let subjects = try await readSubjects(tenantID: tenantID, ids: ids, on: connection)
        return (subjects, try await readPackages(Set(subjects.compactMap(\.subject?.packageID)), on: connection))
    }

    /// Switches the transaction to the provisioner role with the tenant's schema on the search path.
    private func enter(tenantID: Int64, on connection: PostgresConnection) async throws {
        let schema = TenantNaming.schema(tenantID)
        try await connection.query(
            """
            SELECT set_config('role', 'uplink_provisioner', true), set_config('search_path', \(schema + ", platform"), true),
                   set_config('uplink.tenant_id', \(String(tenantID)), true)
            """,
            logger: logger
        )
    }

    private struct SubjectRow: Sendable {
        var customerID: Int64
        var subject: NetworkSubject?
        var appliedUsername: String?
        var disconnectPending = false
        /// The router the customer is on (`customers.nas_id`).
        var routerID: Int64?
        /// The router its static-IP entries were last written to, and whether that write is still owed.
        var appliedRouterID: Int64?
        var routerPending = false
    }

    private func readSubjects(tenantID: Int64, ids: [Int64], on connection: PostgresConnection) async throws -> [SubjectRow] {
        let rows = try await connection.query(
            """
            SELECT i.id, c.username, c.password_enc, c.type, c.status, c.deleted_at IS NOT NULL, c.expires_at,
                   host(c.static_ip), c.package_id,
                   (SELECT array_agg(d.mac::text ORDER BY d.mac) FROM customer_devices d WHERE d.customer_id = c.id),
                   s.username, coalesce(s.disconnect_pending, false), c.nas_id, s.router_id, coalesce(s.router_pending, false)
            FROM unnest(\(ids)::bigint[]) i(id)
            LEFT JOIN customers c ON c.id = i.id
            LEFT JOIN platform.provisioning_state s ON s.tenant_id = \(tenantID) AND s.customer_id = i.id
            ORDER BY i.id
            """,
            logger: logger
        )
        let context = SecretBox.customerPasswordContext(tenantID: tenantID)
        var result: [SubjectRow] = []
        for try await row in rows {
            let (id, username, sealed, type, status, deleted, expiresAt, staticIP, packageID, macs, applied, pending) = try row.decode(
                (Int64, String?, Data?, String?, String?, Bool?, Date?, String?, Int64?, [String]?, String?, Bool).self
            )
            let columns = row.makeRandomAccess()
            let routerID = try columns[12].decode(Int64?.self)
            let appliedRouterID = try columns[13].decode(Int64?.self)
            let routerPending = try columns[14].decode(Bool.self)
            guard let username, let typeText = type, let customerType = CustomerType(rawValue: typeText), let status else {
                result.append(SubjectRow(customerID: id, subject: nil, appliedUsername: applied, disconnectPending: pending,
                                         appliedRouterID: appliedRouterID, routerPending: routerPending))
                continue
            }
            // A password that does not open (a foreign or corrupt value) provisions no login, never a wrong one.
            let password = sealed.flatMap { try? secrets.open(Array($0), context: context) }
            if sealed != nil, password == nil {
                logger.warning("customer password does not open", metadata: ["tenant.id": "\(tenantID)", "customer.id": "\(id)"])
            }
            let subject = NetworkSubject(
                customerID: id, username: username, password: password, type: customerType, status: status,
                deleted: deleted ?? false, expiresAt: expiresAt, staticIP: staticIP, packageID: packageID, macs: macs ?? []
            )
            result.append(SubjectRow(customerID: id, subject: subject, appliedUsername: applied, disconnectPending: pending,
                                     routerID: routerID, appliedRouterID: appliedRouterID, routerPending: routerPending))
        }
        return result
    }

    private func readPackages(_ ids: Set<Int64>, on connection: PostgresConnection) async throws -> [Int64: PackageProfile] {
        guard !ids.isEmpty else { return [:] }
        return try await Self.packages(ids: Array(ids), on: connection, logger: logger)
    }

    /// The packages with these ids, or (nil) every active package.
    static func packages(ids: [Int64]?, on connection: PostgresConnection, logger: Logger) async throws -> [Int64: PackageProfile] {
        let rows = try await connection.query(
            """
            SELECT id, customer_type, download_kbps, upload_kbps, burst_download_kbps, burst_upload_kbps,
                   burst_threshold_download_kbps, burst_threshold_upload_kbps, burst_time_seconds, time_limit_minutes,
                   data_limit_mb, ip_pool, suspended_pool, ppp_profile
            FROM catalog.packages
            WHERE CASE WHEN \(ids == nil) THEN status = 'active' ELSE id = ANY(\(ids ?? [])::bigint[]) END
            """,
            logger: logger
        )
        var packages: [Int64: PackageProfile] = [:]
        for try await row in rows {
            let (id, type, down, up, burstDown, burstUp) = try row.decode((Int64, String, Int, Int, Int?, Int?).self)
            let randomAccess = row.makeRandomAccess()
            var profile = PackageProfile(id: id, customerType: CustomerType(rawValue: type) ?? .other, downloadKbps: down, uploadKbps: up)
            profile.burstDownloadKbps = burstDown
            profile.burstUploadKbps = burstUp
            profile.burstThresholdDownloadKbps = try randomAccess[6].decode(Int?.self)
            profile.burstThresholdUploadKbps = try randomAccess[7].decode(Int?.self)
            profile.burstTimeSeconds = try randomAccess[8].decode(Int?.self)
            profile.timeLimitMinutes = try randomAccess[9].decode(Int?.self)
            profile.dataLimitMB = try randomAccess[10].decode(Int64?.self)
            profile.ipPool = try randomAccess[11].decode(String?.self)
            profile.suspendedPool = try randomAccess[12].decode(String?.self)
            profile.pppProfile = try randomAccess[13].decode(String?.self)
            packages[id] = profile
        }
        return packages
    }

    /// Writes the group rows of `packages` (both groups of each) and returns how many groups changed; a
    /// package edit reaches RADIUS with the next convergence of any of its customers, and with every reconcile.
    private func convergeGroups(_ packages: [PackageProfile], on connection: PostgresConnection) async throws -> Int {
        guard !packages.isEmpty else { return 0 }
        var names: [String] = []
        var reply = AttributeColumns(), check = AttributeColumns()
        for package in packages.sorted(by: { $0.id < $1.id }) {
            for (group, rows) in policy.groups(for: package).sorted(by: { $0.key < $1.key }) {
                names.append(group)
                for row in rows.reply { reply.append(group, row) }
                for row in rows.check { check.append(group, row) }
            }
        }
        var changed = Set<String>()
        for (table, rows) in [("radgroupreply", reply), ("radgroupcheck", check)] {
            changed.formUnion(try await connection.scalar(
                "SELECT radius.converge_attributes(\(table), \(names), \(rows.users), \(rows.attributes), \(rows.ops), \(rows.values))",
                as: [String].self, logger: logger
            ) ?? [])
        }
        return changed.count
    }
}

/// One static-IP customer's entries on the routers: what its router should hold under its key, and the
/// router that may still hold entries from before.
struct RouterWork: Sendable, Hashable {
    var customerID: Int64
    /// The comment its items carry on every router.
    var key: String
    /// The router its entries belong on; nil: on none.
    var routerID: Int64?
    var items: [RouterItem]
    /// The router its entries were last written to.
    var previousRouterID: Int64?
    /// Its last router write has not succeeded yet.
    var pending = false
    /// Further routers to clean of its entries (the reconciler found them there).
    var alsoOn: Set<Int64> = []

    /// Every router that may need a change for it.
    var routers: Set<Int64> { alsoOn.union([routerID, previousRouterID].compactMap { $0 }) }

    /// Its entries are where they should be, as far as the platform's record goes.
    var settled: Bool { !pending && previousRouterID == routerID }
}

/// One customer's open sessions to end, or to re-authorize with a new rate.
struct SessionAction: Sendable, Hashable {
    var customerID: Int64
    /// The usernames its sessions may run under (the current one, and the one before a rename).
    var usernames: [String]
    /// Set: a CoA-Request with this `Mikrotik-Rate-Limit` where the router takes CoA; nil: Disconnect.
    var newRateLimit: String?
}

/// Rows as parallel arrays, the shape `unnest` takes them in.
private struct AttributeColumns {
    var users: [String] = []
    var attributes: [String] = []
    var ops: [String] = []
    var values: [String] = []

    mutating func append(_ owner: String, _ row: RadiusAttribute) {
        users.append(owner)
        attributes.append(row.attribute)
        ops.append(row.op)
        values.append(row.value)
    }
}
