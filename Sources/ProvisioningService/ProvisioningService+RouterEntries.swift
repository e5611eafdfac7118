import Foundation
import Logging
import Platform
import PostgresNIO

/// What the router pass of a reconcile found (and, unless it was a dry run, repaired).
package struct RouterReconcileReport: Codable, Sendable {
    package var routers = 0
    /// Routers that could not be read or written; their customers stay as they were.
    package var failed: [String] = []
    /// Queue and address-list items added, changed or removed (or that would be).
    package var drifted = 0
    /// Up to 50 of them: `router: /queue/simple uplink:t2:c7 updated`.
    package var samples: [String] = []
}

extension ProvisioningService {
    /// The worker's router step after a convergence: writes these static-IP customers' queues and
    /// address-list entries on their routers (and removes them from a router they left, or from `alsoOn`),
    /// from their state read afresh under their locks; then clears `router_pending` of those that are done.
    /// Throws when a router could not be updated (the job is retried).
    func applyRouterEntries(tenantID: Int64, customerIDs: [Int64], alsoOn: [Int64: Set<Int64>] = [:]) async throws {
        guard !customerIDs.isEmpty else { return }
        let failures = try await store.withRouterWork(tenantID: tenantID, ids: customerIDs) { fresh, connection in
            let work = fresh.map { item in
                var item = item
                item.alsoOn = alsoOn[item.customerID] ?? []
                return item
            }
            let routerIDs = Set(work.flatMap(\.routers)).sorted()
            let endpoints = try await database.withPlatformConnection { connection in
                try await routerRepository.endpoints(ids: routerIDs, on: connection)
            }
            var failures: [Int64: String] = [:]
            for routerID in routerIDs {
                // A router that is gone took its entries with it.
                guard let endpoint = endpoints[routerID]?.endpoint else { continue }
                let mine = work.filter { $0.routers.contains(routerID) }
                let wanted = mine.filter { $0.routerID == routerID }.flatMap(\.items)
                do {
                    let sync = RouterItemSync(client: try await routerPool.client(for: endpoint.config))
                    for menu in [StaticEntryPolicy.queueMenu, StaticEntryPolicy.addressListMenu] {
                        _ = try await sync.converge(menu: menu, keys: Set(mine.map(\.key)), wanted: wanted.filter { $0.menu == menu })
                    }
                } catch {
                    failures[routerID] = "router \(endpoint.settings.name): " + Self.routerReason(error)
                }
            }
            let done = work.filter { $0.routers.allSatisfy { failures[$0] == nil } }
            if !done.isEmpty {
                try await connection.query(
                    """
                    UPDATE platform.provisioning_state s
                    SET router_pending = false, router_id = NULLIF(j.router, 0),
                        state = CASE WHEN s.applied_version >= s.requested_version AND NOT s.disconnect_pending THEN 'in_sync' ELSE s.state END,
                        updated_at = now()
                    FROM unnest(\(done.map(\.customerID))::bigint[], \(done.map { $0.routerID ?? 0 })::bigint[]) j(id, router)
                    WHERE s.tenant_id = \(tenantID) AND s.customer_id = j.id
                    """,
                    logger: logger
                )
            }
            return failures
        }
        if !failures.isEmpty {
            throw ProvisioningError.routerNotUpdated(failures.sorted { $0.key < $1.key }.map(\.value).joined(separator: "; "))
        }
    }

