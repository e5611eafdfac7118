import Foundation
import Hummingbird
import Logging
import Platform

/// What `POST /routers/{id}/configure` answers: every item pushed and what happened to it.
package struct RouterConfigureReport: Codable, Sendable, ResponseEncodable {
    package struct Item: Codable, Sendable, Hashable {
        /// `/ip/pool pool-10m`.
        package var item: String
        /// `created`, `updated`, `unchanged`, `removed`, `skipped` or `failed`.
        package var action: String
        /// The properties written (or that differed).
        package var properties: [String]
        package var detail: String?
    }

    package var routerID: Int64
    /// Every item is as wanted (skipped ones aside).
    package var ok: Bool
    /// Why the push stopped, when the router could not be reached or logged in to.
    package var error: String?
    package var items: [Item]

    enum CodingKeys: String, CodingKey {
        case ok, error, items
        case routerID = "router_id"
    }
}

extension ProvisioningService {
    /// Pushes the router's configuration (RADIUS client, incoming CoA, PPP AAA, IP pools and PPP profiles of
    /// the active packages), first storing the pool ranges given. Safe to repeat: items already right are
    /// left alone. The outcome is recorded on the router (`last_configure`) and answered item by item; a
    /// router that cannot be reached answers `ok: false` with the reason.
    package func configureRouter(id: Int64, pools input: [PoolInput], by principal: Principal) async throws -> RouterConfigureReport {
        try requireRouterAdmin(principal)
        let givenPools = try RouterConfiguration.validatedPools(input)
        let (endpoint, plan) = try await database.withPlatformTransaction { connection in
            guard let (endpoint, _) = try await routerRepository.lockedEndpoint(id: id, on: connection) else {
                throw PlatformError.notFound("router")
            }
            try await routerRepository.savePools(routerID: id, givenPools, on: connection)
            let pools = try await routerRepository.pools(routerID: id, on: connection)
            let packages = try await RadiusStore.packages(ids: nil, on: connection, logger: logger)
            let plan = RouterConfiguration(router: endpoint.settings, settings: settings, packages: Array(packages.values), pools: pools)
            return (endpoint, plan)
        }
        var report = RouterConfigureReport(routerID: id, ok: true, error: nil, items: [])
        do {
            let sync = RouterItemSync(client: try await routerPool.client(for: endpoint.config))
            for item in plan.items {
                do {
                    let change = try await sync.ensure(item)
                    report.items.append(.init(item: change.label, action: change.action.rawValue, properties: change.properties, detail: nil))
                } catch let error as RouterOSError {
                    // A refused item does not stop the others; a lost connection does.
                    guard case .trap = error else { throw error }
                    report.ok = false
                    report.items.append(.init(item: item.label, action: "failed", properties: item.properties.keys.sorted(), detail: error.reason))
                }
            }
        } catch {
            report.ok = false
            report.error = Self.routerReason(error)
        }
        report.items += plan.skipped.map { .init(item: $0.label, action: "skipped", properties: [], detail: $0.reason) }
        let failed = report.items.filter { $0.action == "failed" }.count
        let changed = report.items.filter { ["created", "updated", "removed"].contains($0.action) }.count
        let message = report.error.map { "push stopped: \($0)" }
            ?? "\(changed) changed, \(report.items.count - changed - failed - plan.skipped.count) unchanged, \(failed) failed, \(plan.skipped.count) skipped"
        logger.info("router configured", metadata: ["router.id": "\(id)", "router.configure.ok": "\(report.ok)", "router.configure": "\(message)"])
        _ = try await database.withPlatformTransaction { connection in
            try await routerRepository.recordConfigure(id: id, ok: report.ok, message: message, on: connection)
        }
        return report
    }
}
