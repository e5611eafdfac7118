import AuthService
import BillingService
import CustomerService
import Foundation
import Hummingbird
import HTTPTypes
import Platform

/// The customers list (search, filters, per-status counts, bulk actions, CSV export), the deleted list and
/// the add-customer form.
extension WebPanel {
    static let listFilters = ["q", "status", "type", "zone_id", "package_id", "operator_id", "sort"]
    static let bulkActions: [(CustomerAction, String)] = [
        (.activate, "Activate"), (.suspend, "Suspend"), (.changePackage, "Change package"), (.changeOperator, "Change operator"),
        (.delete, "Delete"),
    ]

    func registerCustomers(on pages: RouterGroup<AppRequestContext>) {
        pages.get("customers") { request, context in try await page(request, context) { try await customerList($0) } }
        pages.get("customers/export.csv") { request, context in try await page(request, context) { try await exportCSV($0) } }
        pages.post("customers/bulk") { request, context in
            try await action(request, context, back: { form in "/customers" + (form["return"] ?? "") }) { form, page in
                try await bulk(form, page)
            }
        }
        pages.get("customers/deleted") { request, context in try await page(request, context) { try await deletedList($0) } }
        pages.get("customers/new") { request, context in
            try await page(request, context) { page in try await customerForm(page, values: ["type": page.query("type") ?? "pppoe_daily"], errors: [:]) }
        }
        pages.post("customers/new") { request, context in
            try await form(request, context) { form, page in try await createCustomer(form, page) }
        }
    }

    // MARK: List

    func customerList(_ page: PanelRequest) async throws -> Response {
        try require(.customersRead, page)
        let principal = page.principal
        let filters = Self.listFilters.map { ($0, page.query($0)) }
        var custom: [String: String] = [:]
        for (key, value) in page.query where key.hasPrefix("cf.") && !value.isEmpty { custom[String(key.dropFirst(3))] = value }
        let pageRequest = try PageRequest(page: page.query("page"), perPage: page.query("per_page"))
        async let list = customers.listCustomers(
            for: principal, search: page.query("q"), status: page.query("status"), type: page.query("type"), zoneID: page.query("zone_id"),
            packageID: page.query("package_id"), operatorID: page.query("operator_id"), custom: custom, sort: page.query("sort"), page: pageRequest
        )
        async let choices = filterChoices(principal)
        let (result, lists) = try await (list, choices)

        let status = page.query("status") ?? (page.query("q") == nil ? "active" : "all")
        let keep = filters.filter { $0.0 != "status" }
        let counts = result.counts ?? [:]
        var tabs: [[String: Any]] = CustomerStatus.allCases.map { value in
            ["label": value.rawValue.capitalized, "count": counts[value.rawValue] ?? 0, "active": status == value.rawValue,
             "href": "/customers" + Link.query(keep + [("status", value.rawValue)])]
        }
        tabs.append(["label": "All", "count": counts.values.reduce(0, +), "active": status == "all",
                     "href": "/customers" + Link.query(keep + [("status", "all")])])

        let rows = try ViewValue.objects(result.items)
        let canWrite = page.principal.permissions.contains(.customersWrite)
        let due = principal.permissions.contains(.billingRead)
            ? try await billing.balancesDue(customerIDs: rows.compactMap { ($0["id"] as? Int).map(Int64.init) }, for: principal) : [:]
        let current = filters + [("per_page", page.query("per_page"))]
        let returnQuery = Link.query(current + [("page", page.query("page"))])
        var data: [String: Any] = [
            "rows_html": Self.customerRows(rows, lists: lists, due: due, canWrite: canWrite), "has_rows": !rows.isEmpty, "tabs": tabs, "total": result.total,
            "showing": rows.isEmpty ? "0" : "\(pageRequest.offset + 1)–\(pageRequest.offset + rows.count)",
            "q": page.query("q") ?? "", "status": status == "all" ? "all" : status,
            "types": Link.options(CustomerType.allCases.map { ($0.rawValue, Display.label($0.rawValue)) }, selected: page.query("type")),
            "zones": Link.options(lists.zones, selected: page.query("zone_id")),
            "packages": Link.options(lists.packages, selected: page.query("package_id")),
            "operators": Link.options(lists.operators, selected: page.query("operator_id")),
            "sorts": Link.options([("-created_at", "Newest"), ("created_at", "Oldest"), ("name", "Name A–Z"), ("-name", "Name Z–A"),
                                   ("expires_at", "Expiring first"), ("-expires_at", "Expiring last")], selected: page.query("sort") ?? "-created_at"),
            "show_operators": lists.operators.count > 1,
            "export_href": "/customers/export.csv" + Link.query(filters),
            "return": returnQuery,
            "bulk_actions": Self.bulkActions.map { ["value": $0.0.rawValue, "label": $0.1] },
            "bulk_packages": Link.options(lists.packages, selected: nil),
            "bulk_operators": Link.options(lists.operators, selected: nil),
            "can_write": canWrite,
        ]
        data.merge(Link.pager("/customers", current, page: result.page, perPage: result.perPage, total: result.total)) { $1 }
        var named = page
        named.operatorName = Self.topBarName(principal, lists)
        return try await render("customers", data, request: named, title: "Customers", section: "customers")
    }

