import Foundation
import Platform
import PostgresNIO

extension CustomerService {
    /// Bulk actions take at most this many ids.
    package static let maxBulkIDs = 1_000

    /// Runs one action on one customer: one transaction, one activity row, one outbox row when the network
    /// is affected. An illegal transition answers 409 with the current state.
    package func perform(_ action: CustomerAction, id: Int64, by actor: Actor, _ input: ActionInput) async throws -> (Customer, password: String?) {
        let outcome = try await run(action, ids: [id], by: actor, input)
        if let customer = outcome.changed.first { return (await withOnline(customer, tenantID: actor.principal.tenantID), outcome.password) }
        throw outcome.failures[id] ?? PlatformError.notFound("customer")
    }

    /// Runs an action on up to 1,000 customers in one transaction, set-based. Each id succeeds or fails on
    /// its own (a failed id changes nothing); the result lists every id.
    package func performBulk(_ action: CustomerAction, ids: [Int64], by actor: Actor, _ input: ActionInput) async throws -> BulkOutcome {
        guard !ids.isEmpty else { throw PlatformError.invalidInput(field: "ids", reason: "must not be empty") }
        guard ids.count <= Self.maxBulkIDs else { throw PlatformError.invalidInput(field: "ids", reason: "at most \(Self.maxBulkIDs) ids") }
        guard ids.allSatisfy({ $0 > 0 }) else { throw PlatformError.invalidInput(field: "ids", reason: "must be positive integers") }
        switch action {
        case .resetPassword, .setSuspendDate: throw PlatformError.invalidInput(field: "action", reason: "\(action.rawValue) is not a bulk action")
        default: break
        }
        var unique: [Int64] = []
        var seen = Set<Int64>()
        for id in ids where seen.insert(id).inserted { unique.append(id) }
        let outcome = try await run(action, ids: unique, by: actor, input)
        let changed = Dictionary(uniqueKeysWithValues: outcome.changed.map { ($0.id, $0) })
        let results = unique.map { id -> BulkResult in
            if let customer = changed[id] { return BulkResult(id: id, ok: true, status: customer.status.rawValue, error: nil) }
            let error = outcome.failures[id] ?? PlatformError.notFound("customer")
            return BulkResult(id: id, ok: false, status: nil, error: .init(code: error.code, message: error.message, details: error.details))
        }
        return BulkOutcome(results: results, succeeded: changed.count, failed: unique.count - changed.count)
    }

    private struct RunOutcome {
        var changed: [Customer]
        var failures: [Int64: any ServiceError]
        var password: String?
    }

