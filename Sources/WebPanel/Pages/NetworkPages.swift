import AuthService
import BillingService
import Foundation
import Hummingbird
import Platform
import ProvisioningService

/// Resellers (the ISP's), sub-resellers (a reseller's) and routers.
extension WebPanel {
    func registerNetworkPages(on pages: RouterGroup<AppRequestContext>) {
        pages.get("resellers") { request, context in try await page(request, context) { try await resellerList($0) } }
        pages.post("resellers") { request, context in
            try await action(request, context, back: { _ in "/resellers" }) { form, page in
                let created = try await auth.createReseller(
                    by: page.principal, name: form["name"] ?? "", slug: form["slug"] ?? "",
                    owner: NewLogin(username: form["username"] ?? "", password: form.fields.first { $0.name == "password" }?.value ?? "", email: form["email"])
                )
                return redirect(to: "/resellers", flash: "Reseller \(created.name) created; \(created.owner.username) can sign in.", request: request)
            }
        }
        pages.post("resellers/{id}/status") { request, context in
            try await action(request, context, back: { _ in "/resellers" }) { form, page in
                guard let status = form["status"].flatMap(Tenant.Status.init(rawValue:)) else {
                    throw PlatformError.invalidInput(field: "status", reason: "must be active or suspended")
                }
                let tenant = try await auth.updateReseller(id: try context.parameters.requireID("id"), by: page.principal, name: nil, status: status)
                let done = status == .suspended ? "suspended; its sessions and tokens ended" : "active again"
                return redirect(to: "/resellers", flash: "Reseller \(tenant.name) \(done).", request: request)
            }
        }
        pages.post("resellers/{id}/topup") { request, context in
            try await action(request, context, back: { _ in "/resellers" }) { form, page in
                try await topUp(form, page, back: "/resellers") { input, key, body in
                    try await billing.fundResellerWallet(tenantID: try context.parameters.requireID("id"), by: page.actor, input, key: key, body: body)
                }
            }
        }
        pages.post("sub-resellers/{id}/topup") { request, context in
            try await action(request, context, back: { _ in "/sub-resellers" }) { form, page in
                try await topUp(form, page, back: "/sub-resellers") { input, key, body in
                    try await billing.fundOperatorWallet(id: try context.parameters.requireID("id"), by: page.actor, input, key: key, body: body)
                }
            }
        }
        pages.get("sub-resellers") { request, context in try await page(request, context) { try await subResellerList($0) } }
        pages.post("sub-resellers") { request, context in
            try await action(request, context, back: { _ in "/sub-resellers" }) { form, page in
                let created = try await auth.createOperator(
                    by: page.principal, name: form["name"] ?? "",
                    login: NewLogin(username: form["username"] ?? "", password: form.fields.first { $0.name == "password" }?.value ?? "", email: form["email"])
                )
                return redirect(to: "/sub-resellers", flash: "Sub-reseller \(created.name) created.", request: request)
            }
        }
        pages.post("sub-resellers/{id}/status") { request, context in
            try await action(request, context, back: { _ in "/sub-resellers" }) { form, page in
                let updated = try await auth.updateOperator(id: try context.parameters.requireID("id"), by: page.principal, name: nil, status: form["status"])
                return redirect(to: "/sub-resellers", flash: "Sub-reseller \(updated.name) is \(updated.status) now.", request: request)
            }
        }
        pages.get("routers") { request, context in try await page(request, context) { try await routerList($0) } }
        pages.post("routers") { request, context in
            try await action(request, context, back: { _ in "/routers" }) { form, page in
                // The form's fields as the API's body: the same decoding and checks as `POST /api/v1/routers`.
                var body: [String: Any] = [:]
                for name in ["name", "nas_ip", "radius_secret", "api_host", "api_username", "location", "disconnect_method"] {
                    if let value = form[name] { body[name] = value }
                }
                if let password = form.fields.first(where: { $0.name == "api_password" })?.value, !password.isEmpty { body["api_password"] = password }
                for name in ["api_port", "coa_port"] { if let value = try form.int(name) { body[name] = value } }
                body["api_tls"] = form["api_tls"] != nil
                let input = try AppJSON.decoder.decode(RouterInput.self, from: try JSONSerialization.data(withJSONObject: body))
                let router = try await provisioning.createRouter(by: page.principal, input)
                return redirect(to: "/routers", flash: "Router \(router.name) added; FreeRADIUS accepts it as a client now.", request: request)
            }
        }
        pages.post("routers/{id}/configure") { request, context in
            try await form(request, context) { form, page in
                do {
                    // `name=ranges` per line: the address ranges of the pools the packages name, on this router.
                    let pools = (form["pools"] ?? "").split(whereSeparator: \.isNewline).compactMap { line -> PoolInput? in
                        let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                        return parts.count == 2 && !parts[0].isEmpty ? PoolInput(name: parts[0], ranges: parts[1]) : nil
                    }
                    let report = try await provisioning.configureRouter(id: try context.parameters.requireID("id"), pools: pools, by: page.principal)
                    return try await routerList(page, report: report)
                } catch let error as any ServiceError {
                    return redirect(to: "/routers", flash: error.message, error: true, request: request)
                }
            }
        }
        pages.post("routers/{id}/assignments") { request, context in
            try await action(request, context, back: { _ in "/routers" }) { form, page in
                let ids = form.all("tenant_ids").compactMap { Int64($0) }
                let router = try await provisioning.assignRouter(id: try context.parameters.requireID("id"), tenantIDs: ids, by: page.principal)
                let whom = ids.isEmpty ? "no reseller" : "\(ids.count) reseller\(ids.count == 1 ? "" : "s")"
                return redirect(to: "/routers", flash: "\(router.name) serves \(whom).", request: request)
            }
        }
        registerEditForm(on: pages, "routers", draw: { page, id in try await routerEditForm(page, id: id) }) { form, page, id in
            "Router \(try await provisioning.updateRouter(id: id, by: page.principal, try Self.routerChanges(form)).name) saved."
        }
        pages.post("routers/{id}/test") { request, context in
            try await action(request, context, back: { _ in "/routers" }) { _, page in
                let router = try await provisioning.testRouter(id: try context.parameters.requireID("id"), by: page.principal)
                let ok = router.lastTest?.ok == true
                return redirect(to: "/routers", flash: "\(router.name): " + (ok ? "the API answered." : "no answer (\(router.lastTest?.message ?? "unreachable"))."),
                                error: !ok, request: request)
            }
        }
    }

