/// The five kinds of customer, each billed and provisioned its own way. Shared vocabulary: the catalog
/// (packages are made for one type) and the customers module both speak it.
package enum CustomerType: String, Codable, Sendable, CaseIterable {
    case pppoeDaily = "pppoe_daily"
    case pppoeMonthly = "pppoe_monthly"
    case hotspot
    case staticMonthly = "static_monthly"
    case other

    /// Billed by a monthly cycle (and so needs a billing profile).
    package var isMonthly: Bool { self == .pppoeMonthly || self == .staticMonthly }

    /// Signs in through RADIUS, so it needs a password.
    package var authenticates: Bool { self == .pppoeDaily || self == .pppoeMonthly || self == .hotspot }

    /// Bought as prepaid validity (expires at a moment).
    package var isPrepaid: Bool { self == .pppoeDaily || self == .hotspot }
}
