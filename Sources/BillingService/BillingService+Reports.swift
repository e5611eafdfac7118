import Foundation
import Platform
import PostgresNIO

/// A report's output format: JSON (paged) or CSV (every matching row, up to `csvRowLimit`).
package enum ReportFormat: String, Sendable {
    case json
    case csv

    package static func parse(_ text: String?) throws -> ReportFormat {
        guard let text else { return .json }
        guard let format = ReportFormat(rawValue: text) else { throw PlatformError.invalidInput(field: "format", reason: "must be json or csv") }
        return format
    }
}

extension BillingService {
    /// Rows a CSV export carries at most.
    static let csvRowLimit = 100_000

    static let ledgerAccounts = ["wallet", "operator_income", "isp_income", "funding", "collections", "sales", "customer", "vat_payable"]

    /// Ledger entries of the caller's scope, newest first: `account`, `operator_id`, `customer_id`, `from`/`to`
    /// (local dates of the entry).
    package func ledger(for principal: Principal, account: String?, _ filter: MoneyListFilter, page: PageRequest, format: ReportFormat) async throws -> [UInt8] {
        var b = SQLBuilder()
        var conditions: [String] = []
        if let account {
            guard Self.ledgerAccounts.contains(account) else {
                throw PlatformError.invalidInput(field: "account", reason: "must be one of: \(Self.ledgerAccounts.joined(separator: ", "))")
            }
            conditions.append("e.account = \(b.bind(account))")
        }
        try Self.commonFilters(filter, alias: "e", builder: &b, into: &conditions)
        try Self.timeRange(from: filter.from, to: filter.to, column: "e.created_at", builder: &b, into: &conditions)
        let columns: [(String, String)] = [
            ("id", "e.id"), ("posting_id", "e.posting_id"), ("account", "e.account"), ("operator_id", "e.operator_id"),
            ("customer_id", "e.customer_id"), ("amount", "e.amount"), ("currency", "e.currency"), ("kind", "e.kind"), ("method", "e.method"),
            ("source_type", "e.source_type"), ("source_id", "e.source_id"), ("actor", "e.actor"), ("created_at", "platform.iso(e.created_at)"),
        ]
        return try await report(table: "ledger_entries", alias: "e", columns: columns, order: "e.id DESC", conditions: conditions,
                                builder: b, principal: principal, page: page, format: format)
    }

    /// Per operator of the caller's scope, for local dates `from`…`to` (default: this month so far): billed
    /// (invoices issued), sold (prepaid recharges' customer prices), collected (payments received), and
    /// outstanding now (open invoices), with totals.
    package func billingSummary(for principal: Principal, from: String?, to: String?, format: ReportFormat) async throws -> [UInt8] {
        let fromDate = try from.map { try Validate.date($0, field: "from") }
        let toDate = try to.map { try Validate.date($0, field: "to") }
        return try await database.withTenantTransaction(principal.tenantScope) { connection in
            let rows = try await connection.query(
                """
                WITH r AS (
                    SELECT coalesce(\(fromDate)::date, date_trunc('month', local_date(now()))::date) AS d0,
                           coalesce(\(toDate)::date, local_date(now())) AS d1, tenant_time_zone() AS tz
                ), b AS (
                    SELECT d0, d1, d0::timestamp AT TIME ZONE tz AS t0, (d1 + 1)::timestamp AT TIME ZONE tz AS t1 FROM r
                ), per AS (
                    SELECT o.id, o.name,
                        coalesce((SELECT sum(i.total) FROM invoices i, b WHERE i.operator_id = o.id AND i.status <> 'void'
                                  AND i.issued_on BETWEEN b.d0 AND b.d1), 0)::bigint AS billed,
                        coalesce((SELECT sum(x.customer_price) FROM recharges x, b WHERE x.operator_id = o.id
                                  AND x.created_at >= b.t0 AND x.created_at < b.t1), 0)::bigint AS sold,
                        coalesce((SELECT sum(p.amount) FROM payments p, b WHERE p.operator_id = o.id
                                  AND p.received_at >= b.t0 AND p.received_at < b.t1), 0)::bigint AS collected,
                        coalesce((SELECT sum(i.total - i.paid) FROM invoices i WHERE i.operator_id = o.id
                                  AND i.status IN ('unpaid', 'partial')), 0)::bigint AS outstanding
                    FROM operators o
                )
                SELECT per.id, per.name, per.billed, per.sold, per.collected, per.outstanding, b.d0::text, b.d1::text
                FROM per, b ORDER BY per.id
                """,
                logger: logger
            )
            var lines: [(Int64, String, Int64, Int64, Int64, Int64)] = []
            var range = ("", "")
            for try await (id, name, billed, sold, collected, outstanding, d0, d1) in rows.decode((Int64, String, Int64, Int64, Int64, Int64, String, String).self) {
                lines.append((id, name, billed, sold, collected, outstanding))
                range = (d0, d1)
            }
            let totals = lines.reduce((Int64(0), Int64(0), Int64(0), Int64(0))) { ($0.0 + $1.2, $0.1 + $1.3, $0.2 + $1.4, $0.3 + $1.5) }
            switch format {
            case .csv:
                var csv = "operator_id,operator,billed,sold,collected,outstanding\r\n"
                for line in lines {
                    csv += [String(line.0), line.1, String(line.2), String(line.3), String(line.4), String(line.5)].map(Self.csvCell).joined(separator: ",") + "\r\n"
                }
                csv += ",total,\(totals.0),\(totals.1),\(totals.2),\(totals.3)\r\n"
                return Array(csv.utf8)
            case .json:
                var out = JSONOutput()
                out.object { o in
                    o.key("from"); o.string(range.0)
                    o.key("operators")
                    o.array { a in
                        for line in lines {
                            a.object { r in
                                r.key("billed"); r.int(line.2)
                                r.key("collected"); r.int(line.4)
                                r.key("operator"); r.string(line.1)
                                r.key("operator_id"); r.int(line.0)
                                r.key("outstanding"); r.int(line.5)
                                r.key("sold"); r.int(line.3)
                            }
                        }
                    }
                    o.key("to"); o.string(range.1)
                    o.key("totals")
                    o.object { r in
                        r.key("billed"); r.int(totals.0)
                        r.key("collected"); r.int(totals.2)
                        r.key("outstanding"); r.int(totals.3)
                        r.key("sold"); r.int(totals.1)
                    }
                }
                return out.bytes
            }
        }
    }

