import Foundation
import Platform

/// How money reached an operator.
enum PaymentMethod: String, CaseIterable {
    case cash
    case bank
    case mobileMoney = "mobile_money"

    static func parse(_ text: String, field: String) throws -> PaymentMethod {
        guard let method = PaymentMethod(rawValue: text) else {
            throw PlatformError.invalidInput(field: field, reason: "must be one of: cash, bank, mobile_money")
        }
        return method
    }
}

/// The largest amount one request may move: 10 million BDT in poisha. Keeps sums far from overflow.
let maxAmount: Int64 = 1_000_000_000

func checkedAmount(_ value: Int64?, field: String) throws -> Int64 {
    guard let value else { throw PlatformError.unprocessable(field: field, code: "missing_field", reason: "is required") }
    guard value > 0, value <= maxAmount else {
        throw PlatformError.invalidInput(field: field, reason: "must be a positive amount in minor units, at most \(maxAmount)")
    }
    return value
}

func checkedReference(_ value: String?, field: String) throws -> String? {
    guard let value else { return nil }
    let trimmed = value.trimmingCharacters(in: .whitespaces)
    guard !trimmed.isEmpty else { return nil }
    return try Validate.text(trimmed, field: field, max: 100)
}

/// `POST /operators/{id}/wallet/topups`, `POST /resellers/{id}/wallet/topups`.
package struct TopUpInput: Decodable, Sendable {
    var amount: Int64?
    var method: String?
    var reference: String?
    var note: String?

    package init(amount: Int64?, method: String?, reference: String? = nil, note: String? = nil) {
        self.amount = amount
        self.method = method
        self.reference = reference
        self.note = note
    }
}

/// `PATCH …/wallet`: switch between prepaid and postpaid, set the credit limit.
package struct WalletSettingsInput: Decodable, Sendable {
    var mode: String?
    var creditLimit: Int64?

    enum CodingKeys: String, CodingKey {
        case mode
        case creditLimit = "credit_limit"
    }
}

/// `POST /customers/{id}/recharge`: `days` of the customer's (or the given) package, or whole validity
/// `periods` of a package (default one), with the customer's payment if it was taken.
package struct RechargeInput: Decodable, Sendable {
    var days: Int?
    var packageID: Int64?
    var periods: Int?
    var payment: PaymentInput?

    enum CodingKeys: String, CodingKey {
        case days, periods, payment
        case packageID = "package_id"
    }
}

package struct PaymentInput: Decodable, Sendable {
    var amount: Int64?
    var method: String?
    var reference: String?
    var receivedAt: String?

    enum CodingKeys: String, CodingKey {
        case amount, method, reference
        case receivedAt = "received_at"
    }
}
