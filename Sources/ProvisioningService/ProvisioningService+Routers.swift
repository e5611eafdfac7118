import Foundation
import Platform
import PostgresNIO

extension ProvisioningService {
    // MARK: Reads

    /// The admin sees every router with its assignments; a reseller or sub-reseller the routers assigned to
    /// its tenant (row-level security decides).
    package func routers(for principal: Principal, page: PageRequest) async throws -> Page<NASRouter> {
        if principal.isAdmin {
            return try await database.withPlatformTransaction { connection in
                try await routerRepository.list(page: page, withAssignments: true, on: connection)
            }
        }
        return try await database.withTenantTransaction(principal.tenantScope) { connection in
            try await routerRepository.list(page: page, withAssignments: false, on: connection)
        }
    }

    /// One router; 404 when the caller may not see it.
    package func router(id: Int64, for principal: Principal) async throws -> NASRouter {
        let router = try await principal.isAdmin
            ? database.withPlatformTransaction { try await routerRepository.router(id: id, withAssignments: true, on: $0) }
            : database.withTenantTransaction(principal.tenantScope) { try await routerRepository.router(id: id, withAssignments: false, on: $0) }
        guard let router else { throw PlatformError.notFound("router") }
        return router
    }

    // MARK: Changes (admin)

    /// Adds a router, makes FreeRADIUS' client row, then tests its API. A failing test does not refuse the
    /// router (it may be configured before it is reachable): the answer carries the result.
    package func createRouter(by principal: Principal, _ input: RouterInput) async throws -> NASRouter {
        try requireRouterAdmin(principal)
        let settings = try RouterSettings(creating: input)
        let (id, endpoint) = try await database.withPlatformTransaction { connection in
            let id = try await routerRepository.nextID(on: connection)
            let sealedSecret = try routerRepository.seal(settings.radiusSecret, context: RouterRepository.radiusSecretContext(id))
            let sealedPassword = try settings.apiPassword.map { try routerRepository.seal($0, context: RouterRepository.apiPasswordContext(id)) }
            try await routerRepository.save(id: id, settings, sealedSecret: sealedSecret, sealedPassword: sealedPassword, isNew: true, on: connection)
            try await routerRepository.syncNAS(id: id, settings, on: connection)
            return (id, RouterRepository.Endpoint(settings: settings, sealedPassword: sealedPassword))
        }
        logger.info("router created", metadata: ["router.id": "\(id)", "router.nas_ip": "\(settings.nasIP)"])
        try await testRouter(id: id, endpoint: endpoint)
        return try await router(id: id, for: principal)
    }

    /// Changes the given fields (nulls clear optional ones); a changed secret is sealed again and FreeRADIUS'
    /// client row follows. Changed API settings are tested again.
    package func updateRouter(id: Int64, by principal: Principal, _ input: RouterInput) async throws -> NASRouter {
        try requireRouterAdmin(principal)
        let (before, after) = try await database.withPlatformTransaction { connection -> (RouterRepository.Endpoint, RouterRepository.Endpoint) in
            guard let (current, currentSecret) = try await routerRepository.lockedEndpoint(id: id, on: connection) else {
                throw PlatformError.notFound("router")
            }
            let settings = try current.settings.merged(with: input)
            guard settings != current.settings else { return (current, current) }
            // A secret is sealed again only when it changed (a fresh nonce would look like a change to the test's record).
            var sealedSecret = currentSecret, sealedPassword = current.sealedPassword
            if settings.radiusSecret != current.settings.radiusSecret {
                sealedSecret = try routerRepository.seal(settings.radiusSecret, context: RouterRepository.radiusSecretContext(id))
            }
            if settings.apiPassword != current.settings.apiPassword {
                sealedPassword = try settings.apiPassword.map { try routerRepository.seal($0, context: RouterRepository.apiPasswordContext(id)) }
            }
            try await routerRepository.save(id: id, settings, sealedSecret: sealedSecret, sealedPassword: sealedPassword, isNew: false, on: connection)
            try await routerRepository.syncNAS(id: id, settings, on: connection)
            return (current, RouterRepository.Endpoint(settings: settings, sealedPassword: sealedPassword))
        }
        if before.config != after.config {
            // The next push opens a connection with the new settings.
            await routerPool.remove(before.config)
            try await testRouter(id: id, endpoint: after)
        }
        if before != after { logger.info("router changed", metadata: ["router.id": "\(id)"]) }
        return try await router(id: id, for: principal)
    }

