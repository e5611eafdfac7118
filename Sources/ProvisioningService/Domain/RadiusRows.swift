import Foundation
import Platform

/// One `attribute op value` row of `radius.radcheck`, `radreply`, `radgroupcheck` or `radgroupreply`.
package struct RadiusAttribute: Sendable, Hashable {
    package var attribute: String
    package var op: String
    package var value: String

    package init(_ attribute: String, _ op: String, _ value: String) {
        self.attribute = attribute
        self.op = op
        self.value = value
    }
}

/// Everything FreeRADIUS should hold for one username: its check and reply rows and its groups.
/// Empty means "no rows": FreeRADIUS then rejects the login.
package struct UserRadiusRows: Sendable, Hashable {
    package var check: [RadiusAttribute] = []
    package var reply: [RadiusAttribute] = []
    /// Group names in priority order (the first has priority 1).
    package var groups: [String] = []

    package init(check: [RadiusAttribute] = [], reply: [RadiusAttribute] = [], groups: [String] = []) {
        self.check = check
        self.reply = reply
        self.groups = groups
    }

    package var isEmpty: Bool { check.isEmpty && reply.isEmpty && groups.isEmpty }
}

/// The group rows of one package group (`radgroupcheck` / `radgroupreply`).
package struct GroupRadiusRows: Sendable, Hashable {
    package var check: [RadiusAttribute] = []
    package var reply: [RadiusAttribute] = []
}

/// What a package needs in RADIUS: speeds, pools, PPP profile and hotspot limits.
package struct PackageProfile: Sendable, Hashable {
    package var id: Int64
    package var customerType: CustomerType
    package var downloadKbps: Int
    package var uploadKbps: Int
    package var burstDownloadKbps: Int?
    package var burstUploadKbps: Int?
    package var burstThresholdDownloadKbps: Int?
    package var burstThresholdUploadKbps: Int?
    package var burstTimeSeconds: Int?
    package var timeLimitMinutes: Int?
    package var dataLimitMB: Int64?
    package var ipPool: String?
    package var suspendedPool: String?
    package var pppProfile: String?

    package init(id: Int64, customerType: CustomerType, downloadKbps: Int, uploadKbps: Int) {
        self.id = id
        self.customerType = customerType
        self.downloadKbps = downloadKbps
        self.uploadKbps = uploadKbps
    }

    /// The group every active subscriber of the package is in.
    package var activeGroup: String { "uplink-pkg-\(id)" }
    /// The group a suspended monthly subscriber of the package is moved to (walled garden).
    package var suspendedGroup: String { "uplink-pkg-\(id)-suspended" }

    /// MikroTik's `rx/tx [rx-burst/tx-burst rx-threshold/tx-threshold rx-time/tx-time]`, from the router's
    /// side: it receives the subscriber's upload and transmits the download. Burst needs both burst rates;
    /// a missing threshold defaults to ¾ of the base rate and a missing burst time to 16 s.
    package var rateLimit: String {
        var text = "\(uploadKbps)k/\(downloadKbps)k"
        if let burstUp = burstUploadKbps, let burstDown = burstDownloadKbps {
            let thresholdUp = burstThresholdUploadKbps ?? uploadKbps * 3 / 4
            let thresholdDown = burstThresholdDownloadKbps ?? downloadKbps * 3 / 4
            let time = burstTimeSeconds ?? 16
            text += " \(burstUp)k/\(burstDown)k \(thresholdUp)k/\(thresholdDown)k \(time)/\(time)"
        }
        return text
    }
}

/// The inputs of one customer's network state, read fresh from its tenant's tables.
package struct NetworkSubject: Sendable, Hashable {
    package var customerID: Int64
    package var username: String
    /// The subscriber's password in clear (decrypted just before use); nil when none is stored.
    package var password: String?
    package var type: CustomerType
    package var status: String
    package var deleted: Bool
    package var expiresAt: Date?
    package var staticIP: String?
    package var packageID: Int64?
    /// Bound MAC addresses, `aa:bb:cc:dd:ee:ff`.
    package var macs: [String]

    package init(
        customerID: Int64, username: String, password: String?, type: CustomerType, status: String, deleted: Bool,
        expiresAt: Date?, staticIP: String?, packageID: Int64?, macs: [String]
    ) {
        self.customerID = customerID
        self.username = username
        self.password = password
        self.type = type
        self.status = status
        self.deleted = deleted
        self.expiresAt = expiresAt
        self.staticIP = staticIP
        self.packageID = packageID
        self.macs = macs
    }
}

