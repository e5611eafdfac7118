import AuthService
import BillingService
import Foundation
import Hummingbird
import HTTPTypes
import Platform

extension WebPanel {
    /// Runs a page: a service error becomes the error page with its status (404 for another tenant's record).
    func page(
        _ request: Request, _ context: AppRequestContext, _ body: (PanelRequest) async throws -> Response
    ) async throws -> Response {
        let page = try PanelRequest(request: request, context: context, panel: self)
        do {
            return try await body(page)
        } catch let error as any ServiceError {
            return try await renderError(page, status: error.kind.status, title: Self.errorTitle(error.kind), message: error.message)
        }
    }

    /// A whole page in the frame. The top bar's operator name is read here, only for a page that is drawn
    /// (never for a post that redirects) and only when the page did not already have it.
    func render(
        _ template: String, _ data: [String: Any], request page: PanelRequest, title: String, section: String,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        var page = page
        if page.operatorName == nil {
            page.operatorName = page.principal.isAdmin ? "ISP" : try? await auth.operator(id: page.principal.operatorID, for: page.principal).name
        }
        return try views.page(template, data, request: page, title: title, section: section, status: status)
    }

    func renderError(_ page: PanelRequest, status: HTTPResponse.Status, title: String, message: String) async throws -> Response {
        try await render("error", ["heading": title, "message": message], request: page, title: title, section: "", status: status)
    }

    /// Runs a form post that ends in a redirect: its service error goes back to `back` as an error message.
    func action(
        _ request: Request, _ context: AppRequestContext, back: @escaping @Sendable (PanelForm) -> String,
        _ body: @escaping @Sendable (PanelForm, PanelRequest) async throws -> Response
    ) async throws -> Response {
        try await form(request, context) { form, page in
            do {
                return try await body(form, page)
            } catch let error as any ServiceError {
                return redirect(to: back(form), flash: error.message, error: true, request: request)
            }
        }
    }

    /// An edit form's two routes: `GET /<path>/{id}/edit` draws it; its `POST` saves through `save`, then goes
    /// to `/<path>` with the message `save` returns, or back to the form with the refusal.
    func registerEditForm(
        on pages: RouterGroup<AppRequestContext>, _ path: String,
        draw: @escaping @Sendable (PanelRequest, Int64) async throws -> Response,
        save: @escaping @Sendable (PanelForm, PanelRequest, Int64) async throws -> String
    ) {
        pages.get("\(path)/{id}/edit") { request, context in
            try await page(request, context) { page in try await draw(page, try context.parameters.requireID("id")) }
        }
        pages.post("\(path)/{id}/edit") { request, context in
            let back: @Sendable (PanelForm) -> String = { _ in "/\(path)/\(context.parameters.get("id") ?? "")/edit" }
            return try await action(request, context, back: back) { form, page in
                let message = try await save(form, page, try context.parameters.requireID("id"))
                return redirect(to: "/\(path)", flash: message, request: request)
            }
        }
    }

    static func errorTitle(_ kind: ErrorKind) -> String {
        switch kind {
        case .notFound: "Not found"
        case .forbidden: "Not allowed"
        case .conflict: "Not possible now"
        case .invalidInput, .unprocessable: "Check the input"
        case .tooManyRequests: "Too many requests"
        case .unavailable: "Temporarily unavailable"
        default: "Something went wrong"
        }
    }

    /// The field a service error names and its reason, for showing it next to that field.
    static func fieldError(_ error: any ServiceError) -> (field: String, reason: String) {
        let field = error.details["field"] ?? ""
        let prefix = field + ": "
        let reason = error.message.hasPrefix(prefix) ? String(error.message.dropFirst(prefix.count)) : error.message
        return (field, reason)
    }

    /// After a money-moving request (idempotent under the form's key): back to `back` with what happened,
    /// the service's refusal as an error, or word that this form was already sent.
    func moneyRedirect(
        _ result: MoneyResult, back: String, page: PanelRequest, replayed: String, done: ([String: Any]) -> String
    ) throws -> Response {
        let answer = try ViewValue.object(result.body)
        guard (200..<300).contains(result.status) else {
            let message = (answer["error"] as? [String: Any])?["message"] as? String ?? "The request was refused."
            return redirect(to: back, flash: message, error: true, request: page.request)
        }
        return redirect(to: back, flash: result.replayed ? replayed : done(answer), request: page.request)
    }

    func require(_ permission: Permission, _ page: PanelRequest) throws {
        guard page.principal.permissions.contains(permission) else {
            throw PlatformError.forbidden("this account lacks the \(permission.rawValue) right")
        }
    }
}

/// Query-string building for links that keep the current filters.
enum Link {
    static func query(_ values: [(String, String?)]) -> String {
        let parts = values.compactMap { name, value -> String? in
            guard let value, !value.isEmpty else { return nil }
            return name + "=" + (value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "")
        }
        return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
    }

    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// A list's pager: the page, the page count and the links to the pages around it, keeping `filters`.
    static func pager(_ path: String, _ filters: [(String, String?)], page: Int, perPage: Int, total: Int) -> [String: Any] {
        let pages = max(1, (total + perPage - 1) / perPage)
        var pager: [String: Any] = ["page": page, "pages": pages]
        if page > 1 { pager["prev_href"] = path + query(filters + [("page", String(page - 1))]) }
        if page < pages { pager["next_href"] = path + query(filters + [("page", String(page + 1))]) }
        return pager
    }

    /// `[{value, label, selected}]` for a `<select>`.
    static func options(_ items: [(value: String, label: String)], selected: String?) -> [[String: Any]] {
        items.map { ["value": $0.value, "label": $0.label, "selected": $0.value == selected] }
    }
}