    private func run(_ action: CustomerAction, ids: [Int64], by actor: Actor, _ input: ActionInput) async throws -> RunOutcome {
        let principal = actor.principal
        let now = clock.now()
        let reason = try input.reason.map { try Validate.text($0, field: "reason", max: 200) }
        var b = SQLBuilder()
        var sets: String
        var legal: String
        var password: String?
        switch action {
        case .activate:
            sets = "status = 'active', status_reason = \(b.bind(reason))"
            legal = "c.deleted_at IS NULL AND c.status <> 'active' AND (c.type NOT IN ('pppoe_daily', 'hotspot') OR c.expires_at > \(b.bind(now)))"
        case .suspend:
            sets = "status = 'suspended', status_reason = \(b.bind(reason ?? "manual"))"
            legal = "c.deleted_at IS NULL AND c.status = 'active'"
        case .disable:
            sets = "status = 'disabled', status_reason = \(b.bind(reason ?? "manual"))"
            legal = "c.deleted_at IS NULL AND c.status <> 'disabled'"
        case .delete:
            sets = "deleted_at = \(b.bind(now)), deleted_by = \(b.bind(actor.name))"
            legal = "c.deleted_at IS NULL"
        case .restore:
            sets = "deleted_at = NULL, deleted_by = NULL, status = 'disabled', status_reason = 'restored'"
            legal = "c.deleted_at IS NOT NULL"
        case .resetPassword:
            let clear = try input.password.map { try Self.customerPassword($0) } ?? Self.generatedPassword()
            password = clear
            let sealed = Data(try secrets.seal(clear, context: Self.passwordContext(tenantID: principal.tenantID)))
            sets = "password_enc = \(b.bind(sealed))"
            legal = "c.deleted_at IS NULL AND c.type IN ('pppoe_daily', 'pppoe_monthly', 'hotspot')"
        case .setSuspendDate:
            guard let given = input.suspendDate else {
                throw PlatformError.unprocessable(field: "suspend_date", code: "missing_field", reason: "is required (null clears it)")
            }
            let date = try given.map { try Validate.date($0, field: "suspend_date") }
            sets = "suspend_date = \(b.bind(date))::date"
            legal = "c.deleted_at IS NULL"
        case .changePackage:
            guard let packageID = input.packageID else {
                throw PlatformError.unprocessable(field: "package_id", code: "missing_field", reason: "is required")
            }
            sets = "package_id = \(b.bind(packageID))"
            let allowAll = principal.isAdmin
            legal = """
                c.deleted_at IS NULL AND c.package_id IS DISTINCT FROM \(b.bind(packageID))
                AND c.type = (SELECT customer_type FROM catalog.packages WHERE id = \(b.bind(packageID)) AND status = 'active')
                AND ((\(b.bind(allowAll)) AND c.operator_id = (SELECT id FROM operators WHERE kind = 'owner'))
                     OR EXISTS (SELECT 1 FROM catalog.package_assignments a WHERE a.package_id = \(b.bind(packageID)) AND a.operator_id = c.operator_id))
                """
        case .changeBillingProfile:
            guard let profileID = input.billingProfileID else {
                throw PlatformError.unprocessable(field: "billing_profile_id", code: "missing_field", reason: "is required")
            }
            sets = "billing_profile_id = \(b.bind(profileID))"
            legal = "c.deleted_at IS NULL AND c.type IN ('pppoe_monthly', 'static_monthly') AND c.billing_profile_id IS DISTINCT FROM \(b.bind(profileID))"
        case .changeOperator:
            guard let operatorID = input.operatorID else {
                throw PlatformError.unprocessable(field: "operator_id", code: "missing_field", reason: "is required")
            }
            sets = "operator_id = \(b.bind(operatorID))"
            let ownsEverything = principal.isAdmin
            legal = """
                c.deleted_at IS NULL AND c.operator_id <> \(b.bind(operatorID))
                AND (c.package_id IS NULL
                     OR (\(b.bind(ownsEverything)) AND \(b.bind(operatorID)) = (SELECT id FROM operators WHERE kind = 'owner'))
                     OR EXISTS (SELECT 1 FROM catalog.package_assignments a WHERE a.package_id = c.package_id AND a.operator_id = \(b.bind(operatorID))))
                """
        }
        let actionName = action.logName
        let outbox: CustomerRepository.OutboxRule = action.outboxReason.map { .always($0) } ?? .never
        let (sql, legalSQL) = (sets, legal)
        return try await database.withTenantTransaction(principal.tenantScope) { connection in
            if action == .changeOperator, let operatorID = input.operatorID {
                let context = try await customers.writeContext(operatorID: operatorID, packageID: nil, profileID: nil, zoneID: nil, on: connection)
                try Self.check(context, operatorID: operatorID, packageID: nil, type: .other, principal: principal, newPackage: false)
            }
            if action == .changeBillingProfile, let profileID = input.billingProfileID {
                let exists = try await connection.returnsRow("SELECT 1 FROM catalog.billing_profiles WHERE id = \(profileID)", logger: logger)
                guard exists else {
                    throw PlatformError.unprocessable(field: "billing_profile_id", code: "unknown_reference", reason: "no such billing profile")
                }
            }
            if action == .changePackage, let packageID = input.packageID {
                let exists = try await connection.returnsRow(
                    "SELECT 1 FROM catalog.packages WHERE id = \(packageID) AND status = 'active'", logger: logger
                )
                guard exists else {
                    throw PlatformError.unprocessable(field: "package_id", code: "unknown_reference", reason: "no such active package")
                }
            }
            var changed = try await customers.change(
                ids: ids, builder: b, assignments: sql, legal: legalSQL, action: actionName, outbox: outbox,
                tenantID: principal.tenantID, actor: actor, on: connection
            )
            if action.refundsUnusedDays, changed.contains(where: { $0.type.isPrepaid }) {
                // Operators pay only for active service: stopping a prepaid customer early gives back its unused whole days.
                let refunded = try await customers.refundUnusedDays(
                    ids: changed.filter { $0.type.isPrepaid }.map(\.id), now: now, actor: actor, reason: actionName, on: connection
                )
                if !refunded.isEmpty {
                    let fresh = try await customers.customers(ids: refunded, includeDeleted: true, on: connection)
                    changed = changed.map { customer in fresh.first { $0.id == customer.id } ?? customer }
                }
            }
            let done = Set(changed.map(\.id))
            let missing = ids.filter { !done.contains($0) }
            var failures: [Int64: any ServiceError] = [:]
            if !missing.isEmpty {
                let states = try await customers.states(ids: missing, now: now, packageID: input.packageID, on: connection)
                for id in missing {
                    guard let state = states[id] else {
                        failures[id] = PlatformError.notFound("customer")
                        continue
                    }
                    failures[id] = Self.whyNot(action, state: state, input: input)
                }
            }
            return RunOutcome(changed: changed, failures: failures, password: password)
        }
    }

