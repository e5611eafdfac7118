import Foundation
import Hummingbird
import Platform

/// `GET /api/v1/online-customers` (the caller's online customers from the online view, `online:read`),
/// `GET /api/v1/customers/{id}/sessions` (a customer's session history, `customers:read`, JSON or CSV) and
/// `GET /api/v1/auth-log` (authentications of the caller's customers, `online:read`).
package struct OnlineRoutes: Sendable {
    let provisioning: ProvisioningService

    package init(provisioning: ProvisioningService) { self.provisioning = provisioning }

    package func register(on api: RouterGroup<AppRequestContext>) {
        api.get("online-customers", use: list)
        api.get("customers/{id}/sessions", use: sessions)
        api.get("auth-log", use: authLog)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> JSONBody<OnlineList> {
        let principal = try context.require(.onlineRead)
        let parameters = request.uri.queryParameters
        var query = OnlineQuery()
        query.page = try PageRequest(page: parameters.get("page"), perPage: parameters.get("per_page"))
        if let text = parameters.get("q") {
            guard text.count <= 100 else { throw PlatformError.invalidInput(field: "q", reason: "must be at most 100 characters") }
            query.text = text.trimmingCharacters(in: .whitespaces)
        }
        query.operatorID = try Self.id(parameters.get("operator_id"), field: "operator_id")
        query.zoneID = try Self.id(parameters.get("zone_id"), field: "zone_id")
        query.packageID = try Self.id(parameters.get("package_id"), field: "package_id")
        if let nas = parameters.get("nas") {
            guard (1...64).contains(nas.count) else { throw PlatformError.invalidInput(field: "nas", reason: "must be 1-64 characters") }
            query.nas = nas
        }
        if let sort = parameters.get("sort") {
            guard let value = OnlineQuery.Sort(rawValue: sort) else {
                let allowed = OnlineQuery.Sort.allCases.map(\.rawValue).joined(separator: ", ")
                throw PlatformError.invalidInput(field: "sort", reason: "must be one of: \(allowed)")
            }
            query.sort = value
        }
        return JSONBody(try await provisioning.onlineCustomers(for: principal, query))
    }

    @Sendable func sessions(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.customersRead)
        let parameters = request.uri.queryParameters
        let csv: Bool
        switch parameters.get("format") {
        case nil, "json": csv = false
        case "csv": csv = true
        default: throw PlatformError.invalidInput(field: "format", reason: "must be json or csv")
        }
        let from = try parameters.get("from").map { try Validate.timestamp($0, field: "from") }
        let to = try parameters.get("to").map { try Validate.timestamp($0, field: "to") }
        let history = try await provisioning.sessionHistory(customerID: try context.parameters.requireID("id"), for: principal, from: from, to: to)
        if csv {
            return try RawJSONResponse(bytes: history.csv, contentType: "text/csv; charset=utf-8",
                                       attachmentName: "sessions-\(history.customerID).csv").response(from: request, context: context)
        }
        return try history.response(from: request, context: context)
    }

    @Sendable func authLog(_ request: Request, context: AppRequestContext) async throws -> AuthLogPage {
        let principal = try context.require(.onlineRead)
        let parameters = request.uri.queryParameters
        var query = AuthLogQuery()
        if let username = parameters.get("username") {
            guard (1...64).contains(username.count) else { throw PlatformError.invalidInput(field: "username", reason: "must be 1-64 characters") }
            query.username = username
        }
        if let result = parameters.get("result") {
            guard result == "accept" || result == "reject" else { throw PlatformError.invalidInput(field: "result", reason: "must be accept or reject") }
            query.result = result
        }
        query.from = try parameters.get("from").map { try Validate.timestamp($0, field: "from") }
        query.to = try parameters.get("to").map { try Validate.timestamp($0, field: "to") }
        query.before = try Self.id(parameters.get("before"), field: "before")
        if let limit = parameters.get("limit") {
            guard let value = Int(limit), (1...500).contains(value) else { throw PlatformError.invalidInput(field: "limit", reason: "must be 1-500") }
            query.limit = value
        }
        return try await provisioning.authLog(for: principal, query)
    }

    private static func id(_ text: String?, field: String) throws -> Int64? {
        try text.map { try Validate.positiveID($0, field: field) }
    }
}
