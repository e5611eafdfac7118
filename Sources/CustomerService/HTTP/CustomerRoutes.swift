import Foundation
import Hummingbird
import Platform

/// `/api/v1/customers…`, `/api/v1/devices`, `/api/v1/activity`, `/api/v1/admin/customers…`, `/api/v1/zones`,
/// `/api/v1/custom-fields`.
package struct CustomerRoutes: Sendable {
    let customers: CustomerService

    package init(customers: CustomerService) { self.customers = customers }

    package func register(on api: RouterGroup<AppRequestContext>) {
        ImportRoutes(customers: customers).register(on: api)
        BTRCRoutes(customers: customers).register(on: api)
        api.get("customers", use: listCustomers)
        api.post("customers", use: createCustomer)
        api.get("customers/deleted", use: deletedCustomers)
        api.get("customers/{id}", use: customer)
        api.patch("customers/{id}", use: updateCustomer)
        api.delete("customers/{id}", use: deleteCustomer)
        api.get("customers/{id}/password", use: password)
        for action in CustomerAction.allCases where action != .delete {
            api.post("customers/{id}/\(action.rawValue)") { request, context in try await perform(action, request, context) }
        }
        for action in CustomerRoutes.bulkActions {
            api.post("customers/bulk/\(action.rawValue)") { request, context in try await bulk(action, request, context) }
        }
        api.get("customers/{id}/devices", use: devices)
        api.post("customers/{id}/devices", use: addDevice)
        api.delete("customers/{id}/devices/{device_id}", use: removeDevice)
        api.get("devices", use: allDevices)
        api.get("activity", use: activity)
        api.get("admin/customers", use: adminSearch)
        api.get("admin/customers/{tenant_id}/{id}", use: adminCustomer)

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

    // MARK: Customers

    static let bulkActions: [CustomerAction] = [
        .activate, .suspend, .disable, .delete, .changePackage, .changeOperator, .changeBillingProfile, .restore,
    ]

    static func actor(_ context: AppRequestContext, _ permission: Permission) throws -> Actor {
        Actor(principal: try context.require(permission), requestID: context.requestID, clientIP: context.clientIP)
    }

    @Sendable func listCustomers(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.customersRead)
        let query = request.uri.queryParameters
        var custom: [String: String] = [:]
        for (key, value) in query where key.hasPrefix("cf.") {
            custom[String(key.dropFirst(3))] = String(value)
        }
        switch query.get("format") {
        case nil, "json": break
        case "csv":
            let bytes = try await customers.exportCustomers(
                for: principal, search: query.get("q"), status: query.get("status"), type: query.get("type"), zoneID: query.get("zone_id"),
                packageID: query.get("package_id"), operatorID: query.get("operator_id"), custom: custom, sort: query.get("sort")
            )
            return try RawJSONResponse(bytes: bytes, contentType: "text/csv; charset=utf-8", attachmentName: "customers.csv")
                .response(from: request, context: context)
        default: throw PlatformError.invalidInput(field: "format", reason: "must be json or csv")
        }
        return try JSONBody(try await customers.listCustomers(
            for: principal, search: query.get("q"), status: query.get("status"), type: query.get("type"), zoneID: query.get("zone_id"),
            packageID: query.get("package_id"), operatorID: query.get("operator_id"), custom: custom, sort: query.get("sort"),
            page: try PageRequest(page: query.get("page"), perPage: query.get("per_page"))
        )).response(from: request, context: context)
    }

    @Sendable func createCustomer(_ request: Request, context: AppRequestContext) async throws -> JSONBody<Customer> {
        let actor = try Self.actor(context, .customersWrite)
        let input = try await request.decodeInput(CustomerInput.self, context: context)
        return JSONBody(try await customers.createCustomer(by: actor, input), status: .created)
    }

    @Sendable func customer(_ request: Request, context: AppRequestContext) async throws -> JSONBody<Customer> {
        let principal = try context.require(.customersRead)
        return JSONBody(try await customers.customer(id: try context.parameters.requireID("id"), for: principal))
    }

    @Sendable func updateCustomer(_ request: Request, context: AppRequestContext) async throws -> JSONBody<Customer> {
        let actor = try Self.actor(context, .customersWrite)
        let id = try context.parameters.requireID("id")
        let input = try await request.decodeInput(CustomerInput.self, context: context)
        return JSONBody(try await customers.updateCustomer(id: id, by: actor, input))
    }

    @Sendable func deleteCustomer(_ request: Request, context: AppRequestContext) async throws -> JSONBody<Customer> {
        let actor = try Self.actor(context, .customersWrite)
        return JSONBody(try await customers.perform(.delete, id: try context.parameters.requireID("id"), by: actor, ActionInput()).0)
    }

    @Sendable func deletedCustomers(_ request: Request, context: AppRequestContext) async throws -> JSONBody<CustomerPage> {
        let principal = try context.require(.customersRead)
        let query = request.uri.queryParameters
        return JSONBody(try await customers.deletedCustomers(
            for: principal, search: query.get("q"), page: try PageRequest(page: query.get("page"), perPage: query.get("per_page"))
        ))
    }

    struct PasswordResponse: ResponseEncodable {
        var password: String?
    }

    @Sendable func password(_ request: Request, context: AppRequestContext) async throws -> PasswordResponse {
        let actor = try Self.actor(context, .customersWrite)
        return PasswordResponse(password: try await customers.customerPassword(id: try context.parameters.requireID("id"), by: actor))
    }

    struct ActionRequest: PartialInput {
        var ids: [Int64]?
        var reason: String?
        var packageID: Int64?
        var operatorID: Int64?
        var billingProfileID: Int64?
        var password: String?
        var suspendDate: String?
        var nulls: Set<String> = []

        enum CodingKeys: String, CodingKey {
            case ids, reason, password
            case packageID = "package_id", operatorID = "operator_id", billingProfileID = "billing_profile_id", suspendDate = "suspend_date"
        }

        var input: ActionInput {
            let date: String?? = nulls.contains("suspend_date") ? .some(nil) : suspendDate.map { .some($0) }
            return ActionInput(
                reason: reason, packageID: packageID, operatorID: operatorID, billingProfileID: billingProfileID, password: password,
                suspendDate: date
            )
        }
    }

    /// The customer after an action; reset-password adds `{"customer": …, "password": …}`, the password
    /// shown this once.
    struct ActionResponse: JSONWritable {
        var customer: Customer
        var password: String?

        func writeJSON(to out: inout JSONOutput) {
            guard let password else { return customer.writeJSON(to: &out) }
            out.object { out in
                out.key("customer")
                customer.writeJSON(to: &out)
                out.key("password")
                out.string(password)
            }
        }
    }

    func perform(_ action: CustomerAction, _ request: Request, _ context: AppRequestContext) async throws -> JSONBody<ActionResponse> {
        let actor = try Self.actor(context, .customersWrite)
        let id = try context.parameters.requireID("id")
        let body = try await request.decodeInput(ActionRequest.self, context: context, emptyBody: ActionRequest())
        let (customer, password) = try await customers.perform(action, id: id, by: actor, body.input)
        return JSONBody(ActionResponse(customer: customer, password: password))
    }

    func bulk(_ action: CustomerAction, _ request: Request, _ context: AppRequestContext) async throws -> BulkOutcome {
        let actor = try Self.actor(context, .customersWrite)
        let body = try await request.decodeInput(ActionRequest.self, context: context, emptyBody: ActionRequest())
        guard let ids = body.ids else { throw PlatformError.invalidInput(field: "ids", reason: "is required") }
        return try await customers.performBulk(action, ids: ids, by: actor, body.input)
    }

    // MARK: Devices and activity

    struct DeviceRequest: Decodable {
        var mac: String?
        var label: String?
    }

    struct Devices: ResponseEncodable {
        var items: [Device]
    }

    @Sendable func devices(_ request: Request, context: AppRequestContext) async throws -> Devices {
        let principal = try context.require(.customersRead)
        return Devices(items: try await customers.devices(customerID: try context.parameters.requireID("id"), for: principal))
    }

    @Sendable func addDevice(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Device> {
        let actor = try Self.actor(context, .customersWrite)
        let id = try context.parameters.requireID("id")
        let body = try await request.decodeBody(as: DeviceRequest.self, context: context)
        return EditedResponse(status: .created, response: try await customers.addDevice(customerID: id, by: actor, mac: body.mac, label: body.label))
    }

    @Sendable func removeDevice(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let actor = try Self.actor(context, .customersWrite)
        try await customers.removeDevice(
            customerID: try context.parameters.requireID("id"), deviceID: try context.parameters.requireID("device_id"), by: actor
        )
        return .noContent
    }

    @Sendable func allDevices(_ request: Request, context: AppRequestContext) async throws -> Page<Device> {
        let principal = try context.require(.customersRead)
        let query = request.uri.queryParameters
        return try await customers.allDevices(
            for: principal, search: query.get("q"), page: try PageRequest(page: query.get("page"), perPage: query.get("per_page"))
        )
    }

    @Sendable func activity(_ request: Request, context: AppRequestContext) async throws -> Page<ActivityEntry> {
        let principal = try context.require(.customersRead)
        let query = request.uri.queryParameters
        return try await customers.activity(
            for: principal, customerID: query.get("customer_id"), actor: query.get("actor"), action: query.get("action"),
            from: query.get("from"), to: query.get("to"), page: try PageRequest(page: query.get("page"), perPage: query.get("per_page"))
        )
    }

    @Sendable func adminSearch(_ request: Request, context: AppRequestContext) async throws -> Page<AdminCustomerHit> {
        let principal = try context.require(.customersRead)
        let query = request.uri.queryParameters
        return try await customers.adminSearch(
            by: principal, search: query.get("q"), tenantID: query.get("tenant_id"), status: query.get("status"),
            page: try PageRequest(page: query.get("page"), perPage: query.get("per_page"))
        )
    }

    @Sendable func adminCustomer(_ request: Request, context: AppRequestContext) async throws -> JSONBody<Customer> {
        let actor = try Self.actor(context, .customersRead)
        return JSONBody(try await customers.adminCustomer(
            tenantID: try context.parameters.requireID("tenant_id"), id: try context.parameters.requireID("id"), by: actor
        ))
    }
}
