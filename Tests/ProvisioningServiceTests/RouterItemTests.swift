import Foundation
import Platform
import ProvisioningService
import Testing

@Suite struct RouterItemTests {
    @Test func ratesReadInEveryFormRouterOSPrints() {
        #expect(RateText.bits("256k") == 256_000)
        #expect(RateText.bits("10M") == 10_000_000)
        #expect(RateText.bits("1G") == 1_000_000_000)
        #expect(RateText.bits("1500000") == 1_500_000)
        #expect(RateText.bits("") == nil && RateText.bits("fast") == nil && RateText.bits("-1k") == nil)
        #expect(RateText.bitsPair("5M/10M") == [5_000_000, 10_000_000])
        #expect(RateText.bitsPair("5M") == nil && RateText.bitsPair("5M/") == nil)
    }

    @Test func differencesIgnoreTheFormsRouterOSPrintsValuesIn() {
        let item = RouterItem(menu: "/queue/simple", key: ["comment": "uplink:t1:c2"], properties: [
            "name": "alice", "target": "10.0.0.5/32", "max-limit": "5000000/10000000", "disabled": "false",
        ])
        #expect(item.properties["comment"] == "uplink:t1:c2", "the key is one of the properties")
        let printed = ["name": "alice", "target": "10.0.0.5", "max-limit": "5M/10M", "disabled": "no", "comment": "uplink:t1:c2", ".id": "*1"]
        #expect(item.differences(from: printed).isEmpty)
        #expect(item.differences(from: printed.merging(["max-limit": "5M/20M"]) { $1 }) == ["max-limit": "5000000/10000000"])
        #expect(item.differences(from: printed.merging(["target": "10.0.0.6/32"]) { $1 }) == ["target": "10.0.0.5/32"])
        #expect(Set(item.differences(from: ["comment": "uplink:t1:c2"]).keys) == ["name", "target", "max-limit", "disabled"])
        #expect(item.label == "/queue/simple uplink:t1:c2")
    }

    private func subject(status: String = "active", type: CustomerType = .staticMonthly, ip: String? = "10.20.0.7", deleted: Bool = false) -> NetworkSubject {
        NetworkSubject(customerID: 9, username: "office-9", password: nil, type: type, status: status, deleted: deleted, expiresAt: nil,
                       staticIP: ip, packageID: 3, macs: [])
    }

    @Test func aStaticCustomerGetsAQueueAndAnAddressListEntryOnItsRouter() throws {
        var package = PackageProfile(id: 3, customerType: .staticMonthly, downloadKbps: 20480, uploadKbps: 10240)
        let policy = StaticEntryPolicy(suspendedRateLimit: "256k/512k")
        let active = try #require(policy.entries(for: subject(), routerID: 4, package: package, tenantID: 1))
        #expect(active.routerID == 4)
        let queue = try #require(active.items.first { $0.menu == "/queue/simple" })
        #expect(queue.properties == ["name": "office-9", "target": "10.20.0.7/32", "max-limit": "10240000/20480000", "disabled": "false",
                                     "comment": "uplink:t1:c9"])
        let entry = try #require(active.items.first { $0.menu == "/ip/firewall/address-list" })
        #expect(entry.properties == ["list": "uplink-active", "address": "10.20.0.7", "disabled": "false", "comment": "uplink:t1:c9"])

        package.burstUploadKbps = 20480
        package.burstDownloadKbps = 40960
        let burst = try #require(policy.entries(for: subject(), routerID: 4, package: package, tenantID: 1)?.items.first)
        #expect(burst.properties["burst-limit"] == "20480000/40960000" && burst.properties["burst-threshold"] == "7680000/15360000")
        #expect(burst.properties["burst-time"] == "16s/16s")

        let suspended = try #require(policy.entries(for: subject(status: "suspended"), routerID: 4, package: package, tenantID: 1))
        #expect(suspended.items.first { $0.menu == "/queue/simple" }?.properties["max-limit"] == "256000/512000")
        #expect(suspended.items.first { $0.menu == "/ip/firewall/address-list" }?.properties["list"] == "uplink-suspended")

        // None: disabled, deleted, no address, no router, another type, another package.
        #expect(policy.entries(for: subject(status: "disabled"), routerID: 4, package: package, tenantID: 1) == nil)
        #expect(policy.entries(for: subject(deleted: true), routerID: 4, package: package, tenantID: 1) == nil)
        #expect(policy.entries(for: subject(ip: nil), routerID: 4, package: package, tenantID: 1) == nil)
        #expect(policy.entries(for: subject(), routerID: nil, package: package, tenantID: 1) == nil)
        #expect(policy.entries(for: subject(type: .pppoeMonthly), routerID: 4, package: package, tenantID: 1) == nil)
        #expect(policy.entries(for: subject(), routerID: 4, package: PackageProfile(id: 5, customerType: .staticMonthly, downloadKbps: 1, uploadKbps: 1),
                               tenantID: 1) == nil)
    }
}
