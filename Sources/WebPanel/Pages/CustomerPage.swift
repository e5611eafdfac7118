import BillingService
import CustomerService
import Foundation
import Hummingbird
import HTTPTypes
import Platform
import ProvisioningService

/// One customer: profile, actions, recharge, devices, bills and payments, sessions, activity, provisioning.
extension WebPanel {
    static let tabs: [(String, String)] = [
        ("profile", "Profile"), ("devices", "Devices"), ("billing", "Bills & payments"), ("sessions", "Sessions"), ("activity", "Activity"),
    ]

    func registerCustomer(on pages: RouterGroup<AppRequestContext>) {
        pages.get("customers/{id}") { request, context in
            try await page(request, context) { page in try await customerDetail(page, id: try context.parameters.requireID("id")) }
        }
        pages.get("customers/{id}/edit") { request, context in
            try await page(request, context) { page in try await editForm(page, id: try context.parameters.requireID("id")) }
        }
        pages.post("customers/{id}/edit") { request, context in
            let id = try context.parameters.requireID("id")
            return try await form(request, context) { form, page in try await updateCustomer(form, page, id: id) }
        }
        let id: @Sendable (AppRequestContext) -> Int64 = { Int64($0.parameters.get("id") ?? "") ?? 0 }
        pages.post("customers/{id}/action") { request, context in
            try await action(request, context, back: { form in form["back"].flatMap(safeNext) ?? "/customers/\(id(context))" }) { form, page in
                try await customerAction(form, page, id: try context.parameters.requireID("id"))
            }
        }
        pages.post("customers/{id}/recharge") { request, context in
            try await action(request, context, back: { _ in "/customers/\(id(context))" }) { form, page in
                try await recharge(form, page, id: try context.parameters.requireID("id"))
            }
        }
        pages.post("customers/{id}/devices") { request, context in
            try await action(request, context, back: { _ in "/customers/\(id(context))?tab=devices" }) { form, page in
                try require(.customersWrite, page)
                let device = try await customers.addDevice(customerID: try context.parameters.requireID("id"), by: page.actor, mac: form["mac"], label: form["label"])
                return redirect(to: "/customers/\(device.customerID)?tab=devices", flash: "Device \(device.mac) bound.", request: request)
            }
        }
        pages.post("customers/{id}/devices/{device_id}/delete") { request, context in
            try await action(request, context, back: { _ in "/customers/\(id(context))?tab=devices" }) { _, page in
                try require(.customersWrite, page)
                let customerID = try context.parameters.requireID("id")
                try await customers.removeDevice(customerID: customerID, deviceID: try context.parameters.requireID("device_id"), by: page.actor)
                return redirect(to: "/customers/\(customerID)?tab=devices", flash: "Device removed.", request: request)
            }
        }
        pages.post("customers/{id}/disconnect") { request, context in
            try await action(request, context, back: { _ in "/customers/\(id(context))" }) { form, page in
                try require(.customersWrite, page)
                let report = try await provisioning.disconnect(customerID: try context.parameters.requireID("id"), by: page.actor)
                let back = form["back"].flatMap(safeNext) ?? "/customers/\(report.customerID)"
                return redirect(to: back, flash: report.sessions.isEmpty ? "No open session to disconnect." : "Disconnect sent to \(report.sessions.count) session(s).", request: request)
            }
        }
        pages.post("customers/{id}/payments") { request, context in
            try await action(request, context, back: { _ in "/customers/\(id(context))?tab=billing" }) { form, page in
                try await recordPayment(form, page, id: try context.parameters.requireID("id"))
            }
        }
        pages.post("customers/{id}/invoices") { request, context in
            try await action(request, context, back: { _ in "/customers/\(id(context))?tab=billing" }) { form, page in
                try await invoiceNow(form, page, id: try context.parameters.requireID("id"))
            }
        }
        pages.post("customers/{id}/invoices/{invoice_id}/void") { request, context in
            try await action(request, context, back: { _ in "/customers/\(id(context))?tab=billing" }) { form, page in
                try await voidInvoice(form, page, customerID: try context.parameters.requireID("id"), invoiceID: try context.parameters.requireID("invoice_id"))
            }
        }
        pages.post("customers/{id}/terms") { request, context in
            try await action(request, context, back: { _ in "/customers/\(id(context))?tab=billing" }) { form, page in
                try require(.billingWrite, page)
                let customerID = try context.parameters.requireID("id")
                // Blank clears: the customer pays the package's price again.
                var body: [String: Any] = ["special_price": try form.amount("special_price") ?? NSNull(), "discount": try form.amount("discount") ?? NSNull()]
                body["note"] = form["note"] ?? NSNull()
                let input = try AppJSON.decoder.decode(BillingTermsInput.self, from: try JSONSerialization.data(withJSONObject: body))
                _ = try await billing.setBillingTerms(customerID: customerID, by: page.actor, input)
                return redirect(to: "/customers/\(customerID)?tab=billing", flash: "Billing terms saved.", request: request)
            }
        }
        pages.post("customers/{id}/password") { request, context in
            let id = try context.parameters.requireID("id")
            return try await form(request, context) { _, page in
                do {
                    // Read through the explicit, logged path; shown on this answer only, never kept in a cookie or a link.
                    let password = try await customers.customerPassword(id: id, by: page.actor)
                    return try await customerDetail(page, id: id, revealedPassword: password ?? "(none: this type signs in without one)")
                } catch let error as any ServiceError {
                    return redirect(to: "/customers/\(id)", flash: error.message, error: true, request: request)
                }
            }
        }
        pages.post("customers/{id}/reprovision") { request, context in
            try await action(request, context, back: { form in form["back"].flatMap(safeNext) ?? "/customers/\(id(context))" }) { form, page in
                try require(.customersWrite, page)
                let customerID = try context.parameters.requireID("id")
                try await provisioning.reprovision(customerID: customerID, by: page.actor)
                let back = form["back"].flatMap(safeNext) ?? "/customers/\(customerID)"
                return redirect(to: back, flash: "Provisioning of customer #\(customerID) queued again.", request: request)
            }
        }
        pages.get("provisioning") { request, context in try await page(request, context) { try await provisioningFailures($0) } }
    }

