import AuthService
import BillingService
import Foundation
import HTTPTypes
import Platform
import PostgresNIO
import TenantRouter
import TestSupport
import Testing

/// A monthly package (80,000 + 5 % VAT) sold by reseller A at 60,000 and by A1 at 70,000, a billing profile
/// (cycle day 1, due 7 days, grace 3), wallets funded (A1's for two months).
struct MonthlySetup {
    var admin: String
    var ownerA: String
    var sub1: String
    var package: Int
    var profile: Int

    static func make(_ api: APIClient, _ fixtures: Fixtures, endsWithMonth: Bool = false) async throws -> MonthlySetup {
        let admin = try await api.login("admin", Fixtures.password)
        let ownerA = try await api.login("owner-a", Fixtures.password)
        let sub1 = try await api.login("sub-a1", Fixtures.password)
        let created = try await api.post("/api/v1/packages", token: admin, json: [
            "name": "Home 20M", "customer_type": "pppoe_monthly", "download_kbps": 20480, "upload_kbps": 20480, "price": 80_000, "vat_profile_id": 1,
        ])
        let package = try #require(created.json["id"] as? Int, "\(created.text)")
        #expect(try await api.post("/api/v1/packages/\(package)/assignments", token: admin,
                                   json: ["reseller_id": fixtures.resellerA.id, "price": 60_000]).status == .ok)
        #expect(try await api.post("/api/v1/packages/\(package)/assignments", token: ownerA, json: ["operator_id": fixtures.subA1.id, "price": 70_000]).status == .ok)
        let profile = try await api.post("/api/v1/billing-profiles", token: admin, json: [
            "name": "Cycle 1", "cycle_day": 1, "due_days": 7, "grace_days": 3, "cycle_ends_with_month": endsWithMonth,
        ])
        #expect(try await api.postMoney("/api/v1/resellers/\(fixtures.resellerA.id)/wallet/topups", token: admin, json: ["amount": 1_000_000]).status == .created)
        #expect(try await api.postMoney("/api/v1/operators/\(fixtures.subA1.id)/wallet/topups", token: ownerA, json: ["amount": 140_000]).status == .created)
        return MonthlySetup(admin: admin, ownerA: ownerA, sub1: sub1, package: package, profile: try #require(profile.json["id"] as? Int, "\(profile.text)"))
    }

    func customer(_ api: APIClient, token: String, _ username: String, connected: String) async throws -> Int {
        let created = try await api.post("/api/v1/customers", token: token, json: [
            "type": "pppoe_monthly", "username": username, "full_name": "Salma \(username)", "phone": "01812345678",
            "password": "secret-\(username)", "package_id": package, "billing_profile_id": profile, "connection_date": connected,
        ])
        try #require(created.status == .created, "\(created.text)")
        return try #require(created.json["id"] as? Int)
    }
}

func dhaka(_ text: String) throws -> Date {
    try #require(ISO8601DateFormatter().date(from: text))
}

func items(_ reply: APIClient.Reply) -> [[String: Any]] { reply.json["items"] as? [[String: Any]] ?? [] }

@Suite struct InvoiceTests {
    @Test func overdueIsSuspendedAndAPaymentReactivatesAtOnce() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let m = try await MonthlySetup.make(api, fixtures)
                let mine = try await m.customer(api, token: m.ownerA, "salma01", connected: "2026-01-10")
                let subs = try await m.customer(api, token: m.sub1, "salma02", connected: "2026-01-10")
                let billing = test.app.billing
                let subWallet = "/api/v1/operators/\(fixtures.subA1.id)/wallet"

                // 00:30 in Dhaka on 1 February is still 31 January in UTC: the tenant's date decides.
                let february = try dhaka("2026-02-01T00:30:00+06:00")
                let run = try await billing.run(.generateInvoices, asOf: february, holder: "node-1")
                #expect(run.created == 2, "\(run)")
                let invoices = items(try await api.get("/api/v1/invoices?customer_id=\(mine)", token: m.ownerA))
                #expect(invoices.count == 1)
                let first = try #require(invoices.first)
                #expect(first["period_start"] as? String == "2026-02-01")
                #expect(first["period_end"] as? String == "2026-02-28")
                #expect(first["due_on"] as? String == "2026-02-08")
                #expect(first["total"] as? Int == 84_000)
                #expect(first["vat"] as? Int == 4_000)
                let numbers = items(try await api.get("/api/v1/invoices", token: m.ownerA)).compactMap { $0["number"] as? Int }.sorted()
                #expect(numbers == [1, 2])
                // Each level paid its price once: A 2 × 60,000, A1 70,000.
                #expect(try await balance(api, "/api/v1/wallet", token: m.ownerA) == 880_000)
                #expect(try await balance(api, subWallet, token: m.sub1) == 70_000)

