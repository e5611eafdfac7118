import Foundation
import Logging

/// The whole configuration, read once at start-up from `UPLINK_*` environment variables.
/// Every problem is collected and reported together, so an operator fixes them in one go.
package struct AppConfig: Sendable {
    package var database: DatabaseConfig
    package var redis: RedisConfig
    package var http: HTTPConfig
    package var auth: AuthConfig
    package var logLevel: Logger.Level
    package var logFormat: LogFormat
    /// Where the numbered SQL migration folders live.
    package var migrationsDirectory: String
    /// The 256-bit key that encrypts recoverable secrets at rest (customers' PPPoE passwords).
    package var dataKey: DataKey
    /// MAC bindings a customer may have.
    package var maxDevicesPerCustomer: Int = 4
    /// How customers' network state reaches FreeRADIUS and the routers.
    package var provisioning = ProvisioningSettings()

    package enum LogFormat: String, Sendable { case json, text }

    package init(
        database: DatabaseConfig, redis: RedisConfig, http: HTTPConfig, auth: AuthConfig,
        logLevel: Logger.Level, logFormat: LogFormat, migrationsDirectory: String, dataKey: DataKey
    ) {
        self.database = database
        self.redis = redis
        self.http = http
        self.auth = auth
        self.logLevel = logLevel
        self.logFormat = logFormat
        self.migrationsDirectory = migrationsDirectory
        self.dataKey = dataKey
    }

    /// Reads the configuration from `environment`; throws `ConfigError` listing every problem found.
    package static func load(from environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AppConfig {
        var reader = EnvironmentReader(environment)
        let databaseURL = reader.string("UPLINK_DATABASE_URL", default: "postgres://uplink:uplink@127.0.0.1:55432/uplink")
        let database = reader.parse("UPLINK_DATABASE_URL", databaseURL) { try DatabaseConfig(url: $0) }
        let poolSize = reader.int("UPLINK_DATABASE_POOL_SIZE", default: 20, range: 1...500)
        let readConnections = reader.int("UPLINK_DATABASE_READ_CONNECTIONS", default: 4, range: 1...64)
        let redisURL = reader.string("UPLINK_REDIS_URL", default: "redis://127.0.0.1:56379")
        let redis = reader.parse("UPLINK_REDIS_URL", redisURL) { try RedisConfig(url: $0) }
        let redisPool = reader.int("UPLINK_REDIS_POOL_SIZE", default: 4, range: 1...256)
        let redisPrefix = reader.string("UPLINK_REDIS_PREFIX", default: "")
        let host = reader.string("UPLINK_HTTP_HOST", default: "127.0.0.1")
        let port = reader.int("UPLINK_HTTP_PORT", default: 8080, range: 1...65535)
        let sessionTTL = reader.int("UPLINK_SESSION_TTL_SECONDS", default: 8 * 3600, range: 60...(90 * 86400))
        let maxFailures = reader.int("UPLINK_LOGIN_MAX_FAILURES", default: 10, range: 1...1000)
        let window = reader.int("UPLINK_LOGIN_WINDOW_SECONDS", default: 900, range: 10...86400)
        let argonMemory = reader.int("UPLINK_ARGON2_MEMORY_KIB", default: 19 * 1024, range: 8...(4 * 1024 * 1024))
        let argonIterations = reader.int("UPLINK_ARGON2_ITERATIONS", default: 2, range: 1...100)
        let argonThreads = reader.int("UPLINK_ARGON2_THREADS", default: 2, range: 1...64)
        let levelText = reader.string("UPLINK_LOG_LEVEL", default: "info")
        let level = reader.parse("UPLINK_LOG_LEVEL", levelText) { text in
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                throw ConfigProblem("must be one of trace, debug, info, notice, warning, error, critical")
            }
            return level
        }
        let formatText = reader.string("UPLINK_LOG_FORMAT", default: "json")
        let format = reader.parse("UPLINK_LOG_FORMAT", formatText) { text in
            guard let format = LogFormat(rawValue: text) else { throw ConfigProblem("must be json or text") }
            return format
        }
        let migrations = reader.string("UPLINK_MIGRATIONS_DIR", default: Self.defaultMigrationsDirectory())
        // Applied by the executable before anything else starts; checked here so a bad value is reported.
        _ = reader.int("UPLINK_EVENT_LOOPS", default: 1, range: 1...256)

        let dataKey = Self.readDataKey(&reader)
        let maxDevices = reader.int("UPLINK_MAX_DEVICES_PER_CUSTOMER", default: 4, range: 1...64)
        var provisioning = ProvisioningSettings()
        provisioning.simultaneousUse = reader.int("UPLINK_RADIUS_SIMULTANEOUS_USE", default: 1, range: 1...64)
        provisioning.interimIntervalSeconds = reader.int("UPLINK_RADIUS_INTERIM_SECONDS", default: 300, range: 60...3600)
        provisioning.suspendedRateLimit = reader.string("UPLINK_SUSPENDED_RATE_LIMIT", default: "256k/256k")
        provisioning.suspendedPool = reader.string("UPLINK_SUSPENDED_POOL", default: "uplink-suspended")
        provisioning.maxAttempts = reader.int("UPLINK_PROVISIONING_MAX_ATTEMPTS", default: 8, range: 1...100)
        provisioning.retryBaseMilliseconds = reader.int("UPLINK_PROVISIONING_RETRY_BASE_MS", default: 1000, range: 10...600_000)
        provisioning.retryMaxMilliseconds = reader.int("UPLINK_PROVISIONING_RETRY_MAX_MS", default: 300_000, range: 10...86_400_000)
        provisioning.claimIdleMilliseconds = reader.int("UPLINK_PROVISIONING_CLAIM_IDLE_MS", default: 30_000, range: 100...3_600_000)
        provisioning.batchSize = reader.int("UPLINK_PROVISIONING_BATCH", default: 500, range: 1...10_000)
        provisioning.pollMilliseconds = reader.int("UPLINK_OUTBOX_POLL_MS", default: 1000, range: 10...60_000)
        provisioning.reconcileIntervalSeconds = reader.int("UPLINK_RECONCILE_INTERVAL_SECONDS", default: 3600, range: 0...604_800)
        provisioning.radiusServerAddress = reader.string("UPLINK_RADIUS_SERVER_ADDRESS", default: "127.0.0.1")
        provisioning.radiusAuthPort = reader.int("UPLINK_RADIUS_AUTH_PORT", default: 51812, range: 1...65535)
        provisioning.radiusAcctPort = reader.int("UPLINK_RADIUS_ACCT_PORT", default: 51813, range: 1...65535)
        provisioning.accountingPollMilliseconds = reader.int("UPLINK_ACCOUNTING_POLL_MS", default: 5000, range: 0...600_000)
        provisioning.staleGraceSeconds = reader.int("UPLINK_STALE_GRACE_SECONDS", default: 60, range: 0...86_400)
        provisioning.onlineRebuildSeconds = reader.int("UPLINK_ONLINE_REBUILD_SECONDS", default: 300, range: 1...86_400)
        provisioning.accountingRetentionDays = reader.int("UPLINK_ACCOUNTING_RETENTION_DAYS", default: 365, range: 0...36_500)

        guard reader.problems.isEmpty, var database, var redis, let level, let format, let dataKey else {
            throw ConfigError(problems: reader.problems)
        }
        database.poolSize = poolSize
        database.readConnections = readConnections
        redis.poolSize = redisPool
        redis.keyPrefix = redisPrefix
        var config = AppConfig(
            database: database,
            redis: redis,
            http: HTTPConfig(host: host, port: port),
            auth: AuthConfig(
                sessionTTLSeconds: sessionTTL,
                maxFailedLogins: maxFailures,
                failedLoginWindowSeconds: window,
                argon2: .init(memoryKiB: argonMemory, iterations: argonIterations, threads: argonThreads)
            ),
            logLevel: level,
            logFormat: format,
            migrationsDirectory: migrations,
            dataKey: dataKey
        )
        config.maxDevicesPerCustomer = maxDevices
        config.provisioning = provisioning
        return config
    }

    /// `UPLINK_DATA_KEY` (base64 of 32 bytes) or `UPLINK_DATA_KEY_FILE` (a file holding that text).
    /// There is no default: a key built into the code would protect nothing.
    private static func readDataKey(_ reader: inout EnvironmentReader) -> DataKey? {
        var name = "UPLINK_DATA_KEY"
        var text = reader.string(name, default: "")
        if text.isEmpty {
            name = "UPLINK_DATA_KEY_FILE"
            let path = reader.string(name, default: "")
            guard !path.isEmpty else {
                reader.problems.append("UPLINK_DATA_KEY or UPLINK_DATA_KEY_FILE is required (make one with: openssl rand -base64 32)")
                return nil
            }
            guard let contents = FileManager.default.contents(atPath: path) else {
                reader.problems.append("UPLINK_DATA_KEY_FILE=\(path): cannot be read")
                return nil
            }
            text = String(decoding: contents, as: UTF8.self)
        }
        return reader.parse(name, text) { try DataKey(base64: $0) }
    }

    /// `./migrations` when run from the checkout (make run, swift test); otherwise next to the sources.
    package static func defaultMigrationsDirectory() -> String {
        let cwd = FileManager.default.currentDirectoryPath + "/migrations"
        if FileManager.default.fileExists(atPath: cwd + "/platform") { return cwd }
        let source = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return source.appendingPathComponent("migrations").path
    }
}

