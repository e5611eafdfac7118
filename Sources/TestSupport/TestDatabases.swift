import Foundation
import Logging
import NIOPosix
import Platform
import PostgresNIO
import TenantRouter

/// Fresh databases for tests: the migrations run once per test process into a template database, then
/// every test gets its own copy (`CREATE DATABASE … TEMPLATE`), so tests run in parallel and share nothing.
package actor TestDatabases {
    package static let shared = TestDatabases()

    /// Made once; callers that arrive while it is being made wait for the same task (actors re-enter at awaits).
    private var template: Task<String, any Error>?
    private var counter = 0
    private let logger = Logger(label: "uplink.test")

    /// The configuration tests run with: the test services from `make test`, cheap Argon2 (the real
    /// parameters have their own test), quiet logs.
    package static func baseConfig() throws -> AppConfig {
        var environment = ProcessInfo.processInfo.environment
        environment["UPLINK_DATABASE_URL"] = environment["UPLINK_DATABASE_URL"] ?? "postgres://uplink:uplink@127.0.0.1:55433/uplink"
        environment["UPLINK_REDIS_URL"] = environment["UPLINK_REDIS_URL"] ?? "redis://127.0.0.1:56380"
        environment["UPLINK_ARGON2_MEMORY_KIB"] = "1024"
        if environment["UPLINK_DATA_KEY"] == nil, environment["UPLINK_DATA_KEY_FILE"] == nil {
            environment["UPLINK_DATA_KEY"] = "dGVzdC1vbmx5LWRhdGEta2V5LW5vdC1mb3ItdXNlISE="
        }
        environment["UPLINK_ARGON2_ITERATIONS"] = "1"
        environment["UPLINK_DATABASE_POOL_SIZE"] = "4"
        environment["UPLINK_REDIS_POOL_SIZE"] = "4"
        return try AppConfig.load(from: environment)
    }

    /// Creates a new database copied from the migrated template and returns its name.
    package func makeDatabase() async throws -> String {
        let base = try Self.baseConfig()
        let template = try await templateName(base)
        counter += 1
        let name = "uplink_test_\(getpid())_\(counter)"
        try await Self.admin(base.database, ["CREATE DATABASE \(name) TEMPLATE \(template)"])
        return name
    }

    package func dropDatabase(_ name: String) async {
        guard let base = try? Self.baseConfig() else { return }
        try? await Self.admin(base.database, ["DROP DATABASE IF EXISTS \(name) WITH (FORCE)"])
    }

    private func templateName(_ base: AppConfig) async throws -> String {
        if let template { return try await template.value }
        let task = Task { try await Self.makeTemplate(base) }
        template = task
        return try await task.value
    }

    private static func makeTemplate(_ base: AppConfig) async throws -> String {
        let logger = Logger(label: "uplink.test")
        let name = "uplink_template_\(getpid())"
        try await Self.admin(base.database, ["DROP DATABASE IF EXISTS \(name) WITH (FORCE)", "CREATE DATABASE \(name)"])
        var config = base
        config.database.database = name
        let app = try UplinkApplication(config: config, logger: logger)
        _ = try await app.migrate()
        await app.shutdown()
        return name
    }

    /// Runs statements (names made by this type, never input) on one connection to the maintenance database.
    static func admin(_ config: DatabaseConfig, _ statements: [String]) async throws {
        let logger = Logger(label: "uplink.test")
        let configuration = PostgresConnection.Configuration(
            host: config.host, port: config.port, username: config.username,
            password: config.password, database: config.database, tls: .disable
        )
        let connection = try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: 1, logger: Logger(label: "uplink.test")
        )
        do {
            for statement in statements {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        } catch {
            try? await connection.close()
            throw TestFailure("test database set-up failed: \(String(reflecting: error))")
        }
        try await connection.close()
    }
}
