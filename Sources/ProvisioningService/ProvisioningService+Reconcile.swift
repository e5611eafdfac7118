import Foundation
import Platform
import PostgresNIO

/// What a reconcile found (and, unless it was a dry run, repaired).
package struct ReconcileReport: Codable, Sendable {
    package var dryRun: Bool
    package var tenants = 0
    /// Tenants another node was reconciling at the time.
    package var tenantsLeased = 0
    package var customers = 0
    /// Customers whose RADIUS rows were not as their record says.
    package var drifted = 0
    /// Usernames with RADIUS rows that belong to no customer of any tenant.
    package var orphans = 0
    /// Up to 50 of them, `tenant:username` (orphans as `-:username`), for the operator to look at.
    package var samples: [String] = []
    /// The static-IP entries on the routers; nil when another node was comparing them.
    package var routers: RouterReconcileReport?
    package var seconds = 0.0

    enum CodingKeys: String, CodingKey {
        case tenants, customers, drifted, orphans, samples, seconds, routers
        case dryRun = "dry_run", tenantsLeased = "tenants_leased"
    }
}

extension ProvisioningService {
    /// Customers converged per transaction by the reconciler.
    static let reconcileBatch = 2_000
    /// A tenant's reconcile lease; renewed per batch.
    static let leaseSeconds = 120

    /// Compares every customer's RADIUS rows with what its record says, in batches per tenant, and rewrites
    /// the ones that differ (a dry run only reports them); customers purged since, and usernames that belong
    /// to no customer at all, lose their rows. Each tenant's part holds a lease, so two nodes never
    /// reconcile one tenant at once.
    package func reconcile(dryRun: Bool, tenantID only: Int64? = nil, holder: String) async throws -> ReconcileReport {
        let started = ContinuousClock.now
        var report = ReconcileReport(dryRun: dryRun)
        let tenants = try await tenantIDs(only: only)
        report.tenants = tenants.count
        for tenantID in tenants {
            guard try await takeLease(tenantID: tenantID, holder: holder) else {
                report.tenantsLeased += 1
                continue
            }
            var after: Int64 = 0
            while true {
                try Task.checkCancellation()
                let ids = try await customerIDs(tenantID: tenantID, after: after)
                guard let last = ids.last else { break }
                after = last
                let changed = try await convergeLoggingSessionFailures(tenantID: tenantID, ids: ids, dryRun: dryRun)
                report.customers += ids.count
                note(changed.map { "\(tenantID):\($0)" }, in: &report)
                _ = try await takeLease(tenantID: tenantID, holder: holder)
            }
            // Customers whose row is gone (purged) but whose RADIUS rows may not be.
            let vanished = try await vanishedCustomers(tenantID: tenantID)
            if !vanished.isEmpty {
                let changed = try await convergeLoggingSessionFailures(tenantID: tenantID, ids: vanished, dryRun: dryRun)
                note(changed.map { "\(tenantID):\($0)" }, in: &report)
            }
            try await releaseLease(tenantID: tenantID, holder: holder)
        }
        let orphans = try await removeOrphans(dryRun: dryRun)
        report.orphans = orphans.count
        report.samples += orphans.prefix(max(0, 50 - report.samples.count)).map { "-:\($0)" }
        // The routers' queues and address lists: one node at a time (the lease is held under the admin tenant).
        if let admin = try await adminTenantID(), try await takeLease("provisioning-reconcile-routers", tenantID: admin, holder: holder) {
            report.routers = try await reconcileRouters(dryRun: dryRun, tenantID: only)
            try await releaseLease("provisioning-reconcile-routers", tenantID: admin, holder: holder)
        }
        let elapsed = ContinuousClock.now - started
        report.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return report
    }

    /// A reconcile batch; sessions that could not be ended stay `disconnect_pending` for the next job or run.
    private func convergeLoggingSessionFailures(tenantID: Int64, ids: [Int64], dryRun: Bool) async throws -> Set<String> {
        let outcome = try await store.converge(tenantID: tenantID, versions: Dictionary(uniqueKeysWithValues: ids.map { ($0, 0) }), dryRun: dryRun)
        if !dryRun {
            do {
                try await apply(outcome.sessionActions, tenantID: tenantID)
            } catch {
                logger.warning("reconcile could not end sessions", metadata: ["tenant.id": "\(tenantID)", "error": "\(error)"])
            }
        }
        return outcome.changedUsers
    }

