import Foundation
import Hummingbird
import Platform

/// `/api/v1/routers`, `/api/v1/routers/{id}`, `/api/v1/routers/{id}/test`, `/api/v1/routers/{id}/configure`,
/// `/api/v1/routers/{id}/assignments`.
/// Reading needs `customers:read` (resellers see the routers assigned to them); changing needs the admin
/// with `customers:write`.
package struct RouterRoutes: Sendable {
    let provisioning: ProvisioningService

    package init(provisioning: ProvisioningService) { self.provisioning = provisioning }

    package func register(on api: RouterGroup<AppRequestContext>) {
        api.get("routers", use: list)
        api.post("routers", use: create)
        api.get("routers/{id}", use: router)
        api.patch("routers/{id}", use: update)
        api.delete("routers/{id}", use: delete)
        api.post("routers/{id}/test", use: test)
        api.post("routers/{id}/configure", use: configure)
        api.put("routers/{id}/assignments", use: assign)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Page<NASRouter> {
        let principal = try context.require(.customersRead)
        let query = request.uri.queryParameters
        let page = try PageRequest(page: query.get("page"), perPage: query.get("per_page"))
        return try await provisioning.routers(for: principal, page: page)
    }

    @Sendable func router(_ request: Request, context: AppRequestContext) async throws -> NASRouter {
        let principal = try context.require(.customersRead)
        return try await provisioning.router(id: try context.parameters.requireID("id"), for: principal)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<NASRouter> {
        let principal = try context.require(.customersWrite)
        let input = try await request.decodeInput(RouterInput.self, context: context)
        return EditedResponse(status: .created, response: try await provisioning.createRouter(by: principal, input))
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> NASRouter {
        let principal = try context.require(.customersWrite)
        let id = try context.parameters.requireID("id")
        return try await provisioning.updateRouter(id: id, by: principal, try await request.decodeInput(RouterInput.self, context: context))
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let principal = try context.require(.customersWrite)
        try await provisioning.deleteRouter(id: try context.parameters.requireID("id"), by: principal)
        return .noContent
    }

    @Sendable func test(_ request: Request, context: AppRequestContext) async throws -> NASRouter {
        let principal = try context.require(.customersWrite)
        return try await provisioning.testRouter(id: try context.parameters.requireID("id"), by: principal)
    }

    /// The body is optional: pool ranges to store before the push.
    struct ConfigureRequest: Decodable {
        var pools: [PoolInput]?
    }

    @Sendable func configure(_ request: Request, context: AppRequestContext) async throws -> RouterConfigureReport {
        let principal = try context.require(.customersWrite)
        let id = try context.parameters.requireID("id")
        let (body, _) = try await request.decodeBodyAndBytes(as: ConfigureRequest.self, context: context)
        return try await provisioning.configureRouter(id: id, pools: body.pools ?? [], by: principal)
    }

    struct AssignmentsRequest: Decodable {
        var tenantIDs: [Int64]

        enum CodingKeys: String, CodingKey {
            case tenantIDs = "tenant_ids"
        }
    }

    @Sendable func assign(_ request: Request, context: AppRequestContext) async throws -> NASRouter {
        let principal = try context.require(.customersWrite)
        let id = try context.parameters.requireID("id")
        let body = try await request.decodeBody(as: AssignmentsRequest.self, context: context)
        return try await provisioning.assignRouter(id: id, tenantIDs: body.tenantIDs, by: principal)
    }
}
