import Foundation
import Platform
import PostgresNIO

extension BillingService {
    /// Recharges a prepaid (PPPoE daily or hotspot) customer: one transaction extends validity, records the
    /// customer's payment if given, debits every level's wallet at its price and writes the activity and
    /// outbox rows (the SQL function `recharge`). Idempotent under `key`. The whole request — scope switch,
    /// key look-up, recharge, storing the result — is one statement in its own transaction
    /// (`platform.recharge_request`), which commits as it ends: the tenant's wallet rows are locked for the
    /// function's last steps only, not for another round trip to commit.
    package func recharge(customerID: Int64, by actor: Actor, _ input: RechargeInput, key: String, body: Data) async throws -> MoneyResult {
        let principal = actor.principal
        let request = try Self.rechargeRequest(input, now: clock.now())
        let scope = principal.tenantScope
        let hash = IdempotencyStore.requestHash(operation: "recharge:\(customerID)", body: body)
        let status = 201
        do {
            return try await database.withPlatformConnection { connection in
                let rows = try await connection.query(
                    """
                    SELECT fresh, stored_hash, stored_status, stored FROM platform.recharge_request(
                        \(scope.tenantID)::bigint, \(TenantNaming.role(for: scope))::text, \(scope.operatorSetting)::text, \(principal.userID)::bigint,
                        \(key)::text, \(principal.operatorID)::bigint, \(hash)::bytea, \(status)::integer,
                        \(customerID)::bigint, \(request.packageID)::bigint, \(request.days)::integer, \(request.periods)::integer,
                        \(request.now)::timestamptz, \(actor.name)::text, \(actor.userID)::bigint, \(actor.tokenID)::bigint,
                        \(actor.requestID)::text, \(actor.clientIP)::text, \(request.payment?.amount)::bigint, \(request.payment?.method)::text,
                        \(request.payment?.reference)::text, \(request.payment?.receivedAt)::timestamptz)
                    """,
                    logger: logger
                )
                for try await (fresh, storedHash, storedStatus, stored) in rows.decode((String?, Data?, Int?, Data?).self) {
                    return try answer(fresh: fresh, storedHash: storedHash, storedStatus: storedStatus, stored: stored, hash: hash, status: status)
                }
                throw PlatformError.internalError("recharge request returned nothing")
            }
        } catch DatabaseError.uniqueViolation(constraint: "idempotency_keys_pkey") {
            return try await storedAnswer(scope, userID: principal.userID, operatorID: principal.operatorID, key: key, hash: hash)
        }
    }

    /// A customer's recharges, newest first, with what each level paid and got back.
    package func recharges(customerID: Int64, for principal: Principal, page: PageRequest) async throws -> [UInt8] {
        try await database.withTenantTransaction(principal.tenantScope) { connection in
            guard try await connection.returnsRow("SELECT 1 FROM customers WHERE id = \(customerID)", logger: logger) else {
                throw PlatformError.notFound("customer")
            }
            var b = SQLBuilder()
            let json = """
                jsonb_build_object('id', r.id, 'customer_id', r.customer_id, 'package_id', r.package_id,
                    'days', r.days, 'hours', r.hours, 'expires_before', platform.iso(r.expires_before),
                    'expires_at', platform.iso(r.expires_after), 'customer_price', r.customer_price, 'currency', r.currency,
                    'payment_id', r.payment_id, 'refunded_days', r.refunded_days, 'source', r.source, 'actor', r.actor,
                    'created_at', platform.iso(r.created_at),
                    'charged', (SELECT coalesce(jsonb_agg(jsonb_build_object('level', w.level, 'operator_id', w.operator_id,
                                    'amount', w.amount, 'refunded', w.refunded) ORDER BY w.level), '[]'::jsonb)
                                FROM wallet_charges w WHERE w.recharge_id = r.id))
                """
            let condition = "r.customer_id = \(b.bind(customerID))"
            let query = Self.pageQuery(table: "recharges", alias: "r", json: json, order: "r.id DESC", conditions: [condition], builder: b, page: page)
            return Array((try await connection.scalar(query, as: String.self, logger: logger) ?? "{}").utf8)
        }
    }

    struct RechargeRequest: Sendable {
        var packageID: Int64?
        var days: Int?
        var periods: Int?
        var now: Date
        var payment: (amount: Int64, method: String, reference: String?, receivedAt: Date)?
    }

    static func rechargeRequest(_ input: RechargeInput, now: Date) throws -> RechargeRequest {
        if input.days != nil, input.periods != nil {
            throw PlatformError.invalidInput(field: "days", reason: "give days or periods, not both")
        }
        if let days = input.days, !(1...3_660).contains(days) {
            throw PlatformError.invalidInput(field: "days", reason: "must be between 1 and 3660")
        }
        if let periods = input.periods, !(1...120).contains(periods) {
            throw PlatformError.invalidInput(field: "periods", reason: "must be between 1 and 120")
        }
        if let id = input.packageID, id <= 0 {
            throw PlatformError.invalidInput(field: "package_id", reason: "must be a positive integer")
        }
        var request = RechargeRequest(packageID: input.packageID, days: input.days, periods: input.days == nil ? (input.periods ?? 1) : nil, now: now)
        if let payment = input.payment {
            let method = try PaymentMethod.parse(payment.method ?? "cash", field: "payment.method")
            let reference = try checkedReference(payment.reference, field: "payment.reference")
            if method == .mobileMoney, reference == nil {
                throw PlatformError.unprocessable(field: "payment.reference", code: "missing_field", reason: "is required for mobile money (the transaction id)")
            }
            let received = try payment.receivedAt.map { try Validate.timestamp($0, field: "payment.received_at") } ?? now
            request.payment = (try checkedAmount(payment.amount, field: "payment.amount"), method.rawValue, reference, received)
        }
        return request
    }
}
