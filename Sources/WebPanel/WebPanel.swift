import AuthService
import BillingService
import Crypto
import CustomerService
import Foundation
import Hummingbird
import HTTPTypes
import Logging
import Platform
import ProvisioningService

/// The server-rendered panel at `/`: the same services and the same scoping as the API, with a session
/// cookie instead of a bearer header and a CSRF token on every form.
package struct WebPanel: Sendable {
    let auth: AuthService
    let customers: CustomerService
    let billing: BillingService
    let provisioning: ProvisioningService
    let views: PanelViews
    let csrfKey: [UInt8]
    let logger: Logger
    let geo = GeoLists()

    static let sessionCookie = "uplink_session"
    static let loginCookie = "uplink_login"
    static let flashCookie = "uplink_flash"
    /// The reseller the admin is viewing the panel as (a tenant id), when it is.
    static let viewAsCookie = "uplink_view_as"
    static let csrfField = "_csrf"

    package init(
        auth: AuthService, customers: CustomerService, billing: BillingService, provisioning: ProvisioningService,
        dataKey: DataKey, logger: Logger
    ) throws {
        self.auth = auth
        self.customers = customers
        self.billing = billing
        self.provisioning = provisioning
        self.views = try PanelViews.load()
        self.csrfKey = dataKey.derivedKey(purpose: "panel csrf")
        self.logger = logger
    }

    package func register(on router: Router<AppRequestContext>) {
        router.get("assets/{name}") { request, context in try views.asset(request, context) }
        router.get("login") { request, context in try await loginPage(request, context) }
        router.post("login") { request, context in try await login(request, context) }
        let pages = router.group().add(middleware: PanelSessionMiddleware(panel: self))
        pages.post("logout") { request, context in try await form(request, context) { _, page in try await logout(page) } }
        pages.post("view-as") { request, context in
            try await action(request, context, back: { _ in "/" }) { form, page in
                if form["stop"] != nil {
                    var response = redirect(to: "/resellers", flash: "Back to the ISP's own view.", request: request)
                    response.setCookie(cookie(Self.viewAsCookie, "", request: request, maxAge: 0))
                    return response
                }
                guard let id = try form.int64("reseller_id") else { throw PlatformError.invalidInput(field: "reseller_id", reason: "is required") }
                // The admin's own principal decides (the middleware left it as it is for this path).
                let (_, name) = try await auth.viewAs(resellerID: id, by: page.principal)
                var response = redirect(to: "/customers", flash: "Viewing as \(name). Changes are logged as yours.", request: request)
                response.setCookie(cookie(Self.viewAsCookie, String(id), request: request, maxAge: nil))
                return response
            }
        }
        registerDashboard(on: pages)
        registerCustomers(on: pages)
        registerCustomer(on: pages)
        registerCatalogPages(on: pages)
        registerOnline(on: pages)
        registerTools(on: pages)
        registerAccountPages(on: pages)
        registerBilling(on: pages)
        registerVouchers(on: pages)
        registerNetworkPages(on: pages)
    }

    // MARK: Sessions and CSRF

    /// The CSRF token of a session: an HMAC of the session's key under a key of the panel's own, so it is
    /// fixed for the session, unguessable without the cookie, and checked without storing anything.
    func csrfToken(for principal: Principal) -> String {
        guard case .session(let hash) = principal.credential else { return "" }
        let code = HMAC<SHA256>.authenticationCode(for: Data(hash.utf8), using: SymmetricKey(data: csrfKey))
        return Secrets.base64URL(Array(code))
    }

    /// Runs a form post: reads the form, refuses it (403) without this session's CSRF token, then `body`.
    func form(
        _ request: Request, _ context: AppRequestContext,
        _ body: (PanelForm, PanelRequest) async throws -> Response
    ) async throws -> Response {
        let page = try PanelRequest(request: request, context: context, panel: self)
        let form = try await PanelForm.read(request)
        guard let token = form[Self.csrfField], constantTimeEqual(token, csrfToken(for: page.principal)) else {
            logger.notice("panel form without a valid CSRF token", metadata: ["path": "\(request.uri.path)", "user": "\(page.principal.username)"])
            return try await renderError(page, status: .forbidden, title: "Form expired", message: "This form was not sent from this session. Reload the page and try again.")
        }
        return try await body(form, page)
    }

    func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count, !x.isEmpty else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }

    // MARK: Sign-in

    @Sendable func loginPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        if let token = request.cookies[Self.sessionCookie]?.value, (try? await auth.authenticate(bearer: token)) != nil {
            return redirect(to: "/")
        }
        return try loginForm(request, username: nil, error: nil, status: .ok)
    }

    func loginForm(_ request: Request, username: String?, error: String?, status: HTTPResponse.Status) throws -> Response {
        // Before a session exists the form's token is a random value also set as a cookie (double submit).
        let token = Secrets.token(prefix: "")
        var response = try views.bare("login", [
            "csrf": token, "username": username ?? "", "error": error ?? "", "next": safeNext(request.uri.queryParameters.get("next")) ?? "",
        ], status: status)
        response.setCookie(cookie(Self.loginCookie, token, request: request, maxAge: 3_600))
        return response
    }

    @Sendable func login(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await PanelForm.read(request)
        guard let expected = request.cookies[Self.loginCookie]?.value, let given = form[Self.csrfField], constantTimeEqual(expected, given) else {
            return try loginForm(request, username: form["username"], error: "The sign-in form expired. Please try again.", status: .forbidden)
        }
        do {
            let result = try await auth.login(username: form["username"] ?? "", password: form.fields.first { $0.name == "password" }?.value ?? "", clientIP: context.clientIP)
            var response = redirect(to: safeNext(form["next"]) ?? "/")
            response.setCookie(cookie(Self.sessionCookie, result.token, request: request, maxAge: nil))
            response.setCookie(cookie(Self.loginCookie, "", request: request, maxAge: 0))
            return response
        } catch let error as any ServiceError {
            let message = switch error.code {
            case "too_many_requests": "Too many failed sign-ins. Wait a few minutes and try again."
            case "account_suspended": "This account is suspended."
            default: "Wrong username or password."
            }
            return try loginForm(request, username: form["username"], error: message, status: error.code == "too_many_requests" ? .tooManyRequests : .unauthorized)
        }
    }

    func logout(_ page: PanelRequest) async throws -> Response {
        try? await auth.logout(page.principal)
        var response = redirect(to: "/login")
        response.setCookie(cookie(Self.sessionCookie, "", request: page.request, maxAge: 0))
        return response
    }

    /// Only a path on this site (`/customers?…`), never `//host` or a scheme.
    func safeNext(_ next: String?) -> String? {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"), next.count < 500 else { return nil }
        return next
    }

    // MARK: Responses

    func cookie(_ name: String, _ value: String, request: Request, maxAge: Int?) -> Cookie {
        Cookie(
            name: name, value: value, maxAge: maxAge, path: "/",
            secure: request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https" || request.uri.scheme == .https,
            httpOnly: true, sameSite: .strict
        )
    }

    func redirect(to location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    /// A redirect that shows `message` on the next page.
    func redirect(to location: String, flash message: String, error: Bool = false, request: Request) -> Response {
        var response = redirect(to: location)
        let text = (error ? "!" : "") + message
        response.setCookie(cookie(Self.flashCookie, Secrets.base64URL(Array(text.utf8)), request: request, maxAge: 60))
        return response
    }

}

