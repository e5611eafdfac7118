import AuthService
import CustomerService
import Foundation
import Hummingbird
import Platform

/// Custom fields, the activity log and API tokens.
extension WebPanel {
    func registerAccountPages(on pages: RouterGroup<AppRequestContext>) {
        pages.get("custom-fields") { request, context in try await page(request, context) { try await customFieldList($0) } }
        pages.post("custom-fields") { request, context in
            try await action(request, context, back: { _ in "/custom-fields" }) { form, page in
                try require(.customersWrite, page)
                let input = CustomFieldInput(
                    key: form["key"], name: form["name"], type: form["type"], options: Self.options(form["options"]), required: form["required"] != nil,
                    order: try form.int("order")
                )
                let field = try await customers.createCustomField(by: page.principal, input)
                return redirect(to: "/custom-fields", flash: "Field \(field.name) added.", request: request)
            }
        }
        pages.post("custom-fields/{id}") { request, context in
            try await action(request, context, back: { _ in "/custom-fields" }) { form, page in
                try require(.customersWrite, page)
                let input = CustomFieldInput(
                    key: nil, name: form["name"], type: nil, options: Self.options(form["options"]), required: form["required"] != nil,
                    order: try form.int("order")
                )
                let field = try await customers.updateCustomField(id: try context.parameters.requireID("id"), by: page.principal, input)
                return redirect(to: "/custom-fields", flash: "Field \(field.name) saved.", request: request)
            }
        }
        pages.post("custom-fields/{id}/delete") { request, context in
            try await action(request, context, back: { _ in "/custom-fields" }) { _, page in
                try require(.customersWrite, page)
                try await customers.deleteCustomField(id: try context.parameters.requireID("id"), by: page.principal)
                return redirect(to: "/custom-fields", flash: "Field deleted with its values.", request: request)
            }
        }
        pages.get("activity") { request, context in try await page(request, context) { try await activityLog($0) } }
        pages.get("tokens") { request, context in try await page(request, context) { try await tokenList($0, created: nil) } }
        pages.post("tokens") { request, context in
            try await form(request, context) { form, page in
                do {
                    try notViewingAs(page)
                    let scopes = form.all("scopes")
                    let created = try await auth.createToken(for: page.principal, name: form["name"] ?? "", scopes: scopes, expiresInDays: try form.int("expires_in_days"))
                    // The secret is shown on this answer only; it is never stored in clear.
                    return try await tokenList(page, created: created)
                } catch let error as any ServiceError {
                    return redirect(to: "/tokens", flash: error.message, error: true, request: request)
                }
            }
        }
        pages.post("tokens/{id}/revoke") { request, context in
            try await action(request, context, back: { _ in "/tokens" }) { _, page in
                try notViewingAs(page)
                try await auth.revokeToken(id: try context.parameters.requireID("id"), for: page.principal)
                return redirect(to: "/tokens", flash: "Token revoked.", request: request)
            }
        }
    }

    /// A choice field's options as typed: comma-separated, blanks dropped.
    static func options(_ text: String?) -> [String]? {
        text.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
    }

    func customFieldList(_ page: PanelRequest) async throws -> Response {
        try require(.customersRead, page)
        let fields = try await customers.listCustomFields(for: page.principal, page: PageRequest(page: 1, perPage: 200))
        let rows = try ViewValue.list(fields.items).map { item -> [String: Any] in
            var row = item
            row["options_text"] = (item["options"] as? [Any] ?? []).compactMap { $0 as? String }.joined(separator: ", ")
            return row
        }
        let data: [String: Any] = [
            "rows": rows,
            "types": Link.options([("text", "Text"), ("number", "Number"), ("date", "Date"), ("textarea", "Long text"), ("select", "Choice")], selected: "text"),
            "can_write": page.principal.permissions.contains(.customersWrite) && page.principal.role != .subReseller,
        ]
        return try await render("custom-fields", data, request: page, title: "Custom fields", section: "custom-fields")
    }

    func activityLog(_ page: PanelRequest) async throws -> Response {
        try require(.customersRead, page)
        let pageRequest = try PageRequest(page: page.query("page"), perPage: page.query("per_page"))
        let entries = try await customers.activity(
            for: page.principal, customerID: page.query("customer_id"), actor: page.query("actor"), action: page.query("action"),
            from: page.query("from"), to: page.query("to"), page: pageRequest
        )
        let rows = try ViewValue.list(entries.items).map { entry -> [String: Any] in
            var row = entry
            row["when"] = Display.time(iso: entry["occurred_at"])
            row["changes_text"] = Self.changesText(entry["changes"])
            return row
        }
        let filters: [(String, String?)] = ["customer_id", "actor", "action", "from", "to"].map { ($0, page.query($0)) }
        var data: [String: Any] = ["rows": rows, "total": entries.total]
        for (name, value) in filters { data["f_\(name)"] = value ?? "" }
        data.merge(Link.pager("/activity", filters, page: pageRequest.page, perPage: pageRequest.perPage, total: entries.total)) { $1 }
        return try await render("activity", data, request: page, title: "Activity log", section: "activity")
    }

    /// A token is the admin's own: it is never made or revoked inside a reseller's view.
    func notViewingAs(_ page: PanelRequest) throws {
        guard page.viewingAs == nil else { throw PlatformError.forbidden("leave the reseller's view to manage your own API tokens") }
    }

    func tokenList(_ page: PanelRequest, created: CreatedToken?) async throws -> Response {
        try notViewingAs(page)
        let tokens = try await auth.listTokens(for: page.principal, page: PageRequest(page: 1, perPage: 200))
        let rows = try ViewValue.list(tokens.items).map { item -> [String: Any] in
            var row = item
            row["scopes_text"] = (item["scopes"] as? [Any] ?? []).compactMap { $0 as? String }.joined(separator: ", ")
            row["created"] = Display.time(iso: item["created_at"])
            row["expires"] = Display.time(iso: item["expires_at"]) ?? "never"
            row["last_used"] = Display.time(iso: item["last_used_at"]) ?? "never"
            row["revoked"] = item["revoked_at"] != nil
            return row
        }
        var data: [String: Any] = [
            "rows": rows,
            "scopes": page.principal.permissions.sorted().map { ["value": $0.rawValue] },
            "can_write": page.principal.permissions.contains(.tokensWrite),
        ]
        if let created { data["created"] = ["name": created.name, "token": created.token] }
        return try await render("tokens", data, request: page, title: "API tokens", section: "tokens")
    }
}
