import Foundation
import Platform
import PostgresNIO

/// The customer list's filters, validated.
struct CustomerFilter: Sendable {
    var search: String?
    /// nil: every status.
    var statuses: [String]?
    var type: String?
    var zoneID: Int64?
    var packageID: Int64?
    var operatorID: Int64?
    /// `cf.<key>=value`, values normalised by their field's type.
    var custom: [String: String] = [:]
    var sort: CustomerSort = .newest
    /// A sub-reseller's operators: added as a plain predicate too, so the planner can use the operator index
    /// (row-level security enforces the same, but hides it from index selection).
    var operators: [Int64]?
}

/// The default view's page with the counts of every operator of the tenant (an owner's scope) as its first
/// column: `$1` status, newest first, `$2` per page, `$3` offset.
enum NewestCustomersOfStatus: SQLStatement {
    static let sql = """
        SELECT (SELECT string_agg(s.status || ':' || s.n, ',')
                FROM (SELECT k.status, sum(k.n) FROM customer_counts k GROUP BY k.status) AS s(status, n)) AS counts,
            \(CustomerRepository.listColumns) FROM customers c \(CustomerRepository.joins)
        WHERE c.deleted_at IS NULL AND c.status = $1
        ORDER BY c.created_at DESC, c.id DESC LIMIT $2 OFFSET $3
        """
}

extension CustomerFilter {
    /// The panel's first screen (an owner's customers of one status, newest first): a prepared statement,
    /// since parsing and planning it cost more than executing it.
    var isDefaultView: Bool {
        isCountedByOperator && operators == nil && operatorID == nil && sort == .newest && statuses?.count == 1
    }

    /// True when only operators narrow the view, so `customer_counts` answers the per-status counts.
    var isCountedByOperator: Bool {
        search == nil && type == nil && zoneID == nil && packageID == nil && custom.isEmpty
    }
}

enum CustomerSort: String, CaseIterable {
    case newest = "-created_at", oldest = "created_at", name, nameDescending = "-name", expiresAt = "expires_at", expiresAtDescending = "-expires_at"

    var orderBy: String {
        switch self {
        case .newest: "c.created_at DESC, c.id DESC"
        case .oldest: "c.created_at, c.id"
        case .name: "c.search_name, c.id"
        case .nameDescending: "c.search_name DESC, c.id DESC"
        case .expiresAt: "c.expires_at NULLS LAST, c.id"
        case .expiresAtDescending: "c.expires_at DESC NULLS LAST, c.id DESC"
        }
    }
}

extension CustomerRepository {
    /// One page of live customers and the per-status counts of the same filter (status aside), in one
    /// statement: every page row carries the counts (`active:12,expired:3`), computed once.
    func list(_ filter: CustomerFilter, page: PageRequest, online: Set<Int64>?, on connection: PostgresConnection) async throws -> CustomerPage {
        var rows: [PostgresRow] = []
        for try await row in try await connection.query(Self.listStatements(filter, page: page).page, logger: logger) { rows.append(row) }
        var counts = Dictionary(uniqueKeysWithValues: CustomerStatus.allCases.map { ($0.rawValue, 0) })
        if let first = rows.first?.first {
            try Self.readCounts(first, into: &counts)
        } else {
            // No row to carry them (an empty page): ask for the counts alone.
            let countsOnly = Self.listStatements(filter, page: page).counts
            for try await (status, count) in try await connection.query(countsOnly, logger: logger).decode((String, Int).self) {
                counts[status] = count
            }
        }
        return try Self.page(rows, filter: filter, page: page, counts: counts, online: online)
    }

    /// The default view (an owner's customers of one status, newest first) on the pipelined read path: the
    /// scope switch and the prepared page in one round trip. Nil for an empty page, whose counts need the
    /// counting statement.
    func defaultView(_ filter: CustomerFilter, page: PageRequest, online: Set<Int64>?, database: Database, scope: TenantScope) async throws -> CustomerPage? {
        guard filter.isDefaultView, let status = filter.statuses?.first else { return nil }
        var bindings = WireBindings()
        bindings.append(status)
        bindings.append(page.perPage)
        bindings.append(page.offset)
        let result = try await database.tenantRead(scope, NewestCustomersOfStatus.self, bindings)
        guard let first = result.rows.first?.first(where: { _ in true }) else { return nil }
        var counts = Dictionary(uniqueKeysWithValues: CustomerStatus.allCases.map { ($0.rawValue, 0) })
        try Self.readCounts(first, into: &counts)
        return try Self.page(result.rows, filter: filter, page: page, counts: counts, online: online)
    }

    /// The counts column of a page's first row: `active:12,expired:3`.
    private static func readCounts(_ cell: PostgresCell, into counts: inout [String: Int]) throws {
        for pair in (try cell.decode(String?.self, context: .default) ?? "").split(separator: ",") {
            let parts = pair.split(separator: ":")
            if parts.count == 2, let count = Int(parts[1]) { counts[String(parts[0])] = count }
        }
    }

