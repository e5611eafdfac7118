import BillingService
import Foundation
import Hummingbird
import Platform

/// Billing: invoices, payments, the caller's wallet, the summary and the suspension log.
extension WebPanel {
    func registerBilling(on pages: RouterGroup<AppRequestContext>) {
        pages.get("billing/invoices") { request, context in try await page(request, context) { try await invoiceList($0) } }
        pages.get("billing/payments") { request, context in try await page(request, context) { try await paymentList($0) } }
        pages.get("billing/wallet") { request, context in try await page(request, context) { try await walletPage($0) } }
        pages.get("billing/summary") { request, context in try await page(request, context) { try await summaryPage($0) } }
        pages.get("billing/suspensions") { request, context in try await page(request, context) { try await suspensionList($0) } }
        pages.get("billing/profiles") { request, context in try await page(request, context) { try await profileList($0) } }
        pages.post("billing/profiles") { request, context in
            try await action(request, context, back: { _ in "/billing/profiles" }) { form, page in
                let profile = try await billing.createBillingProfile(by: page.principal, try Self.profileInput(form))
                return redirect(to: "/billing/profiles", flash: "Billing profile \(profile.name) created.", request: request)
            }
        }
        registerEditForm(on: pages, "billing/profiles", draw: { page, id in try await profileEditForm(page, id: id) }) { form, page, id in
            var input = try Self.profileInput(form)
            input.vatProfileID = try form.int64("vat_profile_id")
            if input.vatProfileID == nil { input.nulls.insert("vat_profile_id") }
            return "Billing profile \(try await billing.updateBillingProfile(id: id, by: page.principal, input).name) saved."
        }
        pages.post("billing/profiles/{id}/delete") { request, context in
            let back: @Sendable (PanelForm) -> String = { _ in "/billing/profiles/\(context.parameters.get("id") ?? "")/edit" }
            return try await action(request, context, back: back) { _, page in
                try await billing.deleteBillingProfile(id: try context.parameters.requireID("id"), by: page.principal)
                return redirect(to: "/billing/profiles", flash: "Billing profile deleted.", request: request)
            }
        }
    }

    /// The profile form's fields; an unticked box is `false` (a browser sends nothing for it).
    static func profileInput(_ form: PanelForm) throws -> BillingProfileInput {
        var input = BillingProfileInput()
        input.name = form["name"]
        input.cycleDay = try form.int("cycle_day")
        input.dueDays = try form.int("due_days")
        input.graceDays = try form.int("grace_days")
        input.autoInvoice = form["auto_invoice"] != nil
        input.autoSuspend = form["auto_suspend"] != nil
        input.autoReactivate = form["auto_reactivate"] != nil
        input.cycleEndsWithMonth = form["cycle_ends_with_month"] != nil
        return input
    }

    /// The VAT `<select>` of the edit forms: none, or one of the profiles with its rate.
    static func vatOptions(_ profiles: [VATProfile], selected: Int64?) -> [[String: Any]] {
        Link.options([("", "No VAT")] + profiles.map { (String($0.id), "\($0.name) (\(Double($0.rateBasisPoints) / 100) %)") },
                     selected: selected.map(String.init) ?? "")
    }

    func profileEditForm(_ page: PanelRequest, id: Int64) async throws -> Response {
        guard page.principal.isAdmin else { throw PlatformError.forbidden("only the ISP changes billing profiles") }
        async let found = billing.billingProfile(id: id, for: page.principal)
        async let vat = billing.vatProfiles(for: page.principal)
        let profile = try await found
        var data = try ViewValue.object(try AppJSON.encoder.encode(profile))
        data["vat_profiles"] = Self.vatOptions(try await vat, selected: profile.vatProfileID)
        return try await render("profile-edit", data, request: page, title: "Billing profile \(profile.name)", section: "profiles")
    }

    /// A money list's page: its rows with amounts and times written for people, and the pager's links.
    func moneyPage(
        _ page: PanelRequest, bytes: [UInt8], path: String, filters: [(String, String?)], pageRequest: PageRequest
    ) throws -> [String: Any] {
        let answer = try ViewValue.object(bytes)
        let rows = (answer["items"] as? [[String: Any]] ?? []).map { item -> [String: Any] in
            var row = Self.moneyRow(item)
            for key in ["suspended_at", "reactivated_at", "created_at"] {
                if let text = Display.time(iso: item[key]) { row["\(key)_text"] = text }
            }
            for key in ["balance_after", "advance_credit"] {
                if let minor = item[key] as? Int { row["\(key)_text"] = Display.money(minor) }
            }
            return row
        }
        let total = answer["total"] as? Int ?? rows.count
        var data: [String: Any] = ["rows": rows, "total": total]
        for (name, value) in filters { data["f_\(name)"] = value ?? "" }
        data.merge(Link.pager(path, filters, page: pageRequest.page, perPage: pageRequest.perPage, total: total)) { $1 }
        return data
    }