package struct HTTPConfig: Sendable {
    package var host: String
    package var port: Int
    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
}

package struct AuthConfig: Sendable {
    package var sessionTTLSeconds: Int
    package var maxFailedLogins: Int
    package var failedLoginWindowSeconds: Int
    package var argon2: Argon2Parameters

    package init(sessionTTLSeconds: Int, maxFailedLogins: Int, failedLoginWindowSeconds: Int, argon2: Argon2Parameters) {
        self.sessionTTLSeconds = sessionTTLSeconds
        self.maxFailedLogins = maxFailedLogins
        self.failedLoginWindowSeconds = failedLoginWindowSeconds
        self.argon2 = argon2
    }

    /// Argon2id cost. The default is OWASP's minimum (m=19 MiB, t=2, p=1); `threads` is the size of the
    /// dedicated hashing pool, so at most that many hashes run at once.
    package struct Argon2Parameters: Sendable {
        package var memoryKiB: Int
        package var iterations: Int
        package var threads: Int
        package init(memoryKiB: Int, iterations: Int, threads: Int) {
            self.memoryKiB = memoryKiB
            self.iterations = iterations
            self.threads = threads
        }
    }
}

package struct DatabaseConfig: Sendable {
    package var host: String
    package var port: Int
    package var username: String
    package var password: String?
    package var database: String
    package var poolSize: Int = 20
    /// Connections of the pipelined read path (hot tenant-scoped reads, many requests in flight on each).
    package var readConnections: Int = 4
    /// A Unix-socket directory (libpq's `?host=/dir`): cheaper than TCP when Postgres runs on the same machine.
    package var socketDirectory: String?

    /// `<dir>/.s.PGSQL.<port>` when a socket directory is set.
    package var socketPath: String? {
        socketDirectory.map { "\($0)/.s.PGSQL.\(port)" }
    }

    package init(host: String, port: Int, username: String, password: String?, database: String) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// `postgres://user:password@host:port/database[?host=/socket/dir]`
    package init(url: String) throws {
        guard let components = URLComponents(string: url),
              components.scheme == "postgres" || components.scheme == "postgresql",
              let host = components.host, !host.isEmpty
        else { throw ConfigProblem("must look like postgres://user:password@host:port/database") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw ConfigProblem("names no database") }
        guard let user = components.user, !user.isEmpty else { throw ConfigProblem("names no user") }
        self.init(
            host: host, port: components.port ?? 5432, username: user,
            password: components.password, database: database
        )
        if let directory = components.queryItems?.first(where: { $0.name == "host" })?.value {
            guard directory.hasPrefix("/") else { throw ConfigProblem("?host= must be an absolute socket directory") }
            socketDirectory = directory
        }
    }
}