    private static func page<Row: Sequence<PostgresCell>>(
        _ rows: [Row], filter: CustomerFilter, page: PageRequest, counts: [String: Int], online: Set<Int64>?
    ) throws -> CustomerPage {
        let total = filter.statuses.map { $0.reduce(0) { $0 + (counts[$1] ?? 0) } } ?? counts.values.reduce(0, +)
        return CustomerPage(items: try writeList(rows, skipping: 1, online: online), page: page.page, perPage: page.perPage, total: total, counts: counts)
    }

    /// The list's statements: the per-status counts of the filter (status aside) alone, and the page with
    /// those counts as its first column.
    static func listStatements(_ filter: CustomerFilter, page: PageRequest) -> (counts: PostgresQuery, page: PostgresQuery) {
        func counting(_ b: inout SQLBuilder) {
            if filter.isCountedByOperator {
                // Kept exact by triggers: a few rows instead of a count of the table.
                b.append("SELECT k.status, sum(k.n)::bigint FROM customer_counts k WHERE true")
                if let operators = filter.operators { b.append(" AND k.operator_id = ANY(\(b.bind(operators))::bigint[])") }
                if let operatorID = filter.operatorID { b.append(" AND k.operator_id = \(b.bind(operatorID))") }
                b.append(" GROUP BY k.status")
            } else {
                b.append("SELECT c.status, count(*) FROM customers c WHERE c.deleted_at IS NULL")
                appendFilter(filter, includeStatus: false, to: &b)
                b.append(" GROUP BY c.status")
            }
        }
        var countsOnly = SQLBuilder()
        counting(&countsOnly)
        var b = SQLBuilder()
        counting(&b)
        let countsSQL = b.sql
        b.sql = "SELECT (SELECT string_agg(s.status || ':' || s.n, ',') FROM (\(countsSQL)) AS s(status, n)) AS counts, \(listColumns) "
            + "FROM customers c \(joins) WHERE c.deleted_at IS NULL"
        appendFilter(filter, includeStatus: true, to: &b)
        b.append(" ORDER BY \(filter.sort.orderBy) LIMIT \(page.perPage) OFFSET \(page.offset)")
        return (countsOnly.query, b.query)
    }

