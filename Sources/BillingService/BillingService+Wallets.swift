import Foundation
import Platform
import PostgresNIO

/// The result of a money-moving request: the JSON body (built by SQL, stored with the idempotency key) and
/// whether it is the stored first result of an earlier request with the same key.
package struct MoneyResult: Sendable {
    package var status: Int
    package var body: [UInt8]
    package var replayed: Bool
}

extension BillingService {
    /// Runs a money-moving `work` in one tenant transaction under an idempotency key: the key is claimed
    /// first (a concurrent request with the same key waits, then gets this one's result); the result is
    /// stored with the key before the commit. A failed `work` rolls the claim back with everything else.
    func idempotent(
        _ scope: TenantScope, actor: Actor, key: String, operation: String, body: Data, status: Int,
        _ work: @escaping @Sendable (PostgresConnection) async throws -> [UInt8]
    ) async throws -> MoneyResult {
        let principal = actor.principal
        let hash = IdempotencyStore.requestHash(operation: operation, body: body)
        return try await database.withTenantTransaction(scope) { connection in
            switch try await idempotency.claim(userID: principal.userID, key: key, operatorID: principal.operatorID, hash: hash, on: connection) {
            case .replay(let status, let stored):
                return MoneyResult(status: status, body: stored, replayed: true)
            case .claimed:
                let result = try await work(connection)
                try await idempotency.store(userID: principal.userID, key: key, status: status, body: result, on: connection)
                return MoneyResult(status: status, body: result, replayed: false)
            }
        }
    }

    /// The answer of a one-statement idempotent request: its fresh result, or the one stored under the key
    /// (refused when the key was used for another request).
    func answer(fresh: String?, storedHash: Data?, storedStatus: Int?, stored: Data?, hash: Data, status: Int) throws -> MoneyResult {
        if let fresh { return MoneyResult(status: status, body: Array(fresh.utf8), replayed: false) }
        guard storedHash == hash else {
            throw PlatformError.unprocessable(field: "Idempotency-Key", code: "idempotency_key_reused", reason: "was used for a different request")
        }
        guard let storedStatus, let stored else {
            throw PlatformError.conflict(code: "request_in_progress", message: "a request with this Idempotency-Key is still running")
        }
        return MoneyResult(status: storedStatus, body: Array(stored), replayed: true)
    }

    /// After a one-statement request lost the race for its key to a concurrent one (primary key violation,
    /// its own work rolled back): the winner's stored result.
    func storedAnswer(_ scope: TenantScope, userID: Int64, operatorID: Int64, key: String, hash: Data) async throws -> MoneyResult {
        try await database.withTenantTransaction(scope) { connection in
            switch try await idempotency.claim(userID: userID, key: key, operatorID: operatorID, hash: hash, on: connection) {
            case .replay(let status, let stored): return MoneyResult(status: status, body: stored, replayed: true)
            case .claimed: throw PlatformError.conflict(code: "conflict_retry", message: "concurrent request with this Idempotency-Key, retry")
            }
        }
    }

    // MARK: Reads

    /// The caller's own wallet: a reseller's at the ISP, a sub-reseller's at its reseller. The ISP has none.
    package func ownWallet(for principal: Principal) async throws -> [UInt8] {
        guard !principal.isAdmin else { throw PlatformError.notFound("wallet") }
        return try await database.withTenantTransaction(principal.tenantScope) { connection in
            try await wallet(operatorID: principal.operatorID, on: connection)
        }
    }

    /// A sub-reseller's wallet, for its reseller (or itself).
    package func operatorWallet(id: Int64, for principal: Principal) async throws -> [UInt8] {
        try await database.withTenantTransaction(principal.tenantScope) { connection in
            try await wallet(operatorID: id, on: connection)
        }
    }

    /// A reseller's wallet at the ISP, for the admin.
    package func resellerWallet(tenantID: Int64, for principal: Principal) async throws -> [UInt8] {
        let scope = try await resellerScope(tenantID, for: principal)
        return try await database.withTenantTransaction(scope) { connection in
            try await wallet(operatorID: try await ownerID(on: connection), on: connection)
        }
    }

