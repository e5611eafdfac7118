import BillingService
import Foundation
import Hummingbird
import Platform

/// Recharge cards: batches (made, counted by state, printed as CSV), the cards of a batch, and redeeming a
/// card onto a prepaid customer from its page.
extension WebPanel {
    func registerVouchers(on pages: RouterGroup<AppRequestContext>) {
        pages.get("vouchers") { request, context in try await page(request, context) { try await voucherPage($0) } }
        pages.post("vouchers") { request, context in
            try await action(request, context, back: { _ in "/vouchers" }) { form, page in try await createBatch(form, page) }
        }
        // Printing issues the cards (unissued → issued), so it is a form post, not a link.
        pages.post("vouchers/{id}/export") { request, context in
            try await action(request, context, back: { _ in "/vouchers" }) { _, page in
                try require(.billingWrite, page)
                let id = try context.parameters.requireID("id")
                return Self.download(try await billing.exportVoucherBatch(id: id, for: page.principal), type: "text/csv; charset=utf-8",
                                     name: "vouchers-\(id).csv")
            }
        }
        pages.post("customers/{id}/redeem") { request, context in
            let back: @Sendable (PanelForm) -> String = { _ in "/customers/\(context.parameters.get("id") ?? "")" }
            return try await action(request, context, back: back) { form, page in
                try await redeem(form, page, customerID: try context.parameters.requireID("id"))
            }
        }
    }

    /// The batches, or with `batch_id` one batch's cards.
    func voucherPage(_ page: PanelRequest) async throws -> Response {
        try require(.billingRead, page)
        let pageRequest = try PageRequest(page: page.query("page"), perPage: page.query("per_page"))
        async let packageList = billing.listPackages(for: page.principal, search: nil, type: nil, status: nil, page: PageRequest(page: 1, perPage: 200))
        if let batchID = page.query("batch_id") {
            return try await voucherCards(page, batchID: batchID, pageRequest: pageRequest, packages: try await packageList.items)
        }
        async let batchBytes = billing.voucherBatches(for: page.principal, page: pageRequest)
        let packages = try await packageList.items
        let answer = try ViewValue.object(try await batchBytes)
        let total = answer["total"] as? Int ?? 0
        var data: [String: Any] = ["rows": (answer["items"] as? [[String: Any]] ?? []).map { Self.batchRow($0, names: Self.names(packages)) }]
        data.merge(Link.pager("/vouchers", [], page: pageRequest.page, perPage: pageRequest.perPage, total: total)) { $1 }
        if page.principal.permissions.contains(.billingWrite) {
            data["can_write"] = true
            data["key"] = UUID().uuidString
            data["packages"] = Link.options(
                packages.filter { $0.customerType.isPrepaid && $0.status.rawValue == "active" }.map { (String($0.id), "\($0.name) — \(Display.money(Int($0.price)))") },
                selected: nil
            )
            data["default_expiry"] = Self.localDate(Date().addingTimeInterval(180 * 86_400))
        }
        return try await render("vouchers", data, request: page, title: "Vouchers", section: "vouchers")
    }

    /// One batch's cards: serials, the last four characters of each code, state and who used it.
    func voucherCards(_ page: PanelRequest, batchID: String, pageRequest: PageRequest, packages: [CatalogPackage]) async throws -> Response {
        async let cardBytes = billing.vouchers(for: page.principal, batchID: batchID, state: page.query("state"), page: pageRequest)
        let batch = try ViewValue.object(try await billing.voucherBatch(id: try Validate.positiveID(batchID, field: "batch_id"), for: page.principal))
        let cards = try ViewValue.object(try await cardBytes)
        var data: [String: Any] = [
            "batch": Self.batchRow(batch, names: Self.names(packages)),
            "cards": (cards["items"] as? [[String: Any]] ?? []).map { card -> [String: Any] in
                var row = card
                for key in ["issued_at", "used_at", "expires_at"] { row["\(key)_text"] = Display.time(iso: card[key]) ?? "" }
                return row
            },
            "states": Link.options([("", "Any state"), ("unissued", "Not printed"), ("issued", "Printed"), ("used", "Used"), ("expired", "Expired")],
                                   selected: page.query("state") ?? ""),
        ]
        let filters: [(String, String?)] = [("batch_id", batchID), ("state", page.query("state"))]
        data.merge(Link.pager("/vouchers", filters, page: pageRequest.page, perPage: pageRequest.perPage, total: cards["total"] as? Int ?? 0)) { $1 }
        return try await render("voucher-cards", data, request: page, title: "Voucher batch \(batchID)", section: "vouchers")
    }

    static func names(_ packages: [CatalogPackage]) -> [Int64: String] {
        Dictionary(packages.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
    }

    static func batchRow(_ batch: [String: Any], names: [Int64: String]) -> [String: Any] {
        var row = batch
        let states = batch["states"] as? [String: Any] ?? [:]
        for state in ["unissued", "issued", "used", "expired"] { row["n_\(state)"] = states[state] as? Int ?? 0 }
        row["package"] = (batch["package_id"] as? Int).flatMap { names[Int64($0)] } ?? "package \(batch["package_id"] ?? "")"
        row["value_text"] = Display.money(batch["value"] as? Int ?? 0)
        if let commission = batch["commission"] as? Int { row["commission_text"] = Display.money(commission) }
        for key in ["created_at", "expires_at"] { row["\(key)_text"] = Display.time(iso: batch[key]) ?? "" }
        return row
    }

    /// A new batch, idempotent under the form's key: a double submit makes one batch.
    func createBatch(_ form: PanelForm, _ page: PanelRequest) async throws -> Response {
        try require(.billingWrite, page)
        var body: [String: Any] = [:]
        if let packageID = try form.int64("package_id") { body["package_id"] = packageID }
        if let count = try form.int("count") { body["count"] = count }
        // The card's last day, in Dhaka, through its end.
        if let day = form["expires_on"] { body["expires_at"] = day + "T23:59:59+06:00" }
        if let distributor = form["distributor"] { body["distributor"] = distributor }
        if let commission = try form.amount("commission") { body["commission"] = commission }
        let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        let input = try AppJSON.decoder.decode(VoucherBatchInput.self, from: data)
        let result = try await billing.createVoucherBatch(by: page.actor, input, key: "panel:" + (form["key"] ?? UUID().uuidString), body: data)
        return try moneyRedirect(result, back: "/vouchers", page: page, replayed: "This batch was already made.") { answer in
            "Batch \(answer["id"] ?? "") of \(answer["count"] ?? "") cards made. Print it to issue the cards."
        }
    }

    /// A recharge card redeemed onto the customer: one period of the card's package, once per card.
    func redeem(_ form: PanelForm, _ page: PanelRequest, customerID: Int64) async throws -> Response {
        try require(.billingWrite, page)
        var body: [String: Any] = ["customer_id": customerID]
        if let code = form["code"] { body["code"] = code }
        let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        let input = try AppJSON.decoder.decode(RedeemInput.self, from: data)
        let result = try await billing.redeemVoucher(by: page.actor, input, key: "panel:" + (form["key"] ?? UUID().uuidString), body: data)
        return try moneyRedirect(result, back: "/customers/\(customerID)", page: page, replayed: "This card was already redeemed here.") { answer in
            let expires = Display.time(iso: (answer["recharge"] as? [String: Any])?["expires_at"])
            return "Card redeemed" + (expires.map { ", valid until \($0)" } ?? "") + "."
        }
    }
}