    /// Runs the connection test again and returns the router with its result.
    package func testRouter(id: Int64, by principal: Principal) async throws -> NASRouter {
        try requireRouterAdmin(principal)
        let endpoint = try await database.withPlatformTransaction { connection in
            guard let (endpoint, _) = try await routerRepository.lockedEndpoint(id: id, on: connection) else { throw PlatformError.notFound("router") }
            return endpoint
        }
        try await testRouter(id: id, endpoint: endpoint)
        return try await router(id: id, for: principal)
    }

    /// Deletes a router no live customer is on (409 `router_in_use` otherwise), with its FreeRADIUS client row.
    package func deleteRouter(id: Int64, by principal: Principal) async throws {
        try requireRouterAdmin(principal)
        let endpoint = try await database.withPlatformTransaction { connection in
            // The row lock waits for transactions putting customers on the router, and holds new ones off
            // (their foreign key check locks the row too) until this one ends.
            guard let (endpoint, _) = try await routerRepository.lockedEndpoint(id: id, on: connection) else { throw PlatformError.notFound("router") }
            let customers = try await routerRepository.customerCount(id: id, on: connection)
            guard customers == 0 else { throw RouterError.inUse(customers: customers) }
            try await routerRepository.delete(id: id, on: connection)
            return endpoint
        }
        await routerPool.remove(endpoint.config)
        logger.info("router deleted", metadata: ["router.id": "\(id)"])
    }

    /// Makes the router's reseller assignments exactly `tenantIDs` (duplicates ignored). Customers already on
    /// the router stay on it when their tenant's assignment goes.
    package func assignRouter(id: Int64, tenantIDs: [Int64], by principal: Principal) async throws -> NASRouter {
        try requireRouterAdmin(principal)
        let ids = Array(Set(tenantIDs)).sorted()
        guard ids.count <= 10_000 else { throw PlatformError.invalidInput(field: "tenant_ids", reason: "must list at most 10000 tenants") }
        try await database.withPlatformTransaction { connection in
            guard try await routerRepository.lockedEndpoint(id: id, on: connection) != nil else { throw PlatformError.notFound("router") }
            let unknown = try await routerRepository.unknownResellers(ids, on: connection)
            guard unknown.isEmpty else {
                let shown = unknown.prefix(10).map(String.init).joined(separator: ", ")
                throw PlatformError.unprocessable(field: "tenant_ids", code: "unknown_reference", reason: "not reseller tenants: \(shown)")
            }
            try await routerRepository.replaceAssignments(routerID: id, tenantIDs: ids, on: connection)
        }
        return try await router(id: id, for: principal)
    }

    // MARK: Helpers

    /// Tests the API at `endpoint` (outside any transaction: it may take the whole deadline) and records the
    /// result while those settings are still the router's.
    private func testRouter(id: Int64, endpoint: RouterRepository.Endpoint) async throws {
        let outcome = await routerProbe.check(endpoint.config)
        logger.info("router connection tested", metadata: ["router.id": "\(id)", "router.test.ok": "\(outcome.ok)"])
        // The database's clock, like the router's other timestamps: this is when the test really ran.
        _ = try await database.withPlatformTransaction { connection in
            try await routerRepository.recordTest(id: id, endpoint: endpoint, outcome: outcome, on: connection)
        }
    }

    func requireRouterAdmin(_ principal: Principal) throws {
        guard principal.isAdmin else { throw PlatformError.forbidden("only the platform admin manages routers") }
    }
}
