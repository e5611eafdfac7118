import AuthService
import BillingService
import Foundation
import HTTPTypes
import Platform
import TenantRouter
import TestSupport
import Testing

@Suite struct VoucherTests {
    @Test func cardsArePrintedRedeemedOnceAndExpire() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 60).rounded(.down) * 60)
                test.clock.set(start)
                let admin = try await api.login("admin", Fixtures.password)
                let ownerA = try await api.login("owner-a", Fixtures.password)
                let sub1 = try await api.login("sub-a1", Fixtures.password)
                let created = try await api.post("/api/v1/packages", token: admin, json: [
                    "name": "Day pass", "customer_type": "hotspot", "download_kbps": 5120, "upload_kbps": 2048, "validity_hours": 24, "price": 2_000,
                ])
                let package = try #require(created.json["id"] as? Int)
                #expect(try await api.post("/api/v1/packages/\(package)/assignments", token: admin,
                                           json: ["reseller_id": fixtures.resellerA.id, "price": 1_500]).status == .ok)
                #expect(try await api.postMoney("/api/v1/resellers/\(fixtures.resellerA.id)/wallet/topups", token: admin, json: ["amount": 100_000]).status == .created)
                let later = ISO8601DateFormatter().string(from: start.addingTimeInterval(30 * 86_400))

                let batch = try await api.postMoney("/api/v1/vouchers/batches", token: ownerA, json: [
                    "package_id": package, "count": 5, "expires_at": later, "distributor": "Mirpur kiosk", "commission": 100,
                ])
                #expect(batch.status == .created, "\(batch.text)")
                let batchID = try #require(batch.json["id"] as? Int)
                #expect((batch.json["states"] as? [String: Any])?["unissued"] as? Int == 5)
                // Before printing, a card cannot be used.
                let hidden = try await api.get("/api/v1/vouchers?batch_id=\(batchID)", token: ownerA)
                #expect(hidden.json["total"] as? Int == 5)
                #expect(!hidden.text.contains("code\":"), "codes never appear in lists")

                let export = try await api.get("/api/v1/vouchers/batches/\(batchID)/export", token: ownerA)
                #expect(export.status == .ok)
                #expect(export.headers[.contentType]?.hasPrefix("text/csv") == true)
                let lines = export.text.split(separator: "\r\n").map(String.init)
                #expect(lines.count == 6)
                let codes = lines.dropFirst().map { $0.split(separator: ",")[2] }.map(String.init)
                #expect(Set(codes).count == 5)
                #expect(codes.allSatisfy { $0.range(of: "^[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){3}$", options: .regularExpression) != nil })
                #expect(try await api.get("/api/v1/vouchers/batches/\(batchID)", token: ownerA).json["states"] as? [String: Int] == ["issued": 5])

                let customer = try await api.post("/api/v1/customers", token: ownerA, json: [
                    "type": "hotspot", "username": "guest01", "full_name": "Guest", "password": "guest-pass", "package_id": package,
                ])
                let customerID = try #require(customer.json["id"] as? Int, "\(customer.text)")
                #expect(try await balance(api, "/api/v1/wallet", token: ownerA) == 98_500)

                // Fifty redemptions of one code at once (typed in lower case, without dashes): exactly one.
                let typed = codes[0].lowercased().replacingOccurrences(of: "-", with: "")
                let replies = try await withThrowingTaskGroup(of: APIClient.Reply.self) { group in
                    for _ in 0..<50 {
                        group.addTask { try await api.postMoney("/api/v1/vouchers/redeem", token: ownerA, json: ["code": typed, "customer_id": customerID]) }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(replies.filter { $0.status == .created }.count == 1, "\(replies.map(\.text))")
                #expect(replies.filter { $0.errorCode == "voucher_used" }.count == 49)
                let redeemed = try #require(replies.first { $0.status == .created })
                #expect((redeemed.json["recharge"] as? [String: Any])?["hours"] as? Int == 24)
                #expect((redeemed.json["recharge"] as? [String: Any])?["expires_at"] as? String == iso(start.addingTimeInterval(48 * 3_600)))
                #expect(try await balance(api, "/api/v1/wallet", token: ownerA) == 97_000)
                let used = try await api.get("/api/v1/vouchers?state=used", token: ownerA)
                #expect(items(used).first?["code_hint"] as? String == String(codes[0].suffix(4)))
                #expect(items(used).first?["customer_id"] as? Int == customerID)

                // Wrong shapes, unknown codes, cards not printed yet, another operator's customers.
                #expect(try await api.postMoney("/api/v1/vouchers/redeem", token: ownerA, json: ["code": "nope", "customer_id": customerID]).status == .badRequest)
                #expect(try await api.postMoney("/api/v1/vouchers/redeem", token: ownerA,
                                                json: ["code": "2222-2222-2222-2222", "customer_id": customerID]).status == .notFound)
                let unprinted = try await api.postMoney("/api/v1/vouchers/batches", token: ownerA, json: ["package_id": package, "count": 1, "expires_at": later])
                #expect(unprinted.status == .created)
                #expect(try await api.get("/api/v1/vouchers/batches", token: ownerA).json["total"] as? Int == 2)
                #expect(try await api.get("/api/v1/vouchers/batches", token: sub1).json["total"] as? Int == 0)
                #expect(try await api.postMoney("/api/v1/vouchers/redeem", token: sub1, json: ["code": codes[1], "customer_id": customerID]).status == .notFound)
                let ownerB = try await api.login("owner-b", Fixtures.password)
                #expect(try await api.postMoney("/api/v1/vouchers/redeem", token: ownerB, json: ["code": codes[1], "customer_id": customerID]).status == .notFound)
                #expect(try await api.postMoney("/api/v1/vouchers/batches", token: ownerB,
                                                json: ["package_id": package, "count": 1, "expires_at": later]).errorCode == "package_not_assigned")
                #expect(try await api.postMoney("/api/v1/vouchers/batches", token: ownerA,
                                                json: ["package_id": package, "count": 0, "expires_at": later]).status == .badRequest)

                // Expiry: the job marks what is left, and an expired card is refused.
                let expiry = try await test.app.billing.run(.expireVouchers, asOf: start.addingTimeInterval(31 * 86_400), holder: "node-1")
                #expect(expiry.created == 5)
                test.clock.set(start.addingTimeInterval(31 * 86_400))
                #expect(try await api.postMoney("/api/v1/vouchers/redeem", token: ownerA, json: ["code": codes[2], "customer_id": customerID]).errorCode == "voucher_expired")
                #expect(try await test.app.billing.verifyLedger().ok)
            }
        }
    }
}
