import AuthService
import BillingService
import CustomerService
import Foundation
import Hummingbird
import Platform
import ProvisioningService

/// The dashboard, online customers, zones, devices and packages.
extension WebPanel {
    func registerDashboard(on pages: RouterGroup<AppRequestContext>) {
        pages.get("/") { request, context in try await page(request, context) { try await dashboard($0) } }
    }

    func registerOnline(on pages: RouterGroup<AppRequestContext>) {
        pages.get("online") { request, context in try await page(request, context) { try await onlineList($0) } }
    }

    func registerCatalogPages(on pages: RouterGroup<AppRequestContext>) {
        pages.get("zones") { request, context in try await page(request, context) { try await zoneList($0) } }
        pages.post("zones") { request, context in
            try await action(request, context, back: { _ in "/zones" }) { form, page in
                try require(.customersWrite, page)
                let zone = try await customers.createZone(by: page.principal, name: form["name"] ?? "", description: form["description"])
                return redirect(to: "/zones", flash: "Zone \(zone.name) added.", request: request)
            }
        }
        pages.post("zones/{id}") { request, context in
            try await action(request, context, back: { _ in "/zones" }) { form, page in
                try require(.customersWrite, page)
                let zone = try await customers.updateZone(
                    id: try context.parameters.requireID("id"), by: page.principal, name: form["name"], description: form["description"]
                )
                return redirect(to: "/zones", flash: "Zone \(zone.name) saved.", request: request)
            }
        }
        pages.post("zones/{id}/delete") { request, context in
            try await action(request, context, back: { _ in "/zones" }) { _, page in
                try require(.customersWrite, page)
                try await customers.deleteZone(id: try context.parameters.requireID("id"), by: page.principal)
                return redirect(to: "/zones", flash: "Zone deleted; its customers have no zone now.", request: request)
            }
        }
        pages.get("devices") { request, context in try await page(request, context) { try await deviceList($0) } }
        pages.get("packages") { request, context in try await page(request, context) { try await packageList($0) } }
        pages.post("packages") { request, context in
            try await action(request, context, back: { _ in "/packages" }) { form, page in
                // The form's fields as the API's body: the same decoding and checks as `POST /api/v1/packages`.
                var body: [String: Any] = [:]
                for name in ["name", "customer_type", "ip_pool", "suspended_pool", "ppp_profile"] { if let value = form[name] { body[name] = value } }
                for name in ["validity_days", "validity_hours", "time_limit_minutes", "data_limit_mb"] { if let value = try form.int64(name) { body[name] = value } }
                for name in ["download_mbps", "upload_mbps"] {
                    if let value = try form.int64(name) { body[name.replacingOccurrences(of: "mbps", with: "kbps")] = value * 1024 }
                }
                if let price = try form.amount("price") { body["price"] = price }
                let input = try AppJSON.decoder.decode(PackageInput.self, from: try JSONSerialization.data(withJSONObject: body))
                let created = try await billing.createPackage(by: page.principal, input)
                return redirect(to: "/packages", flash: "Package \(created.name) created.", request: request)
            }
        }
        pages.post("packages/{id}") { request, context in
            try await action(request, context, back: { _ in "/packages" }) { form, page in
                var body: [String: Any] = [:]
                if let price = try form.amount("price") { body["price"] = price }
                if let status = form["status"] { body["status"] = status }
                if let name = form["name"] { body["name"] = name }
                let input = try AppJSON.decoder.decode(PackageInput.self, from: try JSONSerialization.data(withJSONObject: body))
                let updated = try await billing.updatePackage(id: try context.parameters.requireID("id"), by: page.principal, input)
                return redirect(to: "/packages", flash: "Package \(updated.name) saved (\(updated.status.rawValue)).", request: request)
            }
        }
        registerEditForm(on: pages, "packages", draw: { page, id in try await packageEditForm(page, id: id) }) { form, page, id in
            "Package \(try await billing.updatePackage(id: id, by: page.principal, try Self.packageChanges(form)).name) saved."
        }
        pages.post("packages/{id}/assign") { request, context in
            try await action(request, context, back: { _ in "/packages" }) { form, page in
                let target = try form.int64("target_id")
                _ = try await billing.assign(
                    packageID: try context.parameters.requireID("id"), by: page.principal,
                    resellerID: page.principal.isAdmin ? target : nil, operatorID: page.principal.isAdmin ? nil : target,
                    price: try form.amount("price")
                )
                return redirect(to: "/packages", flash: "Package assigned.", request: request)
            }
        }
    }

