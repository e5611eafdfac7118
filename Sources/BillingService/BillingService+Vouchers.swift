import Foundation
import Platform
import PostgresNIO

/// `POST /vouchers/batches`.
package struct VoucherBatchInput: Decodable, Sendable {
    var packageID: Int64?
    var count: Int?
    var expiresAt: String?
    var distributor: String?
    var commission: Int64?

    enum CodingKeys: String, CodingKey {
        case count, distributor, commission
        case packageID = "package_id", expiresAt = "expires_at"
    }
}

/// `POST /vouchers/redeem`.
package struct RedeemInput: Decodable, Sendable {
    var code: String?
    var customerID: Int64?

    enum CodingKeys: String, CodingKey {
        case code
        case customerID = "customer_id"
    }
}

extension BillingService {
    /// 32 symbols without look-alikes (no 0/O, 1/I): 5 bits each; 16 of them carry 80 bits.
    static let voucherAlphabet = Array("23456789ABCDEFGHJKLMNPQRSTUVWXYZ")
    static let voucherLength = 16

    /// A new code, `XXXX-XXXX-XXXX-XXXX`.
    static func newVoucherCode() -> String {
        var generator = SystemRandomNumberGenerator()
        let symbols = (0..<voucherLength).map { _ in voucherAlphabet[Int.random(in: 0..<voucherAlphabet.count, using: &generator)] }
        return stride(from: 0, to: voucherLength, by: 4).map { String(symbols[$0..<$0 + 4]) }.joined(separator: "-")
    }

    /// A typed code as stored for look-up: upper case, without separators.
    static func normalizedVoucherCode(_ text: String) throws -> String {
        let kept = text.uppercased().filter { $0 != "-" && $0 != " " }
        guard kept.count == voucherLength, kept.allSatisfy({ voucherAlphabet.contains($0) }) else {
            throw PlatformError.invalidInput(field: "code", reason: "must be a voucher code like ABCD-EFGH-JKLM-NPQR")
        }
        return kept
    }

    func voucherContext(_ tenantID: Int64) -> String { "voucher:\(tenantID)" }

    static let batchJSON = """
        jsonb_build_object('id', b.id, 'operator_id', b.operator_id, 'package_id', b.package_id, 'count', b.count, 'value', b.value,
            'currency', b.currency, 'distributor', b.distributor, 'commission', b.commission, 'expires_at', platform.iso(b.expires_at),
            'actor', b.actor, 'created_at', platform.iso(b.created_at),
            'states', (SELECT jsonb_object_agg(s.state, s.n) FROM (SELECT state, count(*) AS n FROM vouchers v WHERE v.batch_id = b.id GROUP BY state) s))
        """

