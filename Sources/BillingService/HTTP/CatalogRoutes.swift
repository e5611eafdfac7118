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

    struct PackageRequest: Decodable {
        var name: String?
        var customerType: String?
        var downloadKbps: Int?
        var uploadKbps: Int?
        var burst: CatalogPackage.Burst?
        var timeLimitMinutes: Int?
        var dataLimitMB: Int64?
        var validityDays: Int?
        var validityHours: Int?
        var ipPool: String?
        var suspendedPool: String?
        var pppProfile: String?
        var price: Int64?
        var vatProfileID: Int64?
        var visibility: String?
        var status: String?

        enum CodingKeys: String, CodingKey {
            case name, burst, price, visibility, status
            case customerType = "customer_type", downloadKbps = "download_kbps", uploadKbps = "upload_kbps"
            case timeLimitMinutes = "time_limit_minutes", dataLimitMB = "data_limit_mb"
            case validityDays = "validity_days", validityHours = "validity_hours"
            case ipPool = "ip_pool", suspendedPool = "suspended_pool", pppProfile = "ppp_profile"
            case vatProfileID = "vat_profile_id"
        }

        func input(nulls: Set<String>) -> PackageInput {
            var input = PackageInput()
            input.name = name
            input.customerType = customerType
            input.downloadKbps = downloadKbps
            input.uploadKbps = uploadKbps
            input.burst = burst
            input.timeLimitMinutes = timeLimitMinutes
            input.dataLimitMB = dataLimitMB
            input.validityDays = validityDays
            input.validityHours = validityHours
            input.ipPool = ipPool
            input.suspendedPool = suspendedPool
            input.pppProfile = pppProfile
            input.price = price
            input.vatProfileID = vatProfileID
            input.visibility = visibility
            input.status = status
            input.nulls = nulls
            return input
        }
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
        let body = try await request.decodePatch(as: PackageRequest.self, context: context)
        return EditedResponse(status: .created, response: try await billing.createPackage(by: principal, body.value.input(nulls: body.nulls)))
    }

    @Sendable func updatePackage(_ request: Request, context: AppRequestContext) async throws -> CatalogPackage {
        let principal = try context.require(.billingWrite)
        let id = try context.parameters.requireID("id")
        let body = try await request.decodePatch(as: PackageRequest.self, context: context)
        return try await billing.updatePackage(id: id, by: principal, body.value.input(nulls: body.nulls))
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

    struct ProfileRequest: Decodable {
        var name: String?
        var cycleDay: Int?
        var dueDays: Int?
        var graceDays: Int?
        var autoInvoice: Bool?
        var autoSuspend: Bool?
        var autoReactivate: Bool?
        var cycleEndsWithMonth: Bool?
        var vatProfileID: Int64?

        enum CodingKeys: String, CodingKey {
            case name
            case cycleDay = "cycle_day", dueDays = "due_days", graceDays = "grace_days"
            case autoInvoice = "auto_invoice", autoSuspend = "auto_suspend", autoReactivate = "auto_reactivate"
            case cycleEndsWithMonth = "cycle_ends_with_month", vatProfileID = "vat_profile_id"
        }

        func input(nulls: Set<String>) -> BillingProfileInput {
            var input = BillingProfileInput()
            input.name = name
            input.cycleDay = cycleDay
            input.dueDays = dueDays
            input.graceDays = graceDays
            input.autoInvoice = autoInvoice
            input.autoSuspend = autoSuspend
            input.autoReactivate = autoReactivate
            input.cycleEndsWithMonth = cycleEndsWithMonth
            input.vatProfileID = vatProfileID
            input.nulls = nulls
            return input
        }
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
        let body = try await request.decodePatch(as: ProfileRequest.self, context: context)
        return EditedResponse(status: .created, response: try await billing.createBillingProfile(by: principal, body.value.input(nulls: body.nulls)))
    }

    @Sendable func updateProfile(_ request: Request, context: AppRequestContext) async throws -> BillingProfile {
        let principal = try context.require(.billingWrite)
        let id = try context.parameters.requireID("id")
        let body = try await request.decodePatch(as: ProfileRequest.self, context: context)
        return try await billing.updateBillingProfile(id: id, by: principal, body.value.input(nulls: body.nulls))
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
