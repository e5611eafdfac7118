import Foundation
import Hummingbird
import Platform
import PostgresNIO

/// The scheduler's billing jobs.
package enum BillingJob: String, CaseIterable, Sendable {
    /// Prepaid customers whose validity ended become `expired` (reason `validity_ended`), queued for provisioning.
    case expireDaily = "expire-daily"
    /// Monthly customers get the invoice of the period due (once per period), operators' wallets are charged,
    /// advance credit is applied.
    case generateInvoices = "generate-invoices"
    /// Monthly customers with an invoice past due + grace (or a suspend date that has come) are suspended.
    case suspendOverdue = "suspend-overdue"
    /// Vouchers past their expiry become `expired`.
    case expireVouchers = "expire-vouchers"
}

/// What one run of a job did, over every tenant.
package struct JobReport: Sendable, Codable, ResponseEncodable {
    package var job: String
    package var asOf: Date
    package var tenants: Int
    /// Tenants another node was already running this job for.
    package var tenantsLeased: Int
    package var created: Int
    package var skipped: Int
    package var failed: Int
    package var failures: [String]
    package var seconds: Double

    enum CodingKeys: String, CodingKey {
        case job, tenants, created, skipped, failed, failures, seconds
        case asOf = "as_of", tenantsLeased = "tenants_leased"
    }
}

extension BillingService {
    /// How long a tenant's lease lasts without renewal; a crashed node's lease runs out after this.
    static let leaseSeconds = 120
    /// Rows per batch transaction: big enough to be set-based, small enough to keep locks short.
    static let batchSize = 5_000

    /// Runs `job` for every active tenant as of `asOf`. Each tenant's part takes a lease in
    /// `platform.job_leases` (skipped when another holder has it), runs in batches that each commit, and is
    /// recorded in `platform.job_runs`. Idempotent: a second run finds nothing left to do.
    package func run(_ job: BillingJob, asOf: Date, holder: String) async throws -> JobReport {
        let started = ContinuousClock.now
        let tenants = try await database.withPlatformConnection { connection in
            var ids: [Int64] = []
            for try await id in try await connection.query("SELECT id FROM platform.tenants WHERE status = 'active' ORDER BY id", logger: logger)
                .decode(Int64.self) { ids.append(id) }
            return ids
        }
        var report = JobReport(job: job.rawValue, asOf: asOf, tenants: tenants.count, tenantsLeased: 0, created: 0, skipped: 0, failed: 0,
                               failures: [], seconds: 0)
        for tenantID in tenants {
            let tenantStart = clock.now()
            guard try await takeLease(job, tenantID: tenantID, holder: holder) else {
                report.tenantsLeased += 1
                continue
            }
            var outcome = TenantOutcome()
            do {
                outcome = try await runTenant(job, tenantID: tenantID, asOf: asOf, holder: holder)
            } catch {
                outcome.failed += 1
                outcome.failures.append("tenant \(tenantID): \((error as? any ServiceError)?.message ?? String(describing: type(of: error)))")
            }
            report.created += outcome.created
            report.skipped += outcome.skipped
            report.failed += outcome.failed
            report.failures += outcome.failures
            try await finish(job, tenantID: tenantID, holder: holder, asOf: asOf, started: tenantStart, outcome: outcome)
        }
        report.seconds = Self.seconds(since: started)
        return report
    }

    /// Runs `job` now (or as of `asOf`) for the caller's own tenant only: its owner's bulk invoice generation
    /// from the API. Same lease as the scheduler, so it never runs beside the scheduler's pass.
    package func runForOwnTenant(_ job: BillingJob, asOf: Date?, by principal: Principal) async throws -> JobReport {
        guard principal.role != .subReseller else { throw PlatformError.forbidden("only the tenant's owner runs billing jobs") }
        let started = ContinuousClock.now
        let time = asOf ?? clock.now()
        let holder = "api:\(principal.username):\(UUID().uuidString.prefix(8))"
        var report = JobReport(job: job.rawValue, asOf: time, tenants: 1, tenantsLeased: 0, created: 0, skipped: 0, failed: 0, failures: [], seconds: 0)
        guard try await takeLease(job, tenantID: principal.tenantID, holder: holder) else {
            throw PlatformError.conflict(code: "job_running", message: "this job is running for your tenant right now; try again shortly")
        }
        let tenantStart = clock.now()
        let outcome: TenantOutcome
        do {
            outcome = try await runTenant(job, tenantID: principal.tenantID, asOf: time, holder: holder)
        } catch {
            try? await finish(job, tenantID: principal.tenantID, holder: holder, asOf: time, started: tenantStart, outcome: TenantOutcome())
            throw error
        }
        try await finish(job, tenantID: principal.tenantID, holder: holder, asOf: time, started: tenantStart, outcome: outcome)
        report.created = outcome.created
        report.skipped = outcome.skipped
        report.failed = outcome.failed
        report.failures = outcome.failures
        report.seconds = Self.seconds(since: started)
        return report
    }