    /// The list's rows (see `HTMLWriter`): select box, online dot, name and code, username, phone, type,
    /// package, zone, operator (when the caller has several), expiry (marked when within 3 days), balance
    /// due on open invoices, status.
    static func customerRows(_ rows: [[String: Any]], lists: FilterChoices, due: [Int64: Int64], canWrite: Bool) -> String {
        let now = Date(), soon = now.addingTimeInterval(3 * 86_400)
        var html = HTMLWriter(capacity: rows.count * 900)
        let showOperators = lists.operators.count > 1
        for row in rows {
            let id = row["id"] as? Int ?? 0
            html.raw("<tr data-id=\""); html.text(id); html.raw("\">")
            if canWrite {
                html.raw("<td class=\"check\"><input type=\"checkbox\" name=\"ids\" value=\""); html.text(id)
                html.raw("\" aria-label=\"Select "); html.text(row["username"]); html.raw("\"></td>")
            }
            html.raw(row["online"] as? Bool == true ? "<td><span class=\"dot online\" title=\"Online\"></span></td>" : "<td><span class=\"dot\" title=\"Offline\"></span></td>")
            html.raw("<td><a href=\"/customers/"); html.text(id); html.raw("\" class=\"customer-link\">"); html.text(row["full_name"])
            html.raw("</a><div class=\"muted small\">"); html.text(row["code"]); html.raw("</div></td>")
            html.raw("<td class=\"mono username\">"); html.text(row["username"]); html.raw("</td>")
            html.raw("<td class=\"mono\">"); html.text(row["phone"]); html.raw("</td>")
            html.raw("<td>"); html.text(Display.label(row["type"] as? String ?? "")); html.raw("</td>")
            html.raw("<td>"); html.text(row["package_name"]); html.raw("</td>")
            html.raw("<td>"); html.text(row["zone_name"]); html.raw("</td>")
            if showOperators { html.raw("<td>"); html.text(lists.operatorNames[row["operator_id"] as? Int ?? 0]); html.raw("</td>") }
            if let expires = row["expires_at"] as? String, let date = Display.date(expires) {
                html.raw(date < soon ? "<td class=\"warn\">" : "<td>"); html.text(Display.time(date)); html.raw("</td>")
            } else {
                html.raw("<td></td>")
            }
            if let owed = due[Int64(id)] {
                html.raw("<td class=\"due\">"); html.text(Display.money(Int(owed))); html.raw("</td>")
            } else {
                html.raw("<td></td>")
            }
            let status = row["status"] as? String ?? ""
            html.raw("<td><span class=\"badge "); html.text(status); html.raw("\">"); html.text(status); html.raw("</span></td></tr>\n")
        }
        return html.string
    }

    /// The top bar's name from the operators a list page read anyway.
    static func topBarName(_ principal: Principal, _ lists: FilterChoices) -> String? {
        principal.isAdmin ? "ISP" : lists.operatorNames[Int(principal.operatorID)]
    }

    struct FilterChoices: Sendable {
        var zones: [(value: String, label: String)] = []
        var packages: [(value: String, label: String)] = []
        var operators: [(value: String, label: String)] = []
        var operatorNames: [Int: String] = [:]
    }

    /// The zones, packages and operators the caller may filter by, read at once.
    func filterChoices(_ principal: Principal) async throws -> FilterChoices {
        let all = PageRequest(page: 1, perPage: 200)
        async let zones = customers.listZones(for: principal, search: nil, page: all)
        async let packages = billing.listPackages(for: principal, search: nil, type: nil, status: "active", page: all)
        async let operators = auth.listOperators(for: principal, page: all)
        var choices = FilterChoices()
        choices.zones = try await zones.items.map { (String($0.id), $0.name) }
        choices.packages = try await packages.items.map { (String($0.id), $0.name) }
        let visible = try await operators.items
        choices.operators = visible.map { (String($0.id), $0.name) }
        for item in visible { choices.operatorNames[Int(item.id)] = item.name }
        return choices
    }

    func exportCSV(_ page: PanelRequest) async throws -> Response {
        try require(.customersRead, page)
        let bytes = try await customers.exportCustomers(
            for: page.principal, search: page.query("q"), status: page.query("status"), type: page.query("type"), zoneID: page.query("zone_id"),
            packageID: page.query("package_id"), operatorID: page.query("operator_id"), custom: [:], sort: page.query("sort")
        )
        return Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"customers.csv\"", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }

    // MARK: Bulk actions

    func bulk(_ form: PanelForm, _ page: PanelRequest) async throws -> Response {
        try require(.customersWrite, page)
        let back = "/customers" + (form["return"] ?? "")
        guard let name = form["bulk_action"], let action = CustomerAction(rawValue: name), Self.bulkActions.contains(where: { $0.0 == action }) else {
            return redirect(to: back, flash: "Choose an action.", error: true, request: page.request)
        }
        let ids = form.all("ids").compactMap { Int64($0) }
        guard !ids.isEmpty else { return redirect(to: back, flash: "Select at least one customer.", error: true, request: page.request) }
        let input = ActionInput(reason: form["reason"], packageID: try form.int64("package_id"), operatorID: try form.int64("operator_id"))
        let outcome = try await customers.performBulk(action, ids: ids, by: page.actor, input)
        let verb = Self.bulkActions.first { $0.0 == action }?.1.lowercased() ?? action.rawValue
        if outcome.failed == 0 {
            return redirect(to: back, flash: "\(outcome.succeeded) customer\(outcome.succeeded == 1 ? "" : "s"): \(verb) done.", request: page.request)
        }
        let reasons = Set(outcome.results.compactMap { $0.error?.message }).sorted().prefix(3).joined(separator: "; ")
        return redirect(
            to: back, flash: "\(outcome.succeeded) done, \(outcome.failed) not: \(reasons)", error: outcome.succeeded == 0, request: page.request
        )
    }

    // MARK: Deleted

    func deletedList(_ page: PanelRequest) async throws -> Response {
        try require(.customersRead, page)
        let pageRequest = try PageRequest(page: page.query("page"), perPage: page.query("per_page"))
        let result = try await customers.deletedCustomers(for: page.principal, search: page.query("q"), page: pageRequest)
        let rows = try ViewValue.objects(result.items).map { item -> [String: Any] in
            var row = item
            row["deleted"] = Display.time(iso: item["deleted_at"])
            row["type_label"] = Display.label(item["type"] as? String ?? "")
            return row
        }
        var data: [String: Any] = ["rows": rows, "q": page.query("q") ?? "", "total": result.total,
                                   "can_write": page.principal.permissions.contains(.customersWrite)]
        data.merge(Link.pager("/customers/deleted", [("q", page.query("q")), ("per_page", page.query("per_page"))],
                              page: result.page, perPage: result.perPage, total: result.total)) { $1 }
        return try await render("deleted", data, request: page, title: "Deleted customers", section: "deleted")
    }

    // MARK: Add and edit

    static let textFields = ["username", "password", "full_name", "phone", "email", "house", "road", "area", "thana", "district", "division",
                             "static_ip", "nid", "connection_date", "notes", "code"]
    static let addressFields: Set<String> = ["house", "road", "area", "thana", "district", "division"]
    static let choiceFields = ["client_type", "connection_type", "connectivity", "gender"]
    static let idFields = ["zone_id", "package_id", "billing_profile_id", "operator_id"]