    /// Why an action left a visible customer unchanged.
    static func whyNot(_ action: CustomerAction, state: CustomerState, input: ActionInput) -> any ServiceError {
        let transition = CustomerError.invalidTransition(action: action.rawValue, status: state.status, deleted: state.deleted)
        if state.deleted != (action == .restore) { return transition }
        switch action {
        case .activate where state.status != "active" && state.expired:
            return PlatformError.conflict(code: "validity_expired", message: "the customer's validity has run out; recharge instead")
        case .changePackage:
            if state.packageID == input.packageID { return PlatformError.conflict(code: "no_change", message: "the customer already has this package") }
            if state.type != state.packageTypeWanted {
                return PlatformError.unprocessable(field: "package_id", code: "package_type_mismatch", reason: "the package is not for \(state.type) customers")
            }
            return PlatformError.unprocessable(field: "package_id", code: "package_not_assigned", reason: "the package is not assigned to the customer's operator")
        case .changeOperator:
            if state.operatorID == input.operatorID { return PlatformError.conflict(code: "no_change", message: "the customer already belongs to this operator") }
            return PlatformError.unprocessable(field: "operator_id", code: "package_not_assigned", reason: "the customer's package is not assigned to that operator")
        case .resetPassword:
            return PlatformError.unprocessable(field: "type", code: "no_password", reason: "\(state.type) customers have no password")
        case .changeBillingProfile:
            guard state.type == CustomerType.pppoeMonthly.rawValue || state.type == CustomerType.staticMonthly.rawValue else {
                return PlatformError.unprocessable(field: "billing_profile_id", code: "not_monthly", reason: "\(state.type) customers have no billing profile")
            }
            return PlatformError.conflict(code: "no_change", message: "the customer already has this billing profile")
        default:
            return transition
        }
    }

    /// 10 characters from an alphabet without look-alikes (no 0/O, 1/l/I).
    static func generatedPassword() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<10).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
}

/// A customer's state as far as an action's legality goes.
struct CustomerState: Sendable {
    var status: String
    var deleted: Bool
    var type: String
    var operatorID: Int64
    var packageID: Int64?
    var expired: Bool
    /// For change-package: the type of the package asked for.
    var packageTypeWanted: String?
}