    /// One tenant's part of `job`, under a lease the caller holds.
    func runTenant(_ job: BillingJob, tenantID: Int64, asOf: Date, holder: String) async throws -> TenantOutcome {
        switch job {
        case .expireDaily: TenantOutcome(created: try await expireDaily(tenantID: tenantID, asOf: asOf, holder: holder))
        case .generateInvoices: try await generateInvoices(tenantID: tenantID, asOf: asOf, holder: holder)
        case .suspendOverdue: TenantOutcome(created: try await suspendOverdue(tenantID: tenantID, asOf: asOf, holder: holder))
        case .expireVouchers: TenantOutcome(created: try await expireVouchers(tenantID: tenantID, asOf: asOf, holder: holder))
        }
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Runs `step` in one tenant transaction after another (each a committed batch), renewing the lease in
    /// between, until a step says its batch was not full.
    func inBatches(_ job: BillingJob, tenantID: Int64, holder: String, _ step: (PostgresConnection) async throws -> Bool) async throws {
        while try await database.withTenantTransaction(TenantScope(tenantID: tenantID, operators: .all), { try await step($0) }) {
            guard try await takeLease(job, tenantID: tenantID, holder: holder) else {
                throw PlatformError.conflict(code: "lease_lost", message: "another node took over the job")
            }
        }
    }

    /// Takes (or renews) the tenant's lease for `job`; false when another holder's lease is still running.
    func takeLease(_ job: BillingJob, tenantID: Int64, holder: String) async throws -> Bool {
        try await database.withPlatformConnection { connection in
            try await connection.returnsRow(
                """
                INSERT INTO platform.job_leases AS l (job, tenant_id, holder, expires_at)
                VALUES (\(job.rawValue), \(tenantID), \(holder), now() + make_interval(secs => \(Self.leaseSeconds)))
                ON CONFLICT (job, tenant_id) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
                WHERE l.expires_at < now() OR l.holder = EXCLUDED.holder
                RETURNING 1
                """,
                logger: logger
            )
        }
    }

    /// What a job did in one tenant.
    struct TenantOutcome {
        var created = 0
        var skipped = 0
        var failed = 0
        var failures: [String] = []
    }

    /// Records the tenant's run and releases the lease.
    func finish(_ job: BillingJob, tenantID: Int64, holder: String, asOf: Date, started: Date, outcome: TenantOutcome) async throws {
        let failureJSON = String(decoding: try JSONEncoder().encode(outcome.failures), as: UTF8.self)
        try await database.withPlatformTransaction { connection in
            try await connection.query(
                """
                INSERT INTO platform.job_runs (job, tenant_id, as_of, holder, started_at, finished_at, created, skipped, failed, failures)
                VALUES (\(job.rawValue), \(tenantID), \(asOf), \(holder), \(started), now(), \(outcome.created), \(outcome.skipped),
                        \(outcome.failed), \(failureJSON)::jsonb)
                """,
                logger: logger
            )
            try await connection.query(
                "DELETE FROM platform.job_leases WHERE job = \(job.rawValue) AND tenant_id = \(tenantID) AND holder = \(holder)", logger: logger
            )
        }
    }

    /// Expires the tenant's prepaid customers whose validity ended by `asOf`, in committed batches, each with
    /// its activity and outbox rows. Returns how many it expired.
    func expireDaily(tenantID: Int64, asOf: Date, holder: String) async throws -> Int {
        var total = 0
        try await inBatches(.expireDaily, tenantID: tenantID, holder: holder) { connection in
            let expired = try await connection.scalar(
                """
                WITH due AS (
                    SELECT id FROM customers
                    WHERE status = 'active' AND deleted_at IS NULL AND expires_at <= \(asOf) AND type IN ('pppoe_daily', 'hotspot')
                    ORDER BY expires_at, id LIMIT \(Self.batchSize) FOR UPDATE SKIP LOCKED
                ), done AS (
                    UPDATE customers c SET status = 'expired', status_reason = 'validity_ended', updated_at = now(), updated_by = 'scheduler'
                    FROM due WHERE c.id = due.id
                    RETURNING c.id, c.operator_id
                ), log AS (
                    INSERT INTO activity_log (operator_id, customer_id, action, actor_username, changes)
                    SELECT operator_id, id, 'expire', 'scheduler',
                        '{"status": {"from": "active", "to": "expired"}, "status_reason": {"from": null, "to": "validity_ended"}}'::jsonb
                    FROM done
                ), box AS (
                    INSERT INTO platform.outbox (tenant_id, customer_id, reason) SELECT \(tenantID), id, 'expired' FROM done
                )
                SELECT count(*)::int FROM done
                """,
                as: Int.self, logger: logger
            ) ?? 0
            total += expired
            return expired == Self.batchSize
        }
        return total
    }

    /// Invoices the tenant's monthly customers for the period due as of `asOf`, in keyset batches that each
    /// commit. Customers whose operators' wallets cannot pay, or whose package is not assigned, are counted as
    /// failed with the reason and retried by the next run.
    func generateInvoices(tenantID: Int64, asOf: Date, holder: String) async throws -> TenantOutcome {
        var outcome = TenantOutcome()
        var after: Int64 = 0
        var unaffordable = 0
        var unassigned = 0
        try await inBatches(.generateInvoices, tenantID: tenantID, holder: holder) { connection in
            let rows = try await connection.query(
                """
                SELECT created, skipped, unaffordable, unassigned, scanned, coalesce(last_id, 0)
                FROM generate_invoices(\(asOf)::timestamptz, \(after)::bigint, \(Self.batchSize)::integer, NULL::bigint, 'scheduler', 'scheduler')
                """,
                logger: logger
            )
            for try await (created, skipped, poor, orphaned, scanned, last) in rows.decode((Int, Int, Int, Int, Int, Int64).self) {
                outcome.created += created
                outcome.skipped += skipped
                unaffordable += poor
                unassigned += orphaned
                after = last
                return scanned == Self.batchSize
            }
            throw PlatformError.internalError("generate_invoices returned nothing")
        }
        outcome.failed = unaffordable + unassigned
        if unaffordable > 0 { outcome.failures.append("tenant \(tenantID): \(unaffordable) customers: an operator's wallet cannot pay (insufficient_balance)") }
        if unassigned > 0 { outcome.failures.append("tenant \(tenantID): \(unassigned) customers: package not assigned to their operator") }
        return outcome
    }

    /// Suspends the tenant's monthly customers that are overdue as of `asOf`, in keyset batches.
    func suspendOverdue(tenantID: Int64, asOf: Date, holder: String) async throws -> Int {
        var total = 0
        var after: Int64 = 0
        try await inBatches(.suspendOverdue, tenantID: tenantID, holder: holder) { connection in
            let rows = try await connection.query(
                """
                SELECT suspended, scanned, coalesce(last_id, 0)
                FROM suspend_overdue(\(asOf)::timestamptz, \(after)::bigint, \(Self.batchSize)::integer, 'scheduler')
                """,
                logger: logger
            )
            for try await (suspended, scanned, last) in rows.decode((Int, Int, Int64).self) {
                total += suspended
                after = last
                return scanned == Self.batchSize
            }
            throw PlatformError.internalError("suspend_overdue returned nothing")
        }
        return total
    }

    /// Marks the tenant's unused vouchers past their expiry `expired`, in batches.
    func expireVouchers(tenantID: Int64, asOf: Date, holder: String) async throws -> Int {
        var total = 0
        try await inBatches(.expireVouchers, tenantID: tenantID, holder: holder) { connection in
            let expired = try await connection.scalar(
                """
                WITH due AS (
                    SELECT id FROM vouchers WHERE state IN ('unissued', 'issued') AND expires_at <= \(asOf)
                    ORDER BY expires_at, id LIMIT \(Self.batchSize) FOR UPDATE SKIP LOCKED
                ), done AS (
                    UPDATE vouchers v SET state = 'expired' FROM due WHERE v.id = due.id RETURNING 1
                )
                SELECT count(*)::int FROM done
                """,
                as: Int.self, logger: logger
            ) ?? 0
            total += expired
            return expired == Self.batchSize
        }
        return total
    }
}