    /// A wallet top-up from a row's form (the ISP funds a reseller, a reseller its sub-reseller), under the
    /// form's own idempotency key: a double submit pays once.
    func topUp(
        _ form: PanelForm, _ page: PanelRequest, back: String,
        _ fund: (TopUpInput, String, Data) async throws -> MoneyResult
    ) async throws -> Response {
        try require(.billingWrite, page)
        let amount = try form.amount("amount")
        let input = TopUpInput(amount: amount, method: form["method"] ?? "cash", reference: form["reference"], note: form["note"])
        let body = Data("\(amount ?? 0)|\(form["method"] ?? "cash")|\(form["reference"] ?? "")".utf8)
        let result = try await fund(input, "panel:" + (form["key"] ?? UUID().uuidString), body)
        return try moneyRedirect(result, back: back, page: page, replayed: "This top-up was already made.") { _ in
            "Wallet topped up with \(Display.money(Int(amount ?? 0)))."
        }
    }

    func resellerList(_ page: PanelRequest) async throws -> Response {
        guard page.principal.isAdmin else { throw PlatformError.notFound("page") }
        let pageRequest = try PageRequest(page: page.query("page"), perPage: page.query("per_page") ?? "100")
        let resellers = try await auth.listResellers(by: page.principal, page: pageRequest)
        let rows = try ViewValue.list(resellers.items).map { item -> [String: Any] in
            var row = item
            row["created"] = Display.time(iso: item["created_at"])
            row["suspended"] = item["status"] as? String == "suspended"
            row["key"] = UUID().uuidString
            return row
        }
        return try await render("resellers", ["rows": rows, "total": resellers.total], request: page, title: "Resellers", section: "resellers")
    }

