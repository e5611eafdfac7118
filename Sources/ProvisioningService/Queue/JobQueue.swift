import Foundation
import Platform

/// One provisioning job: converge this customer. `version` is the newest outbox row it stands for,
/// `attempt` how many times it has failed before.
package struct ProvisioningJob: Sendable, Hashable {
    package var tenantID: Int64
    package var customerID: Int64
    package var version: Int64
    package var attempt: Int

    package init(tenantID: Int64, customerID: Int64, version: Int64, attempt: Int = 0) {
        self.tenantID = tenantID
        self.customerID = customerID
        self.version = version
        self.attempt = attempt
    }

    /// Stream entry fields.
    var fields: [String] { ["t", String(tenantID), "c", String(customerID), "v", String(version), "a", String(attempt)] }

    /// Sorted-set member of the retry schedule: the job itself.
    var member: String { "\(tenantID):\(customerID):\(version):\(attempt)" }

    init?(fields: [String: String]) {
        guard let tenant = fields["t"].flatMap(Int64.init), let customer = fields["c"].flatMap(Int64.init),
              let version = fields["v"].flatMap(Int64.init), tenant > 0, customer > 0
        else { return nil }
        self.init(tenantID: tenant, customerID: customer, version: version, attempt: fields["a"].flatMap(Int.init) ?? 0)
    }
}

/// A delivered stream entry: its id (for `XACK`) and the job, nil when the entry is malformed.
struct Delivery: Sendable {
    var id: String
    var job: ProvisioningJob?
}

/// The provisioning queue in Redis: a stream read by the consumer group `workers`, a sorted set of jobs
/// waiting for their retry time, and a dead-letter stream. Every key carries the hash tag `{prov}`, so the
/// retry mover's script touches keys of one Redis Cluster slot.
struct JobQueue: Sendable {
    let redis: RedisClient
    static let group = "workers"

    var stream: String { redis.key("{prov}:jobs") }
    var retries: String { redis.key("{prov}:retry") }
    var dead: String { redis.key("{prov}:dead") }

    /// Creates the consumer group (and the stream) unless it exists; reading from the start, so jobs added
    /// before the group existed are delivered too.
    func ensureGroup() async throws {
        do {
            try await redis.send("XGROUP", "CREATE", stream, Self.group, "0", "MKSTREAM")
        } catch RedisError.command(let message) where message.hasPrefix("BUSYGROUP") {
            return
        }
    }

    /// Appends jobs in one round trip; throws unless Redis accepted every one.
    func add(_ jobs: [ProvisioningJob]) async throws {
        guard !jobs.isEmpty else { return }
        let replies = try await redis.pipeline(jobs.map { ["XADD", stream, "*"] + $0.fields })
        if let failure = replies.first(where: { if case .error = $0 { true } else { false } }), case .error(let message) = failure {
            throw RedisError.command(message)
        }
    }

    /// New entries for `consumer`, waiting up to `blockMilliseconds` for the first.
    func read(consumer: String, count: Int, blockMilliseconds: Int) async throws -> [Delivery] {
        let reply = try await redis.send(
            "XREADGROUP", "GROUP", Self.group, consumer, "COUNT", String(count), "BLOCK", String(blockMilliseconds),
            "STREAMS", stream, ">"
        )
        guard let streams = reply.array, let first = streams.first?.array, first.count == 2, let entries = first[1].array else { return [] }
        return entries.compactMap(Self.delivery)
    }

    /// Takes over entries another consumer was given but has not acknowledged for `idleMilliseconds`
    /// (its process died mid-job).
    func claimStale(consumer: String, idleMilliseconds: Int, count: Int) async throws -> [Delivery] {
        let reply = try await redis.send(
            "XAUTOCLAIM", stream, Self.group, consumer, String(idleMilliseconds), "0-0", "COUNT", String(count)
        )
        guard let parts = reply.array, parts.count >= 2, let entries = parts[1].array else { return [] }
        return entries.compactMap(Self.delivery)
    }

    func ack(_ ids: [String]) async throws {
        guard !ids.isEmpty else { return }
        try await redis.send(["XACK", stream, Self.group] + ids)
    }

    /// Schedules `job` to be queued again at `due`.
    func scheduleRetry(_ job: ProvisioningJob, at due: Date) async throws {
        try await redis.send("ZADD", retries, String(Int64(due.timeIntervalSince1970 * 1000)), job.member)
    }

    /// Moves retries whose time has come back into the stream, atomically (a script), at most `limit`.
    @discardableResult
    func moveDueRetries(now: Date, limit: Int = 500) async throws -> Int {
        let script = """
            local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
            for _, member in ipairs(due) do
                local t, c, v, a = string.match(member, '^(%d+):(%d+):(%d+):(%d+)$')
                if t then redis.call('XADD', KEYS[2], '*', 't', t, 'c', c, 'v', v, 'a', a) end
                redis.call('ZREM', KEYS[1], member)
            end
            return #due
            """
        let reply = try await redis.send("EVAL", script, "2", retries, stream, String(Int64(now.timeIntervalSince1970 * 1000)), String(limit))
        return Int(reply.integer ?? 0)
    }

    /// Parks a job that used up its attempts, with the reason, for an operator to look at.
    func deadLetter(_ job: ProvisioningJob, reason: String) async throws {
        try await redis.send(["XADD", dead, "MAXLEN", "~", "100000", "*"] + job.fields + ["error", String(reason.prefix(500))])
    }

    /// Drops entries every consumer is done with: older than the oldest unacknowledged one and than the
    /// group's read position.
    func trim() async throws {
        let pending = try await redis.send("XPENDING", stream, Self.group)
        let groups = try await redis.send("XINFO", "GROUPS", stream)
        var floor: String?
        if let parts = pending.array, parts.count >= 2, let oldest = parts[1].string { floor = oldest }
        if floor == nil, let first = groups.array?.first?.array {
            var index = 0
            while index + 1 < first.count {
                if first[index].string == "last-delivered-id" { floor = first[index + 1].string }
                index += 2
            }
        }
        guard let floor, floor != "0-0" else { return }
        try await redis.send("XTRIM", stream, "MINID", "~", floor)
    }

    /// Entries waiting in the stream plus jobs waiting for a retry (for metrics and tests).
    func depth() async throws -> (pending: Int, lag: Int, retries: Int) {
        let replies = try await redis.pipeline([["XPENDING", stream, Self.group], ["ZCARD", retries], ["XINFO", "GROUPS", stream]])
        let pending = Int(replies[0].array?.first?.integer ?? 0)
        var lag = 0
        if let first = replies[2].array?.first?.array {
            var index = 0
            while index + 1 < first.count {
                if first[index].string == "lag" { lag = Int(first[index + 1].integer ?? 0) }
                index += 2
            }
        }
        return (pending, lag, Int(replies[1].integer ?? 0))
    }

    private static func delivery(_ entry: RedisReply) -> Delivery? {
        guard let parts = entry.array, parts.count == 2, let id = parts[0].string else { return nil }
        var fields: [String: String] = [:]
        if let values = parts[1].array {
            var index = 0
            while index + 1 < values.count {
                if let key = values[index].string { fields[key] = values[index + 1].string }
                index += 2
            }
        }
        return Delivery(id: id, job: ProvisioningJob(fields: fields))
    }
}
