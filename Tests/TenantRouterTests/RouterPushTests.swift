import AuthService
import Foundation
import HTTPTypes
import Platform
import PostgresNIO
import ProvisioningService
import TenantRouter
import TestSupport
import Testing

/// The API credentials the test routers (simulators) accept.
private let apiUser = "uplink-push"
private let apiPassword = "Push-Pass-2281"

/// A router whose API is `simulator`, usable by reseller A.
private func makeRouter(_ api: APIClient, _ catalog: Catalog, _ fixtures: Fixtures, _ simulator: RouterOSSimulator,
                        name: String = "Core-1", nasIP: String = "10.91.0.1", extra: [String: Any] = [:]) async throws -> Int {
    let created = try await api.post("/api/v1/routers", token: catalog.admin, json: [
        "name": name, "nas_ip": nasIP, "radius_secret": "Push-Radius-Secret-1", "api_host": "127.0.0.1", "api_port": simulator.port,
        "api_username": apiUser, "api_password": apiPassword,
    ].merging(extra) { $1 })
    try #require(created.status == .created, "\(created.json)")
    let id = try #require(created.json["id"] as? Int)
    let assigned = try await api.request(.put, "/api/v1/routers/\(id)/assignments", token: catalog.admin, json: ["tenant_ids": [fixtures.resellerA.id]])
    try #require(assigned.status == .ok, "\(assigned.json)")
    return id
}

/// The router's rows of `menu` that carry `comment`.
private func owned(_ simulator: RouterOSSimulator, _ menu: String, _ comment: String) -> [[String: String]] {
    simulator.rows(menu).filter { $0["comment"] == comment }
}

/// Sentences that change something on the router (`add`, `set`, `remove`).
private func writes(_ simulator: RouterOSSimulator) -> Int {
    simulator.receivedSentences.filter { sentence in
        guard let head = sentence.head else { return false }
        return head.hasSuffix("/add") || head.hasSuffix("/set") || head.hasSuffix("/remove")
    }.count
}

