import Foundation
import Logging
import Platform
import PostgresNIO

/// Customers' network state in FreeRADIUS (and, as they arrive, on the routers): the outbox relay, the job
/// queue and its workers, convergence of a customer's `radius` rows, per-customer provisioning state,
/// reprovisioning and the failure list; and the routers themselves (their FreeRADIUS client rows and API
/// connection tests).
package struct ProvisioningService: Sendable {
    package let database: Database
    package let redis: RedisClient
    package let settings: ProvisioningSettings
    package let logger: Logger
    /// One API connection per router, shared by everything that talks to routers. A `Service`: run it in the
    /// process's service group (or call `shutdown()`), which closes the connections.
    package let routerPool: RouterOSPool
    let clock: any WallClock
    let store: RadiusStore
    /// Disconnect- and CoA-Requests to the routers (one UDP socket, shared).
    let dynamicAuth: DynamicAuthClient
    let routerRepository: RouterRepository
    let routerProbe: RouterProbe
    /// Tenants' online sessions as last decoded, for the online list.
    let onlineMemo = OnlineMemo()

    package init(
        database: Database, redis: RedisClient, dataKey: DataKey, settings: ProvisioningSettings,
        clock: any WallClock = SystemWallClock(), logger: Logger
    ) {
        self.database = database
        self.redis = redis
        self.settings = settings
        self.clock = clock
        self.logger = logger
        self.store = RadiusStore(database: database, secrets: SecretBox(key: dataKey), policy: RadiusPolicy(settings: settings), logger: logger)
        self.dynamicAuth = DynamicAuthClient(logger: logger)
        self.routerPool = RouterOSPool(logger: logger)
        self.routerRepository = RouterRepository(secrets: SecretBox(key: dataKey), logger: logger)
        self.routerProbe = RouterProbe(logger: logger)
    }

    /// Closes the sockets and connections the service holds.
    package func shutdown() async {
        await dynamicAuth.shutdown()
        await routerPool.shutdown()
    }

    /// Converges these customers of one tenant now (the worker's step, also used by tools and tests) and
    /// returns the usernames whose rows had to change. `versions`: customer id → the outbox version the run
    /// stands for (0 when none). `dryRun`: find the drift, change nothing.
    /// Open sessions of customers whose rows changed are ended (or told their new rate) after the commit, and
    /// static-IP customers' queues and address lists written on their routers; a request that does not get
    /// through fails the call, so the job is retried.
    @discardableResult
    package func converge(tenantID: Int64, versions: [Int64: Int64], dryRun: Bool = false) async throws -> Set<String> {
        let outcome = try await store.converge(tenantID: tenantID, versions: versions, dryRun: dryRun, routers: !dryRun)
        guard !dryRun else { return outcome.changedUsers }
        // Both steps are tried even when one fails; the first failure fails the call.
        var failure: (any Error)?
        do { try await apply(outcome.sessionActions, tenantID: tenantID) } catch { failure = error }
        do {
            try await applyRouterEntries(tenantID: tenantID, customerIDs: outcome.routerWork.map(\.customerID))
        } catch {
            failure = failure ?? error
        }
        if let failure { throw failure }
        return outcome.changedUsers
    }

    /// A readable reason for the failure list: service errors by message, anything else by type.
    static func describe(_ error: any Error) -> String {
        // The database's own refusals say more to an operator than the API's client-safe wording.
        if let error = error as? DatabaseError {
            switch error {
            case .permissionDenied: return "database: permission denied to the provisioning role"
            case .unavailable: return "database: unavailable"
            case .serializationFailure: return "database: concurrent update"
            default: return "database: \(error.code)"
            }
        }
        if let error = error as? any ServiceError { return "\(error.code): \(error.message)" }
        if let error = error as? PSQLError {
            return "database: " + (error.serverInfo?[.message] ?? String(describing: error.code))
        }
        return String(describing: error).prefix(300).description
    }
}