    /// Creates a batch of cards for one validity period of a package the caller may sell. Codes are random
    /// (80 bits), sealed, and found later by their fingerprint; export the batch to print them.
    package func createVoucherBatch(by actor: Actor, _ input: VoucherBatchInput, key: String, body: Data) async throws -> MoneyResult {
        let principal = actor.principal
        guard let packageID = input.packageID else { throw PlatformError.unprocessable(field: "package_id", code: "missing_field", reason: "is required") }
        guard let count = input.count else { throw PlatformError.unprocessable(field: "count", code: "missing_field", reason: "is required") }
        guard (1...10_000).contains(count) else { throw PlatformError.invalidInput(field: "count", reason: "must be between 1 and 10000") }
        guard let expiresText = input.expiresAt else { throw PlatformError.unprocessable(field: "expires_at", code: "missing_field", reason: "is required") }
        let expires = try Validate.timestamp(expiresText, field: "expires_at")
        guard expires > clock.now() else { throw PlatformError.unprocessable(field: "expires_at", code: "in_the_past", reason: "must be in the future") }
        let distributor = try input.distributor.map { try Validate.text($0, field: "distributor", max: 200) }
        let commission = try input.commission.map { value -> Int64 in
            guard value >= 0, value <= maxAmount else { throw PlatformError.invalidInput(field: "commission", reason: "must be between 0 and \(maxAmount)") }
            return value
        } ?? 0
        var hashes: [[UInt8]] = []
        var sealed: [[UInt8]] = []
        var hints: [String] = []
        for _ in 0..<count {
            let code = Self.newVoucherCode()
            let plain = code.filter { $0 != "-" }
            hashes.append(secrets.fingerprint(plain, purpose: voucherContext(principal.tenantID)))
            sealed.append(try secrets.seal(plain, context: voucherContext(principal.tenantID)))
            hints.append(String(plain.suffix(4)))
        }
        // Byte arrays travel as hex text (the driver has no bytea[] encoding).
        func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
        let hashHex = hashes.map(hex), sealedHex = sealed.map(hex), hintList = hints
        return try await idempotent(principal.tenantScope, actor: actor, key: key, operation: "voucher-batch", body: body, status: 201) { connection in
            let rows = try await connection.query(
                """
                SELECT p.customer_type, p.price, p.currency, p.status,
                    (\(principal.isAdmin) AND \(principal.operatorID) = (SELECT id FROM operators WHERE kind = 'owner'))
                    OR EXISTS (SELECT 1 FROM catalog.package_assignments a WHERE a.package_id = p.id AND a.operator_id = \(principal.operatorID))
                FROM catalog.packages p WHERE p.id = \(packageID)
                """,
                logger: logger
            )
            var package: (String, Int64, String, String, Bool)?
            for try await row in rows.decode((String, Int64, String, String, Bool).self) { package = row }
            guard let package, package.3 == "active" else {
                throw PlatformError.unprocessable(field: "package_id", code: "unknown_reference", reason: "no such active package")
            }
            guard package.0 == "hotspot" || package.0 == "pppoe_daily" else {
                throw PlatformError.unprocessable(field: "package_id", code: "not_prepaid", reason: "vouchers are for prepaid (hotspot or daily) packages")
            }
            guard package.4 else {
                throw PlatformError.unprocessable(field: "package_id", code: "package_not_assigned", reason: "the package is not assigned to you")
            }
            let json = try await connection.scalar(
                """
                WITH b AS (
                    INSERT INTO voucher_batches (operator_id, package_id, count, value, currency, distributor, commission, expires_at, actor)
                    VALUES (\(principal.operatorID), \(packageID), \(count), \(package.1), \(package.2), \(distributor), \(commission), \(expires), \(actor.name))
                    RETURNING *
                ), v AS (
                    INSERT INTO vouchers (batch_id, operator_id, serial, code_hash, code_enc, code_hint, expires_at)
                    SELECT b.id, b.operator_id, x.serial, decode(x.hash, 'hex'), decode(x.enc, 'hex'), x.hint, b.expires_at
                    FROM b, unnest(\(hashHex)::text[], \(sealedHex)::text[], \(hintList)::text[]) WITH ORDINALITY AS x (hash, enc, hint, serial)
                    RETURNING 1
                )
                SELECT jsonb_build_object('id', b.id, 'operator_id', b.operator_id, 'package_id', b.package_id, 'count', (SELECT count(*) FROM v),
                    'value', b.value, 'currency', b.currency, 'distributor', b.distributor, 'commission', b.commission,
                    'expires_at', platform.iso(b.expires_at), 'actor', b.actor, 'created_at', platform.iso(b.created_at),
                    'states', jsonb_build_object('unissued', (SELECT count(*) FROM v)))::text
                FROM b
                """,
                as: String.self, logger: logger
            )
            return Array((json ?? "{}").utf8)
        }
    }

    package func voucherBatches(for principal: Principal, page: PageRequest) async throws -> [UInt8] {
        try await list(table: "voucher_batches", alias: "b", json: Self.batchJSON, order: "b.created_at DESC, b.id DESC",
                       conditions: [], builder: SQLBuilder(), principal: principal, page: page)
    }

    package func voucherBatch(id: Int64, for principal: Principal) async throws -> [UInt8] {
        try await database.withTenantTransaction(principal.tenantScope) { connection in
            let json = try await connection.scalar(
                "SELECT \(unescaped: Self.batchJSON)::text FROM voucher_batches b WHERE b.id = \(id)", as: String.self, logger: logger
            )
            guard let json else { throw PlatformError.notFound("voucher batch") }
            return Array(json.utf8)
        }
    }