    func customerDetail(_ page: PanelRequest, id: Int64, revealedPassword: String? = nil) async throws -> Response {
        try require(.customersRead, page)
        let principal = page.principal
        let tab = Self.tabs.first { $0.0 == page.query("tab") }?.0 ?? "profile"
        async let record = customers.customer(id: id, for: principal)
        async let fieldList = customers.listCustomFields(for: principal, page: PageRequest(page: 1, perPage: 200))
        let customer = try await record
        var data = try ViewValue.written(customer)
        data["type_label"] = Display.label(customer.type.rawValue)
        data["expires"] = customer.expiresAt.map(Display.time) ?? "—"
        data["created"] = Display.time(customer.createdAt)
        data["deleted"] = customer.deletedAt != nil
        data["prepaid"] = customer.type.isPrepaid && customer.deletedAt == nil
        data["invoiced"] = !customer.type.isPrepaid && customer.billingProfileID != nil && customer.deletedAt == nil
        data["can_write"] = principal.permissions.contains(.customersWrite)
        data["can_pay"] = principal.permissions.contains(.billingWrite)
        data["key"] = UUID().uuidString
        data["redeem_key"] = UUID().uuidString
        if let revealedPassword { data["revealed_password"] = revealedPassword }
        data["can_read_password"] = principal.role != .subReseller && principal.permissions.contains(.customersWrite) && customer.deletedAt == nil
        data["address_text"] = [customer.address.house, customer.address.road, customer.address.area, customer.address.thana, customer.address.district, customer.address.division]
            .compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
        let values = customer.customFields
        data["custom"] = try await fieldList.items.map { ["name": $0.name, "value": values[$0.key] ?? "—"] }
        data["tabs"] = Self.tabs.map { ["key": $0.0, "label": $0.1, "active": $0.0 == tab, "href": "/customers/\(id)?tab=\($0.0)"] }
        data["tab_\(tab)"] = true
        data["actions"] = Self.availableActions(customer).map { ["value": $0.0.rawValue, "label": $0.1, "confirm": $0.2 ?? ""] }
        if let provisioning = customer.provisioning {
            data["provisioning_state"] = provisioning.state
            data["provisioning_failed"] = provisioning.state == "failed"
            data["provisioning_error"] = provisioning.lastError ?? ""
        }
        switch tab {
        case "devices":
            data["devices"] = try ViewValue.list(try await customers.devices(customerID: id, for: principal)).map { device in
                var device = device
                device["added"] = Display.time(iso: device["added_at"])
                return device
            }
        case "billing":
            let filter = MoneyListFilter(status: nil, operatorID: nil, customerID: String(id), from: nil, to: nil)
            let recent = PageRequest(page: 1, perPage: 20)
            async let invoices = billing.invoices(for: principal, filter, page: recent)
            async let payments = billing.payments(for: principal, filter, page: recent)
            data["invoices"] = (try ViewValue.object(try await invoices)["items"] as? [[String: Any]] ?? []).map { item in
                var row = Self.moneyRow(item)
                row["open"] = item["status"] as? String == "unpaid" || item["status"] as? String == "partial"
                return row
            }
            data["payments"] = (try ViewValue.object(try await payments)["items"] as? [[String: Any]] ?? []).map(Self.moneyRow)
            if !customer.type.isPrepaid, customer.deletedAt == nil, let terms = try? ViewValue.object(try await billing.billingTerms(customerID: id, for: principal)) {
                data["terms"] = [
                    "special_price": (terms["special_price"] as? Int).map { Display.money($0).replacingOccurrences(of: ",", with: "") } ?? "",
                    "discount": (terms["discount"] as? Int).map { Display.money($0).replacingOccurrences(of: ",", with: "") } ?? "",
                    "note": terms["note"] as? String ?? "",
                ]
            }
        case "sessions":
            let history = try await provisioning.sessionHistory(customerID: id, for: principal, from: nil, to: nil)
            let view = try ViewValue.encoded(history)
            data["sessions"] = (view["items"] as? [[String: Any]] ?? []).map { session in
                var row = session
                row["started"] = Display.time(iso: session["started_at"]) ?? "—"
                row["stopped"] = Display.time(iso: session["stopped_at"]) ?? "open"
                row["duration"] = Display.duration(seconds: session["duration_seconds"] as? Int ?? 0)
                row["down"] = Display.bytes(session["download_bytes"] as? Int ?? 0)
                row["up"] = Display.bytes(session["upload_bytes"] as? Int ?? 0)
                return row
            }
        case "activity":
            let entries = try await customers.activity(
                for: principal, customerID: String(id), actor: nil, action: nil, from: nil, to: nil, page: PageRequest(page: 1, perPage: 50)
            )
            data["activity"] = try ViewValue.list(entries.items).map { entry in
                var row = entry
                row["when"] = Display.time(iso: entry["occurred_at"])
                row["changes_text"] = Self.changesText(entry["changes"])
                return row
            }
        default:
            if customer.type.isPrepaid, customer.deletedAt == nil, principal.permissions.contains(.billingWrite) {
                let packages = try await billing.listPackages(for: principal, search: nil, type: customer.type.rawValue, status: "active", page: PageRequest(page: 1, perPage: 200))
                data["recharge_packages"] = Link.options(packages.items.map { (String($0.id), "\($0.name) — \(Display.money(Int($0.price)))") },
                                                         selected: customer.packageID.map(String.init))
            }
            if principal.permissions.contains(.customersWrite), customer.deletedAt == nil {
                let choices = try await filterChoices(principal)
                data["change_packages"] = Link.options(choices.packages, selected: customer.packageID.map(String.init))
                data["change_operators"] = Link.options(choices.operators, selected: String(customer.operatorID))
                data["show_operators"] = choices.operators.count > 1
            }
        }
        return try await render("customer", data, request: page, title: customer.fullName, section: "customers")
    }