extension Data {
    /// The reverse of `Secrets.base64URL` (the flash message's cookie).
    init?(base64URLEncoded text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64.append("=") }
        self.init(base64Encoded: base64)
    }
}

/// Resolves the session cookie into the caller; without a valid one, a page answers with the sign-in page
/// (a redirect that comes back here afterwards) and a form post with 401.
struct PanelSessionMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let panel: WebPanel

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token = request.cookies[WebPanel.sessionCookie]?.value, !token.isEmpty,
              let principal = try? await panel.auth.authenticate(bearer: token)
        else {
            if request.method == .get || request.method == .head {
                let target = request.uri.path == "/" ? "/login" : "/login?next=" + (request.uri.description.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
                var response = panel.redirect(to: target)
                if request.cookies[WebPanel.sessionCookie] != nil {
                    response.setCookie(panel.cookie(WebPanel.sessionCookie, "", request: request, maxAge: 0))
                }
                return response
            }
            return Response(status: .unauthorized, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "Signed out. Sign in again.\n")))
        }
        var context = context
        context.principal = principal
        // The admin viewing as a reseller: the reseller owner's scope, the admin's identity. Choosing or
        // leaving the view is always done as the admin.
        if principal.isAdmin, request.uri.path != "/view-as", let raw = request.cookies[WebPanel.viewAsCookie]?.value, let id = Int64(raw) {
            if let (viewing, name) = try? await panel.auth.viewAs(resellerID: id, by: principal) {
                context.principal = viewing
                context.viewingAs = name
            }
        }
        context.logger[metadataKey: "tenant.id"] = "\(principal.tenantID)"
        context.logger[metadataKey: "user.id"] = "\(principal.userID)"
        return try await next(request, context)
    }
}

/// One page request of a signed-in caller: what every page needs to draw its frame.
struct PanelRequest: Sendable {
    let request: Request
    let principal: Principal
    let csrf: String
    let flash: (text: String, error: Bool)?
    let actor: Actor
    /// The caller's operator (the reseller, or the sub-reseller), for the top bar.
    var operatorName: String?
    /// The reseller the admin is viewing as.
    let viewingAs: String?

    init(request: Request, context: AppRequestContext, panel: WebPanel) throws {
        self.request = request
        self.principal = try context.requirePrincipal()
        self.csrf = panel.csrfToken(for: principal)
        self.viewingAs = context.viewingAs
        self.actor = Actor(principal: principal, requestID: context.requestID, clientIP: context.clientIP)
        var query: [String: String] = [:]
        for (name, value) in PanelForm.decode(request.uri.query ?? "") where query[name] == nil { query[name] = value }
        self.query = query
        if let raw = request.cookies[WebPanel.flashCookie]?.value, let data = Data(base64URLEncoded: raw) {
            let text = String(decoding: data, as: UTF8.self)
            flash = text.hasPrefix("!") ? (String(text.dropFirst()), true) : (text, false)
        } else {
            flash = nil
        }
    }

    /// The query string as an HTML form sends it (`+` is a space), first value of each name.
    let query: [String: String]

    func query(_ name: String) -> String? {
        guard let value = query[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }
}
