import Foundation
import Platform
import PostgresNIO

/// `POST /customers/{id}/invoices`: a manual invoice for the period due as of `as_of` (default now).
package struct ManualInvoiceInput: Decodable, Sendable {
    var asOf: String?

    enum CodingKeys: String, CodingKey {
        case asOf = "as_of"
    }
}

/// Filters of the invoice, payment and ledger lists.
package struct MoneyListFilter: Sendable {
    package var status: String?
    package var operatorID: String?
    package var customerID: String?
    package var from: String?
    package var to: String?

    package init(status: String?, operatorID: String?, customerID: String?, from: String?, to: String?) {
        self.status = status
        self.operatorID = operatorID
        self.customerID = customerID
        self.from = from
        self.to = to
    }
}

extension BillingService {
    /// An invoice as the API writes it.
    static func invoiceJSON(_ i: String) -> String {
        """
        jsonb_build_object('id', \(i).id, 'number', \(i).number, 'code', 'INV-' || lpad(\(i).number::text, 6, '0'),
            'customer_id', \(i).customer_id, 'operator_id', \(i).operator_id, 'package_id', \(i).package_id,
            'period_start', \(i).period_start::text, 'period_end', \(i).period_end::text, 'issued_on', \(i).issued_on::text,
            'due_on', \(i).due_on::text, 'lines', \(i).lines, 'subtotal', \(i).subtotal, 'discount', \(i).discount, 'vat', \(i).vat,
            'total', \(i).total, 'paid', \(i).paid, 'balance_due', \(i).total - \(i).paid, 'status', \(i).status, 'currency', \(i).currency,
            'source', \(i).source, 'actor', \(i).actor, 'created_at', platform.iso(\(i).created_at))
        """
    }

    /// Invoices a monthly (or other, with a billing profile) customer for the period due as of `as_of`:
    /// exactly once per period (409 `already_invoiced` after that), the operators' wallets charged as by the
    /// scheduler. Idempotent under `key`.
    package func createInvoice(customerID: Int64, by actor: Actor, _ input: ManualInvoiceInput, key: String, body: Data) async throws -> MoneyResult {
        let principal = actor.principal
        let asOf = try input.asOf.map { try Validate.timestamp($0, field: "as_of") } ?? clock.now()
        return try await idempotent(principal.tenantScope, actor: actor, key: key, operation: "invoice:\(customerID)", body: body, status: 201) { connection in
            let rows = try await connection.query(
                "SELECT type, billing_profile_id FROM customers WHERE id = \(customerID) AND deleted_at IS NULL", logger: logger
            )
            var found: (String, Int64?)?
            for try await row in rows.decode((String, Int64?).self) { found = row }
            guard let (type, profile) = found else { throw PlatformError.notFound("customer") }
            guard type != "pppoe_daily", type != "hotspot" else {
                throw PlatformError.unprocessable(field: "type", code: "prepaid_customer", reason: "\(type) customers are recharged, not invoiced")
            }
            guard profile != nil else {
                throw PlatformError.unprocessable(field: "billing_profile_id", code: "no_billing_profile", reason: "the customer has no billing profile")
            }
            let outcome = try await connection.query(
                """
                SELECT created, skipped, unaffordable, unassigned
                FROM generate_invoices(\(asOf)::timestamptz, 0, 1, \(customerID)::bigint, \(actor.name)::text, 'manual')
                """,
                logger: logger
            )
            for try await (created, skipped, unaffordable, unassigned) in outcome.decode((Int, Int, Int, Int).self) {
                if created == 1 { break }
                if unaffordable > 0 {
                    throw PlatformError.conflict(code: "insufficient_balance", message: "an operator's wallet cannot pay for this invoice")
                }
                if unassigned > 0 {
                    throw PlatformError.unprocessable(field: "package_id", code: "package_not_assigned", reason: "the customer's package is not assigned to its operator")
                }
                if skipped > 0 {
                    throw PlatformError.conflict(code: "already_invoiced", message: "the period due is already invoiced, or the customer's service starts later")
                }
                throw PlatformError.unprocessable(field: "package_id", code: "not_billable", reason: "the customer has no package to invoice")
            }
            let json = try await connection.scalar(
                "SELECT \(unescaped: Self.invoiceJSON("i"))::text FROM invoices i WHERE i.customer_id = \(customerID) ORDER BY i.id DESC LIMIT 1",
                as: String.self, logger: logger
            )
            return Array((json ?? "{}").utf8)
        }
    }

