import Foundation
import Logging
import Platform
import PostgresNIO

extension CustomerService {
    /// The BTRC subscriber report for `from`…`to` (local dates, at most a year): the caller's tenant (a
    /// sub-reseller: its own customers), or for the platform admin every tenant of the ISP, each read in its
    /// own tenant-scoped transaction. Listing columns from each tenant's template (the admin's report uses
    /// the admin tenant's).
    package func btrcReport(for principal: Principal, from: String?, to: String?) async throws -> BTRCReport {
        guard let from, let to else { throw PlatformError.invalidInput(field: from == nil ? "from" : "to", reason: "is required (YYYY-MM-DD)") }
        let start = try Validate.date(from, field: "from"), end = try Validate.date(to, field: "to")
        guard start <= end else { throw PlatformError.invalidInput(field: "to", reason: "must not be before from") }
        guard let first = ISO8601DateFormatter.date(start), let last = ISO8601DateFormatter.date(end), last.timeIntervalSince(first) <= 366 * 86_400 else {
            throw PlatformError.invalidInput(field: "to", reason: "a report covers at most one year")
        }
        let columns = try await database.withTenantTransaction(principal.tenantScope) { connection in
            try await btrc.template(on: connection)
        } ?? BTRCField.defaultTemplate
        var scopes = [principal.tenantScope]
        if principal.isAdmin {
            let tenants = try await database.withPlatformConnection { connection in
                var ids: [Int64] = []
                for try await id in try await connection.query("SELECT id FROM platform.tenants ORDER BY id", logger: logger).decode(Int64.self) {
                    ids.append(id)
                }
                return ids
            }
            scopes = tenants.map { TenantScope(tenantID: $0, operators: .all) }
        }
        var subscribers: [BTRCSubscriber] = []
        for scope in scopes {
            subscribers += try await database.withTenantTransaction(scope) { connection in
                try await btrc.subscribers(from: start, to: end, on: connection)
            }
        }
        return BTRCReport(from: start, to: end, columns: columns, subscribers: subscribers)
    }

    /// The tenant's listing columns (the default when it has none).
    package func btrcTemplate(for principal: Principal) async throws -> (columns: [BTRCColumn], isDefault: Bool) {
        let stored = try await database.withTenantTransaction(principal.tenantScope) { try await btrc.template(on: $0) }
        return (stored ?? BTRCField.defaultTemplate, stored == nil)
    }

    /// Sets the tenant's listing columns (nil: back to the default): the tenant's owner only; 1–60 columns of
    /// known fields, headers 1–100 characters.
    package func setBTRCTemplate(_ columns: [(key: String, header: String)]?, by actor: Actor) async throws -> (columns: [BTRCColumn], isDefault: Bool) {
        let principal = actor.principal
        guard principal.role != .subReseller else { throw PlatformError.forbidden("only the tenant's owner sets the report's columns") }
        var parsed: [BTRCColumn]?
        if let columns {
            guard (1...60).contains(columns.count) else { throw PlatformError.invalidInput(field: "columns", reason: "must have 1 to 60 columns") }
            parsed = try columns.enumerated().map { index, column in
                guard let field = BTRCField(rawValue: column.key) else {
                    throw PlatformError.invalidInput(field: "columns.\(index).key", reason: "must be one of: \(BTRCField.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return BTRCColumn(field, try Validate.text(column.header, field: "columns.\(index).header", max: 100))
            }
        }
        try await database.withTenantTransaction(principal.tenantScope) { connection in
            try await btrc.saveTemplate(parsed, by: actor.name, on: connection)
        }
        return (parsed ?? BTRCField.defaultTemplate, parsed == nil)
    }
}

extension ISO8601DateFormatter {
    /// A `YYYY-MM-DD` date at midnight UTC (for the length of a period).
    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter.date(from: text)
    }
}

extension CustomerService {
    /// A level of Bangladesh's administrative lists, and the level above it.
    package enum GeoLevel: Sendable {
        case division, district, upazila

        /// Table and parent column (fixed names, never input).
        var source: (table: String, parent: String?) {
            switch self {
            case .division: ("platform.geo_divisions", nil)
            case .district: ("platform.geo_districts", "division_id")
            case .upazila: ("platform.geo_upazilas", "district_id")
            }
        }
    }

    /// One place of a list; `parent`: the division of a district, the district of an upazila.
    package struct Place: Sendable {
        package var id: Int64
        package var name: String
        package var nameBN: String?
        package var parent: Int64?
    }

    /// The places of a level by name, only those under `parent` when it is given.
    package func places(_ level: GeoLevel, parent: Int64? = nil) async throws -> [Place] {
        let (table, parentColumn) = level.source
        let parentSQL = parentColumn.map { "\($0)::bigint" } ?? "NULL::bigint"
        return try await database.withPlatformConnection { connection in
            var items: [Place] = []
            for try await (id, name, bn, above) in try await connection.query(
                """
                SELECT id::bigint, name, name_bn, \(unescaped: parentSQL) FROM \(unescaped: table)
                WHERE \(parent)::bigint IS NULL OR \(unescaped: parentSQL) = \(parent) ORDER BY name
                """,
                logger: logger
            ).decode((Int64, String, String?, Int64?).self) {
                items.append(Place(id: id, name: name, nameBN: bn, parent: above))
            }
            return items
        }
    }
}
