import AuthService
import BillingService
import CustomerService
import Foundation
import Hummingbird
import Logging
import Platform
import PostgresNIO
import Prometheus
import ProvisioningService
import ServiceLifecycle
import WebPanel

/// The composition root: builds every service from the configuration and assembles the HTTP router.
package struct UplinkApplication: Sendable {
    package let config: AppConfig
    package let database: Database
    package let redis: RedisClient
    package let hasher: PasswordHasher
    package let auth: AuthService
    package let customers: CustomerService
    package let billing: BillingService
    package let provisioning: ProvisioningService
    package let panel: WebPanel
    package let migrator: Migrator
    package let metrics: PrometheusCollectorRegistry
    package let logger: Logger

    package init(
        config: AppConfig, logger: Logger, clock: any WallClock = SystemWallClock(),
        metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
    ) throws {
        self.config = config
        self.logger = logger
        self.metrics = metrics
        self.database = Database(config: config.database, logger: logger)
        self.redis = RedisClient(config: config.redis, logger: logger)
        self.hasher = PasswordHasher(parameters: config.auth.argon2)
        let catalog = try MigrationCatalog.load(from: config.migrationsDirectory)
        self.migrator = Migrator(database: database, catalog: catalog, logger: logger)
        self.auth = AuthService(
            database: database, redis: redis, hasher: hasher, config: config.auth,
            tenants: TenantDirectory(migrator: migrator), clock: clock, logger: logger
        )
        self.provisioning = ProvisioningService(
            database: database, redis: redis, dataKey: config.dataKey, settings: config.provisioning, clock: clock, logger: logger
        )
        self.customers = CustomerService(
            database: database, dataKey: config.dataKey, clock: clock, maxDevicesPerCustomer: config.maxDevicesPerCustomer,
            presence: provisioning, logger: logger
        )
        self.billing = BillingService(database: database, dataKey: config.dataKey, clock: clock, logger: logger)
        self.panel = try WebPanel(
            auth: auth, customers: customers, billing: billing, provisioning: provisioning, dataKey: config.dataKey, logger: logger
        )
    }

    /// The provisioning worker role: the outbox relay, one queue worker and the reconcile timer, the worker on a Redis client of
    /// its own (its blocking reads hold their connection). `workerRedis` is shut down by the caller.
    package func provisioningServices() -> (services: [any Service], workerRedis: RedisClient) {
        var redisConfig = config.redis
        redisConfig.poolSize = 1
        redisConfig.timeoutMilliseconds = max(config.redis.timeoutMilliseconds, 1000) + 2000
        let workerRedis = RedisClient(config: redisConfig, logger: logger)
        let worker = ProvisioningWorker(service: provisioning, redis: workerRedis, blockMilliseconds: 1000)
        let holder = "\(ProcessInfo.processInfo.hostName):\(getpid())"
        return ([OutboxRelay(service: provisioning), worker, Reconciler(service: provisioning, holder: holder), AccountingPoller(service: provisioning),
                 ImportResumer(service: customers, holder: holder)],
                workerRedis)
    }

    /// Every route of every service, behind request logging, error mapping, metrics and authentication.
    package func buildRouter() -> Router<AppRequestContext> {
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: MetricsMiddleware())
        SystemRoutes(database: database, redis: redis, metrics: metrics).register(on: router)
        router.get("api/v1/openapi.json") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.json))
            )
        }
        let api = router.group("api/v1").add(middleware: AuthenticationMiddleware(auth: auth))
        AuthRoutes(auth: auth).register(on: api)
        CustomerRoutes(customers: customers).register(on: api)
        CatalogRoutes(billing: billing).register(on: api)
        MoneyRoutes(billing: billing).register(on: api)
        ProvisioningRoutes(provisioning: provisioning).register(on: api)
        RouterRoutes(provisioning: provisioning).register(on: api)
        OnlineRoutes(provisioning: provisioning).register(on: api)
        panel.register(on: router)
        return router
    }

    /// The HTTP application with the Postgres pool, the Redis pool and the routers' API connections as lifecycle services.
    /// `extraServices`: further roles run in the same process (the scheduler).
    package func buildApplication(extraServices: [any Service] = []) -> some ApplicationProtocol {
        Application(
            router: buildRouter(),
            configuration: .init(address: .hostname(config.http.host, port: config.http.port), serverName: "uplink"),
            services: [database.client, redis, provisioning.routerPool] + extraServices,
            logger: logger
        )
    }

    /// Runs the migrations (platform, radius, every tenant) with a temporary pool.
    package func migrate() async throws -> MigrationReport {
        try await withRunningDatabase { try await migrator.migrateAll() }
    }

    /// Runs `body` while the Postgres pool is running (for CLI commands that are not the server).
    package func withRunningDatabase<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            // The pool warns when leased before `run()`; start it, and wait until its task is about to run it.
            let (started, signal) = AsyncStream<Void>.makeStream()
            group.addTask {
                signal.finish()
                await database.client.run()
            }
            for await _ in started {}
            defer { group.cancelAll() }
            return try await body()
        }
    }

    package func shutdown() async {
        await database.shutdown()
        await provisioning.shutdown()
        await redis.shutdown()
        await hasher.shutdown()
    }
}