                // Again, and on two nodes at once: nothing more.
                let again = try await billing.run(.generateInvoices, asOf: february, holder: "node-1")
                #expect(again.created == 0)
                #expect(again.skipped == 2)
                async let one = billing.run(.generateInvoices, asOf: try dhaka("2026-03-01T08:00:00+06:00"), holder: "node-a")
                async let two = billing.run(.generateInvoices, asOf: try dhaka("2026-03-01T08:00:01+06:00"), holder: "node-b")
                let (a, b) = try await (one, two)
                #expect(a.created + b.created == 2, "\(a) \(b)")
                #expect(try await api.get("/api/v1/invoices", token: m.ownerA).json["total"] as? Int == 4)
                // A1's wallet cannot pay a third month (0 left): left for a later run, reported.
                let april = try await billing.run(.generateInvoices, asOf: try dhaka("2026-04-01T08:00:00+06:00"), holder: "node-1")
                #expect(april.created == 1)
                #expect(april.failed == 1)
                #expect(april.failures.first?.contains("insufficient_balance") == true)

                // Due 8 February + 3 days of grace: suspended on the 12th, not the 11th.
                #expect(try await billing.run(.suspendOverdue, asOf: try dhaka("2026-02-11T10:00:00+06:00"), holder: "node-1").created == 0)
                #expect(try await billing.run(.suspendOverdue, asOf: try dhaka("2026-02-12T10:00:00+06:00"), holder: "node-1").created == 2)
                for id in [mine, subs] {
                    let customer = try await api.get("/api/v1/customers/\(id)", token: m.ownerA)
                    #expect(customer.json["status"] as? String == "suspended")
                    #expect(customer.json["status_reason"] as? String == "invoice_overdue")
                }
                let log = items(try await api.get("/api/v1/suspension-log", token: m.ownerA))
                #expect(log.count == 2)
                #expect(log.allSatisfy { $0["reason"] as? String == "invoice_overdue" && $0["reactivated_at"] is NSNull })
                #expect(items(try await api.get("/api/v1/suspension-log", token: m.sub1)).count == 1)

                // Paying February clears what is overdue (March is not yet due): back at once, queued for provisioning.
                test.clock.set(try dhaka("2026-02-12T11:00:00+06:00"))
                let paid = try await api.postMoney("/api/v1/customers/\(mine)/payments", token: m.ownerA,
                                                   json: ["amount": 84_000, "method": "mobile_money", "reference": "BKASH-9X1"], key: "pay-1")
                #expect(paid.status == .created, "\(paid.text)")
                #expect(paid.json["reactivated"] as? Bool == true)
                #expect((paid.json["allocations"] as? [[String: Any]])?.count == 1)
                #expect(try await api.get("/api/v1/customers/\(mine)", token: m.ownerA).json["status"] as? String == "active")
                let replay = try await api.postMoney("/api/v1/customers/\(mine)/payments", token: m.ownerA,
                                                     json: ["amount": 84_000, "method": "mobile_money", "reference": "BKASH-9X1"], key: "pay-1")
                #expect(replay.body == paid.body, "\(replay.text)")
                #expect(replay.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
                let sameReference = try await api.postMoney("/api/v1/customers/\(subs)/payments", token: m.ownerA,
                                                            json: ["amount": 1_000, "method": "mobile_money", "reference": "bkash-9x1"])
                #expect(sameReference.errorCode == "payment_reference_used")
                let reasons = try await test.app.database.withPlatformConnection { connection in
                    try await connection.scalar(
                        "SELECT count(*)::int FROM platform.outbox WHERE customer_id = \(mine) AND reason = 'reactivated'", as: Int.self, logger: test.app.logger
                    )
                }
                #expect(reasons == 1)
                #expect(items(try await api.get("/api/v1/suspension-log?customer_id=\(mine)", token: m.ownerA)).first?["reactivated_at"] is String)

