import Foundation
import Hummingbird
import Platform

/// `/api/v1/packages`, `/api/v1/packages/{id}/assignments`, `/api/v1/billing-profiles`, `/api/v1/vat-profiles`.
package struct CatalogRoutes: Sendable {
    let billing: BillingService

    package init(billing: BillingService) { self.billing = billing }

    package func register(on api: RouterGroup<AppRequestContext>) {
        api.get("packages", use: listPackages)
        api.post("packages", use: createPackage)
        api.get("packages/{id}", use: package)
        api.patch("packages/{id}", use: updatePackage)
        api.delete("packages/{id}", use: deletePackage)
        api.get("packages/{id}/assignments", use: assignments)
        api.post("packages/{id}/assignments", use: assign)
        api.delete("packages/{id}/assignments/{operator_id}", use: unassign)

        api.get("billing-profiles", use: listProfiles)
        api.post("billing-profiles", use: createProfile)
        api.get("billing-profiles/{id}", use: profile)
        api.patch("billing-profiles/{id}", use: updateProfile)
        api.delete("billing-profiles/{id}", use: deleteProfile)
        api.get("vat-profiles", use: vatProfiles)
    }

    @Sendable func listPackages(_ request: Request, context: AppRequestContext) async throws -> Page<CatalogPackage> {
        let principal = try context.require(.customersRead)
        let query = request.uri.queryParameters
        let page = try PageRequest(page: query.get("page"), perPage: query.get("per_page"))
        return try await billing.listPackages(for: principal, search: query.get("q"), type: query.get("type"), status: query.get("status"), page: page)
    }

    @Sendable func package(_ request: Request, context: AppRequestContext) async throws -> CatalogPackage {
        let principal = try context.require(.customersRead)
        return try await billing.package(id: try context.parameters.requireID("id"), for: principal)
    }

    @Sendable func createPackage(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<CatalogPackage> {
        let principal = try context.require(.billingWrite)
        let input = try await request.decodeInput(PackageInput.self, context: context)
        return EditedResponse(status: .created, response: try await billing.createPackage(by: principal, input))
    }

    @Sendable func updatePackage(_ request: Request, context: AppRequestContext) async throws -> CatalogPackage {
        let principal = try context.require(.billingWrite)
        let id = try context.parameters.requireID("id")
        return try await billing.updatePackage(id: id, by: principal, try await request.decodeInput(PackageInput.self, context: context))
    }

    @Sendable func deletePackage(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let principal = try context.require(.billingWrite)
        try await billing.deletePackage(id: try context.parameters.requireID("id"), by: principal)
        return .noContent
    }

    struct Assignments: ResponseEncodable {
        var items: [PackageAssignment]
    }

    @Sendable func assignments(_ request: Request, context: AppRequestContext) async throws -> Assignments {
        let principal = try context.require(.customersRead)
        return Assignments(items: try await billing.assignments(packageID: try context.parameters.requireID("id"), for: principal))
    }

    struct AssignRequest: Decodable {
        var resellerID: Int64?
        var operatorID: Int64?
        var price: Int64?

        enum CodingKeys: String, CodingKey {
            case price
            case resellerID = "reseller_id", operatorID = "operator_id"
        }
    }

    @Sendable func assign(_ request: Request, context: AppRequestContext) async throws -> PackageAssignment {
        let principal = try context.require(.billingWrite)
        let id = try context.parameters.requireID("id")
        let body = try await request.decodeBody(as: AssignRequest.self, context: context)
        return try await billing.assign(packageID: id, by: principal, resellerID: body.resellerID, operatorID: body.operatorID, price: body.price)
    }

    @Sendable func unassign(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let principal = try context.require(.billingWrite)
        try await billing.unassign(
            packageID: try context.parameters.requireID("id"), operatorID: try context.parameters.requireID("operator_id"), by: principal
        )
        return .noContent
    }

    @Sendable func listProfiles(_ request: Request, context: AppRequestContext) async throws -> Page<BillingProfile> {
        let principal = try context.require(.customersRead)
        let query = request.uri.queryParameters
        return try await billing.listBillingProfiles(for: principal, page: try PageRequest(page: query.get("page"), perPage: query.get("per_page")))
    }

    @Sendable func profile(_ request: Request, context: AppRequestContext) async throws -> BillingProfile {
        let principal = try context.require(.customersRead)
        return try await billing.billingProfile(id: try context.parameters.requireID("id"), for: principal)
    }

    @Sendable func createProfile(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<BillingProfile> {
        let principal = try context.require(.billingWrite)
        let input = try await request.decodeInput(BillingProfileInput.self, context: context)
        return EditedResponse(status: .created, response: try await billing.createBillingProfile(by: principal, input))
    }

    @Sendable func updateProfile(_ request: Request, context: AppRequestContext) async throws -> BillingProfile {
        let principal = try context.require(.billingWrite)
        let id = try context.parameters.requireID("id")
        return try await billing.updateBillingProfile(id: id, by: principal, try await request.decodeInput(BillingProfileInput.self, context: context))
    }

    @Sendable func deleteProfile(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let principal = try context.require(.billingWrite)
        try await billing.deleteBillingProfile(id: try context.parameters.requireID("id"), by: principal)
        return .noContent
    }

    struct VATProfiles: ResponseEncodable {
        var items: [VATProfile]
    }

    @Sendable func vatProfiles(_ request: Request, context: AppRequestContext) async throws -> VATProfiles {
        let principal = try context.require(.customersRead)
        return VATProfiles(items: try await billing.vatProfiles(for: principal))
    }
}