    // MARK: Dashboard

    func dashboard(_ page: PanelRequest) async throws -> Response {
        let principal = page.principal
        let today = Self.localDate(Date())
        async let list = customers.listCustomers(
            for: principal, search: nil, status: "active", type: nil, zoneID: nil, packageID: nil, operatorID: nil, custom: [:],
            sort: "expires_at", page: PageRequest(page: 1, perPage: 200)
        )
        async let online = try? provisioning.onlineCustomers(for: principal, { var query = OnlineQuery(); query.page = PageRequest(page: 1, perPage: 1); return query }())
        async let wallet = principal.isAdmin ? nil : try? billing.ownWallet(for: principal)
        async let summary = try? billing.billingSummary(for: principal, from: today, to: today, format: .json)
        async let unpaid = try? billing.invoices(for: principal, MoneyListFilter(status: "unpaid,partial", operatorID: nil, customerID: nil, from: nil, to: nil),
                                                 page: PageRequest(page: 1, perPage: 1))
        let result = try await list
        let soon = Date().addingTimeInterval(3 * 86_400)
        let expiring = try ViewValue.objects(result.items).filter { item in
            guard let text = item["expires_at"] as? String, let date = Display.date(text) else { return false }
            return date < soon
        }
        let counts = result.counts ?? [:]
        var data: [String: Any] = [
            "counts": CustomerStatus.allCases.map { ["label": $0.rawValue.capitalized, "count": counts[$0.rawValue] ?? 0, "href": "/customers?status=\($0.rawValue)"] },
            "expiring": expiring.count == 200 ? "200+" : String(expiring.count),
            "has_expiring": !expiring.isEmpty,
            "expiring_rows": expiring.prefix(10).map { item -> [String: Any] in
                var row = item
                row["expires"] = Display.time(iso: item["expires_at"])
                return row
            },
        ]
        if let online = await online { data["online"] = online.counts.total }
        if let bytes = await wallet, let object = try? ViewValue.object(bytes) {
            data["wallet"] = Display.money(object["balance"] as? Int ?? 0)
            data["wallet_available"] = Display.money(object["available"] as? Int ?? 0)
        }
        if let bytes = await summary, let totals = (try? ViewValue.object(bytes))?["totals"] as? [String: Any] {
            data["collected_today"] = Display.money(totals["collected"] as? Int ?? 0)
            data["outstanding"] = Display.money(totals["outstanding"] as? Int ?? 0)
        }
        if let bytes = await unpaid, let object = try? ViewValue.object(bytes) { data["unpaid_invoices"] = object["total"] as? Int ?? 0 }
        return try await render("dashboard", data, request: page, title: "Dashboard", section: "dashboard")
    }

    static func localDate(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = Display.zone
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }

    // MARK: Online