/// Provisioning: what the RADIUS rows say and how the job queue retries.
package struct ProvisioningSettings: Sendable {
    /// `Simultaneous-Use` for every subscriber: sessions one login may hold at once.
    package var simultaneousUse = 1
    /// `Acct-Interim-Interval` handed to the NAS, in seconds.
    package var interimIntervalSeconds = 300
    /// `Mikrotik-Rate-Limit` of a suspended subscriber (walled garden).
    package var suspendedRateLimit = "256k/256k"
    /// Address pool of a suspended subscriber when the package names none.
    package var suspendedPool = "uplink-suspended"
    /// Attempts before a job goes to the dead-letter stream and the customer shows `failed`.
    package var maxAttempts = 8
    /// First retry delay; doubles per attempt (with jitter) up to `retryMaxMilliseconds`.
    package var retryBaseMilliseconds = 1000
    package var retryMaxMilliseconds = 300_000
    /// A job delivered to a worker that has not acknowledged it for this long is taken over by another.
    package var claimIdleMilliseconds = 30_000
    /// Jobs a worker takes from the stream at once (and outbox rows the relay moves at once).
    package var batchSize = 500
    /// The outbox relay's polling fallback, for a missed notification.
    package var pollMilliseconds = 1000
    /// How often the worker role reconciles every customer's RADIUS rows; 0 turns the timer off.
    package var reconcileIntervalSeconds = 3600
    /// Where the routers reach FreeRADIUS: what a configuration push writes into each router's `/radius`.
    package var radiusServerAddress = "127.0.0.1"
    package var radiusAuthPort = 51812
    package var radiusAcctPort = 51813
    /// How often the accounting poller refreshes the online view; 0 turns it off.
    package var accountingPollMilliseconds = 5000
    /// A session is stale after twice its NAS's interim interval plus this.
    package var staleGraceSeconds = 60
    /// The online view is rebuilt from every open session this often (and whenever it is missing).
    package var onlineRebuildSeconds = 300
    /// Closed sessions (`radacct`) and authentications (`radpostauth`) older than this many days are pruned
    /// by the accounting poller, hourly, in batches; 0 keeps them forever.
    package var accountingRetentionDays = 365

    package init() {}
}

