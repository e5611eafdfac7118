import ArgumentParser
import AuthService
import Foundation
import Hummingbird
import Logging
import Metrics
import NIOCore
import NIOPosix
import Platform
import Prometheus
import ProvisioningService
import ServiceLifecycle
import TenantRouter
import UnixSignals

@main
struct Uplink: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uplink",
        abstract: "Multi-tenant ISP billing and subscriber management.",
        subcommands: [Serve.self, Migrate.self, TenantCommand.self, UserCommand.self, Seed.self, Bench.self, LedgerCommand.self, JobsCommand.self, ProvisioningCommand.self]
    )

    static func main() async {
        // Swift concurrency runs on NIO's event loops, so awaiting Postgres, Redis or a socket does not hop
        // between two thread pools on every call. This runs on the main thread before any other task.
        if let loops = ProcessInfo.processInfo.environment["UPLINK_EVENT_LOOPS"].flatMap(Int.init), (1...256).contains(loops) {
            NIOSingletons.groupLoopCountSuggestion = loops
        }
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        await main(nil)
    }
}

/// Reads the configuration (listing every problem) and bootstraps logging once.
func loadApplication(label: String) throws -> UplinkApplication {
    let config: AppConfig
    do {
        config = try AppConfig.load()
    } catch let error as ConfigError {
        FileHandle.standardError.write(Data((error.description + "\n").utf8))
        throw ExitCode(2)
    }
    LoggingSetup.bootstrap(format: config.logFormat, level: config.logLevel)
    return try UplinkApplication(config: config, logger: Logger(label: label))
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the API and panel.")

    @Option(help: "Comma-separated roles to run: api, scheduler, worker (the provisioning outbox relay and queue worker).")
    var roles: String = "api,scheduler,worker"

    @Option(name: .customLong("scheduler-interval"), help: "Seconds between scheduler passes.")
    var schedulerInterval: Int = 60

    func run() async throws {
        let known: Set<String> = ["api", "scheduler", "worker"]
        let wanted = Set(roles.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        guard !wanted.isEmpty, wanted.isSubset(of: known) else { throw ValidationError("--roles: give one or more of api, scheduler, worker") }
        guard (1...86_400).contains(schedulerInterval) else { throw ValidationError("--scheduler-interval: 1 to 86400 seconds") }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let config = try AppConfig.load()
        LoggingSetup.bootstrap(format: config.logFormat, level: config.logLevel)
        let app = try UplinkApplication(config: config, logger: Logger(label: "uplink"), metrics: registry)
        app.logger.info("starting", metadata: ["roles": "\(wanted.sorted().joined(separator: ","))", "http": "\(config.http.host):\(config.http.port)"])
        var extra: [any Service] = wanted.contains("scheduler")
            ? [Scheduler(billing: app.billing, interval: .seconds(schedulerInterval), logger: Logger(label: "uplink.scheduler"))] : []
        var workerRedis: RedisClient?
        if wanted.contains("worker") {
            let (services, redis) = app.provisioningServices()
            extra += services
            workerRedis = redis
        }
        if wanted.contains("api") {
            try await app.buildApplication(extraServices: extra).runService()
        } else {
            let group = ServiceGroup(configuration: .init(
                services: [.init(service: app.database.client), .init(service: app.redis), .init(service: app.provisioning.routerPool)]
                    + extra.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint], logger: app.logger
            ))
            try await group.run()
        }
        await workerRedis?.shutdown()
        await app.shutdown()
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply database migrations (platform, radius, every tenant). Idempotent.")

    func run() async throws {
        let app = try loadApplication(label: "uplink.migrate")
        let report = try await app.migrate()
        print("migrations: \(report.appliedCount) applied across \(report.schemasChecked) schemas")
        await app.shutdown()
    }
}

struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tenant", abstract: "Manage reseller tenants.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a reseller tenant with its owner login.")
        @Option var name: String
        @Option var slug: String
        @Option var ownerUsername: String
        @Option var ownerPassword: String
        @Option var ownerEmail: String?

        func run() async throws {
            let app = try loadApplication(label: "uplink.tenant")
            let created = try await app.withRunningDatabase {
                try await app.auth.createReseller(
                    by: try await app.auth.systemAdminPrincipal(), name: name, slug: slug,
                    owner: NewLogin(username: ownerUsername, password: ownerPassword, email: ownerEmail)
                )
            }
            print("tenant \(created.id) (\(created.slug)) created; owner login \(created.owner.username)")
            await app.shutdown()
        }
    }
}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user", abstract: "Manage logins.", subcommands: [CreateAdmin.self])

    struct CreateAdmin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an admin login in the admin tenant.")
        @Option var username: String
        @Option var password: String
        @Option var email: String?

        func run() async throws {
            let app = try loadApplication(label: "uplink.user")
            let user = try await app.withRunningDatabase {
                try await app.auth.createAdmin(NewLogin(username: username, password: password, email: email))
            }
            print("admin \(user.username) created (user \(user.id))")
            await app.shutdown()
        }
    }
}
