import Foundation
import Platform
import PostgresNIO

/// The scheduler's billing jobs.
package enum BillingJob: String, CaseIterable, Sendable {
    /// Prepaid customers whose validity ended become `expired` (reason `validity_ended`), queued for provisioning.
    case expireDaily = "expire-daily"
}

/// What one run of a job did, over every tenant.
package struct JobReport: Sendable, Codable {
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
            var created = 0
            var failures: [String] = []
            do {
                switch job {
                case .expireDaily: created = try await expireDaily(tenantID: tenantID, asOf: asOf, holder: holder)
                }
            } catch {
                failures.append("tenant \(tenantID): \((error as? any ServiceError)?.message ?? String(describing: type(of: error)))")
            }
            report.created += created
            report.failed += failures.count
            report.failures += failures
            try await finish(job, tenantID: tenantID, holder: holder, asOf: asOf, started: tenantStart, created: created, failures: failures)
        }
        let elapsed = ContinuousClock.now - started
        report.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return report
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

    /// Records the tenant's run and releases the lease.
    func finish(_ job: BillingJob, tenantID: Int64, holder: String, asOf: Date, started: Date, created: Int, failures: [String]) async throws {
        let failureJSON = String(decoding: try JSONEncoder().encode(failures), as: UTF8.self)
        try await database.withPlatformTransaction { connection in
            try await connection.query(
                """
                INSERT INTO platform.job_runs (job, tenant_id, as_of, holder, started_at, finished_at, created, failed, failures)
                VALUES (\(job.rawValue), \(tenantID), \(asOf), \(holder), \(started), now(), \(created), \(failures.count), \(failureJSON)::jsonb)
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
        while true {
            let expired = try await database.withTenantTransaction(TenantScope(tenantID: tenantID, operators: .all)) { connection in
                try await connection.scalar(
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
            }
            total += expired
            guard expired == Self.batchSize else { return total }
            guard try await takeLease(.expireDaily, tenantID: tenantID, holder: holder) else {
                throw PlatformError.conflict(code: "lease_lost", message: "another node took over the job")
            }
        }
    }
}