    func subResellerList(_ page: PanelRequest) async throws -> Response {
        guard page.principal.role != .subReseller else { throw PlatformError.notFound("page") }
        let operators = try await auth.listOperators(for: page.principal, page: PageRequest(page: 1, perPage: 200))
        let rows = try ViewValue.list(operators.items.filter { $0.kind == "sub_reseller" }).map { item -> [String: Any] in
            var row = item
            row["created"] = Display.time(iso: item["created_at"])
            row["suspended"] = item["status"] as? String == "suspended"
            row["key"] = UUID().uuidString
            return row
        }
        let data: [String: Any] = [
            "rows": rows, "can_write": page.principal.permissions.contains(.operatorsWrite), "can_pay": page.principal.permissions.contains(.billingWrite),
        ]
        return try await render("sub-resellers", data, request: page, title: "Sub-resellers", section: "sub-resellers")
    }

    func routerList(_ page: PanelRequest, report: RouterConfigureReport? = nil) async throws -> Response {
        let routers = try await provisioning.routers(for: page.principal, page: PageRequest(page: 1, perPage: 200))
        var rows = try ViewValue.list(routers.items).map { item -> [String: Any] in
            var row = item
            let test = item["last_test"] as? [String: Any]
            row["tested"] = Display.time(iso: test?["at"]) ?? "never"
            row["test_ok"] = test?["ok"] as? Bool == true
            row["test_failed"] = test?["ok"] as? Bool == false
            return row
        }
        if page.principal.isAdmin {
            // Which resellers may put customers on each router (none chosen: every reseller).
            let resellers = try await auth.listResellers(by: page.principal, page: PageRequest(page: 1, perPage: 200)).items
            for index in rows.indices {
                let assigned = Set((rows[index]["assigned_tenant_ids"] as? [Any] ?? []).compactMap { $0 as? Int })
                rows[index]["resellers"] = resellers.map { ["id": $0.id, "name": $0.name, "checked": assigned.contains(Int($0.id))] }
            }
        }
        var data: [String: Any] = ["rows": rows, "admin": page.principal.isAdmin]
        if let report {
            // What the push did, item by item (created, updated, unchanged, skipped, failed).
            var view = try ViewValue.encoded(report)
            view["name"] = routers.items.first { $0.id == report.routerID }?.name ?? "#\(report.routerID)"
            data["report"] = view
        }
        return try await render("routers", data, request: page, title: "Routers", section: "routers")
    }

    func routerEditForm(_ page: PanelRequest, id: Int64) async throws -> Response {
        guard page.principal.isAdmin else { throw PlatformError.forbidden("only the ISP changes routers") }
        let router = try await provisioning.router(id: id, for: page.principal)
        var data = try ViewValue.object(try AppJSON.encoder.encode(router))
        data["methods"] = Link.options([("radius", "RADIUS Disconnect-Request"), ("api", "RouterOS API (/ppp/active/remove)"), ("none", "None (sessions run out)")],
                                       selected: router.disconnectMethod.rawValue)
        data["disabled"] = router.status == .disabled
        return try await render("router-edit", data, request: page, title: "Router \(router.name)", section: "routers")
    }

    /// The edit form as a partial update. Secrets left empty stay as they are (they are never shown);
    /// an emptied location or API host clears it; unticked boxes are `false`.
    static func routerChanges(_ form: PanelForm) throws -> RouterInput {
        var body: [String: Any] = [:]
        for name in ["name", "nas_ip", "api_username", "disconnect_method", "status"] { if let value = form[name] { body[name] = value } }
        for name in ["radius_secret", "api_password"] {
            if let value = form.fields.first(where: { $0.name == name })?.value, !value.isEmpty { body[name] = value }
        }
        for name in ["location", "api_host"] { body[name] = form[name] ?? NSNull() }
        for name in ["api_port", "coa_port", "interim_seconds"] { if let value = try form.int(name) { body[name] = value } }
        for name in ["api_tls", "api_tls_verify", "coa_enabled"] { body[name] = form[name] != nil }
        return try RouterInput.decodePartial(from: try JSONSerialization.data(withJSONObject: body))
    }
}