/// The one function that decides what FreeRADIUS holds for a customer. Pure: the worker, the reconciler and
/// the tests all call it.
package struct RadiusPolicy: Sendable {
    package var settings: ProvisioningSettings

    package init(settings: ProvisioningSettings) { self.settings = settings }

    /// - active PPPoE, hotspot or static subscriber with a package and a password → password, simultaneous-use,
    ///   MAC binding, validity end, the package's group, a static address when it has one;
    /// - a suspended monthly subscriber → the same login, but in the package's suspended group;
    /// - anything else (expired, disabled, deleted, suspended prepaid, `other`, no package or password) → no
    ///   rows, so FreeRADIUS rejects.
    package func rows(for subject: NetworkSubject, package: PackageProfile?) -> UserRadiusRows {
        guard !subject.deleted, subject.type != .other, let password = subject.password, !password.isEmpty,
              let package, subject.packageID == package.id
        else { return UserRadiusRows() }
        let suspended: Bool
        switch subject.status {
        case "active": suspended = false
        case "suspended" where subject.type.isMonthly: suspended = true
        default: return UserRadiusRows()
        }
        var check = [
            RadiusAttribute("Cleartext-Password", ":=", password),
            RadiusAttribute("Simultaneous-Use", ":=", String(settings.simultaneousUse)),
        ]
        if let pattern = Self.macPattern(subject.macs) {
            check.append(RadiusAttribute("Calling-Station-Id", "=~", pattern))
        }
        if !suspended, let expiresAt = subject.expiresAt {
            check.append(RadiusAttribute("Expiration", ":=", Self.expiration(expiresAt)))
        }
        var reply: [RadiusAttribute] = []
        if !suspended, let address = subject.staticIP {
            reply.append(RadiusAttribute("Framed-IP-Address", ":=", address))
        }
        return UserRadiusRows(check: check, reply: reply, groups: [suspended ? package.suspendedGroup : package.activeGroup])
    }

    /// Both groups of a package: the active one and the suspended (walled-garden) one.
    package func groups(for package: PackageProfile) -> [String: GroupRadiusRows] {
        var active: [RadiusAttribute] = [
            RadiusAttribute("Mikrotik-Rate-Limit", ":=", package.rateLimit),
            RadiusAttribute("Acct-Interim-Interval", ":=", String(settings.interimIntervalSeconds)),
        ]
        if let pool = package.ipPool { active.append(RadiusAttribute("Framed-Pool", ":=", pool)) }
        if let profile = package.pppProfile { active.append(RadiusAttribute("Mikrotik-Group", ":=", profile)) }
        if let minutes = package.timeLimitMinutes {
            active.append(RadiusAttribute("Session-Timeout", ":=", String(minutes * 60)))
        }
        if let megabytes = package.dataLimitMB {
            let bytes = UInt64(megabytes) * 1_048_576
            active.append(RadiusAttribute("Mikrotik-Total-Limit", ":=", String(bytes & 0xFFFF_FFFF)))
            active.append(RadiusAttribute("Mikrotik-Total-Limit-Gigawords", ":=", String(bytes >> 32)))
        }
        let suspended = [
            RadiusAttribute("Mikrotik-Rate-Limit", ":=", settings.suspendedRateLimit),
            RadiusAttribute("Acct-Interim-Interval", ":=", String(settings.interimIntervalSeconds)),
            RadiusAttribute("Framed-Pool", ":=", package.suspendedPool ?? settings.suspendedPool),
            RadiusAttribute("Mikrotik-Address-List", ":=", "uplink-suspended"),
        ]
        return [
            package.activeGroup: GroupRadiusRows(reply: active),
            package.suspendedGroup: GroupRadiusRows(reply: suspended),
        ]
    }

    /// A POSIX extended regular expression matching exactly the bound MACs as a NAS writes
    /// `Calling-Station-Id`: either case, with `:`, `-` or no separators. Nil when no MAC is bound.
    package static func macPattern(_ macs: [String]) -> String? {
        let alternatives = macs.compactMap { mac -> String? in
            let digits = mac.lowercased().filter(\.isHexDigit)
            guard digits.count == 12 else { return nil }
            let pairs = stride(from: 0, to: 12, by: 2).map { offset -> String in
                let start = digits.index(digits.startIndex, offsetBy: offset)
                return digits[start..<digits.index(start, offsetBy: 2)].map { character -> String in
                    character.isLetter ? "[\(character)\(character.uppercased())]" : String(character)
                }.joined()
            }
            return pairs.joined(separator: "[:-]?")
        }.sorted()
        guard !alternatives.isEmpty else { return nil }
        return "^(" + alternatives.joined(separator: "|") + ")$"
    }

    /// `Expiration` as FreeRADIUS reads it: a Unix time in seconds.
    package static func expiration(_ date: Date) -> String {
        String(Int64(date.timeIntervalSince1970.rounded(.down)))
    }
}