    /// `from`/`to` local dates on a timestamp column, in the tenant's time zone.
    static func timeRange(from: String?, to: String?, column: String, builder b: inout SQLBuilder, into conditions: inout [String]) throws {
        if let from {
            conditions.append("\(column) >= (\(b.bind(try Validate.date(from, field: "from")))::date)::timestamp AT TIME ZONE tenant_time_zone()")
        }
        if let to {
            conditions.append("\(column) < (\(b.bind(try Validate.date(to, field: "to")))::date + 1)::timestamp AT TIME ZONE tenant_time_zone()")
        }
    }

    /// A list as JSON (one page, `{items, page, per_page, total}`) or CSV (every row up to the limit, a
    /// header of the column names; formula-like cells neutralised).
    func report(
        table: String, alias: String, columns: [(String, String)], order: String, conditions: [String], builder: SQLBuilder,
        principal: Principal, page: PageRequest, format: ReportFormat
    ) async throws -> [UInt8] {
        switch format {
        case .json:
            let json = "jsonb_build_object(" + columns.map { "'\($0.0)', \($0.1)" }.joined(separator: ", ") + ")"
            return try await list(table: table, alias: alias, json: json, order: order, conditions: conditions, builder: builder,
                                  principal: principal, page: page)
        case .csv:
            var b = builder
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let cells = columns.map { "coalesce((\($0.1))::text, '')" }.joined(separator: ", ")
            b.append("SELECT ARRAY[\(cells)] FROM \(table) \(alias) \(whereClause) ORDER BY \(order) LIMIT \(Self.csvRowLimit)")
            let query = b.query
            return try await database.withTenantTransaction(principal.tenantScope) { connection in
                var csv = columns.map(\.0).joined(separator: ",") + "\r\n"
                for try await row in try await connection.query(query, logger: logger).decode([String].self) {
                    csv += row.map(Self.csvCell).joined(separator: ",") + "\r\n"
                }
                return Array(csv.utf8)
            }
        }
    }
}