    /// Records a monthly customer's payment: allocated oldest invoice first, the rest kept as advance credit,
    /// and the customer reactivated at once when it leaves nothing overdue (profile permitting).
    package func recordPayment(customerID: Int64, by actor: Actor, _ input: PaymentInput, key: String, body: Data) async throws -> MoneyResult {
        let principal = actor.principal
        let now = clock.now()
        let amount = try checkedAmount(input.amount, field: "amount")
        let method = try PaymentMethod.parse(input.method ?? "cash", field: "method")
        let reference = try checkedReference(input.reference, field: "reference")
        if method == .mobileMoney, reference == nil {
            throw PlatformError.unprocessable(field: "reference", code: "missing_field", reason: "is required for mobile money (the transaction id)")
        }
        let received = try input.receivedAt.map { try Validate.timestamp($0, field: "received_at") } ?? now
        return try await idempotent(principal.tenantScope, actor: actor, key: key, operation: "payment:\(customerID)", body: body, status: 201) { connection in
            let json = try await connection.scalar(
                """
                SELECT record_payment(\(customerID)::bigint, \(amount)::bigint, \(method.rawValue)::text, \(reference)::text,
                    \(received)::timestamptz, \(now)::timestamptz, \(actor.name)::text, \(actor.userID)::bigint, \(actor.tokenID)::bigint,
                    \(actor.requestID)::text, \(actor.clientIP)::text)::text
                """,
                as: String.self, logger: logger
            )
            return Array((json ?? "{}").utf8)
        }
    }

    package func invoice(id: Int64, for principal: Principal) async throws -> [UInt8] {
        try await database.withTenantTransaction(principal.tenantScope) { connection in
            let json = try await connection.scalar(
                """
                SELECT (\(unescaped: Self.invoiceJSON("i")) || jsonb_build_object('payments',
                    (SELECT coalesce(jsonb_agg(jsonb_build_object('payment_id', a.payment_id, 'amount', a.amount,
                        'created_at', platform.iso(a.created_at)) ORDER BY a.created_at), '[]'::jsonb)
                     FROM payment_allocations a WHERE a.invoice_id = i.id)))::text
                FROM invoices i WHERE i.id = \(id)
                """,
                as: String.self, logger: logger
            )
            guard let json else { throw PlatformError.notFound("invoice") }
            return Array(json.utf8)
        }
    }

    /// Invoices of the caller's scope, newest first: `status` (comma list), `operator_id`, `customer_id`,
    /// `from`/`to` (issue dates, inclusive).
    package func invoices(for principal: Principal, _ filter: MoneyListFilter, page: PageRequest, format: ReportFormat = .json) async throws -> [UInt8] {
        var b = SQLBuilder()
        var conditions: [String] = []
        if let status = filter.status {
            let statuses = status.split(separator: ",").map(String.init)
            guard !statuses.isEmpty, statuses.allSatisfy({ ["unpaid", "partial", "paid", "void"].contains($0) }) else {
                throw PlatformError.invalidInput(field: "status", reason: "must be a comma-separated list of unpaid, partial, paid, void")
            }
            conditions.append("i.status = ANY(\(b.bind(statuses))::text[])")
        }
        try Self.commonFilters(filter, alias: "i", builder: &b, into: &conditions)
        if let from = filter.from { conditions.append("i.issued_on >= \(b.bind(try Validate.date(from, field: "from")))::date") }
        if let to = filter.to { conditions.append("i.issued_on <= \(b.bind(try Validate.date(to, field: "to")))::date") }
        if format == .csv {
            let columns: [(String, String)] = [
                ("number", "i.number"), ("code", "'INV-' || lpad(i.number::text, 6, '0')"), ("customer_id", "i.customer_id"),
                ("operator_id", "i.operator_id"), ("period_start", "i.period_start"), ("period_end", "i.period_end"), ("issued_on", "i.issued_on"),
                ("due_on", "i.due_on"), ("subtotal", "i.subtotal"), ("discount", "i.discount"), ("vat", "i.vat"), ("total", "i.total"),
                ("paid", "i.paid"), ("status", "i.status"), ("currency", "i.currency"),
            ]
            return try await report(table: "invoices", alias: "i", columns: columns, order: "i.issued_on DESC, i.id DESC", conditions: conditions,
                                    builder: b, principal: principal, page: page, format: .csv)
        }
        return try await list(table: "invoices", alias: "i", json: Self.invoiceJSON("i"), order: "i.issued_on DESC, i.id DESC",
                              conditions: conditions, builder: b, principal: principal, page: page)
    }

