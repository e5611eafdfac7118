import Foundation
import Hummingbird
import Platform

/// `/api/v1/provisioning/failed`, `/api/v1/customers/{id}/reprovision`, `/api/v1/customers/{id}/disconnect`.
package struct ProvisioningRoutes: Sendable {
    let provisioning: ProvisioningService

    package init(provisioning: ProvisioningService) { self.provisioning = provisioning }

    package func register(on api: RouterGroup<AppRequestContext>) {
        api.get("provisioning/failed", use: failures)
        api.post("customers/{id}/reprovision", use: reprovision)
        api.post("customers/{id}/disconnect", use: disconnect)
    }

    /// What a reprovision answers: the job is queued, not yet done.
    struct Queued: Codable, Sendable, ResponseEncodable {
        var customerID: Int64
        var state: String

        enum CodingKeys: String, CodingKey {
            case state
            case customerID = "customer_id"
        }
    }

    @Sendable func failures(_ request: Request, context: AppRequestContext) async throws -> Page<ProvisioningFailure> {
        let principal = try context.require(.customersRead)
        let query = request.uri.queryParameters
        let page = try PageRequest(page: query.get("page"), perPage: query.get("per_page"))
        return try await provisioning.failures(for: principal, page: page)
    }

    @Sendable func disconnect(_ request: Request, context: AppRequestContext) async throws -> DisconnectReport {
        let actor = Actor(principal: try context.require(.customersWrite), requestID: context.requestID, clientIP: context.clientIP)
        return try await provisioning.disconnect(customerID: try context.parameters.requireID("id"), by: actor)
    }

    @Sendable func reprovision(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Queued> {
        let actor = Actor(principal: try context.require(.customersWrite), requestID: context.requestID, clientIP: context.clientIP)
        let id = try context.parameters.requireID("id")
        try await provisioning.reprovision(customerID: id, by: actor)
        return EditedResponse(status: .accepted, response: Queued(customerID: id, state: "pending"))
    }
}