    /// The add form, or the edit form when `customerID` is given; `values` fill it, `errors` sit next to fields.
    func customerForm(
        _ page: PanelRequest, values: [String: String], errors: [String: String], customerID: Int64? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        try require(.customersWrite, page)
        let principal = page.principal
        let type = CustomerType(rawValue: values["type"] ?? "") ?? .pppoeDaily
        let all = PageRequest(page: 1, perPage: 200)
        async let choices = filterChoices(principal)
        async let profiles = billing.listBillingProfiles(for: principal, page: all)
        async let fields = customers.listCustomFields(for: principal, page: all)
        async let packages = billing.listPackages(for: principal, search: nil, type: type.rawValue, status: "active", page: all)
        async let places = geo.lists(from: customers)
        let (lists, profileList, fieldList, packageList, geography) = try await (choices, profiles, fields, packages, places)

        let custom = fieldList.items.map { field -> [String: Any] in
            let value = values["cf.\(field.key)"] ?? ""
            return [
                "key": field.key, "name": field.name, "required": field.required, "value": value, "error": errors["custom_fields.\(field.key)"] ?? errors[field.key] ?? "",
                "is_select": field.type.rawValue == "select", "is_textarea": field.type.rawValue == "textarea",
                "input_type": field.type.rawValue == "number" ? "number" : field.type.rawValue == "date" ? "date" : "text",
                "options": Link.options(field.options.map { ($0, $0) }, selected: value),
            ]
        }
        var data: [String: Any] = [
            "type": type.rawValue, "type_label": Display.label(type.rawValue), "editing": customerID != nil, "id": customerID ?? 0,
            "types": CustomerType.allCases.filter { $0 != .staticMonthly || principal.isAdmin }.map { value in
                ["value": value.rawValue, "label": Display.label(value.rawValue), "active": value == type, "href": "/customers/new?type=\(value.rawValue)"]
            },
            "needs_password": type.authenticates && customerID == nil,
            "needs_phone": type != .hotspot, "needs_package": type != .other, "monthly": type.isMonthly, "static": type == .staticMonthly,
            "zones": Link.options(lists.zones, selected: values["zone_id"]),
            "packages": Link.options(packageList.items.map { (String($0.id), "\($0.name) — \(Display.money(Int($0.price)))") }, selected: values["package_id"]),
            "profiles": Link.options(profileList.items.map { (String($0.id), $0.name) }, selected: values["billing_profile_id"]),
            "operators": Link.options(lists.operators, selected: values["operator_id"] ?? String(principal.operatorID)),
            "show_operators": lists.operators.count > 1 && customerID == nil,
            "custom": custom, "has_custom": !custom.isEmpty,
            "client_types": Link.options([("home", "Home"), ("corporate", "Corporate"), ("sme", "SME")], selected: values["client_type"] ?? "home"),
            "connection_types": Link.options([("wired", "Wired"), ("wireless", "Wireless")], selected: values["connection_type"] ?? "wired"),
            "connectivities": Link.options([("shared", "Shared"), ("dedicated", "Dedicated")], selected: values["connectivity"] ?? "shared"),
            "genders": Link.options([("", "—"), ("male", "Male"), ("female", "Female"), ("other", "Other")], selected: values["gender"] ?? ""),
            "form_error": errors[""] ?? "",
            "divisions": GeoLists.options(geography.divisions), "districts": GeoLists.options(geography.districts),
            "upazilas": GeoLists.options(geography.upazilas),
        ]
        for name in Self.textFields {
            data["v_\(name)"] = values[name] ?? ""
            data["e_\(name)"] = errors[name] ?? (Self.addressFields.contains(name) ? errors["address.\(name)"] : nil) ?? ""
        }
        for name in Self.idFields + Self.choiceFields { data["e_\(name)"] = errors[name] ?? "" }
        let title = customerID == nil ? "Add customer" : "Edit customer"
        return try await render("customer-form", data, request: page, title: title, section: customerID == nil ? "customers-new" : "customers", status: status)
    }

    /// The form's fields as the API's JSON body: the same decoding and checks as `POST /api/v1/customers`.
    /// `clearing`: an emptied optional field is sent as null (an edit), else left out (a create).
    static func customerInput(_ form: PanelForm, clearing: Bool) throws -> CustomerInput {
        var body: [String: Any] = [:]
        var address: [String: Any] = [:]
        var custom: [String: Any] = [:]
        let values = form.values
        for name in textFields + choiceFields {
            guard let raw = values[name] else { continue }
            let value: Any = raw.isEmpty ? NSNull() : raw
            if raw.isEmpty, !clearing { continue }
            if name == "password", raw.isEmpty { continue }
            if addressFields.contains(name) { address[name] = value } else { body[name] = value }
        }
        for name in idFields {
            guard let raw = values[name] else { continue }
            if raw.isEmpty { if clearing, name != "operator_id", name != "package_id" { body[name] = NSNull() }; continue }
            guard let id = Int64(raw) else { throw PlatformError.invalidInput(field: name, reason: "must be chosen from the list") }
            body[name] = id
        }
        for (name, raw) in values where name.hasPrefix("cf.") {
            let key = String(name.dropFirst(3))
            if raw.isEmpty { if clearing { custom[key] = NSNull() } } else { custom[key] = raw }
        }
        if let type = values["type"], !clearing { body["type"] = type }
        if !address.isEmpty { body["address"] = address }
        if !custom.isEmpty { body["custom_fields"] = custom }
        let data = try JSONSerialization.data(withJSONObject: body)
        return try AppJSON.decoder.decode(CustomerInput.self, from: data)
    }

    func createCustomer(_ form: PanelForm, _ page: PanelRequest) async throws -> Response {
        var values = form.values
        values["password"] = nil
        do {
            let created = try await customers.createCustomer(by: page.actor, try Self.customerInput(form, clearing: false))
            return redirect(to: "/customers/\(created.id)", flash: "Customer \(created.username) added.", request: page.request)
        } catch let error as any ServiceError {
            if error.kind == .forbidden || error.kind == .notFound, Self.fieldError(error).field.isEmpty {
                return try await customerForm(page, values: values, errors: ["": error.message], status: error.kind.status)
            }
            let (field, reason) = Self.fieldError(error)
            return try await customerForm(page, values: values, errors: [field: reason], status: .unprocessableContent)
        }
    }
}