    private func note(_ drifted: some Collection<String>, in report: inout ReconcileReport) {
        report.drifted += drifted.count
        report.samples += drifted.sorted().prefix(max(0, 50 - report.samples.count))
    }

    /// The next batch of the tenant's customer ids (deleted ones too: their rows must be gone).
    private func customerIDs(tenantID: Int64, after: Int64) async throws -> [Int64] {
        try await database.withTenantTransaction(TenantScope(tenantID: tenantID, operators: .all)) { connection in
            var ids: [Int64] = []
            for try await id in try await connection.query(
                "SELECT id FROM customers WHERE id > \(after) ORDER BY id LIMIT \(Self.reconcileBatch)", logger: logger
            ).decode(Int64.self) { ids.append(id) }
            return ids
        }
    }

    private func vanishedCustomers(tenantID: Int64) async throws -> [Int64] {
        try await database.withTenantTransaction(TenantScope(tenantID: tenantID, operators: .all)) { connection in
            var ids: [Int64] = []
            for try await id in try await connection.query(
                """
                SELECT s.customer_id FROM platform.provisioning_state s
                WHERE s.tenant_id = \(tenantID) AND s.username IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = s.customer_id)
                """,
                logger: logger
            ).decode(Int64.self) { ids.append(id) }
            return ids
        }
    }

    /// Usernames holding RADIUS rows that no tenant's customer owns (left by hand, or by a lost database
    /// copy); removed unless `dryRun`.
    private func removeOrphans(dryRun: Bool) async throws -> [String] {
        try await database.withPlatformTransaction { connection in
            var names: [String] = []
            for try await name in try await connection.query(
                """
                SELECT DISTINCT r.username FROM (
                    SELECT username FROM radius.radcheck UNION SELECT username FROM radius.radreply
                    UNION SELECT username FROM radius.radusergroup
                ) r
                WHERE NOT EXISTS (SELECT 1 FROM platform.usernames u WHERE u.username = lower(r.username))
                ORDER BY 1
                """,
                logger: logger
            ).decode(String.self) { names.append(name) }
            if !dryRun, !names.isEmpty {
                try await connection.query("DELETE FROM radius.radcheck WHERE username = ANY(\(names))", logger: logger)
                try await connection.query("DELETE FROM radius.radreply WHERE username = ANY(\(names))", logger: logger)
                try await connection.query("DELETE FROM radius.radusergroup WHERE username = ANY(\(names))", logger: logger)
            }
            return names
        }
    }

    /// Every tenant's id (or just `only`, when it exists), in order.
    func tenantIDs(only: Int64? = nil) async throws -> [Int64] {
        try await database.withPlatformConnection { connection in
            var ids: [Int64] = []
            for try await id in try await connection.query(
                "SELECT id FROM platform.tenants WHERE \(only)::bigint IS NULL OR id = \(only) ORDER BY id", logger: logger
            ).decode(Int64.self) { ids.append(id) }
            return ids
        }
    }

    private func adminTenantID() async throws -> Int64? {
        try await database.withPlatformConnection { connection in
            try await connection.scalar("SELECT id FROM platform.tenants WHERE kind = 'admin' ORDER BY id LIMIT 1", as: Int64.self, logger: logger)
        }
    }

    private func takeLease(_ job: String = "provisioning-reconcile", tenantID: Int64, holder: String) async throws -> Bool {
        try await database.withPlatformConnection { connection in
            try await connection.returnsRow(
                """
                INSERT INTO platform.job_leases AS l (job, tenant_id, holder, expires_at)
                VALUES (\(job), \(tenantID), \(holder), now() + make_interval(secs => \(Self.leaseSeconds)))
                ON CONFLICT (job, tenant_id) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
                WHERE l.expires_at < now() OR l.holder = EXCLUDED.holder
                RETURNING 1
                """,
                logger: logger
            )
        }
    }

    private func releaseLease(_ job: String = "provisioning-reconcile", tenantID: Int64, holder: String) async throws {
        _ = try await database.withPlatformConnection { connection in
            try await connection.query(
                "DELETE FROM platform.job_leases WHERE job = \(job) AND tenant_id = \(tenantID) AND holder = \(holder)",
                logger: logger
            )
        }
    }
}
