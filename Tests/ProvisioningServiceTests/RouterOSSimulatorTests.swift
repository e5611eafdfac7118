import ProvisioningService
import TestSupport
import Testing

/// The simulator's menus behave as RouterOS's do, so tests built on it mean something.
@Suite struct RouterOSSimulatorTests {
    @Test func queriesAreAndedAndTheStackOperatorsWork() async throws {
        try await withRouter { router, client async throws in
            for (list, address, comment) in [("overdue", "10.0.0.1", "a"), ("overdue", "10.0.0.2", ""), ("blocked", "10.0.0.1", "c")] {
                var attributes = ["list": list, "address": address]
                if !comment.isEmpty { attributes["comment"] = comment }
                try await client.add("/ip/firewall/address-list", attributes)
            }
            func addresses(_ queries: [String]) async throws -> [String] {
                try await client.run("/ip/firewall/address-list/print", queries: queries).compactMap { $0["address"] }.sorted()
            }
            #expect(try await addresses(["?list=overdue"]) == ["10.0.0.1", "10.0.0.2"])
            #expect(try await addresses(["?list=overdue", "?address=10.0.0.1"]) == ["10.0.0.1"])
            #expect(try await addresses(["?=list=blocked"]) == ["10.0.0.1"])
            #expect(try await addresses(["?list=overdue", "?list=blocked", "?#|"]).count == 3)
            #expect(try await addresses(["?list=overdue", "?#!"]) == ["10.0.0.1"])
            #expect(try await addresses(["?-comment"]) == ["10.0.0.2"])
            #expect(try await addresses(["?comment"]).count == 2)
            #expect(try await addresses(["?>address=10.0.0.1"]) == ["10.0.0.2"])
            #expect(try await addresses(["?list=nothing"]).isEmpty)

            let counted = try await client.execute("/ip/firewall/address-list/print", attributes: ["count-only": ""], queries: ["?list=overdue"])
            #expect(counted.ret == "2")
            #expect(counted.rows.isEmpty)
            let narrow = try await client.run("/ip/firewall/address-list/print", attributes: [".proplist": ".id,list"], queries: ["?address=10.0.0.2"])
            #expect(narrow == [[".id": "*2", "list": "overdue"]])
            _ = router
        }
    }

    @Test func duplicatesAreRefusedAsRouterOSRefusesThem() async throws {
        try await withRouter { _, client async throws in
            for path in ["/ppp/secret", "/queue/simple", "/ppp/profile", "/ip/pool", "/ip/hotspot/user"] {
                try await client.add(path, ["name": "dup"])
                await #expect(throws: RouterOSError.trap(category: nil, message: "failure: already have such name"), "\(path)") {
                    try await client.add(path, ["name": "dup"])
                }
            }
            // The profiles RouterOS ships with are there already.
            await #expect(throws: RouterOSError.trap(category: nil, message: "failure: already have such name")) {
                try await client.add("/ppp/profile", ["name": "default"])
            }
            try await client.add("/ip/firewall/address-list", ["list": "overdue", "address": "10.0.0.1"])
            try await client.add("/ip/firewall/address-list", ["list": "other", "address": "10.0.0.1"])
            await #expect(throws: RouterOSError.trap(category: nil, message: "failure: already have such entry")) {
                try await client.add("/ip/firewall/address-list", ["list": "overdue", "address": "10.0.0.1"])
            }
            // Renaming onto a taken name is refused too, and changes nothing.
            let other = try await client.add("/queue/simple", ["name": "other"])
            await #expect(throws: RouterOSError.trap(category: nil, message: "failure: already have such name")) {
                try await client.run("/queue/simple/set", attributes: [".id": other, "name": "dup"])
            }
            #expect(try await client.run("/queue/simple/print", queries: ["?.id=\(other)"]).first?["name"] == "other")
        }
    }

    @Test func removeTakesIdListsAndRefusesUnknownIds() async throws {
        try await withRouter { router, client async throws in
            var ids: [String] = []
            for index in 0..<4 { ids.append(try await client.add("/queue/simple", ["name": "q\(index)"])) }
            #expect(ids == ["*1", "*2", "*3", "*4"])
            try await client.run("/queue/simple/remove", attributes: [".id": "\(ids[0]),\(ids[2])"])
            #expect(router.rows("/queue/simple").compactMap { $0["name"] } == ["q1", "q3"])
            await #expect(throws: RouterOSError.trap(category: nil, message: "no such item")) {
                try await client.run("/queue/simple/remove", attributes: [".id": "\(ids[1]),*99"])
            }
            #expect(router.rows("/queue/simple").count == 2)
            await #expect(throws: RouterOSError.trap(category: nil, message: "no such item")) {
                try await client.run("/queue/simple/set", attributes: [".id": "*99", "max-limit": "1M/1M"])
            }
            // `numbers` also takes names.
            try await client.run("/queue/simple/set", attributes: ["numbers": "q3", "max-limit": "5M/5M"])
            #expect(router.rows("/queue/simple").last?["max-limit"] == "5M/5M")
        }
    }

    @Test func activeSessionsAreTheRoutersToListAndOursToRemove() async throws {
        try await withRouter { router, client async throws in
            let alice = router.addActive(name: "alice", address: "10.0.0.5")
            router.addActive(name: "bob", address: "10.0.0.6")
            let hotspot = router.addHotspotActive(user: "guest", address: "10.5.0.2")
            #expect(try await client.run("/ppp/active/print", queries: ["?name=alice"]).first?["address"] == "10.0.0.5")
            try await client.run("/ppp/active/remove", attributes: [".id": alice])
            #expect(router.rows("/ppp/active").compactMap { $0["name"] } == ["bob"])
            try await client.run("/ip/hotspot/active/remove", attributes: [".id": hotspot])
            #expect(router.rows("/ip/hotspot/active").isEmpty)
            await #expect(throws: RouterOSError.trap(category: nil, message: "no such command")) {
                try await client.run("/ppp/active/add", attributes: ["name": "mallory"])
            }
        }
    }

    @Test func radiusAndSystemMenus() async throws {
        try await withRouter { router, client async throws in
            let radius = try await client.add("/radius", ["service": "ppp,hotspot", "address": "10.9.0.1", "secret": "s"])
            #expect(try await client.run("/radius/print").first?[".id"] == radius)
            #expect(try await client.run("/radius/incoming/print") == [["accept": "false", "port": "3799"]])
            try await client.run("/radius/incoming/set", attributes: ["accept": "yes", "port": "1700"])
            #expect(try await client.run("/radius/incoming/print") == [["accept": "true", "port": "1700"]])
            await #expect(throws: RouterOSError.trap(category: nil, message: "no such command")) {
                try await client.run("/radius/incoming/add", attributes: ["accept": "yes"])
            }
            router.update("/system/resource", ["cpu-load": "97"])
            let resource = try #require(try await client.run("/system/resource/print").first)
            #expect(resource["cpu-load"] == "97")
            #expect(resource["uptime"]?.hasSuffix("s") == true)
            #expect(resource["version"] == "7.16")
            #expect(resource[".id"] == nil)
        }
    }

    @Test func uptimeReadsLikeRouterOS() {
        #expect(RouterOSSimulator.uptime(.seconds(7)) == "7s")
        #expect(RouterOSSimulator.uptime(.seconds(3_661)) == "1h1m1s")
        #expect(RouterOSSimulator.uptime(.seconds(694_861)) == "1w1d1h1m1s")
        #expect(RouterOSSimulator.uptime(.seconds(86_400)) == "1d0h0m0s")
    }
}