    /// Top-ups and settlements of a wallet, newest first.
    package func walletTransfers(operatorID: Int64?, resellerID: Int64?, for principal: Principal, page: PageRequest) async throws -> [UInt8] {
        var scope = principal.tenantScope
        if let resellerID { scope = try await resellerScope(resellerID, for: principal) }
        return try await database.withTenantTransaction(scope) { connection in
            let id: Int64 = if resellerID != nil { try await ownerID(on: connection) } else { operatorID ?? principal.operatorID }
            guard try await connection.returnsRow("SELECT 1 FROM wallets WHERE operator_id = \(id)", logger: logger) else {
                throw PlatformError.notFound("wallet")
            }
            var b = SQLBuilder()
            let json = """
                jsonb_build_object('id', t.id, 'operator_id', t.operator_id, 'kind', t.kind, 'amount', t.amount, 'method', t.method,
                    'reference', t.reference, 'note', t.note, 'balance_after', t.balance_after, 'actor', t.actor,
                    'created_at', platform.iso(t.created_at))
                """
            let condition = "t.operator_id = \(b.bind(id))"
            let query = Self.pageQuery(table: "wallet_transfers", alias: "t", json: json, order: "t.id DESC", conditions: [condition], builder: b, page: page)
            return Array((try await connection.scalar(query, as: String.self, logger: logger) ?? "{}").utf8)
        }
    }

    // MARK: Writes

    /// Tops up a sub-reseller's prepaid wallet, or records a settlement of its postpaid one: by the tenant's
    /// owner only.
    package func fundOperatorWallet(id: Int64, by actor: Actor, _ input: TopUpInput, key: String, body: Data) async throws -> MoneyResult {
        let principal = actor.principal
        guard principal.role != .subReseller else { throw PlatformError.forbidden("a wallet is funded by its parent") }
        let transfer = try Self.transfer(input)
        return try await idempotent(principal.tenantScope, actor: actor, key: key, operation: "fund-operator:\(id)", body: body, status: 201) { connection in
            try await requireSubReseller(id, on: connection)
            return try await fund(operatorID: id, transfer, actor: actor, on: connection)
        }
    }

    /// The admin tops up a reseller's prepaid wallet or records a settlement of its postpaid one.
    package func fundResellerWallet(tenantID: Int64, by actor: Actor, _ input: TopUpInput, key: String, body: Data) async throws -> MoneyResult {
        let scope = try await resellerScope(tenantID, for: actor.principal)
        let transfer = try Self.transfer(input)
        return try await idempotent(scope, actor: actor, key: key, operation: "fund-reseller:\(tenantID)", body: body, status: 201) { connection in
            try await fund(operatorID: try await ownerID(on: connection), transfer, actor: actor, on: connection)
        }
    }

    /// Switches a sub-reseller's wallet between prepaid and postpaid or sets its credit limit (its reseller).
    package func updateOperatorWallet(id: Int64, by principal: Principal, _ input: WalletSettingsInput) async throws -> [UInt8] {
        guard principal.role != .subReseller else { throw PlatformError.forbidden("a wallet's terms are set by its parent") }
        let settings = try Self.settings(input)
        return try await database.withTenantTransaction(principal.tenantScope) { connection in
            try await requireSubReseller(id, on: connection)
            return try await update(operatorID: id, settings, on: connection)
        }
    }

    /// The same for a reseller's wallet, by the admin.
    package func updateResellerWallet(tenantID: Int64, by principal: Principal, _ input: WalletSettingsInput) async throws -> [UInt8] {
        let scope = try await resellerScope(tenantID, for: principal)
        let settings = try Self.settings(input)
        return try await database.withTenantTransaction(scope) { connection in
            try await update(operatorID: try await ownerID(on: connection), settings, on: connection)
        }
    }

    // MARK: Helpers

    struct Transfer: Sendable {
        var amount: Int64
        var method: String
        var reference: String?
        var note: String?
    }

    static func transfer(_ input: TopUpInput) throws -> Transfer {
        Transfer(
            amount: try checkedAmount(input.amount, field: "amount"),
            method: try PaymentMethod.parse(input.method ?? "cash", field: "method").rawValue,
            reference: try checkedReference(input.reference, field: "reference"),
            note: try input.note.map { try Validate.text($0, field: "note", max: 500) }
        )
    }