    static func moneyRow(_ item: [String: Any]) -> [String: Any] {
        var row = item
        for key in ["total", "paid", "balance_due", "amount"] {
            if let minor = item[key] as? Int { row["\(key)_text"] = Display.money(minor) }
        }
        for key in ["received_at", "created_at"] {
            if let text = Display.time(iso: item[key]) { row["\(key)_text"] = text }
        }
        return row
    }

    /// `field: old → new` lines of an activity entry's changes.
    static func changesText(_ changes: Any?) -> String {
        guard let object = changes as? [String: Any] else { return "" }
        func text(_ value: Any?) -> String {
            switch value {
            case nil: "—"
            case let string as String: string
            case let other?: "\(other)"
            }
        }
        return object.keys.sorted().map { key in
            if let pair = object[key] as? [String: Any], pair.keys.contains("from") || pair.keys.contains("to") {
                return "\(key): \(text(pair["from"])) → \(text(pair["to"]))"
            }
            return "\(key): \(text(object[key]))"
        }.joined(separator: "; ")
    }

    /// The actions a customer's state allows, with the question a destructive one asks first.
    static func availableActions(_ customer: Customer) -> [(CustomerAction, String, String?)] {
        if customer.deletedAt != nil { return [(.restore, "Restore", nil)] }
        var actions: [(CustomerAction, String, String?)] = []
        if customer.status != .active { actions.append((.activate, "Activate", nil)) }
        if customer.status == .active || customer.status == .expired { actions.append((.suspend, "Suspend", "Suspend \(customer.username)? The customer is cut off.")) }
        if customer.status != .disabled { actions.append((.disable, "Disable", "Disable \(customer.username)?")) }
        actions.append((.resetPassword, "Reset password", "Give \(customer.username) a new password?"))
        actions.append((.delete, "Delete", "Delete \(customer.username)? The record can be restored from Deleted customers."))
        return actions
    }

