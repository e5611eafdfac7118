/// An exact amount of money: integer minor units (poisha for BDT) and a currency. Never a float.
package struct Money: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    package var minorUnits: Int64
    package var currency: Currency

    package init(minorUnits: Int64, currency: Currency = .bdt) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    package static func zero(_ currency: Currency = .bdt) -> Money { Money(minorUnits: 0, currency: currency) }

    /// Adds two amounts of the same currency; overflow and mixed currencies are errors, not traps.
    package func adding(_ other: Money) throws -> Money {
        guard currency == other.currency else { throw MoneyError.currencyMismatch }
        let (sum, overflow) = minorUnits.addingReportingOverflow(other.minorUnits)
        guard !overflow else { throw MoneyError.overflow }
        return Money(minorUnits: sum, currency: currency)
    }

    package func subtracting(_ other: Money) throws -> Money {
        guard currency == other.currency else { throw MoneyError.currencyMismatch }
        let (difference, overflow) = minorUnits.subtractingReportingOverflow(other.minorUnits)
        guard !overflow else { throw MoneyError.overflow }
        return Money(minorUnits: difference, currency: currency)
    }

    /// `self × numerator ÷ denominator`, rounded half away from zero once, at the end.
    /// This is the pro-rating rule (price × days ÷ validity days); intermediate products use 128 bits.
    package func prorated(_ numerator: Int64, over denominator: Int64) throws -> Money {
        guard denominator > 0 else { throw MoneyError.divisionByZero }
        let product = minorUnits.multipliedFullWidth(by: numerator)
        guard product.high == 0 || product.high == -1 else { throw MoneyError.overflow }
        let wide = Int64(bitPattern: product.low)
        guard (product.high == 0 && wide >= 0) || (product.high == -1 && wide < 0) else { throw MoneyError.overflow }
        let (quotient, remainder) = wide.quotientAndRemainder(dividingBy: denominator)
        var result = quotient
        if remainder.magnitude * 2 >= UInt64(denominator) {
            result += wide < 0 ? -1 : 1
        }
        return Money(minorUnits: result, currency: currency)
    }

    package static func < (lhs: Money, rhs: Money) -> Bool {
        precondition(lhs.currency == rhs.currency, "comparing different currencies")
        return lhs.minorUnits < rhs.minorUnits
    }

    /// `1234.50 BDT`: minor units shown with the currency's exponent.
    package var description: String {
        let scale = Int64(pow10(currency.exponent))
        let sign = minorUnits < 0 ? "-" : ""
        let magnitude = minorUnits.magnitude
        let whole = magnitude / UInt64(scale)
        let fraction = magnitude % UInt64(scale)
        guard currency.exponent > 0 else { return "\(sign)\(whole) \(currency.code)" }
        var fractionText = String(fraction)
        while fractionText.count < currency.exponent { fractionText = "0" + fractionText }
        return "\(sign)\(whole).\(fractionText) \(currency.code)"
    }

    private func pow10(_ exponent: Int) -> Int {
        (0..<exponent).reduce(1) { result, _ in result * 10 }
    }
}

package struct Currency: Sendable, Hashable, Codable {
    /// ISO 4217 code.
    package var code: String
    /// Number of minor-unit digits (2 for BDT: 100 poisha = 1 taka).
    package var exponent: Int

    package init(code: String, exponent: Int) {
        self.code = code
        self.exponent = exponent
    }

    package static let bdt = Currency(code: "BDT", exponent: 2)
}

package enum MoneyError: ServiceError, Equatable {
    case currencyMismatch
    case overflow
    case divisionByZero

    package var code: String {
        switch self {
        case .currencyMismatch: "money.currency_mismatch"
        case .overflow: "money.overflow"
        case .divisionByZero: "money.division_by_zero"
        }
    }
    package var message: String {
        switch self {
        case .currencyMismatch: "amounts are in different currencies"
        case .overflow: "amount is out of range"
        case .divisionByZero: "cannot pro-rate over zero"
        }
    }
    package var kind: ErrorKind { .invalidInput }
}