    static func settings(_ input: WalletSettingsInput) throws -> (mode: String?, creditLimit: Int64?) {
        guard input.mode != nil || input.creditLimit != nil else {
            throw PlatformError.invalidInput(field: "body", reason: "give mode and/or credit_limit")
        }
        if let mode = input.mode, mode != "prepaid", mode != "postpaid" {
            throw PlatformError.invalidInput(field: "mode", reason: "must be prepaid or postpaid")
        }
        if let limit = input.creditLimit, limit < 0 || limit > maxAmount * 100 {
            throw PlatformError.invalidInput(field: "credit_limit", reason: "must be between 0 and \(maxAmount * 100)")
        }
        return (input.mode, input.creditLimit)
    }

    func wallet(operatorID: Int64, on connection: PostgresConnection) async throws -> [UInt8] {
        let json = try await connection.scalar(
            """
            SELECT jsonb_build_object('operator_id', w.operator_id, 'operator_name', o.name, 'mode', w.mode, 'balance', w.balance,
                'credit_limit', w.credit_limit,
                'available', CASE w.mode WHEN 'prepaid' THEN w.balance ELSE w.balance + w.credit_limit END,
                'currency', w.currency, 'updated_at', platform.iso(w.updated_at))::text
            FROM wallets w JOIN operators o ON o.id = w.operator_id WHERE w.operator_id = \(operatorID)
            """,
            as: String.self, logger: logger
        )
        guard let json else { throw PlatformError.notFound("wallet") }
        return Array(json.utf8)
    }

    func fund(operatorID: Int64, _ transfer: Transfer, actor: Actor, on connection: PostgresConnection) async throws -> [UInt8] {
        let json = try await connection.scalar(
            """
            SELECT fund_wallet(\(operatorID)::bigint, \(transfer.amount)::bigint, \(transfer.method)::text, \(transfer.reference)::text,
                \(transfer.note)::text, \(actor.name)::text)::text
            """,
            as: String.self, logger: logger
        )
        return Array((json ?? "{}").utf8)
    }

    func update(operatorID: Int64, _ settings: (mode: String?, creditLimit: Int64?), on connection: PostgresConnection) async throws -> [UInt8] {
        do {
            let changed = try await connection.returnsRow(
                """
                UPDATE wallets SET mode = coalesce(\(settings.mode), mode), credit_limit = coalesce(\(settings.creditLimit), credit_limit),
                    updated_at = now()
                WHERE operator_id = \(operatorID) RETURNING 1
                """,
                logger: logger
            )
            guard changed else { throw PlatformError.notFound("wallet") }
        } catch let error as PSQLError where DatabaseError(translating: error) == .checkViolation(constraint: "wallets_within_limit") {
            throw PlatformError.conflict(
                code: "balance_outside_terms",
                message: "the wallet's balance does not fit these terms (a prepaid wallet cannot owe; a postpaid one cannot owe more than its limit)"
            )
        }
        return try await wallet(operatorID: operatorID, on: connection)
    }

    /// The admin acting on a reseller's books: the reseller tenant's owner scope.
    func resellerScope(_ tenantID: Int64, for principal: Principal) async throws -> TenantScope {
        guard principal.isAdmin else { throw PlatformError.forbidden("only the platform admin manages resellers' wallets") }
        let kind = try await database.withPlatformConnection { connection in
            try await connection.scalar("SELECT kind FROM platform.tenants WHERE id = \(tenantID)", as: String.self, logger: logger)
        }
        guard kind == "reseller" else { throw PlatformError.notFound("reseller") }
        return TenantScope(tenantID: tenantID, operators: .all)
    }

    func ownerID(on connection: PostgresConnection) async throws -> Int64 {
        guard let id = try await connection.scalar("SELECT id FROM operators WHERE kind = 'owner'", as: Int64.self, logger: logger) else {
            throw PlatformError.internalError("tenant without owner")
        }
        return id
    }

    func requireSubReseller(_ id: Int64, on connection: PostgresConnection) async throws {
        let kind = try await connection.scalar("SELECT kind FROM operators WHERE id = \(id)", as: String.self, logger: logger)
        guard kind == "sub_reseller" else { throw PlatformError.notFound("sub-reseller") }
    }
}