    func customerAction(_ form: PanelForm, _ page: PanelRequest, id: Int64) async throws -> Response {
        try require(.customersWrite, page)
        guard let name = form["action"], let action = CustomerAction(rawValue: name) else {
            throw PlatformError.invalidInput(field: "action", reason: "is not an action")
        }
        var suspendDate: String?? = nil
        if action == .setSuspendDate { suspendDate = .some(form["suspend_date"]) }
        let input = ActionInput(
            reason: form["reason"], packageID: try form.int64("package_id"), operatorID: try form.int64("operator_id"), password: form["password"],
            suspendDate: suspendDate
        )
        let (customer, password) = try await customers.perform(action, id: id, by: page.actor, input)
        let back = form["back"].flatMap(safeNext) ?? "/customers/\(customer.id)"
        let done = switch action {
        case .delete: "Customer \(customer.username) deleted."
        case .restore: "Customer \(customer.username) restored (disabled until activated)."
        case .resetPassword: password.map { "New password for \(customer.username): \($0)" } ?? "Password changed."
        default: "Customer \(customer.username): \(action.rawValue.replacingOccurrences(of: "-", with: " ")) done."
        }
        return redirect(to: action == .delete && form["back"] == nil ? "/customers" : back, flash: done, request: page.request)
    }

    func recharge(_ form: PanelForm, _ page: PanelRequest, id: Int64) async throws -> Response {
        try require(.billingWrite, page)
        var body: [String: Any] = [:]
        if let packageID = try form.int64("package_id") { body["package_id"] = packageID }
        if let days = try form.int("days") { body["days"] = days }
        if let amount = try form.amount("payment_amount") {
            var payment: [String: Any] = ["amount": amount, "method": form["payment_method"] ?? "cash"]
            if let reference = form["payment_reference"] { payment["reference"] = reference }
            body["payment"] = payment
        }
        let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        let input = try AppJSON.decoder.decode(RechargeInput.self, from: data)
        // The form carries its own idempotency key: sending it twice (a double click, a reload) recharges once.
        let key = form["key"] ?? UUID().uuidString
        let result = try await billing.recharge(customerID: id, by: page.actor, input, key: "panel:" + key, body: data)
        return try moneyRedirect(result, back: "/customers/\(id)", page: page, replayed: "This recharge was already done.") { answer in
            let expires = Display.time(iso: (answer["customer"] as? [String: Any])?["expires_at"] ?? answer["expires_at"])
            return "Recharged" + (expires.map { ", valid until \($0)" } ?? "") + "."
        }
    }

    /// A payment taken from the customer (cash, bank, mobile money): it pays the oldest open invoices first
    /// and reactivates a customer suspended for them, as `POST /api/v1/customers/{id}/payments` does.
    func recordPayment(_ form: PanelForm, _ page: PanelRequest, id: Int64) async throws -> Response {
        try require(.billingWrite, page)
        var body: [String: Any] = ["method": form["method"] ?? "cash"]
        if let amount = try form.amount("amount") { body["amount"] = amount }
        if let reference = form["reference"] { body["reference"] = reference }
        let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        let input = try AppJSON.decoder.decode(PaymentInput.self, from: data)
        let result = try await billing.recordPayment(customerID: id, by: page.actor, input, key: "panel:" + (form["key"] ?? UUID().uuidString), body: data)
        return try moneyRedirect(result, back: "/customers/\(id)?tab=billing", page: page, replayed: "This payment was already recorded.") { _ in
            "Payment of \(Display.money(Int(body["amount"] as? Int64 ?? 0))) recorded."
        }
    }