    /// What each of these customers owes on open invoices (unpaid and partly paid), in the caller's scope:
    /// customers that owe nothing are left out. One indexed statement (`invoices_open`) for a page of a list.
    package func balancesDue(customerIDs: [Int64], for principal: Principal) async throws -> [Int64: Int64] {
        guard !customerIDs.isEmpty else { return [:] }
        return try await database.withTenantTransaction(principal.tenantScope) { connection in
            var due: [Int64: Int64] = [:]
            let rows = try await connection.query(
                """
                SELECT i.customer_id, sum(i.total - i.paid)::bigint FROM invoices i
                WHERE i.customer_id = ANY(\(customerIDs)::bigint[]) AND i.status IN ('unpaid', 'partial')
                GROUP BY i.customer_id
                """,
                logger: logger
            )
            for try await (id, amount) in rows.decode((Int64, Int64).self) where amount > 0 { due[id] = amount }
            return due
        }
    }

    /// Payments of the caller's scope, newest first: `operator_id`, `customer_id`, `from`/`to` (received dates).
    package func payments(for principal: Principal, _ filter: MoneyListFilter, page: PageRequest, format: ReportFormat = .json) async throws -> [UInt8] {
        var b = SQLBuilder()
        var conditions: [String] = []
        try Self.commonFilters(filter, alias: "p", builder: &b, into: &conditions)
        try Self.timeRange(from: filter.from, to: filter.to, column: "p.received_at", builder: &b, into: &conditions)
        let columns: [(String, String)] = [
            ("id", "p.id"), ("customer_id", "p.customer_id"), ("operator_id", "p.operator_id"), ("amount", "p.amount"), ("method", "p.method"),
            ("reference", "p.reference"), ("received_at", "platform.iso(p.received_at)"), ("advance_credit", "p.unallocated"),
            ("actor", "p.actor"), ("created_at", "platform.iso(p.created_at)"),
        ]
        return try await report(table: "payments", alias: "p", columns: columns, order: "p.received_at DESC, p.id DESC", conditions: conditions,
                                builder: b, principal: principal, page: page, format: format)
    }

    /// Every automatic suspension, newest first, with its reason and when a payment lifted it.
    package func suspensionLog(for principal: Principal, customerID: String?, page: PageRequest) async throws -> [UInt8] {
        var b = SQLBuilder()
        var conditions: [String] = []
        if let customerID { conditions.append("s.customer_id = \(b.bind(try Validate.positiveID(customerID, field: "customer_id")))") }
        let json = """
            jsonb_build_object('id', s.id, 'customer_id', s.customer_id, 'operator_id', s.operator_id, 'reason', s.reason,
                'invoice_id', s.invoice_id, 'suspended_at', platform.iso(s.suspended_at), 'reactivated_at', platform.iso(s.reactivated_at),
                'reactivated_by', s.reactivated_by)
            """
        return try await list(table: "suspension_log", alias: "s", json: json, order: "s.suspended_at DESC, s.id DESC",
                              conditions: conditions, builder: b, principal: principal, page: page)
    }