    /// The batch's cards as CSV for printing (serial, code, package, value, expiry); cards not yet issued
    /// become `issued`. Cells that a spreadsheet would run as a formula are neutralised.
    package func exportVoucherBatch(id: Int64, for principal: Principal) async throws -> [UInt8] {
        let context = voucherContext(principal.tenantID)
        return try await database.withTenantTransaction(principal.tenantScope) { connection in
            let header = try await connection.query(
                """
                SELECT p.name, b.value, b.currency FROM voucher_batches b JOIN catalog.packages p ON p.id = b.package_id WHERE b.id = \(id)
                """,
                logger: logger
            )
            var batch: (String, Int64, String)?
            for try await row in header.decode((String, Int64, String).self) { batch = row }
            guard let batch else { throw PlatformError.notFound("voucher batch") }
            try await connection.query(
                "UPDATE vouchers SET state = 'issued', issued_at = now() WHERE batch_id = \(id) AND state = 'unissued'", logger: logger
            )
            let rows = try await connection.query(
                "SELECT serial, code_enc, state, platform.iso(expires_at) FROM vouchers WHERE batch_id = \(id) ORDER BY serial", logger: logger
            )
            var csv = "batch,serial,code,package,value,currency,state,expires_at\r\n"
            for try await (serial, sealed, state, expires) in rows.decode((Int, Data, String, String).self) {
                let plain = try secrets.open(Array(sealed), context: context)
                let code = stride(from: 0, to: plain.count, by: 4).map { offset -> String in
                    let start = plain.index(plain.startIndex, offsetBy: offset)
                    return String(plain[start..<plain.index(start, offsetBy: 4)])
                }.joined(separator: "-")
                let cells = [String(id), String(serial), code, batch.0, Money(minorUnits: batch.1).description.split(separator: " ").first.map(String.init) ?? "",
                             batch.2, state, expires]
                csv += cells.map(Self.csvCell).joined(separator: ",") + "\r\n"
            }
            return Array(csv.utf8)
        }
    }

    /// A CSV cell: quoted when needed; a value a spreadsheet would treat as a formula gets a leading `'`.
    package static func csvCell(_ value: String) -> String { CSV.cell(value) }

    /// Cards of the caller's scope (codes never shown, only their last four characters).
    package func vouchers(for principal: Principal, batchID: String?, state: String?, page: PageRequest) async throws -> [UInt8] {
        var b = SQLBuilder()
        var conditions: [String] = []
        if let batchID { conditions.append("v.batch_id = \(b.bind(try Validate.positiveID(batchID, field: "batch_id")))") }
        if let state {
            guard ["unissued", "issued", "used", "expired"].contains(state) else {
                throw PlatformError.invalidInput(field: "state", reason: "must be unissued, issued, used or expired")
            }
            conditions.append("v.state = \(b.bind(state))")
        }
        let json = """
            jsonb_build_object('id', v.id, 'batch_id', v.batch_id, 'serial', v.serial, 'code_hint', v.code_hint, 'state', v.state,
                'expires_at', platform.iso(v.expires_at), 'issued_at', platform.iso(v.issued_at), 'used_at', platform.iso(v.used_at),
                'customer_id', v.customer_id, 'recharge_id', v.recharge_id)
            """
        return try await list(table: "vouchers", alias: "v", json: json, order: "v.batch_id DESC, v.serial",
                              conditions: conditions, builder: b, principal: principal, page: page)
    }

