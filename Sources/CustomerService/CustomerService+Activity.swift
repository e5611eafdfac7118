import Foundation
import Platform
import PostgresNIO

extension CustomerService {
    /// The activity log, newest first; a sub-reseller sees entries about its own customers only.
    package func activity(
        for principal: Principal, customerID: String?, actor: String?, action: String?, from: String?, to: String?, page: PageRequest
    ) async throws -> Page<ActivityEntry> {
        var filter = SQLBuilder(" FROM activity_log a WHERE true")
        if let customerID { filter.append(" AND a.customer_id = \(filter.bind(try Validate.positiveID(customerID, field: "customer_id")))") }
        if let actor { filter.append(" AND a.actor_username = \(filter.bind(try Validate.text(actor, field: "actor", max: 100)))") }
        if let action {
            guard action.count <= 40, action.allSatisfy({ ("a"..."z").contains($0) || $0 == "_" }) else {
                throw PlatformError.invalidInput(field: "action", reason: "must be an action name like suspend or change_package")
            }
            filter.append(" AND a.action = \(filter.bind(action))")
        }
        if let from { filter.append(" AND a.occurred_at >= \(filter.bind(try Self.instant(from, field: "from")))") }
        if let to { filter.append(" AND a.occurred_at < \(filter.bind(try Self.instant(to, field: "to")))") }
        if let operators = Self.operatorList(principal) { filter.append(" AND a.operator_id = ANY(\(filter.bind(operators))::bigint[])") }
        return try await database.withTenantTransaction(principal.tenantScope) { connection in
            let total = try await connection.scalar(filter.countQuery, as: Int.self, logger: logger) ?? 0
            let columns = """
                a.id, a.occurred_at, a.operator_id, a.customer_id, a.action, a.actor_username, a.actor_user_id, a.actor_token_id,
                a.changes::text, a.request_id, a.client_ip
                """
            let rows = try await connection.query(filter.pageQuery(columns, orderBy: "a.id DESC", page: page), logger: logger)
            var items: [ActivityEntry] = []
            for try await (id, at, operatorID, customerID, action, actor, userID, tokenID, changes, requestID, clientIP)
                in rows.decode((Int64, Date, Int64, Int64?, String, String, Int64?, Int64?, String, String?, String?).self) {
                items.append(ActivityEntry(
                    id: id, occurredAt: at, operatorID: operatorID, customerID: customerID, action: action, actor: actor,
                    actorUserID: userID, actorTokenID: tokenID, changes: JSONText(text: changes), requestID: requestID, clientIP: clientIP
                ))
            }
            return Page(items: items, page: page.page, perPage: page.perPage, total: total)
        }
    }

    /// `2026-11-27` (midnight UTC) or a full ISO 8601 instant.
    static func instant(_ text: String, field: String) throws -> Date {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        if let day = try? Validate.date(text, field: field), let date = try? Date(day + "T00:00:00Z", strategy: .iso8601) { return date }
        throw PlatformError.invalidInput(field: field, reason: "must be a date (YYYY-MM-DD) or an ISO 8601 time")
    }

    // MARK: The admin, across tenants

    /// Searches the customers of every tenant (admin only) through the platform-wide index.
    package func adminSearch(by principal: Principal, search: String?, tenantID: String?, status: String?, page: PageRequest) async throws -> Page<AdminCustomerHit> {
        guard principal.isAdmin else { throw PlatformError.forbidden("only the platform admin may search every tenant") }
        let search = try search.flatMap { text in
            text.trimmingCharacters(in: .whitespaces).isEmpty ? nil : try Validate.text(text, field: "q", max: 100)
        }
        let tenant = try tenantID.map { try Validate.positiveID($0, field: "tenant_id") }
        if let status, status != "deleted", CustomerStatus(rawValue: status) == nil {
            throw PlatformError.invalidInput(field: "status", reason: "must be active, expired, suspended, disabled or deleted")
        }
        // The count and the page are independent reads of the platform index: run them side by side on two
        // connections, so the answer takes the longer of the two, not their sum.
        async let total = database.withPlatformConnection { connection in
            try await customers.adminCount(search: search, tenantID: tenant, status: status, on: connection)
        }
        let items = try await database.withPlatformConnection { connection in
            try await customers.adminPage(search: search, tenantID: tenant, status: status, page: page, on: connection)
        }
        return Page(items: items, page: page.page, perPage: page.perPage, total: try await total)
    }

    /// One customer of any tenant, for the admin; the read is logged in that tenant's activity log.
    package func adminCustomer(tenantID: Int64, id: Int64, by actor: Actor) async throws -> Customer {
        guard actor.principal.isAdmin else { throw PlatformError.forbidden("only the platform admin may read other tenants' customers") }
        let exists = try await database.withPlatformTransaction { connection in
            try await connection.returnsRow("SELECT 1 FROM platform.tenants WHERE id = \(tenantID)", logger: logger)
        }
        guard exists else { throw PlatformError.notFound("customer") }
        let customer = try await database.withTenantTransaction(TenantScope(tenantID: tenantID, operators: .all)) { connection in
            guard let customer = try await customers.customer(id: id, includeDeleted: true, on: connection) else {
                throw PlatformError.notFound("customer")
            }
            if tenantID != actor.principal.tenantID {
                try await customers.log(action: "admin_viewed", customerID: id, operatorID: customer.operatorID, actor: actor, on: connection)
            }
            return customer
        }
        return await withOnline(customer, tenantID: tenantID)
    }
}