package struct RedisConfig: Sendable {
    package var host: String
    package var port: Int
    package var password: String?
    package var database: Int
    package var poolSize: Int = 4
    /// Prefixed to every key, so several deployments (or test runs) can share one Redis.
    package var keyPrefix: String = ""
    package var timeoutMilliseconds: Int = 2000

    package init(host: String, port: Int, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.password = password
        self.database = database
    }

    /// `redis://[:password@]host:port[/db]`
    package init(url: String) throws {
        guard let components = URLComponents(string: url), components.scheme == "redis",
              let host = components.host, !host.isEmpty
        else { throw ConfigProblem("must look like redis://host:port[/db]") }
        let path = components.path.drop(while: { $0 == "/" })
        var database = 0
        if !path.isEmpty {
            guard let index = Int(path), (0...15).contains(index) else { throw ConfigProblem("database must be 0-15") }
            database = index
        }
        self.init(host: host, port: components.port ?? 6379, password: components.password, database: database)
    }
}

package struct ConfigProblem: Error {
    package var reason: String
    package init(_ reason: String) { self.reason = reason }
}

package struct ConfigError: Error, CustomStringConvertible {
    package var problems: [String]
    package var description: String {
        "configuration has \(problems.count) problem(s):\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}

/// Collects problems instead of stopping at the first.
struct EnvironmentReader {
    let environment: [String: String]
    var problems: [String] = []

    init(_ environment: [String: String]) { self.environment = environment }

    func string(_ name: String, default fallback: String) -> String {
        guard let value = environment[name], !value.isEmpty else { return fallback }
        return value
    }

    mutating func int(_ name: String, default fallback: Int, range: ClosedRange<Int>) -> Int {
        guard let text = environment[name], !text.isEmpty else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            problems.append("\(name)=\(text): must be an integer in \(range.lowerBound)...\(range.upperBound)")
            return fallback
        }
        return value
    }

    mutating func parse<T>(_ name: String, _ text: String, _ parse: (String) throws -> T) -> T? {
        do {
            return try parse(text)
        } catch let problem as ConfigProblem {
            problems.append("\(name): \(problem.reason)")
        } catch {
            problems.append("\(name): invalid")
        }
        return nil
    }
}
