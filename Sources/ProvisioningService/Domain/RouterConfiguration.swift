import Foundation
import Platform

/// What a configuration push writes on a router, in order: FreeRADIUS as its RADIUS server for PPP and
/// hotspot, incoming CoA/Disconnect accepted, PPP authentication and accounting through RADIUS, the IP
/// pools the packages name (where the router's ranges are known) and the PPP profiles the packages name.
/// Pure: no I/O.
struct RouterConfiguration: Sendable {
    /// Items the platform made carry this comment (found again by it where they have no name).
    static let comment = "uplink"

    var items: [RouterItem] = []
    /// Items that cannot be pushed, with the reason (a pool with no ranges known for this router).
    var skipped: [(label: String, reason: String)] = []

    /// `packages`: the active packages; `pools`: the router's pool ranges by name.
    init(router: RouterSettings, settings: ProvisioningSettings, packages: [PackageProfile], pools: [String: String]) {
        items.append(RouterItem(menu: "/radius", key: ["comment": Self.comment], properties: [
            "address": settings.radiusServerAddress,
            "secret": router.radiusSecret,
            "service": "ppp,hotspot",
            "authentication-port": String(settings.radiusAuthPort),
            "accounting-port": String(settings.radiusAcctPort),
            "disabled": "false",
        ]))
        items.append(RouterItem(menu: "/radius/incoming", key: [:], properties: ["accept": "true", "port": String(router.coaPort)]))
        items.append(RouterItem(menu: "/ppp/aaa", key: [:], properties: ["use-radius": "true", "accounting": "true"]))

        let ordered = packages.sorted { $0.id < $1.id }
        // Pools: every one a package names (and the default suspended pool), and every one given a range.
        var poolNames = Set(pools.keys)
        poolNames.insert(settings.suspendedPool)
        for package in ordered where package.customerType != .other && package.customerType != .staticMonthly {
            if let pool = package.ipPool { poolNames.insert(pool) }
            if let pool = package.suspendedPool { poolNames.insert(pool) }
        }
        var pushedPools = Set<String>()
        for name in poolNames.sorted() {
            guard let ranges = pools[name] else {
                skipped.append(("/ip/pool \(name)", "no address ranges are set for this router; give them in `pools`"))
                continue
            }
            pushedPools.insert(name)
            items.append(RouterItem(menu: "/ip/pool", key: ["name": name], properties: ["ranges": ranges, "comment": Self.comment]))
        }

        // PPP profiles: one per name a PPPoE package gives; of packages sharing a name, the oldest decides.
        var profiles = Set<String>()
        for package in ordered where package.customerType == .pppoeDaily || package.customerType == .pppoeMonthly {
            guard let name = package.pppProfile else { continue }
            guard profiles.insert(name).inserted else {
                skipped.append(("/ppp/profile \(name) (package \(package.id))", "an older package gives this profile its settings"))
                continue
            }
            var properties = ["rate-limit": package.rateLimit, "comment": Self.comment]
            if let pool = package.ipPool, pushedPools.contains(pool) { properties["remote-address"] = pool }
            items.append(RouterItem(menu: "/ppp/profile", key: ["name": name], properties: properties))
        }
    }

    /// The pools an admin gives with a push: `name` (1-64 characters, no spaces or control characters) and
    /// `ranges` as RouterOS takes them, `10.1.0.2-10.1.0.254,10.2.0.0/24` (IPv4, at most 50 parts).
    static func validatedPools(_ pools: [PoolInput]) throws -> [String: String] {
        guard pools.count <= 200 else { throw PlatformError.invalidInput(field: "pools", reason: "must list at most 200 pools") }
        var result: [String: String] = [:]
        for (index, pool) in pools.enumerated() {
            let field = "pools[\(index)]"
            let name = pool.name.trimmingCharacters(in: .whitespaces)
            guard (1...64).contains(name.count),
                  !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == " " })
            else { throw PlatformError.invalidInput(field: field + ".name", reason: "must be 1-64 characters without spaces") }
            guard result[name] == nil else { throw PlatformError.invalidInput(field: field + ".name", reason: "is given twice") }
            let parts = pool.ranges.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard (1...50).contains(parts.count), parts.allSatisfy(isRange) else {
                throw PlatformError.invalidInput(
                    field: field + ".ranges", reason: "must be IPv4 ranges like 10.1.0.2-10.1.0.254 or 10.2.0.0/24, comma-separated"
                )
            }
            result[name] = parts.joined(separator: ",")
        }
        return result
    }

    /// `a.b.c.d`, `a.b.c.d-e.f.g.h` (first ≤ last) or `a.b.c.d/nn`.
    private static func isRange(_ text: String) -> Bool {
        if let slash = text.firstIndex(of: "/") {
            guard let prefix = Int(text[text.index(after: slash)...]), (1...32).contains(prefix) else { return false }
            return ipv4(text[..<slash]) != nil
        }
        let ends = text.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(ends.count), let first = ipv4(ends[0]), let last = ipv4(ends[ends.count - 1]) else { return false }
        return first <= last
    }

    private static func ipv4(_ text: some StringProtocol) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for octet in octets {
            guard (1...3).contains(octet.count), octet.allSatisfy(\.isASCII), octet.allSatisfy(\.isNumber),
                  octet.count == 1 || octet.first != "0", let number = UInt32(octet), number <= 255
            else { return nil }
            value = value << 8 | number
        }
        return value
    }
}

/// One pool of a configuration push request.
package struct PoolInput: Decodable, Sendable {
    package var name: String
    package var ranges: String

    package init(name: String, ranges: String) {
        self.name = name
        self.ranges = ranges
    }
}