@Suite struct RouterConfigurePushTests {
    /// The push writes the RADIUS client, incoming CoA, PPP AAA, the packages' pools and PPP profiles; a
    /// second push writes nothing; drift is repaired; bad input, resellers and unknown routers are refused.
    @Test func theConfigurationPushIsCompleteIdempotentAndRepairsDrift() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await RouterOSSimulator.with(username: apiUser, password: apiPassword) { simulator in
                try await test.http { api in
                    let catalog = try await Catalog.make(api, fixtures)
                    let package = try await api.post("/api/v1/packages", token: catalog.admin, json: [
                        "name": "Home 10M", "customer_type": "pppoe_monthly", "download_kbps": 10240, "upload_kbps": 5120, "price": 80_000,
                        "ip_pool": "pool-home", "suspended_pool": "pool-suspended", "ppp_profile": "home-10m",
                    ])
                    try #require(package.status == .created, "\(package.json)")
                    let id = try await makeRouter(api, catalog, fixtures, simulator)

                    let pushed = try await api.post("/api/v1/routers/\(id)/configure", token: catalog.admin,
                                                    json: ["pools": [["name": "pool-home", "ranges": "10.10.0.2-10.10.255.254"]]])
                    #expect(pushed.status == .ok && pushed.json["ok"] as? Bool == true, "\(pushed.text)")
                    let items = try #require(pushed.json["items"] as? [[String: Any]])
                    let actions = Dictionary(items.map { ($0["item"] as? String ?? "", $0["action"] as? String ?? "") }) { first, _ in first }
                    #expect(actions["/radius uplink"] == "created" && actions["/ip/pool pool-home"] == "created", "\(actions)")
                    #expect(actions["/radius/incoming"] == "updated" && actions["/ppp/aaa"] == "updated", "\(actions)")
                    #expect(actions["/ppp/profile home-10m"] == "created", "\(actions)")
                    #expect(actions["/ip/pool pool-suspended"] == "skipped" && actions["/ip/pool uplink-suspended"] == "skipped", "\(actions)")

                    let radius = try #require(simulator.rows("/radius").first)
                    #expect(radius["address"] == "127.0.0.1" && radius["secret"] == "Push-Radius-Secret-1" && radius["service"] == "ppp,hotspot", "\(radius)")
                    #expect(radius["authentication-port"] == "51812" && radius["accounting-port"] == "51813" && radius["comment"] == "uplink", "\(radius)")
                    #expect(simulator.rows("/radius/incoming").first?["accept"] == "true")
                    #expect(simulator.rows("/radius/incoming").first?["port"] == "3799")
                    #expect(simulator.rows("/ppp/aaa").first?["use-radius"] == "true")
                    let pool = try #require(simulator.rows("/ip/pool").first { $0["name"] == "pool-home" })
                    #expect(pool["ranges"] == "10.10.0.2-10.10.255.254")
                    let profile = try #require(simulator.rows("/ppp/profile").first { $0["name"] == "home-10m" })
                    #expect(profile["rate-limit"] == "5120k/10240k" && profile["remote-address"] == "pool-home", "\(profile)")
                    #expect(simulator.rows("/ppp/profile").contains { $0["name"] == "default" }, "items the platform does not own are left alone")

                    // The router records the push.
                    let router = try await api.get("/api/v1/routers/\(id)", token: catalog.admin)
                    let last = try #require(router.json["last_configure"] as? [String: Any], "\(router.text)")
                    #expect(last["ok"] as? Bool == true && (last["message"] as? String)?.hasPrefix("5 changed") == true, "\(last)")

                    // Again: every item is right already, so nothing is written.
                    let before = writes(simulator)
                    let again = try await api.post("/api/v1/routers/\(id)/configure", token: catalog.admin)
                    #expect(again.status == .ok && again.json["ok"] as? Bool == true, "\(again.text)")
                    let againItems = try #require(again.json["items"] as? [[String: Any]])
                    #expect(againItems.allSatisfy { ["unchanged", "skipped"].contains($0["action"] as? String ?? "") }, "\(againItems)")
                    #expect(writes(simulator) == before)

                    // Changed by hand on the router: put back. A second pool's ranges arrive with the push.
                    let poolID = try #require(pool[".id"])
                    #expect(simulator.update("/ip/pool", id: poolID, ["ranges": "192.168.1.2-192.168.1.9"]))
                    #expect(simulator.update("/radius/incoming", ["accept": "false"]))
                    let repaired = try await api.post("/api/v1/routers/\(id)/configure", token: catalog.admin,
                                                      json: ["pools": [["name": "pool-suspended", "ranges": "172.16.0.2-172.16.0.254, 172.17.0.0/24"]]])
                    let repairedActions = Dictionary(((repaired.json["items"] as? [[String: Any]]) ?? []).map {
                        ($0["item"] as? String ?? "", $0["action"] as? String ?? "")
                    }) { first, _ in first }
                    #expect(repairedActions["/ip/pool pool-home"] == "updated" && repairedActions["/radius/incoming"] == "updated", "\(repairedActions)")
                    #expect(repairedActions["/ip/pool pool-suspended"] == "created", "\(repairedActions)")
                    #expect(simulator.rows("/ip/pool").first { $0["name"] == "pool-home" }?["ranges"] == "10.10.0.2-10.10.255.254")
                    #expect(simulator.rows("/ip/pool").first { $0["name"] == "pool-suspended" }?["ranges"] == "172.16.0.2-172.16.0.254,172.17.0.0/24")
                    #expect(simulator.rows("/radius/incoming").first?["accept"] == "true")

                    // One item refused: the others still go, the push says it is not complete.
                    let profileID = try #require(profile[".id"])
                    #expect(simulator.update("/ppp/profile", id: profileID, ["rate-limit": "1k/1k"]))
                    var faults = simulator.faults
                    faults.trap = .init(pathPrefix: "/ppp/profile/set", message: "failure: not permitted")
                    simulator.faults = faults
                    let refused = try await api.post("/api/v1/routers/\(id)/configure", token: catalog.admin)
                    #expect(refused.status == .ok && refused.json["ok"] as? Bool == false, "\(refused.text)")
                    let refusedItem = ((refused.json["items"] as? [[String: Any]]) ?? []).first { $0["item"] as? String == "/ppp/profile home-10m" }
                    #expect(refusedItem?["action"] as? String == "failed" && refusedItem?["detail"] as? String == "command refused: failure: not permitted",
                            "\(refused.text)")
                    simulator.faults = RouterOSSimulator.Faults()

                    // Unreachable: recorded, with the reason.
                    await simulator.stopListening()
                    await simulator.dropConnections()
                    let unreachable = try await api.post("/api/v1/routers/\(id)/configure", token: catalog.admin)
                    #expect(unreachable.status == .ok && unreachable.json["ok"] as? Bool == false, "\(unreachable.text)")
                    #expect((unreachable.json["error"] as? String)?.hasPrefix("cannot connect") == true, "\(unreachable.text)")
                    let failed = try await api.get("/api/v1/routers/\(id)", token: catalog.admin).json["last_configure"] as? [String: Any]
                    #expect(failed?["ok"] as? Bool == false && (failed?["message"] as? String)?.hasPrefix("push stopped: cannot connect") == true, "\(failed ?? [:])")
                    try await simulator.startListening()

                    // Bad pools, a reseller, an unknown router.
                    for bad in ["10.0.0.300-10.0.0.4", "10.0.0.9-10.0.0.4", "", "10.0.0.0/33", "a-b"] {
                        let reply = try await api.post("/api/v1/routers/\(id)/configure", token: catalog.admin,
                                                       json: ["pools": [["name": "p1", "ranges": bad]]])
                        #expect(reply.status == .badRequest && reply.errorField == "pools[0].ranges", "\(bad): \(reply.text)")
                    }
                    let badName = try await api.post("/api/v1/routers/\(id)/configure", token: catalog.admin,
                                                     json: ["pools": [["name": "has space", "ranges": "10.0.0.1"]]])
                    #expect(badName.status == .badRequest && badName.errorField == "pools[0].name", "\(badName.text)")
                    #expect(try await api.post("/api/v1/routers/\(id)/configure", token: catalog.admin, json: ["pools": "x"]).status == .badRequest)
                    #expect(try await api.post("/api/v1/routers/\(id)/configure", token: catalog.ownerA).status == .forbidden)
                    #expect(try await api.post("/api/v1/routers/999999/configure", token: catalog.admin).status == .notFound)
                    let stored = try await test.app.database.withPlatformTransaction { connection in
                        try await connection.scalar("SELECT count(*) FROM platform.router_pools WHERE router_id = \(id)", as: Int.self, logger: test.app.logger)
                    }
                    #expect(stored == 2, "refused requests stored no pool")
                }
            }
        }
    }
}

