import Foundation
import Hummingbird
import HTTPTypes
import Mustache
import NIOCore
import Platform

/// The templates (`Templates/*.mustache`, HTML-escaping every `{{value}}`) and the static assets, read
/// once at start-up; and the page frame: sidebar, top bar, flash message.
struct PanelViews: Sendable {
    let library: MustacheLibrary
    let assets: [String: (type: String, bytes: ByteBuffer)]
    /// Appended to asset links, so a changed stylesheet is never served from a stale cache.
    let assetVersion: String

    static func load() throws -> PanelViews {
        guard let root = Bundle.module.resourceURL else { throw PlatformError.internalError("panel resources are missing") }
        var library = MustacheLibrary()
        let templates = root.appendingPathComponent("Templates")
        for name in try FileManager.default.contentsOfDirectory(atPath: templates.path) where name.hasSuffix(".mustache") {
            let text = try String(contentsOf: templates.appendingPathComponent(name), encoding: .utf8)
            try library.register(text, named: String(name.dropLast(".mustache".count)))
        }
        var assets: [String: (String, ByteBuffer)] = [:]
        var digest = 0
        let folder = root.appendingPathComponent("Assets")
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            let type = name.hasSuffix(".css") ? "text/css; charset=utf-8" : name.hasSuffix(".js") ? "text/javascript; charset=utf-8" : "application/octet-stream"
            assets[name] = (type, ByteBuffer(bytes: data))
            for byte in data { digest = digest &* 31 &+ Int(byte) }
        }
        return PanelViews(library: library, assets: assets, assetVersion: String(UInt(bitPattern: digest) % 1_000_000_007, radix: 36))
    }

    func asset(_ request: Request, _ context: AppRequestContext) throws -> Response {
        guard let name = context.parameters.get("name"), let asset = assets[name] else { throw PlatformError.notFound("asset") }
        return Response(
            status: .ok,
            headers: [.contentType: asset.type, .cacheControl: "public, max-age=86400", HTTPField.Name("X-Content-Type-Options")!: "nosniff"],
            body: .init(byteBuffer: asset.bytes)
        )
    }

    /// The sidebar: each entry's path and label; `section` marks the entry a page belongs to.
    static func navigation(for principal: Principal) -> [[String: Any]] {
        var items: [(String, String, String, Int)] = [
            ("dashboard", "/", "Dashboard", 0),
            ("customers", "/customers", "Customers", 0),
            ("customers-new", "/customers/new", "Add customer", 1),
            ("online", "/online", "Online", 1),
            ("zones", "/zones", "Zones", 1),
            ("custom-fields", "/custom-fields", "Custom fields", 1),
            ("import", "/customers/import", "Import", 1),
            ("devices", "/devices", "Devices", 1),
            ("deleted", "/customers/deleted", "Deleted", 1),
            ("btrc", "/reports/btrc", "BTRC report", 1),
            ("packages", "/packages", "Packages", 0),
            ("billing", "/billing/invoices", "Billing", 0),
            ("invoices", "/billing/invoices", "Invoices", 1),
            ("payments", "/billing/payments", "Payments", 1),
            ("wallet", "/billing/wallet", "Wallet", 1),
            ("summary", "/billing/summary", "Summary", 1),
            ("suspensions", "/billing/suspensions", "Suspension log", 1),
            ("profiles", "/billing/profiles", "Billing profiles", 1),
            ("vouchers", "/vouchers", "Vouchers", 1),
            ("routers", "/routers", "Routers", 0),
            ("provisioning", "/provisioning", "Provisioning failures", 1),
            ("resellers", "/resellers", "Resellers", 0),
            ("sub-resellers", "/sub-resellers", "Sub-resellers", 0),
            ("activity", "/activity", "Activity log", 0),
            ("tokens", "/tokens", "API tokens", 0),
        ]
        if principal.role == .subReseller { items.removeAll { $0.0 == "zones" || $0.0 == "custom-fields" } }
        if principal.isAdmin { items.removeAll { $0.0 == "wallet" } } else { items.removeAll { $0.0 == "resellers" } }
        if principal.role == .subReseller { items.removeAll { $0.0 == "sub-resellers" } }

        return items.map { ["key": $0.0, "href": $0.1, "label": $0.2, "sub": $0.3 == 1] }
    }

    /// A whole page: `template` rendered with `data`, inside the frame.
    func page(
        _ template: String, _ data: [String: Any], request page: PanelRequest, title: String, section: String,
        status: HTTPResponse.Status = .ok
    ) throws -> Response {
        var data = Self.pruned(data)
        data["csrf"] = page.csrf
        guard let content = library.render(data, withTemplate: template) else { throw PlatformError.internalError("no template \(template)") }
        let navigation = Self.navigation(for: page.principal).map { item -> [String: Any] in
            var item = item
            item["active"] = (item["key"] as? String) == section
            return item
        }
        var frame: [String: Any] = [
            "title": title, "content": content, "nav": navigation, "csrf": page.csrf, "v": assetVersion,
            "user": page.principal.username, "role": Self.roleName(page.principal.role),
        ]
        if let name = page.operatorName { frame["tenant"] = name }
        if let name = page.viewingAs { frame["viewing_as"] = name }
        if let flash = page.flash { frame["flash"] = ["text": flash.text, "error": flash.error] }
        guard let html = library.render(frame, withTemplate: "layout") else { throw PlatformError.internalError("no layout") }
        var response = Self.html(html, status: status)
        if page.flash != nil {
            response.setCookie(Cookie(name: WebPanel.flashCookie, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .strict))
        }
        return response
    }

    /// A page without the frame (sign-in).
    func bare(_ template: String, _ data: [String: Any], status: HTTPResponse.Status) throws -> Response {
        var data = Self.pruned(data)
        data["v"] = assetVersion
        guard let html = library.render(data, withTemplate: template) else { throw PlatformError.internalError("no template \(template)") }
        return Self.html(html, status: status)
    }

    /// Without its empty strings: a Mustache section treats "" as true, so an empty message would still
    /// draw its box. Missing and empty render the same elsewhere.
    static func pruned(_ object: [String: Any]) -> [String: Any] {
        var result: [String: Any] = [:]
        result.reserveCapacity(object.count)
        for (key, value) in object {
            switch value {
            case let text as String where text.isEmpty: continue
            case let nested as [String: Any]: result[key] = pruned(nested)
            case let rows as [[String: Any]]: result[key] = rows.map(pruned)
            default: result[key] = value
            }
        }
        return result
    }

    static func html(_ html: String, status: HTTPResponse.Status) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .cacheControl: "no-store",
                HTTPField.Name("Content-Security-Policy")!:
                    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
                HTTPField.Name("Referrer-Policy")!: "same-origin",
            ],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }

    static func roleName(_ role: Role) -> String {
        switch role {
        case .admin: "ISP admin"
        case .reseller: "Reseller"
        case .subReseller: "Sub-reseller"
        }
    }
}
