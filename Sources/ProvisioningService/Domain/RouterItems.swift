import Foundation
import Platform

/// One item the platform keeps on a router: where it lives, how it is found again, and what it should hold.
package struct RouterItem: Sendable, Hashable {
    /// The menu: `/queue/simple`, `/ip/pool`.
    package var menu: String
    /// The properties that find it (`name`, or the `comment` carrying a customer's key); empty for a
    /// menu that is one item (`/radius/incoming`).
    package var key: [String: String]
    /// Every property it should have, the key's included, in the form the router prints them.
    package var properties: [String: String]

    package init(menu: String, key: [String: String], properties: [String: String]) {
        self.menu = menu
        self.key = key
        self.properties = properties.merging(key) { _, keyed in keyed }
    }

    /// For reports: `/ip/pool pool-10m`.
    package var label: String {
        let name = key["name"] ?? key["comment"] ?? key.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        return name.isEmpty ? menu : "\(menu) \(name)"
    }

    /// The properties of `row` (as printed) that differ from these, with the wanted values.
    package func differences(from row: [String: String]) -> [String: String] {
        properties.filter { name, wanted in !Self.same(row[name], wanted, property: name) }
    }

    /// RouterOS prints some values in another form than it takes them: rates in bits per second, addresses
    /// with their prefix, booleans as `true`/`false`.
    static func same(_ printed: String?, _ wanted: String, property: String) -> Bool {
        guard let printed else { return false }
        if printed == wanted { return true }
        switch property {
        case "max-limit", "limit-at", "burst-limit", "burst-threshold":
            return RateText.bitsPair(printed) != nil && RateText.bitsPair(printed) == RateText.bitsPair(wanted)
        case "target", "address":
            return printed.replacingOccurrences(of: "/32", with: "") == wanted.replacingOccurrences(of: "/32", with: "")
        default:
            let booleans = ["yes": "true", "no": "false"]
            return (booleans[printed] ?? printed) == (booleans[wanted] ?? wanted)
        }
    }
}

/// MikroTik rate text: `512k`, `10M`, `1G`, or bits per second, single or `upload/download`.
package enum RateText {
    /// Bits per second of `256k`, `10M`, `1500000`; nil when it is not a rate.
    package static func bits(_ text: some StringProtocol) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let last = trimmed.last else { return nil }
        let multiplier: Int64
        var digits = Substring(trimmed)
        switch last {
        case "k", "K": multiplier = 1_000; digits = digits.dropLast()
        case "M": multiplier = 1_000_000; digits = digits.dropLast()
        case "G": multiplier = 1_000_000_000; digits = digits.dropLast()
        default: multiplier = 1
        }
        guard let value = Int64(digits), value >= 0 else { return nil }
        return value * multiplier
    }

    /// Both halves of `upload/download` in bits per second.
    package static func bitsPair(_ text: String) -> [Int64]? {
        let halves = text.split(separator: "/", omittingEmptySubsequences: false)
        guard halves.count == 2, let up = bits(halves[0]), let down = bits(halves[1]) else { return nil }
        return [up, down]
    }
}

/// What a static-IP customer gets on its router: a simple queue for its speed and an address-list entry
/// that the router's firewall lets through (`uplink-active`) or sends to the walled garden
/// (`uplink-suspended`). Pure: the worker, the reconciler and the tests call it.
package struct StaticEntryPolicy: Sendable {
    package static let activeList = "uplink-active"
    package static let suspendedList = "uplink-suspended"
    package static let queueMenu = "/queue/simple"
    package static let addressListMenu = "/ip/firewall/address-list"
    /// Every item the platform owns for a customer carries this comment prefix.
    package static let commentPrefix = "uplink:t"

    package var suspendedRateLimit: String

    package init(suspendedRateLimit: String) { self.suspendedRateLimit = suspendedRateLimit }

    /// The comment that finds a customer's items on any router.
    package static func key(tenantID: Int64, customerID: Int64) -> String { "\(commentPrefix)\(tenantID):c\(customerID)" }

    /// The router the customer's entries belong on and the entries; nil when it should have none (not a
    /// static-IP customer, no address or router, expired, disabled, deleted, or no package).
    package func entries(for subject: NetworkSubject, routerID: Int64?, package: PackageProfile?, tenantID: Int64)
        -> (routerID: Int64, items: [RouterItem])?
    {
        guard subject.type == .staticMonthly, !subject.deleted, let address = subject.staticIP, let routerID,
              let package, subject.packageID == package.id
        else { return nil }
        let suspended: Bool
        switch subject.status {
        case "active": suspended = false
        case "suspended": suspended = true
        default: return nil
        }
        let comment = Self.key(tenantID: tenantID, customerID: subject.customerID)
        var queue: [String: String] = [
            "name": subject.username,
            "target": address.contains("/") ? address : "\(address)/32",
            "disabled": "false",
        ]
        if suspended {
            queue["max-limit"] = Self.bitsText(suspendedRateLimit) ?? "256000/256000"
        } else {
            queue["max-limit"] = "\(Int64(package.uploadKbps) * 1000)/\(Int64(package.downloadKbps) * 1000)"
            if let burstUp = package.burstUploadKbps, let burstDown = package.burstDownloadKbps {
                let thresholdUp = package.burstThresholdUploadKbps ?? package.uploadKbps * 3 / 4
                let thresholdDown = package.burstThresholdDownloadKbps ?? package.downloadKbps * 3 / 4
                let time = package.burstTimeSeconds ?? 16
                queue["burst-limit"] = "\(Int64(burstUp) * 1000)/\(Int64(burstDown) * 1000)"
                queue["burst-threshold"] = "\(Int64(thresholdUp) * 1000)/\(Int64(thresholdDown) * 1000)"
                queue["burst-time"] = "\(time)s/\(time)s"
            }
        }
        let list: [String: String] = [
            "list": suspended ? Self.suspendedList : Self.activeList,
            "address": address.replacingOccurrences(of: "/32", with: ""),
            "disabled": "false",
        ]
        return (routerID, [
            RouterItem(menu: Self.queueMenu, key: ["comment": comment], properties: queue),
            RouterItem(menu: Self.addressListMenu, key: ["comment": comment], properties: list),
        ])
    }

    /// The tenant and customer a key names; nil when it is not one of the platform's keys.
    package static func parse(key: String) -> (tenantID: Int64, customerID: Int64)? {
        guard key.hasPrefix(commentPrefix) else { return nil }
        let parts = key.dropFirst(commentPrefix.count).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].first == "c", let tenant = Int64(parts[0]), let customer = Int64(parts[1].dropFirst()),
              tenant > 0, customer > 0
        else { return nil }
        return (tenant, customer)
    }

    /// `256k/1M` as `256000/1000000`; nil when it is not a pair of rates.
    static func bitsText(_ rate: String) -> String? {
        let first = rate.split(separator: " ").first.map(String.init) ?? rate
        return RateText.bitsPair(first).map { "\($0[0])/\($0[1])" }
    }
}