                // Part of February keeps A1's customer suspended; the rest, March and an overpayment follow oldest first.
                let part = try await api.postMoney("/api/v1/customers/\(subs)/payments", token: m.sub1, json: ["amount": 50_000, "method": "cash"])
                #expect(part.json["reactivated"] as? Bool == false)
                #expect(try await api.get("/api/v1/customers/\(subs)", token: m.sub1).json["status"] as? String == "suspended")
                let rest = try await api.postMoney("/api/v1/customers/\(subs)/payments", token: m.sub1, json: ["amount": 150_000, "method": "cash"])
                #expect(rest.json["reactivated"] as? Bool == true, "\(rest.text)")
                #expect((rest.json["allocations"] as? [[String: Any]])?.compactMap { $0["amount"] as? Int } == [34_000, 84_000])
                #expect(rest.json["advance_credit"] as? Int == 32_000)
                // The advance goes to the next invoice when it is generated (A1's wallet topped up first).
                #expect(try await api.postMoney("/api/v1/operators/\(fixtures.subA1.id)/wallet/topups", token: m.ownerA, json: ["amount": 70_000]).status == .created)
                #expect(try await billing.run(.generateInvoices, asOf: try dhaka("2026-04-02T08:00:00+06:00"), holder: "node-1").created == 1)
                let aprilInvoice = items(try await api.get("/api/v1/invoices?customer_id=\(subs)&status=partial", token: m.sub1)).first
                #expect(aprilInvoice?["paid"] as? Int == 32_000)
                #expect(aprilInvoice?["period_start"] as? String == "2026-04-01")

                // Sub-resellers see their own money only.
                #expect(items(try await api.get("/api/v1/invoices", token: m.sub1)).allSatisfy { $0["customer_id"] as? Int == subs })
                #expect(try await api.get("/api/v1/payments", token: m.sub1).json["total"] as? Int == 2)
                #expect(try await api.postMoney("/api/v1/customers/\(mine)/payments", token: m.sub1, json: ["amount": 1]).status == .notFound)
                let ownerB = try await api.login("owner-b", Fixtures.password)
                #expect(try await api.get("/api/v1/invoices", token: ownerB).json["total"] as? Int == 0)
                #expect(try await api.get("/api/v1/invoices/1", token: ownerB).status == .notFound)

