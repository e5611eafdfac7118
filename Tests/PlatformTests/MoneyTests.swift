import Platform
import Testing

@Suite struct MoneyTests {
    @Test func proratesWithOneHalfUpRoundingAtTheEnd() throws {
        // 500.00 BDT for 30 days, 7 days bought: 500 × 7 ÷ 30 = 116.666… → 116.67
        #expect(try Money(minorUnits: 50_000).prorated(7, over: 30).minorUnits == 11_667)
        // exactly half rounds away from zero
        #expect(try Money(minorUnits: 1).prorated(1, over: 2).minorUnits == 1)
        #expect(try Money(minorUnits: -1).prorated(1, over: 2).minorUnits == -1)
        #expect(try Money(minorUnits: 3).prorated(1, over: 4).minorUnits == 1)
        #expect(try Money(minorUnits: 99_999).prorated(30, over: 30).minorUnits == 99_999)
    }

    @Test func overflowAndMixedCurrenciesAreErrorsNotTraps() {
        #expect(throws: MoneyError.overflow) { try Money(minorUnits: .max).adding(Money(minorUnits: 1)) }
        #expect(throws: MoneyError.overflow) { try Money(minorUnits: .max).prorated(3, over: 2) }
        #expect(throws: MoneyError.currencyMismatch) {
            try Money(minorUnits: 1).adding(Money(minorUnits: 1, currency: Currency(code: "USD", exponent: 2)))
        }
        #expect(throws: MoneyError.divisionByZero) { try Money(minorUnits: 1).prorated(1, over: 0) }
    }

    @Test func describesWithTheCurrencyExponent() {
        #expect(Money(minorUnits: 123_450).description == "1234.50 BDT")
        #expect(Money(minorUnits: -5).description == "-0.05 BDT")
    }

    @Test func prorationOfAWholePeriodIsTheWholePrice() throws {
        for price in stride(from: Int64(0), to: 1_000_000, by: 9_973) {
            for days in Int64(1)...31 {
                #expect(try Money(minorUnits: price).prorated(days, over: days).minorUnits == price)
            }
        }
    }
}
