import Foundation
import Hummingbird
import Platform

/// `GET /api/v1/online-customers`: the caller's online customers from the online view (`online:read`).
package struct OnlineRoutes: Sendable {
    let provisioning: ProvisioningService

    package init(provisioning: ProvisioningService) { self.provisioning = provisioning }

    package func register(on api: RouterGroup<AppRequestContext>) {
        api.get("online-customers", use: list)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> OnlineList {
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
        return try await provisioning.onlineCustomers(for: principal, query)
    }

    private static func id(_ text: String?, field: String) throws -> Int64? {
        guard let text else { return nil }
        guard let value = Int64(text), value > 0 else { throw PlatformError.invalidInput(field: field, reason: "must be a positive integer") }
        return value
    }
}
