import Foundation
import Hummingbird
import Platform

/// `/api/v1/zones`, `/api/v1/custom-fields` (customers and devices join here as they are built).
package struct CustomerRoutes: Sendable {
    let customers: CustomerService

    package init(customers: CustomerService) { self.customers = customers }

    package func register(on api: RouterGroup<AppRequestContext>) {
        api.get("zones", use: listZones)
        api.post("zones", use: createZone)
        api.get("zones/{id}", use: zone)
        api.patch("zones/{id}", use: updateZone)
        api.delete("zones/{id}", use: deleteZone)

        api.get("custom-fields", use: listCustomFields)
        api.post("custom-fields", use: createCustomField)
        api.get("custom-fields/{id}", use: customField)
        api.patch("custom-fields/{id}", use: updateCustomField)
        api.delete("custom-fields/{id}", use: deleteCustomField)
    }

    struct ZoneRequest: Decodable {
        var name: String?
        var description: String?
    }

    @Sendable func listZones(_ request: Request, context: AppRequestContext) async throws -> Page<Zone> {
        let principal = try context.require(.customersRead)
        let query = request.uri.queryParameters
        let page = try PageRequest(page: query.get("page"), perPage: query.get("per_page"))
        return try await customers.listZones(for: principal, search: query.get("q"), page: page)
    }

    @Sendable func zone(_ request: Request, context: AppRequestContext) async throws -> Zone {
        let principal = try context.require(.customersRead)
        return try await customers.zone(id: try context.parameters.requireID("id"), for: principal)
    }

    @Sendable func createZone(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Zone> {
        let principal = try context.require(.customersWrite)
        let body = try await request.decodeBody(as: ZoneRequest.self, context: context)
        guard let name = body.name else { throw PlatformError.invalidInput(field: "name", reason: "is required") }
        let zone = try await customers.createZone(by: principal, name: name, description: body.description)
        return EditedResponse(status: .created, response: zone)
    }

    @Sendable func updateZone(_ request: Request, context: AppRequestContext) async throws -> Zone {
        let principal = try context.require(.customersWrite)
        let id = try context.parameters.requireID("id")
        let body = try await request.decodeBody(as: ZoneRequest.self, context: context)
        return try await customers.updateZone(id: id, by: principal, name: body.name, description: body.description)
    }

    @Sendable func deleteZone(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let principal = try context.require(.customersWrite)
        try await customers.deleteZone(id: try context.parameters.requireID("id"), by: principal)
        return .noContent
    }

    struct CustomFieldRequest: Decodable {
        var key: String?
        var name: String?
        var type: String?
        var options: [String]?
        var required: Bool?
        var order: Int?

        var input: CustomFieldInput {
            CustomFieldInput(key: key, name: name, type: type, options: options, required: required, order: order)
        }
    }

    @Sendable func listCustomFields(_ request: Request, context: AppRequestContext) async throws -> Page<CustomField> {
        let principal = try context.require(.customersRead)
        let query = request.uri.queryParameters
        return try await customers.listCustomFields(for: principal, page: try PageRequest(page: query.get("page"), perPage: query.get("per_page")))
    }

    @Sendable func customField(_ request: Request, context: AppRequestContext) async throws -> CustomField {
        let principal = try context.require(.customersRead)
        return try await customers.customField(id: try context.parameters.requireID("id"), for: principal)
    }

    @Sendable func createCustomField(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<CustomField> {
        let principal = try context.require(.customersWrite)
        let body = try await request.decodeBody(as: CustomFieldRequest.self, context: context)
        return EditedResponse(status: .created, response: try await customers.createCustomField(by: principal, body.input))
    }

    @Sendable func updateCustomField(_ request: Request, context: AppRequestContext) async throws -> CustomField {
        let principal = try context.require(.customersWrite)
        let id = try context.parameters.requireID("id")
        let body = try await request.decodeBody(as: CustomFieldRequest.self, context: context)
        return try await customers.updateCustomField(id: id, by: principal, body.input)
    }

    @Sendable func deleteCustomField(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let principal = try context.require(.customersWrite)
        try await customers.deleteCustomField(id: try context.parameters.requireID("id"), by: principal)
        return .noContent
    }
}
