import Foundation
import Platform

/// A JSON value decoded into plain Swift values for the templates: objects become `[String: Any]`, arrays
/// `[Any]`, numbers `Int` or `Double`, `true`/`false` `Bool`, `null` is left out of its object. The pages
/// render what the API would answer: the same service call, its JSON read back (a page shows at most a
/// few hundred values, so this costs well under a millisecond).
enum ViewValue: Decodable {
    case object([String: ViewValue])
    case array([ViewValue])
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int.self) { self = .int(value) }
        else if let value = try? container.decode(Double.self) { self = .double(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([ViewValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: ViewValue].self)) }
    }

    /// The value as the templates take it.
    var plain: Any? {
        switch self {
        case .object(let members):
            var object: [String: Any] = [:]
            object.reserveCapacity(members.count)
            for (key, value) in members { if let plain = value.plain { object[key] = plain } }
            return object
        case .array(let items): return items.compactMap(\.plain)
        case .string(let value): return value
        case .int(let value): return value
        case .double(let value): return value
        case .bool(let value): return value
        case .null: return nil
        }
    }

    static func parse(_ bytes: some Collection<UInt8>) throws -> Any {
        try AppJSON.decoder.decode(ViewValue.self, from: Data(bytes)).plain ?? [String: Any]()
    }

    static func object(_ bytes: some Collection<UInt8>) throws -> [String: Any] {
        try parse(bytes) as? [String: Any] ?? [:]
    }

    static func objects(_ bytes: some Collection<UInt8>) throws -> [[String: Any]] {
        (try parse(bytes) as? [Any] ?? []).compactMap { $0 as? [String: Any] }
    }

    static func written(_ value: some JSONWritable) throws -> [String: Any] {
        var out = JSONOutput()
        value.writeJSON(to: &out)
        return try object(out.bytes)
    }

    static func encoded(_ value: some Encodable) throws -> [String: Any] {
        try object(Array(AppJSON.encoder.encode(value)))
    }

    static func list(_ values: [some Encodable]) throws -> [[String: Any]] {
        try objects(Array(AppJSON.encoder.encode(values)))
    }
}

/// How the pages write times, amounts and names.
enum Display {
    static let zone = TimeZone(identifier: "Asia/Dhaka")!

    static func date(_ iso: String) -> Date? {
        (try? Date.ISO8601FormatStyle().parse(iso)) ?? (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(iso))
    }

    /// `2026-11-28 14:05` in the panel's time zone (Dhaka).
    static func time(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0)
    }

    static func time(iso: Any?) -> String? {
        guard let text = iso as? String, let date = date(text) else { return nil }
        return time(date)
    }

    /// Minor units as `1,234.50`.
    static func money(_ minor: Int) -> String {
        let sign = minor < 0 ? "-" : ""
        let value = abs(minor)
        let whole = String(value / 100)
        var grouped = ""
        for (index, character) in whole.enumerated() {
            if index > 0, (whole.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(character)
        }
        return "\(sign)\(grouped).\(String(format: "%02d", value % 100))"
    }

    static func bytes(_ count: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func duration(seconds: Int) -> String {
        let days = seconds / 86_400, hours = seconds % 86_400 / 3_600, minutes = seconds % 3_600 / 60
        if days > 0 { return "\(days)d \(hours)h" }
        if hours > 0 { return "\(hours)h \(minutes)m" }
        return "\(minutes)m"
    }

    static func label(_ raw: String) -> String {
        switch raw {
        case "pppoe_daily": "PPPoE (daily)"
        case "pppoe_monthly": "PPPoE (monthly)"
        case "hotspot": "Hotspot"
        case "static_monthly": "Static IP (monthly)"
        case "other": "Other"
        default: raw.replacingOccurrences(of: "_", with: " ").capitalized
        }
    }
}