                let verified = try await billing.verifyLedger()
                #expect(verified.ok, "\(verified)")
            }
        }
    }

    @Test func manualInvoicesProrateTheFirstMonthOnceAndOnlyOnce() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let m = try await MonthlySetup.make(api, fixtures, endsWithMonth: true)
                let id = try await m.customer(api, token: m.ownerA, "prorated", connected: "2026-02-10")
                // 10–28 February: 19 of 28 days. 80,000 × 19 / 28 = 54,285.71 → 54,286; VAT 5 % = 2,714.3 → 2,714.
                let invoice = try await api.postMoney("/api/v1/customers/\(id)/invoices", token: m.ownerA, json: ["as_of": "2026-02-15T12:00:00+06:00"])
                #expect(invoice.status == .created, "\(invoice.text)")
                #expect(invoice.json["period_start"] as? String == "2026-02-10")
                #expect(invoice.json["period_end"] as? String == "2026-02-28")
                #expect(invoice.json["subtotal"] as? Int == 54_286)
                #expect(invoice.json["vat"] as? Int == 2_714)
                #expect(invoice.json["total"] as? Int == 57_000)
                // A's price pro-rated the same way: 60,000 × 19 / 28 = 40,714.29 → 40,714.
                #expect(try await balance(api, "/api/v1/wallet", token: m.ownerA) == 1_000_000 - 40_714)
                let twice = try await api.postMoney("/api/v1/customers/\(id)/invoices", token: m.ownerA, json: ["as_of": "2026-02-20T12:00:00+06:00"])
                #expect(twice.errorCode == "already_invoiced")
                // March is a whole month.
                let march = try await api.postMoney("/api/v1/customers/\(id)/invoices", token: m.ownerA, json: ["as_of": "2026-03-01T12:00:00+06:00"])
                #expect(march.json["subtotal"] as? Int == 80_000)
                #expect(march.json["period_end"] as? String == "2026-03-31")
                #expect(march.json["number"] as? Int == 2)
                #expect(try await api.postMoney("/api/v1/customers/999999/invoices", token: m.ownerA, json: [:]).status == .notFound)
                #expect(try await api.postMoney("/api/v1/customers/\(id)/invoices", token: m.ownerA, json: ["as_of": "yesterday"]).status == .badRequest)
                #expect(try await test.app.billing.verifyLedger().ok)
            }
        }
    }

    @Test func fiftyConcurrentPaymentsAreAllKeptAndAllocatedExactly() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let m = try await MonthlySetup.make(api, fixtures)
                let id = try await m.customer(api, token: m.ownerA, "busy", connected: "2026-01-01")
                // Bulk generation for the owner's tenant (the scheduler's job, from the API).
                let generated = try await api.post("/api/v1/invoices/generate", token: m.ownerA, json: ["as_of": "2026-02-01T09:00:00+06:00"])
                #expect(generated.json["created"] as? Int == 1, "\(generated.text)")
                #expect(try await api.post("/api/v1/invoices/generate", token: m.sub1, json: [:]).status == .forbidden)
                let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for index in 0..<50 {
                        group.addTask {
                            try await api.postMoney("/api/v1/customers/\(id)/payments", token: m.ownerA,
                                                    json: ["amount": 2_000, "method": "mobile_money", "reference": "NAGAD-\(index)"]).status
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses.allSatisfy { $0 == .created })
                let invoice = try #require(items(try await api.get("/api/v1/invoices?customer_id=\(id)", token: m.ownerA)).first)
                #expect(invoice["paid"] as? Int == 84_000)
                #expect(invoice["status"] as? String == "paid")
                let payments = items(try await api.get("/api/v1/payments?customer_id=\(id)&per_page=100", token: m.ownerA))
                #expect(payments.count == 50)
                #expect(payments.compactMap { $0["advance_credit"] as? Int }.reduce(0, +) == 16_000)
                let verified = try await test.app.billing.verifyLedger()
                #expect(verified.ok, "\(verified)")
            }
        }
    }

    @Test func specialPricesDiscountsAndVoidsWithReversals() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let m = try await MonthlySetup.make(api, fixtures)
                let id = try await m.customer(api, token: m.ownerA, "special", connected: "2026-01-01")
                let terms = try await api.request(.put, "/api/v1/customers/\(id)/billing-terms", token: m.ownerA,
                                                  json: ["special_price": 70_000, "discount": 5_000, "note": "corporate deal"])
                #expect(terms.json["special_price"] as? Int == 70_000, "\(terms.text)")
                #expect(try await api.get("/api/v1/customers/\(id)/billing-terms", token: m.ownerA).json["discount"] as? Int == 5_000)
                // Another tenant and a sub-reseller that does not own the customer see nothing and change nothing.
                let ownerB = try await api.login("owner-b", Fixtures.password)
                #expect(try await api.request(.put, "/api/v1/customers/\(id)/billing-terms", token: ownerB, json: ["discount": 1]).status == .notFound)
                #expect(try await api.request(.put, "/api/v1/customers/\(id)/billing-terms", token: m.sub1, json: ["discount": 1]).status == .notFound)
                #expect(try await api.get("/api/v1/customers/\(id)/billing-terms", token: m.sub1).status == .notFound)
                // 70,000 − 5,000, VAT 5 % of 65,000 = 3,250: 68,250. A still pays its operator price, 60,000.
                let invoice = try await api.postMoney("/api/v1/customers/\(id)/invoices", token: m.ownerA, json: ["as_of": "2026-02-02T09:00:00+06:00"])
                #expect(invoice.json["subtotal"] as? Int == 70_000, "\(invoice.text)")
                #expect(invoice.json["discount"] as? Int == 5_000)
                #expect(invoice.json["vat"] as? Int == 3_250)
                #expect(invoice.json["total"] as? Int == 68_250)
                #expect((invoice.json["lines"] as? [[String: Any]])?.compactMap { $0["amount"] as? Int } == [70_000, -5_000, 3_250])
                let invoiceID = try #require(invoice.json["id"] as? Int)
                #expect(try await balance(api, "/api/v1/wallet", token: m.ownerA) == 940_000)
                #expect(try await api.postMoney("/api/v1/customers/\(id)/payments", token: m.ownerA, json: ["amount": 20_000]).status == .created)

                // Void: the payment becomes advance credit, A gets its 60,000 back, one reversal posting.
                #expect(try await api.postMoney("/api/v1/invoices/\(invoiceID)/void", token: m.sub1, json: ["reason": "x"]).status == .forbidden)
                #expect(try await api.postMoney("/api/v1/invoices/\(invoiceID)/void", token: ownerB, json: ["reason": "x"]).status == .notFound)
                let voided = try await api.postMoney("/api/v1/invoices/\(invoiceID)/void", token: m.ownerA, json: ["reason": "wrong price"])
                #expect(voided.json["status"] as? String == "void", "\(voided.text)")
                #expect(voided.json["paid"] as? Int == 0)
                #expect(try await balance(api, "/api/v1/wallet", token: m.ownerA) == 1_000_000)
                #expect(items(try await api.get("/api/v1/payments?customer_id=\(id)", token: m.ownerA)).first?["advance_credit"] as? Int == 20_000)
                #expect(try await api.postMoney("/api/v1/invoices/\(invoiceID)/void", token: m.ownerA, json: ["reason": "again"]).errorCode == "already_void")
                #expect(try await api.postMoney("/api/v1/invoices/\(invoiceID)/void", token: m.ownerA, json: [:]).status == .unprocessableContent)

                // The scheduler leaves the voided period alone; a manual re-issue takes the credit.
                #expect(try await test.app.billing.run(.generateInvoices, asOf: try dhaka("2026-02-03T09:00:00+06:00"), holder: "node-1").created == 0)
                #expect(try await api.request(.put, "/api/v1/customers/\(id)/billing-terms", token: m.ownerA,
                                              json: ["special_price": NSNull(), "discount": 0]).json["special_price"] is NSNull)
                let again = try await api.postMoney("/api/v1/customers/\(id)/invoices", token: m.ownerA, json: ["as_of": "2026-02-03T09:00:00+06:00"])
                #expect(again.json["total"] as? Int == 84_000, "\(again.text)")
                #expect(again.json["number"] as? Int == 2)
                #expect(again.json["paid"] as? Int == 20_000)
                #expect(try await api.request(.put, "/api/v1/customers/\(id)/billing-terms", token: m.ownerA, json: ["discount": -1]).status == .badRequest)
                let verified = try await test.app.billing.verifyLedger()
                #expect(verified.ok, "\(verified)")
            }
        }
    }

    @Test func reportsSumPerOperatorAndExportCSV() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let m = try await MonthlySetup.make(api, fixtures)
                let id = try await m.customer(api, token: m.ownerA, "reported", connected: "2026-01-20")
                let invoice = try await api.postMoney("/api/v1/customers/\(id)/invoices", token: m.ownerA, json: ["as_of": "2026-02-03T09:00:00+06:00"])
                #expect(invoice.json["issued_on"] as? String == "2026-02-03", "\(invoice.text)")
                #expect(try await api.postMoney("/api/v1/customers/\(id)/payments", token: m.ownerA,
                                                json: ["amount": 50_000, "method": "cash", "received_at": "2026-02-10T10:00:00+06:00"]).status == .created)
                let summary = try await api.get("/api/v1/reports/billing-summary?from=2026-02-01&to=2026-02-28", token: m.ownerA)
                let totals = summary.json["totals"] as? [String: Any]
                #expect(totals?["billed"] as? Int == 84_000, "\(summary.text)")
                #expect(totals?["collected"] as? Int == 50_000)
                #expect(totals?["outstanding"] as? Int == 34_000)
                #expect((summary.json["operators"] as? [[String: Any]])?.count == 3)
                let march = try await api.get("/api/v1/reports/billing-summary?from=2026-03-01&to=2026-03-31", token: m.ownerA)
                #expect((march.json["totals"] as? [String: Any])?["billed"] as? Int == 0)
                #expect((try await api.get("/api/v1/reports/billing-summary", token: m.sub1).json["operators"] as? [[String: Any]])?.count == 1)
                let csv = try await api.get("/api/v1/reports/billing-summary?from=2026-02-01&to=2026-02-28&format=csv", token: m.ownerA)
                #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
                #expect(csv.text.hasPrefix("operator_id,operator,billed,sold,collected,outstanding\r\n"))
                #expect(csv.text.hasSuffix(",total,84000,0,50000,34000\r\n"), "\(csv.text)")

                let entries = items(try await api.get("/api/v1/ledger?account=customer&customer_id=\(id)", token: m.ownerA))
                #expect(entries.compactMap { $0["amount"] as? Int }.sorted() == [-84_000, 50_000])
                let invoicesCSV = try await api.get("/api/v1/invoices?format=csv", token: m.ownerA)
                #expect(invoicesCSV.text.split(separator: "\r\n").count == 2)
                #expect(try await api.get("/api/v1/ledger?account=nonsense", token: m.ownerA).status == .badRequest)
                #expect(try await api.get("/api/v1/payments?format=xml", token: m.ownerA).status == .badRequest)
                // A1 sees only its own wallet's top-up (wallet and funding entries), nothing of A's customers.
                #expect(try await api.get("/api/v1/ledger", token: m.sub1).json["total"] as? Int == 2)
                #expect(BillingService.csvCell("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
                #expect(BillingService.csvCell("-5") == "'-5")
                #expect(BillingService.csvCell("Rahim, Dhaka") == "\"Rahim, Dhaka\"")
            }
        }
    }

    /// Every day of 2024–2028, every cycle day, both kinds of profile: the SQL period matches a reference
    /// computed with the Gregorian calendar (leap years; month ends Jan 31 → Feb 28/29 → Mar 31).
    @Test func billingPeriodsMatchAReferenceCalendarOverFiveYears() async throws {
        try await TestApp.with { test in
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            func text(_ date: Date) -> String {
                let parts = calendar.dateComponents([.year, .month, .day], from: date)
                return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
            }
            var expected: [String] = []
            var day = calendar.date(from: DateComponents(year: 2024, month: 1, day: 1))!
            let end = calendar.date(from: DateComponents(year: 2028, month: 12, day: 31))!
            while day <= end {
                let parts = calendar.dateComponents([.year, .month, .day], from: day)
                for cycle in 1...28 {
                    // The month the period belongs to: this one from the cycle day on, else the one before.
                    var month = calendar.date(from: DateComponents(year: parts.year, month: parts.month, day: 1))!
                    if parts.day! < cycle { month = calendar.date(byAdding: .month, value: -1, to: month)! }
                    let nextMonth = calendar.date(byAdding: .month, value: 1, to: month)!
                    let anchored = calendar.date(byAdding: .day, value: cycle - 1, to: month)!
                    let anchoredNext = calendar.date(byAdding: .day, value: cycle - 1, to: nextMonth)!
                    expected.append("\(text(day)) \(cycle) false \(text(anchored)) \(text(calendar.date(byAdding: .day, value: -1, to: anchoredNext)!))")
                    expected.append("\(text(day)) \(cycle) true \(text(month)) \(text(calendar.date(byAdding: .day, value: -1, to: nextMonth)!))")
                }
                day = calendar.date(byAdding: .day, value: 1, to: day)!
            }
            let tenant = TenantNaming.schema(try await test.app.auth.systemAdminPrincipal().tenantID)
            let actual = try await test.app.database.withPlatformConnection { connection in
                var lines: [String] = []
                let rows = try await connection.query(PostgresQuery(unsafeSQL: """
                    SELECT d::date::text || ' ' || c || ' ' || e || ' ' || p.period_start::text || ' ' || p.period_end::text
                    FROM generate_series('2024-01-01'::date, '2028-12-31'::date, interval '1 day') AS d,
                         generate_series(1, 28) AS c, (VALUES (false), (true)) AS f (e),
                         LATERAL \(tenant).billing_period(d::date, c, e) p
                    ORDER BY d, c, e
                    """), logger: test.app.logger)
                for try await line in rows.decode(String.self) { lines.append(line) }
                return lines
            }
            #expect(actual.count == expected.count)
            #expect(actual == expected)
            #expect(actual.contains("2024-02-15 1 true 2024-02-01 2024-02-29"))
            #expect(actual.contains("2025-02-15 1 true 2025-02-01 2025-02-28"))
            #expect(actual.contains("2025-03-15 1 true 2025-03-01 2025-03-31"))
        }
    }
}