    /// The invoice of the period due now (monthly customers), as the scheduler would make it.
    func invoiceNow(_ form: PanelForm, _ page: PanelRequest, id: Int64) async throws -> Response {
        try require(.billingWrite, page)
        let data = Data("{}".utf8)
        let input = try AppJSON.decoder.decode(ManualInvoiceInput.self, from: data)
        let result = try await billing.createInvoice(customerID: id, by: page.actor, input, key: "panel:" + (form["key"] ?? UUID().uuidString), body: data)
        return try moneyRedirect(result, back: "/customers/\(id)?tab=billing", page: page, replayed: "This invoice was already made.") { answer in
            "Invoice \(answer["code"] as? String ?? "") made: \(Display.money(answer["total"] as? Int ?? 0))."
        }
    }

    /// Voids an invoice (its payments stay as the customer's credit), with a reason.
    func voidInvoice(_ form: PanelForm, _ page: PanelRequest, customerID: Int64, invoiceID: Int64) async throws -> Response {
        try require(.billingWrite, page)
        let data = try JSONSerialization.data(withJSONObject: ["reason": form["reason"] ?? "voided in the panel"], options: [.sortedKeys])
        let input = try AppJSON.decoder.decode(VoidInput.self, from: data)
        let result = try await billing.voidInvoice(id: invoiceID, by: page.actor, input, key: "panel:void:\(invoiceID)", body: data)
        return try moneyRedirect(result, back: "/customers/\(customerID)?tab=billing", page: page, replayed: "This invoice was already voided.") { answer in
            "Invoice \(answer["code"] as? String ?? "") voided."
        }
    }

    func editForm(_ page: PanelRequest, id: Int64) async throws -> Response {
        let customer = try await customers.customer(id: id, for: page.principal)
        return try await customerForm(page, values: Self.formValues(customer), errors: [:], customerID: id)
    }

    static func formValues(_ customer: Customer) -> [String: String] {
        var values: [String: String] = [
            "type": customer.type.rawValue, "username": customer.username, "full_name": customer.fullName, "phone": customer.phone ?? "",
            "email": customer.email ?? "", "house": customer.address.house ?? "", "road": customer.address.road ?? "", "area": customer.address.area ?? "",
            "thana": customer.address.thana ?? "", "district": customer.address.district ?? "", "division": customer.address.division ?? "",
            "static_ip": customer.staticIP ?? "", "nid": customer.nid ?? "", "connection_date": customer.connectionDate, "notes": customer.notes ?? "",
            "code": customer.code, "client_type": customer.clientType, "connection_type": customer.connectionType,
            "connectivity": customer.connectivity, "gender": customer.gender ?? "",
            "zone_id": customer.zoneID.map(String.init) ?? "", "package_id": customer.packageID.map(String.init) ?? "",
            "billing_profile_id": customer.billingProfileID.map(String.init) ?? "", "operator_id": String(customer.operatorID),
        ]
        for (key, value) in customer.customFields { values["cf.\(key)"] = value }
        return values
    }

    func updateCustomer(_ form: PanelForm, _ page: PanelRequest, id: Int64) async throws -> Response {
        var values = form.values
        values["password"] = nil
        do {
            try require(.customersWrite, page)
            var input = try Self.customerInput(form, clearing: true)
            // Package, operator and username change through their actions, never by the edit form.
            input.packageID = nil
            input.operatorID = nil
            input.username = nil
            input.password = nil
            input.nulls.subtract(["package_id", "operator_id", "username", "password", "type"])
            let customer = try await customers.updateCustomer(id: id, by: page.actor, input)
            return redirect(to: "/customers/\(customer.id)", flash: "Saved.", request: page.request)
        } catch let error as any ServiceError {
            if error.kind == .notFound { throw error }
            let (field, reason) = Self.fieldError(error)
            return try await customerForm(page, values: values, errors: [field: reason], customerID: id, status: .unprocessableContent)
        }
    }

    /// Customers whose provisioning failed after every attempt, with the last error and a retry each.
    func provisioningFailures(_ page: PanelRequest) async throws -> Response {
        try require(.customersRead, page)
        let pageRequest = try PageRequest(page: page.query("page"), perPage: page.query("per_page"))
        let failures = try await provisioning.failures(for: page.principal, page: pageRequest)
        var data: [String: Any] = [
            "rows": try ViewValue.list(failures.items).map { item -> [String: Any] in
                var row = item
                row["updated_at_text"] = Display.time(iso: item["updated_at"]) ?? ""
                return row
            },
            "total": failures.total, "can_write": page.principal.permissions.contains(.customersWrite),
        ]
        data.merge(Link.pager("/provisioning", [], page: pageRequest.page, perPage: pageRequest.perPage, total: failures.total)) { $1 }
        return try await render("provisioning", data, request: page, title: "Provisioning failures", section: "provisioning")
    }
}