extension BillingService {
    /// The admin's books: per reseller, its wallet at the ISP (mode, balance, limit, what it owes) and, for
    /// local dates `from`…`to` (default this month), what it paid the ISP for its customers (net of refunds
    /// and voids) and what it was credited (top-ups, settlements). Each reseller's figures are read in that
    /// reseller's own scope, one short transaction each.
    package func resellerBooks(for principal: Principal, from: String?, to: String?, format: ReportFormat) async throws -> [UInt8] {
        guard principal.isAdmin else { throw PlatformError.forbidden("only the platform admin sees every reseller's books") }
        let fromDate = try from.map { try Validate.date($0, field: "from") }
        let toDate = try to.map { try Validate.date($0, field: "to") }
        let tenants = try await database.withPlatformConnection { connection in
            var list: [(Int64, String, String)] = []
            for try await row in try await connection.query(
                "SELECT id, name, status FROM platform.tenants WHERE kind = 'reseller' ORDER BY id", logger: logger
            ).decode((Int64, String, String).self) { list.append(row) }
            return list
        }
        struct Line { var tenant: Int64; var name: String; var status: String; var mode: String; var balance: Int64; var limit: Int64
            var charged: Int64; var credited: Int64; var range: (String, String) }
        var lines: [Line] = []
        for (tenantID, name, status) in tenants {
            let row = try await database.withTenantTransaction(TenantScope(tenantID: tenantID, operators: .all)) { connection in
                let rows = try await connection.query(
                    """
                    WITH r AS (
                        SELECT coalesce(\(fromDate)::date, date_trunc('month', local_date(now()))::date) AS d0,
                               coalesce(\(toDate)::date, local_date(now())) AS d1, tenant_time_zone() AS tz
                    ), b AS (SELECT d0, d1, d0::timestamp AT TIME ZONE tz AS t0, (d1 + 1)::timestamp AT TIME ZONE tz AS t1 FROM r),
                    o AS (SELECT id FROM operators WHERE kind = 'owner')
                    SELECT w.mode, w.balance, w.credit_limit,
                        coalesce((SELECT sum(e.amount) FROM ledger_entries e, b WHERE e.account = 'isp_income' AND e.operator_id = w.operator_id
                                  AND e.created_at >= b.t0 AND e.created_at < b.t1), 0)::bigint,
                        coalesce((SELECT sum(e.amount) FROM ledger_entries e, b WHERE e.account = 'wallet' AND e.operator_id = w.operator_id
                                  AND e.kind IN ('topup', 'settlement') AND e.created_at >= b.t0 AND e.created_at < b.t1), 0)::bigint,
                        b.d0::text, b.d1::text
                    FROM wallets w JOIN o ON o.id = w.operator_id, b
                    """,
                    logger: logger
                )
                for try await row in rows.decode((String, Int64, Int64, Int64, Int64, String, String).self) { return Optional(row) }
                return nil
            }
            guard let row else { continue }
            lines.append(Line(tenant: tenantID, name: name, status: status, mode: row.0, balance: row.1, limit: row.2, charged: row.3,
                              credited: row.4, range: (row.5, row.6)))
        }
        let range = lines.first?.range ?? (fromDate ?? "", toDate ?? "")
        switch format {
        case .csv:
            var csv = "reseller_id,reseller,status,mode,balance,credit_limit,owed,charged,credited\r\n"
            for l in lines {
                csv += [String(l.tenant), l.name, l.status, l.mode, String(l.balance), String(l.limit), String(max(0, -l.balance)),
                        String(l.charged), String(l.credited)].map(Self.csvCell).joined(separator: ",") + "\r\n"
            }
            return Array(csv.utf8)
        case .json:
            var out = JSONOutput()
            out.object { o in
                o.key("from"); o.string(range.0)
                o.key("resellers")
                o.array { a in
                    for l in lines {
                        a.object { r in
                            r.key("available"); r.int(l.mode == "prepaid" ? l.balance : l.balance + l.limit)
                            r.key("balance"); r.int(l.balance)
                            r.key("charged"); r.int(l.charged)
                            r.key("credit_limit"); r.int(l.limit)
                            r.key("credited"); r.int(l.credited)
                            r.key("mode"); r.string(l.mode)
                            r.key("owed"); r.int(max(0, -l.balance))
                            r.key("reseller"); r.string(l.name)
                            r.key("reseller_id"); r.int(l.tenant)
                            r.key("status"); r.string(l.status)
                        }
                    }
                }
                o.key("to"); o.string(range.1)
                o.key("totals")
                o.object { t in
                    t.key("balance"); t.int(lines.reduce(0) { $0 + $1.balance })
                    t.key("charged"); t.int(lines.reduce(0) { $0 + $1.charged })
                    t.key("credited"); t.int(lines.reduce(0) { $0 + $1.credited })
                    t.key("owed"); t.int(lines.reduce(0) { $0 + max(0, -$1.balance) })
                }
            }
            return out.bytes
        }
    }
}
