import Platform

/// Counts failed sign-ins per username and per client address in fixed windows; past the limit, further
/// attempts are refused before any password is checked.
package struct LoginThrottle: Sendable {
    package let redis: RedisClient
    package let maxFailures: Int
    package let windowSeconds: Int

    package init(redis: RedisClient, maxFailures: Int, windowSeconds: Int) {
        self.redis = redis
        self.maxFailures = maxFailures
        self.windowSeconds = windowSeconds
    }

    /// Throws `tooManyRequests` (with the seconds until the window ends) when either counter is at the limit.
    package func check(username: String, clientIP: String) async throws {
        let keys = [usernameKey(username), addressKey(clientIP)]
        let replies = try await redis.pipeline(keys.flatMap { [["GET", $0], ["TTL", $0]] })
        var retryAfter = 0
        for index in stride(from: 0, to: replies.count, by: 2) {
            let failures = replies[index].integer ?? 0
            if failures >= Int64(maxFailures) {
                retryAfter = max(retryAfter, Int(replies[index + 1].integer ?? Int64(windowSeconds)))
            }
        }
        if retryAfter > 0 { throw PlatformError.tooManyRequests(retryAfterSeconds: retryAfter) }
    }

    package func recordFailure(username: String, clientIP: String) async throws {
        let window = String(windowSeconds)
        _ = try await redis.pipeline([usernameKey(username), addressKey(clientIP)].flatMap { key in
            [["INCR", key], ["EXPIRE", key, window, "NX"]]
        })
    }

    /// A successful sign-in clears the username's counter (not the address's: one address may try many names).
    package func reset(username: String) async throws {
        try await redis.send("DEL", usernameKey(username))
    }

    // Hashed so that any text a client sends makes a short, safe key.
    private func usernameKey(_ username: String) -> String {
        redis.key("thr:u:" + Secrets.sha256Hex(username.lowercased()))
    }

    private func addressKey(_ address: String) -> String {
        redis.key("thr:ip:" + Secrets.sha256Hex(address))
    }
}