    /// `operator_id` and `customer_id` filters of the money lists (dates differ per list).
    static func commonFilters(_ filter: MoneyListFilter, alias: String, builder b: inout SQLBuilder, into conditions: inout [String]) throws {
        if let text = filter.operatorID { conditions.append("\(alias).operator_id = \(b.bind(try Validate.positiveID(text, field: "operator_id")))") }
        if let text = filter.customerID { conditions.append("\(alias).customer_id = \(b.bind(try Validate.positiveID(text, field: "customer_id")))") }
    }

    /// One page of `table` as `{items, page, per_page, total}`, built by SQL. Row-level security scopes it.
    func list(
        table: String, alias: String, json: String, order: String, conditions: [String], builder: SQLBuilder, principal: Principal, page: PageRequest
    ) async throws -> [UInt8] {
        let query = Self.pageQuery(table: table, alias: alias, json: json, order: order, conditions: conditions, builder: builder, page: page)
        return try await database.withTenantTransaction(principal.tenantScope) { connection in
            Array((try await connection.scalar(query, as: String.self, logger: logger) ?? "{}").utf8)
        }
    }

    /// The statement behind `list`, for a caller that runs it in a transaction of its own (after a check).
    static func pageQuery(
        table: String, alias: String, json: String, order: String, conditions: [String], builder: SQLBuilder, page: PageRequest
    ) -> PostgresQuery {
        var b = builder
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        b.append("""
            SELECT jsonb_build_object(
                'items', coalesce((SELECT jsonb_agg(\(json) ORDER BY \(order))
                    FROM (SELECT * FROM \(table) \(alias) \(whereClause) ORDER BY \(order)
                          LIMIT \(b.bind(page.perPage)) OFFSET \(b.bind(page.offset))) \(alias)), '[]'::jsonb),
                'page', \(b.bind(page.page)), 'per_page', \(b.bind(page.perPage)),
                'total', (SELECT count(*) FROM \(table) \(alias) \(whereClause)))::text
            """)
        return b.query
    }
}

/// `PUT /customers/{id}/billing-terms`: the customer's own price (null: the package's) and discount.
package struct BillingTermsInput: PartialInput, Sendable {
    var specialPrice: Int64?
    var discount: Int64?
    var note: String?
    package var nulls: Set<String> = []

    enum CodingKeys: String, CodingKey {
        case discount, note
        case specialPrice = "special_price"
    }
}

/// `POST /invoices/{id}/void`.
package struct VoidInput: Decodable, Sendable {
    var reason: String?
}

extension BillingService {
    static let termsJSON = """
        jsonb_build_object('customer_id', t.customer_id, 'special_price', t.special_price, 'discount', t.discount, 'note', t.note,
            'updated_at', platform.iso(t.updated_at), 'updated_by', t.updated_by)
        """