    /// `EXPLAIN (ANALYZE, BUFFERS)` of a statement, one line per plan line.
    func explain(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> [String] {
        var lines: [String] = []
        let explained = PostgresQuery(unsafeSQL: "EXPLAIN (ANALYZE, BUFFERS) " + query.sql, binds: query.binds)
        for try await line in try await connection.query(explained, logger: logger).decode(String.self) { lines.append(line) }
        return lines
    }

    /// Soft-deleted customers, most recently deleted first.
    func deleted(search: String?, operators: [Int64]?, page: PageRequest, online: Set<Int64>?, on connection: PostgresConnection) async throws -> CustomerPage {
        var filter = CustomerFilter(search: search)
        filter.operators = operators
        var counting = SQLBuilder("SELECT count(*) FROM customers c WHERE c.deleted_at IS NOT NULL")
        Self.appendFilter(filter, includeStatus: false, to: &counting)
        let total = try await connection.scalar(counting.query, as: Int.self, logger: logger) ?? 0
        var b = SQLBuilder("SELECT \(Self.listColumns) FROM customers c \(Self.joins) WHERE c.deleted_at IS NOT NULL")
        Self.appendFilter(filter, includeStatus: false, to: &b)
        b.append(" ORDER BY c.deleted_at DESC, c.id DESC LIMIT \(page.perPage) OFFSET \(page.offset)")
        var rows: [PostgresRow] = []
        for try await row in try await connection.query(b.query, logger: logger) { rows.append(row) }
        let items = try Self.writeList(rows, online: online)
        return CustomerPage(items: items, page: page.page, perPage: page.perPage, total: total, counts: nil)
    }

    static func appendFilter(_ filter: CustomerFilter, includeStatus: Bool, to b: inout SQLBuilder) {
        if let operators = filter.operators { b.append(" AND c.operator_id = ANY(\(b.bind(operators))::bigint[])") }
        if includeStatus, let statuses = filter.statuses {
            // One status as `=`, so an index on (status, sort key) serves the order and the limit.
            if statuses.count == 1 {
                b.append(" AND c.status = \(b.bind(statuses[0]))")
            } else {
                b.append(" AND c.status = ANY(\(b.bind(statuses))::text[])")
            }
        }
        if let type = filter.type { b.append(" AND c.type = \(b.bind(type))") }
        if let zone = filter.zoneID { b.append(" AND c.zone_id = \(b.bind(zone))") }
        if let package = filter.packageID { b.append(" AND c.package_id = \(b.bind(package))") }
        if let operatorID = filter.operatorID { b.append(" AND c.operator_id = \(b.bind(operatorID))") }
        if !filter.custom.isEmpty { b.append(" AND c.custom @> \(b.bind(json(filter.custom)))::jsonb") }
        if let search = filter.search { appendSearch(search, to: &b) }
    }

    /// `q`: a name fragment (accent- and case-insensitive, trigram index), a username prefix, a phone number
    /// in any format (or the start of one), or a customer code.
    static func appendSearch(_ search: String, to b: inout SQLBuilder) {
        var alternatives: [String] = []
        let fragment = "%" + escapeLike(search) + "%"
        alternatives.append("c.search_name LIKE platform.fold(\(b.bind(fragment)))")
        alternatives.append("lower(c.username) LIKE \(b.bind(escapeLike(search.lowercased()) + "%"))")
        alternatives.append("lower(c.code) = \(b.bind(search.lowercased()))")
        if let phone = Validate.normalizedPhone(search) {
            alternatives.append("c.phone = \(b.bind(phone))")
        } else {
            let digits = search.filter { $0.isASCII && $0.isNumber }
            let isPartialNumber = digits.count >= 4 && search.allSatisfy { ($0.isASCII && $0.isNumber) || $0 == " " || $0 == "-" || $0 == "+" }
            if isPartialNumber {
                // `+88017…` / `88017…` / `017…` all start the stored `017…`.
                var local = digits
                if local.hasPrefix("880") { local = "0" + local.dropFirst(3) }
                alternatives.append("c.phone LIKE \(b.bind(local + "%"))")
            }
        }
        b.append(" AND (" + alternatives.joined(separator: " OR ") + ")")
    }

    // MARK: Admin, across tenants

    static func adminStatements(search: String?, tenantID: Int64?, status: String?, page: PageRequest) -> (count: PostgresQuery, page: PostgresQuery) {
        var where_ = SQLBuilder(" WHERE true")
        if let tenantID { where_.append(" AND x.tenant_id = \(where_.bind(tenantID))") }
        if status == "deleted" {
            where_.append(" AND x.deleted")
        } else {
            where_.append(" AND NOT x.deleted")
            if let status { where_.append(" AND x.status = \(where_.bind(status))") }
        }
        if let search {
            var alternatives = [
                "x.search_name LIKE platform.fold(\(where_.bind("%" + escapeLike(search) + "%")))",
                "lower(x.username) LIKE \(where_.bind(escapeLike(search.lowercased()) + "%"))",
                "lower(x.code) = \(where_.bind(search.lowercased()))",
            ]
            if let phone = Validate.normalizedPhone(search) { alternatives.append("x.phone = \(where_.bind(phone))") }
            where_.append(" AND (" + alternatives.joined(separator: " OR ") + ")")
        }
        let count = PostgresQuery(unsafeSQL: "SELECT count(*) FROM platform.customer_index x" + where_.sql, binds: where_.binds)
        let page = PostgresQuery(
            unsafeSQL: """
                SELECT x.tenant_id, t.name, x.customer_id, x.operator_id, x.code, x.username, x.full_name,
                    x.phone, x.type, x.status, x.deleted, x.created_at
                FROM platform.customer_index x JOIN platform.tenants t ON t.id = x.tenant_id
                """ + where_.sql + " ORDER BY x.created_at DESC, x.tenant_id, x.customer_id LIMIT \(page.perPage) OFFSET \(page.offset)",
            binds: where_.binds
        )
        return (count, page)
    }

    /// The admin's search of every tenant through `platform.customer_index` (application role).
    func adminCount(search: String?, tenantID: Int64?, status: String?, on connection: PostgresConnection) async throws -> Int {
        let statements = Self.adminStatements(search: search, tenantID: tenantID, status: status, page: PageRequest())
        return try await connection.scalar(statements.count, as: Int.self, logger: logger) ?? 0
    }

    func adminPage(
        search: String?, tenantID: Int64?, status: String?, page: PageRequest, on connection: PostgresConnection
    ) async throws -> [AdminCustomerHit] {
        let statements = Self.adminStatements(search: search, tenantID: tenantID, status: status, page: page)
        var items: [AdminCustomerHit] = []
        for try await row in try await connection.query(statements.page, logger: logger) {
            let r = row.makeRandomAccess()
            items.append(AdminCustomerHit(
                tenantID: try r.get("tenant_id"), tenantName: try r.get("name"), customerID: try r.get("customer_id"),
                operatorID: try r.get("operator_id"), code: try r.get("code"), username: try r.get("username"),
                fullName: try r.get("full_name"), phone: try r.get("phone"), type: try r.get("type"), status: try r.get("status"),
                deleted: try r.get("deleted"), createdAt: try r.get("created_at")
            ))
        }
        return items
    }
}

