import Foundation
import Logging
import Platform
import ServiceLifecycle

/// Takes jobs from the stream (consumer group `workers`) and converges each customer, a tenant's jobs of a
/// batch in one transaction. Acknowledges a job once it is done, or once its failure is recorded and its
/// retry scheduled (exponential backoff with jitter; after the last attempt, the dead-letter stream and
/// state `failed`). Entries a dead worker left unacknowledged are taken over after the claim idle time.
package struct ProvisioningWorker: Service {
    let service: ProvisioningService
    let queue: JobQueue
    let consumer: String
    /// How long one `XREADGROUP` waits for work.
    let blockMilliseconds: Int

    /// `redis`: a client of its own (one connection), since `XREADGROUP … BLOCK` holds its connection.
    package init(service: ProvisioningService, redis: RedisClient, consumer: String? = nil, blockMilliseconds: Int = 1000) {
        self.service = service
        self.queue = JobQueue(redis: redis)
        self.consumer = consumer ?? "worker-\(ProcessInfo.processInfo.hostName)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        self.blockMilliseconds = blockMilliseconds
    }

    var settings: ProvisioningSettings { service.settings }
    var logger: Logger { service.logger }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await maintain() }
                await consume()
                group.cancelAll()
            }
        }
    }

    /// Reads and processes batches until cancelled; waits and tries again while Redis is away.
    private func consume() async {
        var groupReady = false
        while !Task.isCancelled {
            do {
                if !groupReady {
                    try await queue.ensureGroup()
                    groupReady = true
                }
                let deliveries = try await queue.read(consumer: consumer, count: settings.batchSize, blockMilliseconds: blockMilliseconds)
                if !deliveries.isEmpty { try await process(deliveries) }
            } catch is CancellationError {
                return
            } catch {
                // The group vanishes with a Redis that lost its data: make it again.
                if case RedisError.command(let message) = error, message.hasPrefix("NOGROUP") { groupReady = false }
                logger.warning("provisioning worker cannot read jobs; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Every half second: due retries back into the stream; every two seconds: entries a dead worker left
    /// unacknowledged are claimed; every ten: the stream is trimmed.
    private func maintain() async {
        var tick = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(500))
            tick += 1
            do {
                try await queue.moveDueRetries(now: Date())
                if tick % 4 == 0 {
                    let stale = try await queue.claimStale(consumer: consumer, idleMilliseconds: settings.claimIdleMilliseconds, count: settings.batchSize)
                    if !stale.isEmpty {
                        logger.info("claimed unacknowledged jobs", metadata: ["count": "\(stale.count)"])
                        try await process(stale)
                    }
                }
                if tick % 20 == 0 { try await queue.trim() }
            } catch {
                logger.debug("provisioning maintenance failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Converges a batch: per tenant one transaction; when it fails, each customer alone, so one bad customer
    /// does not hold back the others. Acknowledges every entry at the end.
    func process(_ deliveries: [Delivery]) async throws {
        var byTenant: [Int64: [Int64: ProvisioningJob]] = [:]
        for delivery in deliveries {
            guard let job = delivery.job else { continue }
            // One job per customer: the newest version, and of equal versions the most attempted.
            if let existing = byTenant[job.tenantID]?[job.customerID],
               (existing.version, existing.attempt) >= (job.version, job.attempt) { continue }
            byTenant[job.tenantID, default: [:]][job.customerID] = job
        }
        for (tenantID, jobs) in byTenant.sorted(by: { $0.key < $1.key }) {
            do {
                try await service.converge(tenantID: tenantID, versions: jobs.mapValues(\.version))
            } catch {
                for job in jobs.values.sorted(by: { $0.customerID < $1.customerID }) {
                    // Stopping is not a failure: the entries stay unacknowledged and are claimed again.
                    try Task.checkCancellation()
                    do {
                        try await service.converge(tenantID: tenantID, versions: [job.customerID: job.version])
                    } catch {
                        try Task.checkCancellation()
                        await fail(job, error)
                    }
                }
            }
        }
        try await queue.ack(deliveries.map(\.id))
    }

    /// Records the failure and schedules the next attempt, or dead-letters the job after the last one.
    private func fail(_ job: ProvisioningJob, _ error: any Error) async {
        let attempt = job.attempt + 1
        let reason = ProvisioningService.describe(error)
        let exhausted = attempt >= settings.maxAttempts
        // Queue timing runs on the real clock, not the business clock (which tests hold still).
        let due = exhausted ? nil : Date().addingTimeInterval(Double(backoffMilliseconds(attempt: attempt)) / 1000)
        logger.warning("provisioning failed", metadata: [
            "tenant.id": "\(job.tenantID)", "customer.id": "\(job.customerID)", "attempt": "\(attempt)", "error": "\(reason)",
        ])
        do {
            try await service.store.recordFailure(
                tenantID: job.tenantID, customerID: job.customerID, version: job.version, attempt: attempt,
                failed: exhausted, nextAttempt: due, reason: reason
            )
        } catch {
            logger.warning("cannot record provisioning failure", metadata: ["error": "\(error)"])
        }
        do {
            var next = job
            next.attempt = attempt
            if let due {
                try await queue.scheduleRetry(next, at: due)
            } else {
                try await queue.deadLetter(next, reason: reason)
            }
        } catch {
            logger.warning("cannot schedule provisioning retry", metadata: ["error": "\(error)"])
        }
    }

    /// `base × 2^(attempt-1)`, capped, with "equal jitter": between half and all of it.
    func backoffMilliseconds(attempt: Int) -> Int {
        let exponent = min(attempt - 1, 30)
        let full = min(settings.retryMaxMilliseconds, settings.retryBaseMilliseconds << exponent)
        return full / 2 + Int.random(in: 0...max(0, full / 2))
    }
}
