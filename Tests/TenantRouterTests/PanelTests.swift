import AuthService
import Foundation
import HTTPTypes
import Platform
import PostgresNIO
import ProvisioningService
import TenantRouter
import TestSupport
import Testing

/// A browser's part of the panel: a cookie jar and form posts, over the real router.
struct PanelSession {
    let api: APIClient
    var cookies: [String: String] = [:]

    init(_ api: APIClient) { self.api = api }

    var cookieHeader: String { cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }

    mutating func keep(_ reply: APIClient.Reply) {
        for line in reply.headers[values: .setCookie] {
            let pair = line.split(separator: ";", maxSplits: 1)[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            let name = String(pair[0]), value = String(pair[1])
            if value.isEmpty || line.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
    }

    mutating func get(_ path: String, headers: [String: String] = [:]) async throws -> APIClient.Reply {
        var extra = headers
        if !cookies.isEmpty { extra["Cookie"] = cookieHeader }
        let reply = try await api.request(.get, path, headers: extra)
        keep(reply)
        return reply
    }

    /// A form post; `csrf: true` adds the token of the page last read (as a browser submitting that page's form).
    mutating func post(_ path: String, _ fields: [(String, String)], csrf token: String?, headers: [String: String] = [:]) async throws -> APIClient.Reply {
        var all = fields
        if let token { all.append(("_csrf", token)) }
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        let body = all.map { "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }
            .joined(separator: "&")
        var extra = headers
        extra["Content-Type"] = "application/x-www-form-urlencoded"
        if !cookies.isEmpty { extra["Cookie"] = cookieHeader }
        let reply = try await api.request(.post, path, rawBody: body, headers: extra)
        keep(reply)
        return reply
    }

    /// Signs in through the form and returns the CSRF token of the first page.
    mutating func signIn(_ username: String, _ password: String = Fixtures.password) async throws -> String {
        let form = try await get("/login")
        let token = try #require(Self.csrf(in: form.text), "no token on the sign-in page")
        let signedIn = try await post("/login", [("username", username), ("password", password)], csrf: token)
        try #require(signedIn.status == .seeOther, "sign-in answered \(signedIn.status.code): \(signedIn.text)")
        let home = try await get("/")
        try #require(home.status == .ok, "\(home.status)")
        return try #require(Self.csrf(in: home.text))
    }

    static func csrf(in html: String) -> String? { hiddenValue("_csrf", in: html) }

    /// The first hidden field `name`'s value in a page (a form's CSRF token, a money form's idempotency key).
    static func hiddenValue(_ name: String, in html: String) -> String? {
        guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        let rest = html[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }
}

@Suite struct PanelTests {
    @Test func signInSetsAStrictSessionCookieAndSignOutEndsIt() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            try await test.http { api in
                var browser = PanelSession(api)
                // Without a session every page leads to the sign-in page, which comes back afterwards.
                let anonymous = try await browser.get("/customers?status=all")
                #expect(anonymous.status == .seeOther)
                #expect(anonymous.headers[.location] == "/login?next=%2Fcustomers%3Fstatus%3Dall", "\(anonymous.headers)")

                let form = try await browser.get("/login?next=/customers")
                let token = try #require(PanelSession.csrf(in: form.text))
                #expect(form.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
                // The sign-in form's token must match its cookie.
                let forged = try await browser.post("/login", [("username", "owner-a"), ("password", Fixtures.password)], csrf: "forged")
                #expect(forged.status == .forbidden)
                #expect(browser.cookies["uplink_session"] == nil)
                // A refused form gets a new token (and cookie) with the page it sends back.
                let again = try #require(PanelSession.csrf(in: forged.text))
                #expect(again != token)
                let wrong = try await browser.post("/login", [("username", "owner-a"), ("password", "wrong-password")], csrf: again)
                #expect(wrong.status == .unauthorized && wrong.text.contains("Wrong username or password"))

                let fresh = try #require(PanelSession.csrf(in: wrong.text))
                let signedIn = try await browser.post(
                    "/login", [("username", "owner-a"), ("password", Fixtures.password), ("next", "/customers")], csrf: fresh,
                    headers: ["X-Forwarded-Proto": "https"]
                )
                #expect(signedIn.status == .seeOther && signedIn.headers[.location] == "/customers")
                let cookie = try #require(signedIn.headers[values: .setCookie].first { $0.hasPrefix("uplink_session=ups_") })
                #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Secure") && cookie.contains("Path=/"), "\(cookie)")

                let list = try await browser.get("/customers")
                #expect(list.status == .ok && list.text.contains("owner-a") && list.text.contains("Reseller"))
                // The ISP's pages are not a reseller's.
                #expect(try await browser.get("/resellers").status == .notFound)
                #expect(!list.text.contains("href=\"/resellers\""))
                let csrf = try #require(PanelSession.csrf(in: list.text))
                let out = try await browser.post("/logout", [], csrf: csrf)
                #expect(out.status == .seeOther && out.headers[.location] == "/login")
                #expect(try await browser.get("/customers").status == .seeOther)
                // An open redirect through `next` is refused.
                let evil = try await browser.get("/login?next=//evil.example/")
                #expect(!evil.text.contains("evil.example"))
            }
        }
    }

    @Test func aFormWithoutTheSessionsTokenChangesNothing() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            try await test.http { api in
                var browser = PanelSession(api)
                let token = try await browser.signIn("owner-a")
                let missing = try await browser.post("/zones", [("name", "Forged zone")], csrf: nil)
                #expect(missing.status == .forbidden && missing.text.contains("Form expired"))
                var other = PanelSession(api)
                let otherToken = try await other.signIn("owner-b")
                let foreign = try await browser.post("/zones", [("name", "Forged zone")], csrf: otherToken)
                #expect(foreign.status == .forbidden, "another session's token is not this one's")
                #expect(!(try await browser.get("/zones")).text.contains("Forged zone"))

                let made = try await browser.post("/zones", [("name", "Mirpur-10 <b>")], csrf: token)
                #expect(made.status == .seeOther)
                let zones = try await browser.get("/zones")
                #expect(zones.text.contains("Zone Mirpur-10 &lt;b&gt; added."), "the flash message, escaped")
                #expect(zones.text.contains("value=\"Mirpur-10 &lt;b&gt;\"") && !zones.text.contains("Mirpur-10 <b>"))
                let zoneID = try #require(zones.text.range(of: "action=\"/zones/").map { range in
                    String(zones.text[range.upperBound...].prefix { $0.isNumber })
                })
                _ = try await browser.post("/zones/\(zoneID)", [("name", "Mirpur-11")], csrf: token)
                #expect(try await browser.get("/zones").text.contains("Zone Mirpur-11 saved."))
                // A post without a session at all is refused before anything is read.
                var anonymous = PanelSession(api)
                #expect(try await anonymous.post("/zones", [("name", "x")], csrf: token).status == .unauthorized)
            }
        }
    }

    @Test func pagesShowOnlyTheCallersCustomersAndEscapeThem() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                let monthly = try #require(catalog.packages["pppoe_monthly"])
                let assigned = try await api.post("/api/v1/packages/\(monthly)/assignments", token: catalog.ownerA,
                                                  json: ["operator_id": fixtures.subA1.id, "price": 45_000])
                #expect(assigned.status == .ok, "\(assigned.text)")
                let sub = try await api.login("sub-a1", Fixtures.password)
                var body = catalog.body("pppoe_monthly", "own-a", name: "<script>alert('x')</script> Rahim")
                let own = try await api.post("/api/v1/customers", token: catalog.ownerA, json: body)
                let ownID = try #require(own.json["id"] as? Int, "\(own.text)")
                body = catalog.body("pppoe_monthly", "sub-cust", name: "Karim of Sub")
                let subCustomer = try await api.post("/api/v1/customers", token: sub, json: body)
                let subID = try #require(subCustomer.json["id"] as? Int, "\(subCustomer.text)")

                var owner = PanelSession(api)
                _ = try await owner.signIn("owner-a")
                let list = try await owner.get("/customers")
                #expect(list.text.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Rahim") && !list.text.contains("<script>alert"))
                #expect(list.text.contains("Karim of Sub"), "the owner sees its sub-resellers' customers")
                let found = try await owner.get("/customers?q=karim")
                #expect(found.text.contains("sub-cust") && !found.text.contains("own-a"))

                var subBrowser = PanelSession(api)
                _ = try await subBrowser.signIn("sub-a1")
                let subList = try await subBrowser.get("/customers?status=all")
                #expect(subList.text.contains("sub-cust") && !subList.text.contains("own-a"))
                #expect(try await subBrowser.get("/customers/\(subID)").status == .ok)
                let hidden = try await subBrowser.get("/customers/\(ownID)")
                #expect(hidden.status == .notFound && !hidden.text.contains("Rahim"))
                let exported = try await subBrowser.get("/customers/export.csv?status=all")
                #expect(exported.text.contains("sub-cust") && !exported.text.contains("own-a"))

                // A sibling sub-reseller sees none of sub-a1's customers and cannot act on them.
                var sibling = PanelSession(api)
                let siblingToken = try await sibling.signIn("sub-a2")
                #expect(try await sibling.get("/customers/\(subID)").status == .notFound)
                #expect(!(try await sibling.get("/customers?status=all")).text.contains("sub-cust"))
                _ = try await sibling.post("/customers/\(subID)/action", [("action", "suspend")], csrf: siblingToken)
                _ = try await sibling.post("/customers/\(subID)/devices", [("mac", "AA:BB:CC:00:00:77")], csrf: siblingToken)
                let untouched = try await api.get("/api/v1/customers/\(subID)", token: catalog.ownerA)
                #expect(untouched.json["status"] as? String == "active", "\(untouched.text)")
                #expect((try await api.get("/api/v1/customers/\(subID)/devices", token: catalog.ownerA).json["items"] as? [Any])?.isEmpty == true)

                var other = PanelSession(api)
                _ = try await other.signIn("owner-b")
                #expect(try await other.get("/customers/\(ownID)").status == .notFound)
                #expect(!(try await other.get("/customers?status=all")).text.contains("own-a"))
            }
        }
    }

    @Test func formsCreateActAndShowFieldErrors() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                var browser = PanelSession(api)
                let token = try await browser.signIn("owner-a")
                let fields: [(String, String)] = [
                    ("type", "pppoe_daily"), ("full_name", "Nasrin Akter"), ("username", "nasrin01"), ("password", "pw-nasrin-1"),
                    ("phone", "+8801712000001"), ("package_id", String(catalog.packages["pppoe_daily"]!)), ("zone_id", String(catalog.zone)),
                    ("thana", "Mirpur"), ("client_type", "home"), ("connection_type", "wired"), ("connectivity", "shared"), ("gender", ""),
                ]
                // A bad phone: the form comes back with the error next to the field and the values kept.
                let bad = try await browser.post("/customers/new", fields.map { $0.0 == "phone" ? ($0.0, "12345") : $0 }, csrf: token)
                #expect(bad.status == .unprocessableContent)
                #expect(bad.text.contains("value=\"Nasrin Akter\"") && bad.text.contains("Bangladeshi mobile number"))
                #expect(!bad.text.contains("pw-nasrin-1"), "a password is never sent back")
                #expect(bad.text.contains("<datalist id=\"districts\">") && bad.text.contains("<option value=\"Dhaka\">"), "BTRC names to choose from")

                let created = try await browser.post("/customers/new", fields, csrf: token)
                #expect(created.status == .seeOther, "\(created.text)")
                let location = try #require(created.headers[.location])
                let detail = try await browser.get(location)
                #expect(detail.text.contains("Customer nasrin01 added.") && detail.text.contains("01712000001"))
                let id = try #require(Int(location.split(separator: "/").last ?? ""))
                #expect(!detail.text.contains("pw-nasrin-1"))
                let shown = try await browser.post("/customers/\(id)/password", [], csrf: token)
                #expect(shown.status == .ok && shown.text.contains("id=\"customer-password\">pw-nasrin-1<"), "shown when asked, on that answer")
                #expect(!(try await browser.get("/customers/\(id)")).text.contains("pw-nasrin-1"))

                // Recharge twice with the same form (a double click): one recharge.
                let page = try await browser.get("/customers/\(id)")
                let key = try #require(PanelSession.hiddenValue("key", in: page.text))
                let pkg = String(catalog.packages["pppoe_daily"]!)
                let first = try await browser.post("/customers/\(id)/recharge", [("key", key), ("package_id", pkg)], csrf: token)
                #expect(first.status == .seeOther)
                #expect(try await browser.get("/customers/\(id)").text.contains("Recharged, valid until"))
                _ = try await browser.post("/customers/\(id)/recharge", [("key", key), ("package_id", pkg)], csrf: token)
                #expect(try await browser.get("/customers/\(id)").text.contains("This recharge was already done."))
                let recharges = try await api.get("/api/v1/customers/\(id)/recharges", token: catalog.ownerA)
                #expect((recharges.json["items"] as? [Any])?.count == 2, "the first one at creation and one by the form: \(recharges.text)")

                // Bulk suspend, then an illegal action reports its reason.
                let suspended = try await browser.post("/customers/bulk", [("bulk_action", "suspend"), ("ids", String(id))], csrf: token)
                #expect(suspended.status == .seeOther)
                #expect(try await browser.get("/customers").text.contains("1 customer: suspend done."))
                #expect(try await api.get("/api/v1/customers/\(id)", token: catalog.ownerA).json["status"] as? String == "suspended")
                _ = try await browser.post("/customers/\(id)/action", [("action", "delete")], csrf: token)
                let deleted = try await browser.get("/customers/deleted")
                #expect(deleted.text.contains("nasrin01"))
                _ = try await browser.post("/customers/\(id)/action", [("action", "activate")], csrf: token)
                let refused = try await browser.get("/customers/\(id)")
                #expect(refused.text.contains("flash-error"), "activating a deleted customer is refused")
                _ = try await browser.post("/customers/\(id)/action", [("action", "restore"), ("back", "/customers/deleted")], csrf: token)
                #expect(try await api.get("/api/v1/customers/\(id)", token: catalog.ownerA).json["status"] as? String == "disabled")

                // Devices: bind, refuse a bad MAC, remove.
                _ = try await browser.post("/customers/\(id)/devices", [("mac", "aa-bb-cc-dd-ee-01"), ("label", "Router")], csrf: token)
                let devices = try await browser.get("/customers/\(id)?tab=devices")
                #expect(devices.text.contains("AA:BB:CC:DD:EE:01"))
                _ = try await browser.post("/customers/\(id)/devices", [("mac", "not-a-mac")], csrf: token)
                #expect(try await browser.get("/customers/\(id)?tab=devices").text.contains("flash-error"))
                let listed = try await api.get("/api/v1/customers/\(id)/devices", token: catalog.ownerA)
                let deviceID = try #require((listed.json["items"] as? [[String: Any]])?.first?["id"] as? Int)
                _ = try await browser.post("/customers/\(id)/devices/\(deviceID)/delete", [], csrf: token)
                #expect(!(try await browser.get("/customers/\(id)?tab=devices")).text.contains("AA:BB:CC:DD:EE:01"))
                let activity = try await browser.get("/customers/\(id)?tab=activity")
                #expect(activity.text.contains("<td>device_added</td>") && activity.text.contains("<td>device_removed</td>"))
                #expect(activity.text.contains("mac: — → AA:BB:CC:DD:EE:01"), "the change, as from → to")
            }
        }
    }

    @Test func aSuspendedResellerIsSignedOut() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                var browser = PanelSession(api)
                _ = try await browser.signIn("owner-b")
                #expect(try await browser.get("/customers").status == .ok)
                let admin = try await api.login("admin", Fixtures.password)
                let suspended = try await api.request(.patch, "/api/v1/resellers/\(fixtures.resellerB.id)", token: admin, json: ["status": "suspended"])
                #expect(suspended.status == .ok, "\(suspended.text)")
                let after = try await browser.get("/customers")
                #expect(after.status == .seeOther && after.headers[.location]?.hasPrefix("/login") == true)
            }
        }
    }

    @Test func tokensAreShownOnceAndCustomFieldsAndTheLogWork() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            try await test.http { api in
                var browser = PanelSession(api)
                let token = try await browser.signIn("owner-a")
                let created = try await browser.post(
                    "/tokens", [("name", "Billing export"), ("scopes", "customers:read"), ("scopes", "billing:read"), ("expires_in_days", "30")], csrf: token
                )
                #expect(created.status == .ok)
                let secret = try #require(created.text.range(of: "id=\"token-secret\">").map { range in
                    String(created.text[range.upperBound...].prefix { $0 != "<" })
                })
                #expect(secret.hasPrefix("upk_"))
                // The secret works as a bearer with its scopes, and the list never shows it again.
                #expect(try await api.get("/api/v1/customers", token: secret).status == .ok)
                #expect(try await api.post("/api/v1/zones", token: secret, json: ["name": "x"]).status == .forbidden)
                let list = try await browser.get("/tokens")
                #expect(list.text.contains("Billing export") && list.text.contains("billing:read, customers:read") && !list.text.contains(secret))
                let id = try #require((try await api.get("/api/v1/tokens", token: secret).json["items"] as? [[String: Any]])?.first?["id"] as? Int)
                _ = try await browser.post("/tokens/\(id)/revoke", [], csrf: token)
                #expect(try await api.get("/api/v1/customers", token: secret).status == .unauthorized)

                let field = try await browser.post(
                    "/custom-fields", [("name", "Building"), ("key", "building"), ("type", "select"), ("options", "A, B ,C"), ("required", "1")], csrf: token
                )
                #expect(field.status == .seeOther)
                let fields = try await browser.get("/custom-fields")
                #expect(fields.text.contains("Field Building added.") && fields.text.contains("value=\"A, B, C\""))
                let fieldID = try #require(fields.text.range(of: "action=\"/custom-fields/").map { range in
                    String(fields.text[range.upperBound...].prefix { $0.isNumber })
                })
                _ = try await browser.post("/custom-fields/\(fieldID)", [("name", "Building name"), ("options", "A, B, C, D"), ("order", "2")], csrf: token)
                let edited = try await browser.get("/custom-fields")
                #expect(edited.text.contains("Field Building name saved.") && edited.text.contains("value=\"A, B, C, D\""))
                let badKey = try await browser.post("/custom-fields", [("name", "Bad"), ("key", "Bad Key"), ("type", "text")], csrf: token)
                #expect(badKey.status == .seeOther)
                #expect(try await browser.get("/custom-fields").text.contains("flash-error"))
                let form = try await browser.get("/customers/new?type=other")
                #expect(form.text.contains("name=\"cf.building\"") && form.text.contains("<option value=\"B\">B</option>"))

                _ = try await browser.post("/reports/btrc/template", [("columns", "client_name = Name\nphone\nnot_a_field = X")], csrf: token)
                #expect(try await browser.get("/reports/btrc").text.contains("flash-error"))
                _ = try await browser.post("/reports/btrc/template", [("columns", "client_name = Name\nphone")], csrf: token)
                let report = try await browser.get("/reports/btrc")
                #expect(report.text.contains("columns are saved") && report.text.contains("<th>Name</th><th>phone</th>"))
                _ = try await browser.post("/reports/btrc/template", [("reset", "1")], csrf: token)
                #expect(try await browser.get("/reports/btrc").text.contains("<th>Operator Name</th>"))

                _ = try await browser.post("/zones", [("name", "Uttara")], csrf: token)
                let log = try await browser.get("/activity")
                #expect(log.status == .ok)
                let filtered = try await browser.get("/activity?action=not+an+action")
                #expect(filtered.status == .badRequest && filtered.text.contains("Check the input"))
            }
        }
    }

    @Test func theAdminViewsAsAResellerAndComesBack() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                let created = try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("pppoe_monthly", "of-a"))
                let id = try #require(created.json["id"] as? Int, "\(created.text)")
                var admin = PanelSession(api)
                let token = try await admin.signIn("admin")
                #expect(!(try await admin.get("/customers?status=all")).text.contains("of-a"), "the ISP's own tenant has none of A's")

                let chosen = try await admin.post("/view-as", [("reseller_id", String(fixtures.resellerA.id))], csrf: token)
                #expect(chosen.status == .seeOther && admin.cookies["uplink_view_as"] == String(fixtures.resellerA.id))
                let list = try await admin.get("/customers?status=all")
                #expect(list.text.contains("of-a") && list.text.contains("Viewing as <strong>Reseller A</strong>"))
                // Changes are the admin's: logged under its name.
                _ = try await admin.post("/customers/\(id)/action", [("action", "suspend")], csrf: token)
                let log = try await api.get("/api/v1/activity?customer_id=\(id)&action=suspend", token: catalog.ownerA)
                #expect((log.json["items"] as? [[String: Any]])?.first?["actor"] as? String == "admin", "\(log.text)")
                #expect(try await admin.get("/tokens").status == .forbidden, "the admin's tokens are not the reseller's")
                #expect(try await admin.get("/resellers").status == .notFound)

                let back = try await admin.post("/view-as", [("stop", "1")], csrf: token)
                #expect(back.status == .seeOther && admin.cookies["uplink_view_as"] == nil)
                #expect(try await admin.get("/resellers").status == .ok)

                // Nobody else can view as anyone, and a cookie alone does nothing.
                var owner = PanelSession(api)
                let ownerToken = try await owner.signIn("owner-b")
                _ = try await owner.post("/view-as", [("reseller_id", String(fixtures.resellerA.id))], csrf: ownerToken)
                #expect(owner.cookies["uplink_view_as"] == nil)
                owner.cookies["uplink_view_as"] = String(fixtures.resellerA.id)
                #expect(!(try await owner.get("/customers?status=all")).text.contains("of-a"))
            }
        }
    }

    @Test func theISPMakesAPackageAndSellsItToAReseller() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                var admin = PanelSession(api)
                let token = try await admin.signIn("admin")
                let made = try await admin.post("/packages", [
                    ("name", "Home 15 Mbps"), ("customer_type", "pppoe_daily"), ("download_mbps", "15"), ("upload_mbps", "15"),
                    ("validity_days", "30"), ("ip_pool", "pool-home"), ("price", "600.50"),
                ], csrf: token)
                #expect(made.status == .seeOther)
                let listed = try await admin.get("/packages")
                #expect(listed.text.contains("Package Home 15 Mbps created.") && listed.text.contains("600.50"))
                let packages = try await api.get("/api/v1/packages?q=Home%2015", token: try await api.login("admin", Fixtures.password))
                let package = try #require((packages.json["items"] as? [[String: Any]])?.first, "\(packages.text)")
                #expect(package["price"] as? Int == 60_050 && package["download_kbps"] as? Int == 15_360)
                let id = try #require(package["id"] as? Int)
                let refused = try await admin.post("/packages", [("name", ""), ("customer_type", "pppoe_daily"), ("price", "1")], csrf: token)
                #expect(refused.status == .seeOther)
                #expect(try await admin.get("/packages").text.contains("flash-error"))

                _ = try await admin.post("/billing/profiles", [("name", "Cycle 10"), ("cycle_day", "10"), ("due_days", "5"), ("auto_invoice", "1")], csrf: token)
                let profiles = try await admin.get("/billing/profiles")
                #expect(profiles.text.contains("Billing profile Cycle 10 created.") && profiles.text.contains("<td>5 days</td>"))
                _ = try await admin.post("/billing/profiles", [("name", "Bad"), ("cycle_day", "31")], csrf: token)
                #expect(try await admin.get("/billing/profiles").text.contains("flash-error"))
                _ = try await admin.post("/packages/\(id)", [("price", "650"), ("status", "active")], csrf: token)
                #expect(try await admin.get("/packages").text.contains("Package Home 15 Mbps saved (active)."))
                _ = try await admin.post("/packages/\(id)/assign", [("target_id", String(fixtures.resellerA.id)), ("price", "450")], csrf: token)
                var owner = PanelSession(api)
                _ = try await owner.signIn("owner-a")
                let ownPackages = try await owner.get("/packages")
                #expect(ownPackages.text.contains("Home 15 Mbps") && ownPackages.text.contains("450.00") && ownPackages.text.contains("650.00"),
                        "the reseller sees its price beside the customer's")
                var other = PanelSession(api)
                _ = try await other.signIn("owner-b")
                #expect(!(try await other.get("/packages")).text.contains("Home 15 Mbps"))
            }
        }
    }

    @Test func moneyFormsMoveMoneyOnce() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                var owner = PanelSession(api)
                let token = try await owner.signIn("owner-a")
                func balance(_ path: String, _ bearer: String) async throws -> Int {
                    try #require(try await api.get(path, token: bearer).json["balance"] as? Int)
                }
                let before = try await balance("/api/v1/operators/\(fixtures.subA1.id)/wallet", catalog.ownerA)
                let page = try await owner.get("/sub-resellers")
                let key = try #require(PanelSession.hiddenValue("key", in: page.text))
                let fields = [("key", key), ("amount", "1,000.50"), ("method", "bank")]
                _ = try await owner.post("/sub-resellers/\(fixtures.subA1.id)/topup", fields, csrf: token)
                #expect(try await owner.get("/sub-resellers").text.contains("Wallet topped up with 1,000.50."))
                _ = try await owner.post("/sub-resellers/\(fixtures.subA1.id)/topup", fields, csrf: token)
                #expect(try await owner.get("/sub-resellers").text.contains("This top-up was already made."))
                #expect(try await balance("/api/v1/operators/\(fixtures.subA1.id)/wallet", catalog.ownerA) == before + 100_050)
                _ = try await owner.post("/sub-resellers/\(fixtures.subA1.id)/topup", [("amount", "10.001")], csrf: token)
                #expect(try await owner.get("/sub-resellers").text.contains("at most two decimals"))

                let created = try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("pppoe_monthly", "payer"))
                let id = try #require(created.json["id"] as? Int, "\(created.text)")
                _ = try await owner.post("/customers/\(id)/payments", [("amount", "500"), ("method", "mobile_money")], csrf: token)
                #expect(try await owner.get("/customers/\(id)?tab=billing").text.contains("transaction id"), "mobile money needs its reference")
                let paid = [("key", "k-\(id)"), ("amount", "500"), ("method", "mobile_money"), ("reference", "BK12345")]
                _ = try await owner.post("/customers/\(id)/payments", paid, csrf: token)
                _ = try await owner.post("/customers/\(id)/payments", paid, csrf: token)
                let payments = try await api.get("/api/v1/payments?customer_id=\(id)", token: catalog.ownerA)
                let items = try #require(payments.json["items"] as? [[String: Any]], "\(payments.text)")
                #expect(items.count == 1 && items.first?["amount"] as? Int == 50_000 && items.first?["method"] as? String == "mobile_money")
                #expect(try await owner.get("/customers/\(id)?tab=billing").text.contains("BK12345"))

                // Invoice the period due now (once, however often the form is sent), then void it.
                let billed = try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("pppoe_monthly", "billed"))
                let billedID = try #require(billed.json["id"] as? Int, "\(billed.text)")
                _ = try await owner.post("/customers/\(billedID)/invoices", [("key", "inv-\(billedID)")], csrf: token)
                #expect(try await owner.get("/customers/\(billedID)?tab=billing").text.contains("Invoice INV-"))
                _ = try await owner.post("/customers/\(billedID)/invoices", [("key", "inv-\(billedID)")], csrf: token)
                #expect(try await owner.get("/customers/\(billedID)?tab=billing").text.contains("This invoice was already made."))
                let invoices = try await api.get("/api/v1/invoices?customer_id=\(billedID)", token: catalog.ownerA)
                let invoice = try #require((invoices.json["items"] as? [[String: Any]])?.first, "\(invoices.text)")
                #expect((invoices.json["items"] as? [Any])?.count == 1)
                let invoiceID = try #require(invoice["id"] as? Int)
                _ = try await owner.post("/customers/\(billedID)/invoices/\(invoiceID)/void", [("reason", "voided in the panel")], csrf: token)
                #expect(try await owner.get("/customers/\(billedID)?tab=billing").text.contains("voided."))
                _ = try await owner.post("/customers/\(billedID)/terms", [("special_price", "700"), ("discount", "50.50"), ("note", "old customer")], csrf: token)
                let terms = try await api.get("/api/v1/customers/\(billedID)/billing-terms", token: catalog.ownerA)
                #expect(terms.json["special_price"] as? Int == 70_000 && terms.json["discount"] as? Int == 5_050, "\(terms.text)")
                #expect(try await owner.get("/customers/\(billedID)?tab=billing").text.contains("value=\"700.00\""))
                let voided = try await api.get("/api/v1/invoices?customer_id=\(billedID)", token: catalog.ownerA)
                #expect((voided.json["items"] as? [[String: Any]])?.first?["status"] as? String == "void", "\(voided.text)")

                var admin = PanelSession(api)
                let adminToken = try await admin.signIn("admin")
                let resellerBefore = try await balance("/api/v1/resellers/\(fixtures.resellerB.id)/wallet", catalog.admin)
                _ = try await admin.post("/resellers/\(fixtures.resellerB.id)/topup", [("key", "rb-1"), ("amount", "2500"), ("method", "bank")], csrf: adminToken)
                #expect(try await balance("/api/v1/resellers/\(fixtures.resellerB.id)/wallet", catalog.admin) == resellerBefore + 250_000)
                // A reseller cannot fund another tenant's reseller wallet from its own pages.
                _ = try await owner.post("/resellers/\(fixtures.resellerB.id)/topup", [("amount", "1"), ("method", "bank")], csrf: token)
                #expect(try await balance("/api/v1/resellers/\(fixtures.resellerB.id)/wallet", catalog.admin) == resellerBefore + 250_000)
            }
        }
    }

    @Test func voucherBatchesArePrintedAndRedeemedOnce() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                var owner = PanelSession(api)
                let token = try await owner.signIn("owner-a")
                let page = try await owner.get("/vouchers")
                #expect(page.status == .ok && page.text.contains("No voucher batches yet."))
                let pkg = String(catalog.packages["pppoe_daily"]!)
                #expect(page.text.contains("<option value=\"\(pkg)\">"), "prepaid packages to choose from")
                #expect(!page.text.contains("<option value=\"\(catalog.packages["pppoe_monthly"]!)\">"), "not monthly ones")
                let key = try #require(PanelSession.hiddenValue("key", in: page.text))
                let day = String(ISO8601DateFormatter().string(from: test.clock.now().addingTimeInterval(30 * 86_400)).prefix(10))
                let fields = [("key", key), ("package_id", pkg), ("count", "3"), ("expires_on", day), ("distributor", "Shop <1>"), ("commission", "5")]
                _ = try await owner.post("/vouchers", fields, csrf: token)
                let made = try await owner.get("/vouchers")
                #expect(made.text.contains("of 3 cards made.") && made.text.contains("Shop &lt;1&gt;"), "\(made.text)")
                _ = try await owner.post("/vouchers", fields, csrf: token)
                #expect(try await owner.get("/vouchers").text.contains("This batch was already made."))
                let batches = try await api.get("/api/v1/vouchers/batches", token: catalog.ownerA)
                let batch = try #require((batches.json["items"] as? [[String: Any]])?.first)
                #expect(batches.json["total"] as? Int == 1 && batch["count"] as? Int == 3 && batch["commission"] as? Int == 500)
                let batchID = try #require(batch["id"] as? Int)

                // Printing downloads the codes and issues the cards; it is a form (with the session's token), not a link.
                #expect(try await owner.post("/vouchers/\(batchID)/export", [], csrf: nil).status == .forbidden)
                let printed = try await owner.post("/vouchers/\(batchID)/export", [], csrf: token)
                #expect(printed.status == .ok && printed.headers[.contentType]?.hasPrefix("text/csv") == true)
                let lines = printed.text.split(separator: "\r\n").map(String.init)
                #expect(lines.count == 4 && lines[0].hasPrefix("batch,serial,code"))
                let code = try #require(lines.dropFirst().first?.split(separator: ",").dropFirst(2).first.map(String.init))
                let states = try await api.get("/api/v1/vouchers/batches/\(batchID)", token: catalog.ownerA)
                #expect((states.json["states"] as? [String: Any])?["issued"] as? Int == 3, "\(states.text)")

                // Redeemed once onto a prepaid customer from its page; the same card a second time is refused.
                let created = try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("pppoe_daily", "carduser"))
                let id = try #require(created.json["id"] as? Int, "\(created.text)")
                let detail = try await owner.get("/customers/\(id)")
                #expect(detail.text.contains("id=\"redeem-form\""))
                _ = try await owner.post("/customers/\(id)/redeem", [("key", "r-1"), ("code", code.lowercased())], csrf: token)
                #expect(try await owner.get("/customers/\(id)").text.contains("Card redeemed, valid until"))
                _ = try await owner.post("/customers/\(id)/redeem", [("key", "r-2"), ("code", code)], csrf: token)
                let again = try await owner.get("/customers/\(id)")
                #expect(again.text.contains("class=\"flash flash-error\""), "the second redemption is refused")
                let cards = try await owner.get("/vouchers?batch_id=\(batchID)&state=used")
                #expect(cards.text.contains("href=\"/customers/\(id)\"") && cards.text.contains("…\(code.suffix(4))"))
                let recharges = try await api.get("/api/v1/customers/\(id)/recharges", token: catalog.ownerA)
                #expect((recharges.json["items"] as? [Any])?.count == 2, "the first at creation, one by the card: \(recharges.text)")

                // Another tenant cannot see the batch.
                var other = PanelSession(api)
                _ = try await other.signIn("owner-b")
                #expect(try await other.get("/vouchers?batch_id=\(batchID)").status == .notFound)
            }
        }
    }

    @Test func failedProvisioningIsListedAndRetried() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                let created = try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("pppoe_monthly", "stuck"))
                let id = try #require(created.json["id"] as? Int, "\(created.text)")
                _ = try await test.app.database.withPlatformTransaction { connection in
                    try await connection.query(
                        """
                        INSERT INTO platform.provisioning_state (tenant_id, customer_id, state, attempts, last_error, requested_version)
                        VALUES (\(fixtures.resellerA.id), \(id), 'failed', 8, 'router <b>unreachable</b>', 9)
                        ON CONFLICT (tenant_id, customer_id) DO UPDATE SET state = 'failed', attempts = 8, last_error = excluded.last_error
                        """,
                        logger: test.app.logger
                    )
                }
                var owner = PanelSession(api)
                let token = try await owner.signIn("owner-a")
                let list = try await owner.get("/provisioning")
                #expect(list.status == .ok && list.text.contains("router &lt;b&gt;unreachable&lt;/b&gt;") && list.text.contains("href=\"/customers/\(id)\""))
                let before = try await rowCounts(test, tenant: fixtures.resellerA.id).outbox
                let retried = try await owner.post("/customers/\(id)/reprovision", [("back", "/provisioning")], csrf: token)
                #expect(retried.status == .seeOther && retried.headers[.location] == "/provisioning")
                #expect(try await owner.get("/provisioning").text.contains("Provisioning of customer #\(id) queued again."))
                #expect(try await rowCounts(test, tenant: fixtures.resellerA.id).outbox == before + 1)

                var other = PanelSession(api)
                _ = try await other.signIn("owner-b")
                let elsewhere = try await other.get("/provisioning")
                #expect(elsewhere.status == .ok && elsewhere.text.contains("Nothing failed") && !elsewhere.text.contains("unreachable"))
            }
        }
    }

    @Test func theISPEditsEverySettingOfAPackage() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                let id = try #require(catalog.packages["pppoe_daily"])
                var admin = PanelSession(api)
                let token = try await admin.signIn("admin")
                let form = try await admin.get("/packages/\(id)/edit")
                #expect(form.status == .ok && form.text.contains("value=\"P pppoe_daily\"") && form.text.contains("value=\"10240\""))
                var fields: [(String, String)] = [
                    ("name", "Daily 20M"), ("price", "25.50"), ("download_kbps", "20480"), ("upload_kbps", "10240"),
                    ("burst_download_kbps", "40960"), ("burst_upload_kbps", "20480"), ("burst_threshold_download_kbps", "15000"),
                    ("burst_threshold_upload_kbps", "7000"), ("burst_time_seconds", "8"), ("validity_days", "7"), ("validity_hours", ""),
                    ("time_limit_minutes", ""), ("data_limit_mb", ""), ("ip_pool", "pool-daily"), ("suspended_pool", "expired-pool"),
                    ("ppp_profile", ""), ("vat_profile_id", ""), ("status", "active"),
                ]
                let saved = try await admin.post("/packages/\(id)/edit", fields, csrf: token)
                #expect(saved.status == .seeOther && saved.headers[.location] == "/packages")
                var package = try await api.get("/api/v1/packages/\(id)", token: catalog.admin).json
                #expect(package["name"] as? String == "Daily 20M" && package["download_kbps"] as? Int == 20480 && package["price"] as? Int == 2_550)
                #expect((package["burst"] as? [String: Any])?["time_seconds"] as? Int == 8 && package["validity_days"] as? Int == 7)
                #expect(package["ip_pool"] as? String == "pool-daily" && package["suspended_pool"] as? String == "expired-pool")

                // Emptied optional fields clear their setting; half a burst is refused and changes nothing.
                fields = fields.map { ["burst_download_kbps", "burst_upload_kbps", "suspended_pool"].contains($0.0) ? ($0.0, "") : $0 }
                _ = try await admin.post("/packages/\(id)/edit", fields, csrf: token)
                package = try await api.get("/api/v1/packages/\(id)", token: catalog.admin).json
                #expect(package["burst"] == nil || package["burst"] is NSNull, "\(package)")
                #expect(package["suspended_pool"] == nil || package["suspended_pool"] is NSNull)
                let half = fields.map { $0.0 == "burst_download_kbps" ? ($0.0, "30000") : ($0.0 == "name" ? ($0.0, "Half") : $0) }
                let refused = try await admin.post("/packages/\(id)/edit", half, csrf: token)
                #expect(refused.headers[.location] == "/packages/\(id)/edit")
                #expect(try await admin.get("/packages/\(id)/edit").text.contains("give both burst speeds"))
                #expect(try await api.get("/api/v1/packages/\(id)", token: catalog.admin).json["name"] as? String == "Daily 20M")

                // Only the ISP edits packages.
                var owner = PanelSession(api)
                let ownerToken = try await owner.signIn("owner-a")
                #expect(try await owner.get("/packages/\(id)/edit").status == .forbidden)
                _ = try await owner.post("/packages/\(id)/edit", fields.map { $0.0 == "name" ? ($0.0, "Taken") : $0 }, csrf: ownerToken)
                #expect(try await api.get("/api/v1/packages/\(id)", token: catalog.admin).json["name"] as? String == "Daily 20M")
            }
        }
    }

    @Test func theISPEditsAndDeletesBillingProfiles() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                var admin = PanelSession(api)
                let token = try await admin.signIn("admin")
                let form = try await admin.get("/billing/profiles/\(catalog.profile)/edit")
                #expect(form.status == .ok && form.text.contains("value=\"Cycle 5\""))
                // Unticked boxes turn the automation off; the rest is saved as given.
                let saved = try await admin.post("/billing/profiles/\(catalog.profile)/edit",
                                                 [("name", "Cycle 10"), ("cycle_day", "10"), ("due_days", "5"), ("grace_days", "2"), ("vat_profile_id", ""),
                                                  ("auto_invoice", "1")], csrf: token)
                #expect(saved.headers[.location] == "/billing/profiles")
                let profile = try await api.get("/api/v1/billing-profiles/\(catalog.profile)", token: catalog.admin).json
                #expect(profile["name"] as? String == "Cycle 10" && profile["cycle_day"] as? Int == 10 && profile["grace_days"] as? Int == 2)
                #expect(profile["auto_invoice"] as? Bool == true && profile["auto_suspend"] as? Bool == false && profile["auto_reactivate"] as? Bool == false)
                _ = try await admin.post("/billing/profiles/\(catalog.profile)/edit", [("name", "Bad"), ("cycle_day", "31")], csrf: token)
                #expect(try await admin.get("/billing/profiles/\(catalog.profile)/edit").text.contains("flash-error"))

                // In use by a customer: not deleted. Unused: gone.
                _ = try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("pppoe_monthly", "profiled"))
                _ = try await admin.post("/billing/profiles/\(catalog.profile)/delete", [], csrf: token)
                #expect(try await api.get("/api/v1/billing-profiles/\(catalog.profile)", token: catalog.admin).status == .ok)
                let spare = try await api.post("/api/v1/billing-profiles", token: catalog.admin, json: ["name": "Spare", "cycle_day": 3])
                let spareID = try #require(spare.json["id"] as? Int)
                _ = try await admin.post("/billing/profiles/\(spareID)/delete", [], csrf: token)
                #expect(try await api.get("/api/v1/billing-profiles/\(spareID)", token: catalog.admin).status == .notFound)

                var owner = PanelSession(api)
                _ = try await owner.signIn("owner-a")
                #expect(try await owner.get("/billing/profiles/\(catalog.profile)/edit").status == .forbidden)
            }
        }
    }

    @Test func theISPAddsARouterTestsItAndPushesItsConfiguration() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            try await RouterOSSimulator.with(username: "panel-push", password: "Panel-Push-1") { simulator in
                try await test.http { api in
                    let adminToken = try await api.login("admin", Fixtures.password)
                    let package = try await api.post("/api/v1/packages", token: adminToken, json: [
                        "name": "Home 10M", "customer_type": "pppoe_monthly", "download_kbps": 10240, "upload_kbps": 5120, "price": 80_000,
                        "ip_pool": "pool-home", "ppp_profile": "home-10m",
                    ])
                    #expect(package.status == .created, "\(package.text)")
                    var admin = PanelSession(api)
                    let token = try await admin.signIn("admin")
                    let added = try await admin.post("/routers", [
                        ("name", "Mirpur POP"), ("nas_ip", "10.92.0.1"), ("radius_secret", "Panel-Radius-1"), ("api_host", "127.0.0.1"),
                        ("api_port", String(simulator.port)), ("api_username", "panel-push"), ("api_password", "Panel-Push-1"),
                        ("disconnect_method", "radius"), ("location", "Mirpur-10"),
                    ], csrf: token)
                    #expect(added.status == .seeOther)
                    let page = try await admin.get("/routers")
                    #expect(page.text.contains("Router Mirpur POP added") && page.text.contains("10.92.0.1") && !page.text.contains("Panel-Push-1"))
                    let id = try #require(page.text.range(of: "action=\"/routers/").map { range in
                        String(page.text[range.upperBound...].prefix { $0.isNumber })
                    })
                    _ = try await admin.post("/routers/\(id)/test", [], csrf: token)
                    #expect(try await admin.get("/routers").text.contains("Mirpur POP: the API answered."))
                    let pushed = try await admin.post("/routers/\(id)/configure", [("pools", "pool-home=10.10.0.2-10.10.255.254\n")], csrf: token)
                    #expect(pushed.status == .ok && pushed.text.contains("Configuration of Mirpur POP: done"), "\(pushed.text.prefix(0))")
                    #expect(pushed.text.contains("created"))
                    #expect(simulator.rows("/ip/pool").contains { $0["name"] == "pool-home" && $0["ranges"] == "10.10.0.2-10.10.255.254" })
                    let bad = try await admin.post("/routers/\(id)/configure", [("pools", "pool-home=not-a-range")], csrf: token)
                    #expect(bad.status == .seeOther)
                    #expect(try await admin.get("/routers").text.contains("flash-error"))
                    // A reseller sees the router once it is assigned to it, never the add form, and cannot push.
                    var owner = PanelSession(api)
                    let ownerToken = try await owner.signIn("owner-a")
                    #expect(!(try await owner.get("/routers")).text.contains("Mirpur POP"))
                    let resellerA = try #require(try await test.app.auth.principal(forUsername: "owner-a")).tenantID
                    _ = try await admin.post("/routers/\(id)/assignments", [("tenant_ids", String(resellerA))], csrf: token)
                    #expect(try await admin.get("/routers").text.contains("Mirpur POP serves 1 reseller."))
                    let ownerRouters = try await owner.get("/routers")
                    #expect(ownerRouters.text.contains("Mirpur POP") && !ownerRouters.text.contains("id=\"router-form\""))
                    _ = try await owner.post("/routers/\(id)/configure", [("pools", "")], csrf: ownerToken)
                    #expect(try await owner.get("/routers").text.contains("flash-error"))

                    // The ISP edits it: secrets left empty stay, never shown; an emptied location is cleared.
                    let form = try await admin.get("/routers/\(id)/edit")
                    #expect(form.status == .ok && form.text.contains("value=\"Mirpur POP\"") && !form.text.contains("Panel-Push-1") && !form.text.contains("Panel-Radius-1"))
                    let edited = try await admin.post("/routers/\(id)/edit", [
                        ("name", "Mirpur POP 2"), ("nas_ip", "10.92.0.2"), ("radius_secret", ""), ("location", ""), ("api_host", "127.0.0.1"),
                        ("api_port", String(simulator.port)), ("api_username", "panel-push"), ("api_password", ""), ("disconnect_method", "api"),
                        ("coa_port", "3799"), ("coa_enabled", "1"), ("interim_seconds", "300"), ("status", "active"),
                    ], csrf: token)
                    #expect(edited.headers[.location] == "/routers")
                    let router = try await api.get("/api/v1/routers/\(id)", token: adminToken).json
                    #expect(router["name"] as? String == "Mirpur POP 2" && router["nas_ip"] as? String == "10.92.0.2", "\(router)")
                    #expect(router["location"] == nil || router["location"] is NSNull)
                    #expect(router["disconnect_method"] as? String == "api" && router["coa_enabled"] as? Bool == true && router["has_api_password"] as? Bool == true)
                    let nas = try await test.app.database.withPlatformConnection { connection in
                        try await connection.query("SELECT nasname, secret FROM radius.nas", logger: test.app.logger).collect().map {
                            try $0.decode((String, String).self)
                        }
                    }
                    #expect(nas.count == 1 && nas.first?.0 == "10.92.0.2" && nas.first?.1 == "Panel-Radius-1", "the secret kept, the address moved")
                    #expect(try await owner.get("/routers/\(id)/edit").status == .forbidden)
                }
            }
        }
    }
}