    /// Compares every router's queues and address lists that the platform owns (comment `uplink:t…`) with
    /// what the static-IP customers of every tenant should have there: one read per menu per router. Unless
    /// this is a dry run, the customers that differ (or whose last write did not succeed) go through the
    /// worker's router step, which reads them afresh under their locks, and entries of tenants that no
    /// longer exist are removed. Entries the platform does not own are left alone.
    package func reconcileRouters(dryRun: Bool, tenantID only: Int64? = nil) async throws -> RouterReconcileReport {
        var report = RouterReconcileReport()
        let tenants = try await tenantIDs(only: only)
        let routers = try await database.withPlatformConnection { connection in
            var routers: [Int64] = []
            for try await id in try await connection.query("SELECT id FROM platform.routers ORDER BY id", logger: logger).decode(Int64.self) {
                routers.append(id)
            }
            return routers
        }
        // What should be on the routers now; a snapshot to find differences with (repairs read again).
        var work: [Int64: [RouterWork]] = [:]
        for tenantID in tenants {
            let ids = try await store.staticCustomerIDs(tenantID: tenantID)
            guard !ids.isEmpty else { continue }
            work[tenantID] = try await store.withRouterWork(tenantID: tenantID, ids: ids) { work, _ in work }
        }
        var wantedByRouter: [Int64: [RouterItem]] = [:]
        for customer in work.values.joined() {
            if let routerID = customer.routerID { wantedByRouter[routerID, default: []] += customer.items }
        }
        let endpoints = try await database.withPlatformConnection { connection in
            try await routerRepository.endpoints(ids: routers, on: connection)
        }
        let knownTenants = Set(tenants)
        // With one tenant asked for, only that tenant's entries are compared (others' are not known).
        let ownedPrefix = only.map { "\(StaticEntryPolicy.commentPrefix)\($0):" } ?? StaticEntryPolicy.commentPrefix
        var drifted: [Int64: [Int64: Set<Int64>]] = [:]
        var strays: [Int64: [(menu: String, ids: [String])]] = [:]
        var failedRouters = Set<Int64>()
        for routerID in routers {
            guard let endpoint = endpoints[routerID]?.endpoint else { continue }
            report.routers += 1
            let wanted = wantedByRouter[routerID] ?? []
            do {
                let sync = RouterItemSync(client: try await routerPool.client(for: endpoint.config), dryRun: true)
                for menu in [StaticEntryPolicy.queueMenu, StaticEntryPolicy.addressListMenu] {
                    let rows = try await sync.client.run(menu + "/print", attributes: [
                        ".proplist": ".id,name,target,max-limit,burst-limit,burst-threshold,burst-time,list,address,disabled,comment",
                    ])
                    let owned = rows.filter { $0["comment"]?.hasPrefix(ownedPrefix) == true }
                    let changes = try await sync.converge(menu: menu, rows: owned, wanted: wanted.filter { $0.menu == menu })
                        .filter { $0.action != .unchanged }
                    report.drifted += changes.count
                    report.samples += changes.prefix(max(0, 50 - report.samples.count)).map {
                        "\(endpoint.settings.name): \($0.label) \($0.action.rawValue)"
                    }
                    for change in changes {
                        guard let comment = change.comment, let (tenantID, customerID) = StaticEntryPolicy.parse(key: comment) else { continue }
                        if knownTenants.contains(tenantID) {
                            drifted[tenantID, default: [:]][customerID, default: []].insert(routerID)
                        } else {
                            strays[routerID, default: []].append((menu, owned.filter { $0["comment"] == comment }.compactMap { $0[".id"] }))
                        }
                    }
                }
            } catch {
                failedRouters.insert(routerID)
                report.failed.append("router \(endpoint.settings.name): " + Self.routerReason(error))
                logger.warning("reconcile could not compare a router", metadata: ["router.id": "\(routerID)", "error": "\(error)"])
            }
        }
        guard !dryRun else { return report }
        for tenantID in tenants {
            // The drifted, and those whose last write is owed or whose record names another router.
            var ids = Set(drifted[tenantID]?.keys.map { $0 } ?? [])
            ids.formUnion((work[tenantID] ?? []).filter { !$0.settled && $0.routers.isDisjoint(with: failedRouters) }.map(\.customerID))
            guard !ids.isEmpty else { continue }
            do {
                try await applyRouterEntries(tenantID: tenantID, customerIDs: Array(ids), alsoOn: drifted[tenantID] ?? [:])
            } catch {
                logger.warning("reconcile could not repair a router", metadata: ["tenant.id": "\(tenantID)", "error": "\(error)"])
            }
        }
        for (routerID, removals) in strays {
            guard let endpoint = endpoints[routerID]?.endpoint else { continue }
            do {
                let client = try await routerPool.client(for: endpoint.config)
                for removal in removals where !removal.ids.isEmpty {
                    try await client.run(removal.menu + "/remove", attributes: [".id": removal.ids.joined(separator: ",")])
                }
            } catch {
                logger.warning("reconcile could not remove entries of a tenant that is gone", metadata: ["router.id": "\(routerID)", "error": "\(error)"])
            }
        }
        return report
    }

    static func routerReason(_ error: any Error) -> String {
        (error as? RouterOSError)?.reason ?? describe(error)
    }
}