    /// Redeems a card onto a prepaid customer: the card goes issued → used by one conditional update, and the
    /// customer is recharged one period of the card's package in the same transaction (the operator's wallet
    /// pays as for any recharge). Of two redemptions of one code exactly one succeeds.
    package func redeemVoucher(by actor: Actor, _ input: RedeemInput, key: String, body: Data) async throws -> MoneyResult {
        let principal = actor.principal
        guard let text = input.code else { throw PlatformError.unprocessable(field: "code", code: "missing_field", reason: "is required") }
        guard let customerID = input.customerID else { throw PlatformError.unprocessable(field: "customer_id", code: "missing_field", reason: "is required") }
        let code = try Self.normalizedVoucherCode(text)
        let hash = Data(secrets.fingerprint(code, purpose: voucherContext(principal.tenantID)))
        let now = clock.now()
        return try await idempotent(principal.tenantScope, actor: actor, key: key, operation: "redeem", body: body, status: 201) { connection in
            let customerRows = try await connection.query(
                "SELECT operator_id FROM customers WHERE id = \(customerID) AND deleted_at IS NULL", logger: logger
            )
            var customerOperator: Int64?
            for try await id in customerRows.decode(Int64.self) { customerOperator = id }
            guard let customerOperator else { throw PlatformError.notFound("customer") }
            let taken = try await connection.query(
                """
                WITH v AS (
                    UPDATE vouchers SET state = 'used', used_at = \(now), customer_id = \(customerID)
                    WHERE code_hash = \(hash) AND state = 'issued' AND expires_at > \(now)
                      AND (operator_id = \(customerOperator) OR operator_id = (SELECT id FROM operators WHERE kind = 'owner'))
                    RETURNING id, batch_id, serial
                )
                SELECT v.id, v.serial, v.batch_id, b.package_id FROM v JOIN voucher_batches b ON b.id = v.batch_id
                """,
                logger: logger
            )
            var voucher: (Int64, Int, Int64, Int64)?
            for try await row in taken.decode((Int64, Int, Int64, Int64).self) { voucher = row }
            guard let voucher else {
                throw try await whyNotRedeemable(hash: hash, customerOperator: customerOperator, now: now, on: connection)
            }
            let recharge = try await connection.scalar(
                """
                SELECT recharge(\(customerID)::bigint, \(voucher.3)::bigint, NULL::integer, 1, \(now)::timestamptz, 'voucher',
                    \(actor.name)::text, \(actor.userID)::bigint, \(actor.tokenID)::bigint, \(actor.requestID)::text, \(actor.clientIP)::text,
                    NULL::bigint, NULL::text, NULL::text, NULL::timestamptz)::text
                """,
                as: String.self, logger: logger
            ) ?? "{}"
            let json = try await connection.scalar(
                """
                WITH r AS (SELECT \(recharge)::jsonb AS body),
                u AS (UPDATE vouchers SET recharge_id = (SELECT (body->>'id')::bigint FROM r) WHERE id = \(voucher.0))
                SELECT jsonb_build_object('voucher', jsonb_build_object('id', \(voucher.0), 'batch_id', \(voucher.2), 'serial', \(voucher.1),
                    'state', 'used'), 'recharge', r.body)::text FROM r
                """,
                as: String.self, logger: logger
            )
            return Array((json ?? "{}").utf8)
        }
    }

    func whyNotRedeemable(hash: Data, customerOperator: Int64, now: Date, on connection: PostgresConnection) async throws -> PlatformError {
        let rows = try await connection.query(
            """
            SELECT state, expires_at <= \(now), operator_id = \(customerOperator) OR operator_id = (SELECT id FROM operators WHERE kind = 'owner')
            FROM vouchers WHERE code_hash = \(hash)
            """,
            logger: logger
        )
        for try await (state, expired, allowed) in rows.decode((String, Bool, Bool).self) {
            switch state {
            case "used": return .conflict(code: "voucher_used", message: "this voucher has been used")
            case "unissued": return .conflict(code: "voucher_not_issued", message: "this voucher has not been issued yet")
            case _ where state == "expired" || expired: return .conflict(code: "voucher_expired", message: "this voucher has expired")
            case _ where !allowed: return .unprocessable(field: "customer_id", code: "voucher_not_for_customer", reason: "the voucher belongs to another operator")
            default: return .conflict(code: "voucher_unavailable", message: "this voucher cannot be redeemed")
            }
        }
        return .notFound("voucher")
    }
}