    func onlineList(_ page: PanelRequest) async throws -> Response {
        try require(.onlineRead, page)
        var query = OnlineQuery()
        query.text = page.query("q")
        query.zoneID = try page.query("zone_id").map { guard let id = Int64($0) else { throw PlatformError.invalidInput(field: "zone_id", reason: "must be an id") }; return id }
        query.packageID = try page.query("package_id").map { guard let id = Int64($0) else { throw PlatformError.invalidInput(field: "package_id", reason: "must be an id") }; return id }
        query.operatorID = try page.query("operator_id").map { guard let id = Int64($0) else { throw PlatformError.invalidInput(field: "operator_id", reason: "must be an id") }; return id }
        query.nas = page.query("nas")
        if let sort = page.query("sort") {
            guard let value = OnlineQuery.Sort(rawValue: sort) else { throw PlatformError.invalidInput(field: "sort", reason: "is not a sort of this list") }
            query.sort = value
        }
        query.page = try PageRequest(page: page.query("page"), perPage: page.query("per_page") ?? "100")
        async let list = provisioning.onlineCustomers(for: page.principal, query)
        async let choices = filterChoices(page.principal)
        let (online, lists) = try await (list, choices)
        let view = try ViewValue.written(online)
        let rows = (view["items"] as? [[String: Any]] ?? []).map { item -> [String: Any] in
            var row = item
            row["uptime"] = Display.duration(seconds: item["uptime_seconds"] as? Int ?? 0)
            row["down"] = Display.bytes(item["download_bytes"] as? Int ?? 0)
            row["up"] = Display.bytes(item["upload_bytes"] as? Int ?? 0)
            row["operator_name"] = lists.operatorNames[item["operator_id"] as? Int ?? 0]
            return row
        }
        let filters: [(String, String?)] = ["q", "zone_id", "package_id", "operator_id", "nas", "sort"].map { ($0, page.query($0)) }
        var data: [String: Any] = [
            "rows": rows, "matching": online.matching, "total": online.counts.total, "q": page.query("q") ?? "", "nas": page.query("nas") ?? "",
            "as_of": Display.time(iso: view["as_of"]) ?? "",
            "zones": Link.options(lists.zones, selected: page.query("zone_id")),
            "packages": Link.options(lists.packages, selected: page.query("package_id")),
            "operators": Link.options(lists.operators, selected: page.query("operator_id")), "show_operators": lists.operators.count > 1,
            "sorts": Link.options(OnlineQuery.Sort.allCases.map { ($0.rawValue, Self.onlineSortLabel($0)) }, selected: query.sort.rawValue),
            "can_write": page.principal.permissions.contains(.customersWrite),
            "back": "/online" + Link.query(filters),
        ]
        data.merge(Link.pager("/online", filters, page: query.page.page, perPage: query.page.perPage, total: online.matching)) { $1 }
        var named = page
        named.operatorName = Self.topBarName(page.principal, lists)
        return try await render("online", data, request: named, title: "Online customers", section: "online")
    }

    static func onlineSortLabel(_ sort: OnlineQuery.Sort) -> String {
        switch sort {
        case .uptime: "Longest online"
        case .minusUptime: "Newest sessions"
        case .download: "Least downloaded"
        case .minusDownload: "Most downloaded"
        case .upload: "Least uploaded"
        case .minusUpload: "Most uploaded"
        }
    }

    // MARK: Zones, devices, packages

    func zoneList(_ page: PanelRequest) async throws -> Response {
        try require(.customersRead, page)
        let zones = try await customers.listZones(for: page.principal, search: page.query("q"), page: PageRequest(page: 1, perPage: 200))
        let data: [String: Any] = [
            "zones": try ViewValue.list(zones.items), "total": zones.total,
            "can_write": page.principal.permissions.contains(.customersWrite) && page.principal.role != .subReseller,
        ]
        return try await render("zones", data, request: page, title: "Zones", section: "zones")
    }

    func deviceList(_ page: PanelRequest) async throws -> Response {
        try require(.customersRead, page)
        let pageRequest = try PageRequest(page: page.query("page"), perPage: page.query("per_page"))
        let devices = try await customers.allDevices(for: page.principal, search: page.query("q"), page: pageRequest)
        let rows = try ViewValue.list(devices.items).map { item -> [String: Any] in
            var row = item
            row["added"] = Display.time(iso: item["added_at"])
            return row
        }
        var data: [String: Any] = ["rows": rows, "q": page.query("q") ?? "", "total": devices.total]
        data.merge(Link.pager("/devices", [("q", page.query("q")), ("per_page", page.query("per_page"))],
                              page: pageRequest.page, perPage: pageRequest.perPage, total: devices.total)) { $1 }
        return try await render("devices", data, request: page, title: "Devices", section: "devices")
    }