    func invoiceList(_ page: PanelRequest) async throws -> Response {
        try require(.billingRead, page)
        let pageRequest = try PageRequest(page: page.query("page"), perPage: page.query("per_page"))
        let filter = MoneyListFilter(status: page.query("status"), operatorID: nil, customerID: page.query("customer_id"), from: page.query("from"), to: page.query("to"))
        let bytes = try await billing.invoices(for: page.principal, filter, page: pageRequest)
        let filters: [(String, String?)] = ["status", "customer_id", "from", "to"].map { ($0, page.query($0)) }
        var data = try moneyPage(page, bytes: bytes, path: "/billing/invoices", filters: filters, pageRequest: pageRequest)
        data["statuses"] = Link.options([("", "Any status"), ("unpaid,partial", "Open"), ("unpaid", "Unpaid"), ("partial", "Partly paid"),
                                         ("paid", "Paid"), ("void", "Void")], selected: page.query("status") ?? "")
        data["csv_href"] = "/api/v1/invoices?format=csv"
        return try await render("invoices", data, request: page, title: "Invoices", section: "invoices")
    }

    func paymentList(_ page: PanelRequest) async throws -> Response {
        try require(.billingRead, page)
        let pageRequest = try PageRequest(page: page.query("page"), perPage: page.query("per_page"))
        let filter = MoneyListFilter(status: nil, operatorID: nil, customerID: page.query("customer_id"), from: page.query("from"), to: page.query("to"))
        let bytes = try await billing.payments(for: page.principal, filter, page: pageRequest)
        let filters: [(String, String?)] = ["customer_id", "from", "to"].map { ($0, page.query($0)) }
        let data = try moneyPage(page, bytes: bytes, path: "/billing/payments", filters: filters, pageRequest: pageRequest)
        return try await render("payments", data, request: page, title: "Payments", section: "payments")
    }

    func walletPage(_ page: PanelRequest) async throws -> Response {
        try require(.billingRead, page)
        guard !page.principal.isAdmin else {
            return try await renderError(page, status: .notFound, title: "No wallet", message: "The ISP has no wallet of its own; resellers' wallets are funded from it.")
        }
        let pageRequest = try PageRequest(page: page.query("page"), perPage: page.query("per_page"))
        async let wallet = billing.ownWallet(for: page.principal)
        async let transfers = billing.walletTransfers(operatorID: nil, resellerID: nil, for: page.principal, page: pageRequest)
        var data = try moneyPage(page, bytes: try await transfers, path: "/billing/wallet", filters: [], pageRequest: pageRequest)
        let object = try ViewValue.object(try await wallet)
        data["balance"] = Display.money(object["balance"] as? Int ?? 0)
        data["available"] = Display.money(object["available"] as? Int ?? 0)
        data["credit_limit"] = Display.money(object["credit_limit"] as? Int ?? 0)
        data["mode"] = object["mode"] as? String ?? ""
        data["currency"] = object["currency"] as? String ?? ""
        return try await render("wallet", data, request: page, title: "Wallet", section: "wallet")
    }

    func summaryPage(_ page: PanelRequest) async throws -> Response {
        try require(.billingRead, page)
        let today = Self.localDate(Date())
        let from = page.query("from") ?? String(today.prefix(8)) + "01", to = page.query("to") ?? today
        let answer = try ViewValue.object(try await billing.billingSummary(for: page.principal, from: from, to: to, format: .json))
        func written(_ item: [String: Any]) -> [String: Any] {
            var row = item
            for key in ["billed", "sold", "collected", "outstanding"] { row["\(key)_text"] = Display.money(item[key] as? Int ?? 0) }
            return row
        }
        let data: [String: Any] = [
            "from": from, "to": to,
            "rows": (answer["operators"] as? [[String: Any]] ?? []).map(written),
            "totals": written(answer["totals"] as? [String: Any] ?? [:]),
        ]
        return try await render("summary", data, request: page, title: "Billing summary", section: "summary")
    }

    func profileList(_ page: PanelRequest) async throws -> Response {
        let profiles = try await billing.listBillingProfiles(for: page.principal, page: PageRequest(page: 1, perPage: 200))
        let data: [String: Any] = ["rows": try ViewValue.list(profiles.items), "admin": page.principal.isAdmin]
        return try await render("profiles", data, request: page, title: "Billing profiles", section: "profiles")
    }

    func suspensionList(_ page: PanelRequest) async throws -> Response {
        try require(.billingRead, page)
        let pageRequest = try PageRequest(page: page.query("page"), perPage: page.query("per_page"))
        let bytes = try await billing.suspensionLog(for: page.principal, customerID: page.query("customer_id"), page: pageRequest)
        let filters: [(String, String?)] = [("customer_id", page.query("customer_id"))]
        let data = try moneyPage(page, bytes: bytes, path: "/billing/suspensions", filters: filters, pageRequest: pageRequest)
        return try await render("suspensions", data, request: page, title: "Suspension log", section: "suspensions")
    }
}