    /// A monthly customer's billing terms (its own price, a discount per period); defaults when none are set.
    package func billingTerms(customerID: Int64, for principal: Principal) async throws -> [UInt8] {
        try await database.withTenantTransaction(principal.tenantScope) { connection in
            guard try await connection.returnsRow("SELECT 1 FROM customers WHERE id = \(customerID) AND deleted_at IS NULL", logger: logger) else {
                throw PlatformError.notFound("customer")
            }
            let json = try await connection.scalar(
                "SELECT \(unescaped: Self.termsJSON)::text FROM customer_billing_terms t WHERE t.customer_id = \(customerID)",
                as: String.self, logger: logger
            )
            return Array((json ?? #"{"customer_id":\#(customerID),"special_price":null,"discount":0,"note":null,"updated_at":null,"updated_by":null}"#).utf8)
        }
    }

    /// Sets a monthly customer's own price and discount for the invoices to come (logged).
    package func setBillingTerms(customerID: Int64, by actor: Actor, _ input: BillingTermsInput) async throws -> [UInt8] {
        let principal = actor.principal
        if let price = input.specialPrice, price < 0 || price > maxAmount {
            throw PlatformError.invalidInput(field: "special_price", reason: "must be between 0 and \(maxAmount), or null for the package's price")
        }
        if let discount = input.discount, discount < 0 || discount > maxAmount {
            throw PlatformError.invalidInput(field: "discount", reason: "must be between 0 and \(maxAmount)")
        }
        let note = try input.note.map { try Validate.text($0, field: "note", max: 200) }
        let clearPrice = input.nulls.contains("special_price")
        return try await database.withTenantTransaction(principal.tenantScope) { connection in
            let rows = try await connection.query(
                "SELECT type, operator_id FROM customers WHERE id = \(customerID) AND deleted_at IS NULL", logger: logger
            )
            var found: (String, Int64)?
            for try await row in rows.decode((String, Int64).self) { found = row }
            guard let (type, operatorID) = found else { throw PlatformError.notFound("customer") }
            guard type != "pppoe_daily", type != "hotspot" else {
                throw PlatformError.unprocessable(field: "type", code: "prepaid_customer", reason: "\(type) customers are recharged at the package price")
            }
            let json = try await connection.scalar(
                """
                WITH old AS (SELECT special_price, discount FROM customer_billing_terms WHERE customer_id = \(customerID)),
                t AS (
                    INSERT INTO customer_billing_terms AS t (customer_id, special_price, discount, note, updated_by)
                    VALUES (\(customerID), \(input.specialPrice), coalesce(\(input.discount), 0), \(note), \(actor.name))
                    ON CONFLICT (customer_id) DO UPDATE SET
                        special_price = CASE WHEN \(clearPrice) THEN NULL ELSE coalesce(\(input.specialPrice), t.special_price) END,
                        discount = coalesce(\(input.discount), t.discount), note = coalesce(\(note), t.note),
                        updated_at = now(), updated_by = \(actor.name)
                    RETURNING *
                ), log AS (
                    INSERT INTO activity_log (operator_id, customer_id, action, actor_user_id, actor_token_id, actor_username, changes, request_id, client_ip)
                    SELECT \(operatorID), \(customerID), 'change_billing_terms', \(actor.userID), \(actor.tokenID), \(actor.name),
                        jsonb_build_object('special_price', jsonb_build_object('from', (SELECT special_price FROM old), 'to', t.special_price),
                                           'discount', jsonb_build_object('from', (SELECT discount FROM old), 'to', t.discount)),
                        \(actor.requestID), \(actor.clientIP)
                    FROM t
                )
                SELECT \(unescaped: Self.termsJSON)::text FROM t
                """,
                as: String.self, logger: logger
            )
            return Array((json ?? "{}").utf8)
        }
    }

    /// Voids an invoice (the tenant's owner): allocated payments become advance credit again, one reversal
    /// posting undoes its entries and the operators' charges for it. Idempotent under `key`.
    package func voidInvoice(id: Int64, by actor: Actor, _ input: VoidInput, key: String, body: Data) async throws -> MoneyResult {
        let principal = actor.principal
        guard principal.role != .subReseller else { throw PlatformError.forbidden("only the tenant's owner voids invoices") }
        guard let reasonText = input.reason else { throw PlatformError.unprocessable(field: "reason", code: "missing_field", reason: "is required") }
        let reason = try Validate.text(reasonText, field: "reason", max: 200)
        return try await idempotent(principal.tenantScope, actor: actor, key: key, operation: "void:\(id)", body: body, status: 200) { connection in
            _ = try await connection.scalar(
                """
                SELECT void_invoice(\(id)::bigint, \(reason)::text, \(actor.name)::text, \(actor.userID)::bigint, \(actor.tokenID)::bigint,
                    \(actor.requestID)::text, \(actor.clientIP)::text)
                """,
                as: Int64.self, logger: logger
            )
            let json = try await connection.scalar(
                """
                SELECT (\(unescaped: Self.invoiceJSON("i")) || jsonb_build_object('voided_at', platform.iso(i.voided_at), 'voided_by', i.voided_by,
                    'void_reason', i.void_reason))::text
                FROM invoices i WHERE i.id = \(id)
                """,
                as: String.self, logger: logger
            )
            return Array((json ?? "{}").utf8)
        }
    }
}