    func packageList(_ page: PanelRequest) async throws -> Response {
        let principal = page.principal
        let packages = try await billing.listPackages(for: principal, search: page.query("q"), type: page.query("type"), status: nil, page: PageRequest(page: 1, perPage: 200))
        let rows = try ViewValue.list(packages.items).map { item -> [String: Any] in
            var row = item
            row["type_label"] = Display.label(item["customer_type"] as? String ?? "")
            row["price_text"] = Display.money(item["price"] as? Int ?? 0)
            if let cost = item["operator_price"] as? Int { row["cost_text"] = Display.money(cost) }
            row["price_plain"] = Display.money(item["price"] as? Int ?? 0).replacingOccurrences(of: ",", with: "")
            row["archived"] = item["status"] as? String == "archived"
            row["speed"] = "\((item["download_kbps"] as? Int ?? 0) / 1024) / \((item["upload_kbps"] as? Int ?? 0) / 1024) Mbps"
            if let days = item["validity_days"] as? Int { row["validity"] = "\(days) days" }
            else if let hours = item["validity_hours"] as? Int { row["validity"] = "\(hours) hours" }
            return row
        }
        var data: [String: Any] = [
            "rows": rows, "total": packages.total, "q": page.query("q") ?? "", "admin": principal.isAdmin,
            "can_assign": principal.role != .subReseller,
            "types": Link.options(CustomerType.allCases.map { ($0.rawValue, Display.label($0.rawValue)) }, selected: nil),
        ]
        // Whom a package can be sold to: the ISP's resellers, or a reseller's sub-resellers.
        if principal.isAdmin {
            let resellers = try await auth.listResellers(by: principal, page: PageRequest(page: 1, perPage: 200))
            data["targets"] = Link.options(resellers.items.map { (String($0.id), $0.name) }, selected: nil)
        } else if principal.role == .reseller {
            let operators = try await auth.listOperators(for: principal, page: PageRequest(page: 1, perPage: 200))
            data["targets"] = Link.options(operators.items.filter { $0.kind == "sub_reseller" }.map { (String($0.id), $0.name) }, selected: nil)
        }
        return try await render("packages", data, request: page, title: "Packages", section: "packages")
    }

    /// The ISP's form for every setting of a package but its customer type (a new type is a new package).
    func packageEditForm(_ page: PanelRequest, id: Int64) async throws -> Response {
        guard page.principal.isAdmin else { throw PlatformError.forbidden("only the ISP changes packages") }
        async let found = billing.package(id: id, for: page.principal)
        async let vat = billing.vatProfiles(for: page.principal)
        let package = try await found
        var data = try ViewValue.object(try AppJSON.encoder.encode(package))
        data["type_label"] = Display.label(package.customerType.rawValue)
        data["price_plain"] = Display.money(Int(package.price)).replacingOccurrences(of: ",", with: "")
        data["archived"] = package.status.rawValue == "archived"
        data["vat_profiles"] = Self.vatOptions(try await vat, selected: package.vatProfileID)
        return try await render("package-edit", data, request: page, title: "Package \(package.name)", section: "packages")
    }

    /// The edit form as a partial update: every field is on the form, so an empty optional one clears it.
    static func packageChanges(_ form: PanelForm) throws -> PackageInput {
        var body: [String: Any] = [:]
        if let name = form["name"] { body["name"] = name }
        for name in ["download_kbps", "upload_kbps"] { if let value = try form.int64(name) { body[name] = value } }
        if let price = try form.amount("price") { body["price"] = price }
        if let status = form["status"] { body["status"] = status }
        for name in ["time_limit_minutes", "data_limit_mb", "validity_days", "validity_hours", "vat_profile_id"] {
            body[name] = try form.int64(name) ?? NSNull()
        }
        for name in ["ip_pool", "suspended_pool", "ppp_profile"] { body[name] = form[name] ?? NSNull() }
        if let down = try form.int64("burst_download_kbps"), let up = try form.int64("burst_upload_kbps") {
            var burst: [String: Any] = ["download_kbps": down, "upload_kbps": up]
            for (field, key) in [("burst_threshold_download_kbps", "threshold_download_kbps"), ("burst_threshold_upload_kbps", "threshold_upload_kbps"),
                                 ("burst_time_seconds", "time_seconds")] {
                if let value = try form.int64(field) { burst[key] = value }
            }
            body["burst"] = burst
        } else if form["burst_download_kbps"] == nil, form["burst_upload_kbps"] == nil {
            body["burst"] = NSNull()
        } else {
            throw PlatformError.invalidInput(field: "burst", reason: "give both burst speeds, or neither")
        }
        return try PackageInput.decodePartial(from: try JSONSerialization.data(withJSONObject: body))
    }
}
