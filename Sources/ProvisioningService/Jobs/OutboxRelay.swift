import Foundation
import Logging
import Platform
import PostgresNIO
import ServiceLifecycle

/// Moves `platform.outbox` rows to the Redis job stream. Woken by `NOTIFY uplink_outbox` (every statement
/// that queues provisioning sends one), with a poll as fallback. A batch's rows are deleted in the same
/// transaction that selected them, after Redis accepted the jobs: if Redis is down the rows stay and are
/// moved when it returns; if this process dies between the two, the jobs are sent again (harmless: a job
/// converges to the state read at the time).
package struct OutboxRelay: Service {
    let database: Database
    let queue: JobQueue
    let settings: ProvisioningSettings
    let logger: Logger

    /// Also usable alone: `drain()` relays what is waiting now.
    package init(service: ProvisioningService) {
        self.database = service.database
        self.queue = JobQueue(redis: service.redis)
        self.settings = service.settings
        self.logger = service.logger
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            let (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await listen(wake) }
                group.addTask {
                    while !Task.isCancelled {
                        wake.yield()
                        try? await Task.sleep(for: .milliseconds(settings.pollMilliseconds))
                    }
                }
                for await _ in wakeups {
                    do {
                        _ = try await drain()
                    } catch is CancellationError {
                        break
                    } catch {
                        logger.warning("outbox relay failed; retrying", metadata: ["error": "\(error)"])
                        try? await Task.sleep(for: .milliseconds(min(settings.pollMilliseconds, 1000)))
                    }
                }
                group.cancelAll()
            }
        }
    }

    /// Relays until the outbox is empty; returns how many rows were moved.
    @discardableResult
    package func drain() async throws -> Int {
        var total = 0
        while !Task.isCancelled {
            let moved = try await relayBatch()
            total += moved
            if moved < settings.batchSize { break }
        }
        return total
    }

    /// One batch: rows locked (skipping rows another relay holds), one job per customer carrying the newest
    /// row's id, `XADD` in one round trip, then the rows deleted and each customer marked `pending`.
    func relayBatch() async throws -> Int {
        try await database.withPlatformTransaction { connection in
            let rows = try await connection.query(
                """
                SELECT id, tenant_id, customer_id FROM platform.outbox
                ORDER BY id LIMIT \(settings.batchSize) FOR UPDATE SKIP LOCKED
                """,
                logger: logger
            )
            var ids: [Int64] = []
            var newest: [CustomerKey: Int64] = [:]
            for try await (id, tenantID, customerID) in rows.decode((Int64, Int64, Int64).self) {
                ids.append(id)
                let key = CustomerKey(tenantID: tenantID, customerID: customerID)
                newest[key] = max(newest[key] ?? 0, id)
            }
            guard !ids.isEmpty else { return 0 }
            let jobs = newest.map { ProvisioningJob(tenantID: $0.key.tenantID, customerID: $0.key.customerID, version: $0.value) }
                .sorted { $0.version < $1.version }
            try await queue.add(jobs)
            try await connection.query(
                """
                WITH gone AS (DELETE FROM platform.outbox WHERE id = ANY(\(ids)::bigint[]))
                INSERT INTO platform.provisioning_state AS s (tenant_id, customer_id, state, requested_version, updated_at)
                SELECT j.tenant_id, j.customer_id, 'pending', j.version, now()
                FROM unnest(\(jobs.map(\.tenantID))::bigint[], \(jobs.map(\.customerID))::bigint[], \(jobs.map(\.version))::bigint[])
                    j(tenant_id, customer_id, version)
                ORDER BY 1, 2
                ON CONFLICT (tenant_id, customer_id) DO UPDATE SET
                    requested_version = greatest(s.requested_version, EXCLUDED.requested_version),
                    state = CASE WHEN s.applied_version >= greatest(s.requested_version, EXCLUDED.requested_version)
                                 THEN s.state ELSE 'pending' END,
                    updated_at = now()
                """,
                logger: logger
            )
            return ids.count
        }
    }

    /// Holds one connection listening on `uplink_outbox` and wakes the relay on every notification;
    /// reconnects after a failure.
    private func listen(_ wake: AsyncStream<Void>.Continuation) async {
        while !Task.isCancelled {
            do {
                try await database.client.withConnection { connection in
                    try await connection.listen(on: "uplink_outbox") { notifications in
                        wake.yield()
                        for try await _ in notifications { wake.yield() }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug("outbox listener lost its connection", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}

struct CustomerKey: Hashable, Sendable {
    var tenantID: Int64
    var customerID: Int64
}