@Suite struct StaticIPProvisioningTests {
    static func staticCustomer(_ api: APIClient, _ catalog: Catalog, router: Int, username: String, ip: String) async throws -> Int64 {
        var body = catalog.body("static_monthly", username)
        body.removeValue(forKey: "zone_id")
        body["static_ip"] = ip
        body["nas_id"] = router
        let created = try await api.post("/api/v1/customers", token: catalog.admin, json: body)
        try #require(created.status == .created, "\(created.json)")
        return Int64(try #require(created.json["id"] as? Int))
    }

    static func state(_ api: APIClient, _ catalog: Catalog, _ id: Int64) async throws -> [String: Any] {
        try await ProvisioningFaultTests.state(api, catalog.admin, id)
    }

    /// A static-IP customer's queue and address-list entry follow its state (active, suspended, moved,
    /// deleted), and the reconciler finds and repairs what was changed on the router by hand.
    @Test func queuesAndAddressListsFollowTheCustomerAndTheReconcilerRepairsThem() async throws {
        try await TestApp.with(configure: fastProvisioning) { test in
            let fixtures = try await Fixtures.make(test)
            try await RouterOSSimulator.with(username: apiUser, password: apiPassword) { simulator in
                try await test.http { api in
                    let catalog = try await Catalog.make(api, fixtures)
                    let router = try await makeRouter(api, catalog, fixtures, simulator)
                    try await test.withProvisioning {
                        let id = try await Self.staticCustomer(api, catalog, router: router, username: "static-q1", ip: "10.20.0.41")
                        try await eventually("queue and address list written") {
                            try await Self.state(api, catalog, id)["state"] as? String == "in_sync"
                        }
                        let queues = simulator.rows("/queue/simple").filter { $0["name"] == "static-q1" }
                        #expect(queues.count == 1, "\(simulator.rows("/queue/simple"))")
                        let comment = try #require(queues.first?["comment"])
                        #expect(comment.hasPrefix("uplink:t") && comment.hasSuffix(":c\(id)"), "\(comment)")
                        #expect(queues.first?["target"] == "10.20.0.41/32" && queues.first?["max-limit"] == "5120000/10240000", "\(queues)")
                        let listed = owned(simulator, "/ip/firewall/address-list", comment)
                        #expect(listed.count == 1 && listed.first?["list"] == "uplink-active" && listed.first?["address"] == "10.20.0.41", "\(listed)")

                        // Suspended: the walled-garden list and the suspended rate; active again: back.
                        #expect(try await api.post("/api/v1/customers/\(id)/suspend", token: catalog.admin, json: ["reason": "unpaid"]).status == .ok)
                        try await eventually("suspended on the router") {
                            owned(simulator, "/ip/firewall/address-list", comment).first?["list"] == "uplink-suspended"
                        }
                        #expect(owned(simulator, "/queue/simple", comment).first?["max-limit"] == "256000/256000")
                        #expect(try await api.post("/api/v1/customers/\(id)/activate", token: catalog.admin, json: [:]).status == .ok)
                        try await eventually("active on the router") {
                            owned(simulator, "/ip/firewall/address-list", comment).first?["list"] == "uplink-active"
                        }

                        // A new address: both entries follow.
                        let moved = try await api.request(.patch, "/api/v1/customers/\(id)", token: catalog.admin, json: ["static_ip": "10.20.0.42"])
                        #expect(moved.status == .ok, "\(moved.text)")
                        try await eventually("new address on the router") {
                            owned(simulator, "/queue/simple", comment).first?["target"] == "10.20.0.42/32"
                                && owned(simulator, "/ip/firewall/address-list", comment).first?["address"] == "10.20.0.42"
                        }
                        #expect(owned(simulator, "/queue/simple", comment).count == 1 && owned(simulator, "/ip/firewall/address-list", comment).count == 1)

                        // Drift by hand: a queue removed, a list entry changed, a stray entry of a customer that
                        // does not exist; an entry the platform does not own stays.
                        simulator.removeAll("/queue/simple")
                        let entry = try #require(owned(simulator, "/ip/firewall/address-list", comment).first?[".id"])
                        #expect(simulator.update("/ip/firewall/address-list", id: entry, ["list": "allowed"]))
                        _ = simulator.insert("/ip/firewall/address-list", ["list": "uplink-active", "address": "10.20.9.9", "comment": "uplink:t999:c1"])
                        _ = simulator.insert("/ip/firewall/address-list", ["list": "office", "address": "10.0.0.1", "comment": "by hand"])
                        let dryRun = try await test.app.provisioning.reconcile(dryRun: true, holder: "test")
                        #expect(dryRun.routers?.drifted == 3, "\(String(describing: dryRun.routers))")
                        #expect(owned(simulator, "/queue/simple", comment).isEmpty, "a dry run changes nothing")
                        let repaired = try await test.app.provisioning.reconcile(dryRun: false, holder: "test")
                        #expect(repaired.routers?.drifted == 3 && repaired.routers?.failed.isEmpty == true, "\(String(describing: repaired.routers))")
                        #expect(owned(simulator, "/queue/simple", comment).first?["target"] == "10.20.0.42/32")
                        #expect(owned(simulator, "/ip/firewall/address-list", comment).first?["list"] == "uplink-active")
                        #expect(owned(simulator, "/ip/firewall/address-list", "uplink:t999:c1").isEmpty)
                        #expect(owned(simulator, "/ip/firewall/address-list", "by hand").count == 1)
                        #expect(try await test.app.provisioning.reconcile(dryRun: true, holder: "test").routers?.drifted == 0)

                        // Moved to another router: written there, removed from the first.
                        try await RouterOSSimulator.with(username: apiUser, password: apiPassword) { second in
                            let other = try await makeRouter(api, catalog, fixtures, second, name: "Core-2", nasIP: "10.91.0.2")
                            let switched = try await api.request(.patch, "/api/v1/customers/\(id)", token: catalog.admin, json: ["nas_id": other])
                            #expect(switched.status == .ok, "\(switched.text)")
                            try await eventually("moved to the other router") {
                                owned(second, "/queue/simple", comment).count == 1 && owned(simulator, "/queue/simple", comment).isEmpty
                                    && owned(simulator, "/ip/firewall/address-list", comment).isEmpty
                            }
                            #expect(owned(second, "/ip/firewall/address-list", comment).first?["list"] == "uplink-active")

                            // Deleted: its entries go.
                            #expect(try await api.request(.delete, "/api/v1/customers/\(id)", token: catalog.admin).status == .ok)
                            try await eventually("entries removed") {
                                owned(second, "/queue/simple", comment).isEmpty && owned(second, "/ip/firewall/address-list", comment).isEmpty
                            }
                            #expect(try await test.app.provisioning.reconcile(dryRun: true, holder: "test").routers?.drifted == 0)
                        }
                    }
                }
            }
        }
    }

    /// The router is unreachable: the job is retried with backoff, then `failed` with a readable reason;
    /// once the router is back, a reprovision succeeds.
    @Test func anUnreachableRouterFailsReadablyAndRecoversOnReprovision() async throws {
        try await TestApp.with(configure: { config in
            fastProvisioning(&config)
            config.provisioning.maxAttempts = 3
        }) { test in
            let fixtures = try await Fixtures.make(test)
            try await RouterOSSimulator.with(username: apiUser, password: apiPassword) { simulator in
                try await test.http { api in
                    let catalog = try await Catalog.make(api, fixtures)
                    let router = try await makeRouter(api, catalog, fixtures, simulator, name: "Far-Away")
                    await simulator.stopListening()
                    await simulator.dropConnections()
                    try await test.withProvisioning {
                        let id = try await Self.staticCustomer(api, catalog, router: router, username: "static-f1", ip: "10.20.0.51")
                        var seenAttempts = Set<Int>()
                        try await eventually(within: 20, "failed after the last attempt") {
                            let state = try await Self.state(api, catalog, id)
                            if let attempts = state["attempts"] as? Int { seenAttempts.insert(attempts) }
                            return state["state"] as? String == "failed"
                        }
                        let failed = try await Self.state(api, catalog, id)
                        #expect(failed["attempts"] as? Int == 3, "\(failed)")
                        let reason = failed["last_error"] as? String ?? ""
                        #expect(reason.contains("router Far-Away: cannot connect"), "\(reason)")
                        #expect(seenAttempts.contains { $0 >= 1 && $0 < 3 }, "retried before failing: \(seenAttempts)")
                        let list = try await api.get("/api/v1/provisioning/failed", token: catalog.admin)
                        #expect((list.json["items"] as? [[String: Any]])?.contains { ($0["customer_id"] as? Int).map(Int64.init) == id } == true, "\(list.text)")
                        #expect(simulator.rows("/queue/simple").isEmpty)

                        try await simulator.startListening()
                        #expect(try await api.post("/api/v1/customers/\(id)/reprovision", token: catalog.admin).status == .accepted)
                        try await eventually(within: 10, "in sync once the router is back") {
                            try await Self.state(api, catalog, id)["state"] as? String == "in_sync"
                        }
                        #expect(simulator.rows("/queue/simple").filter { $0["name"] == "static-f1" }.count == 1)
                        #expect(simulator.rows("/ip/firewall/address-list").filter { $0["address"] == "10.20.0.51" }.count == 1)
                    }
                }
            }
        }
    }
}

@Suite struct APIDisconnectTests {
    /// A router set to the API, and one whose RADIUS port does not answer: both sessions are removed from
    /// the router's active lists over its API, and every request is audited.
    @Test func sessionsAreRemovedOverTheAPIWhenSetSoOrWhenRADIUSFails() async throws {
        try await TestApp.with(configure: fastProvisioning) { test in
            let fixtures = try await Fixtures.make(test)
            try await RouterOSSimulator.with(username: apiUser, password: apiPassword) { simulator in
                try await test.http { api in
                    let catalog = try await Catalog.make(api, fixtures)
                    _ = try await makeRouter(api, catalog, fixtures, simulator, name: "API-Only", nasIP: "127.0.0.1", extra: ["disconnect_method": "api"])
                    let created = try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("pppoe_monthly", "kick-1"))
                    let id = Int64(try #require(created.json["id"] as? Int, "\(created.json)"))
                    try await DisconnectTests.openSession(test, "kick-1", "8c000001")
                    simulator.addActive(name: "kick-1", address: "10.10.0.9")
                    simulator.addActive(name: "someone-else", address: "10.10.0.10")

                    let onDemand = try await api.post("/api/v1/customers/\(id)/disconnect", token: catalog.ownerA)
                    #expect(onDemand.status == .ok, "\(onDemand.text)")
                    let session = try #require((onDemand.json["sessions"] as? [[String: Any]])?.first)
                    #expect(session["method"] as? String == "api" && session["result"] as? String == "ack", "\(session)")
                    #expect(session["detail"] as? String == "removed 1 active entry", "\(session)")
                    #expect(simulator.rows("/ppp/active").map { $0["name"] } == ["someone-else"])

                    // RADIUS first, on a port nothing answers: the API removes the session after the timeout.
                    let routers = try await api.get("/api/v1/routers", token: catalog.admin)
                    let routerID = try #require((routers.json["items"] as? [[String: Any]])?.first?["id"] as? Int)
                    let closedPort = try await TestPorts.freeUDP()
                    let radiusFirst = try await api.request(.patch, "/api/v1/routers/\(routerID)", token: catalog.admin,
                                                            json: ["disconnect_method": "radius", "coa_port": closedPort])
                    #expect(radiusFirst.status == .ok, "\(radiusFirst.text)")
                    simulator.addActive(name: "kick-1", address: "10.10.0.9")
                    let fallback = try await api.post("/api/v1/customers/\(id)/disconnect", token: catalog.ownerA)
                    let viaAPI = try #require((fallback.json["sessions"] as? [[String: Any]])?.first, "\(fallback.text)")
                    #expect(viaAPI["method"] as? String == "api" && viaAPI["result"] as? String == "ack", "\(viaAPI)")
                    #expect((viaAPI["detail"] as? String)?.hasPrefix("after RADIUS disconnect") == true, "\(viaAPI)")
                    #expect(simulator.rows("/ppp/active").map { $0["name"] } == ["someone-else"])

                    let audit = try await test.app.database.withPlatformTransaction { connection in
                        try await connection.scalar(
                            "SELECT string_agg(method || ':' || result, ',' ORDER BY id) FROM platform.disconnects WHERE customer_id = \(id)",
                            as: String.self, logger: test.app.logger
                        )
                    }
                    #expect(audit == "api:ack,disconnect:timeout,api:ack", "the RADIUS attempt is audited too: \(audit ?? "none")")
                }
            }
        }
    }
}
