import Foundation
import Platform

/// What a create or update request asks for; nil fields are left as they are on update.
package struct CustomFieldInput: Sendable {
    package var key: String?
    package var name: String?
    package var type: String?
    package var options: [String]?
    package var required: Bool?
    package var order: Int?

    package init(key: String?, name: String?, type: String?, options: [String]?, required: Bool?, order: Int?) {
        self.key = key
        self.name = name
        self.type = type
        self.options = options
        self.required = required
        self.order = order
    }
}

extension CustomerService {
    package func listCustomFields(for principal: Principal, page: PageRequest) async throws -> Page<CustomField> {
        try await database.withTenantTransaction(principal.tenantScope) { connection in
            try await customFields.list(page: page, on: connection)
        }
    }

    package func customField(id: Int64, for principal: Principal) async throws -> CustomField {
        let field = try await database.withTenantTransaction(principal.tenantScope) { connection in
            try await customFields.field(id: id, on: connection)
        }
        guard let field else { throw PlatformError.notFound("custom field") }
        return field
    }

    /// Defines a field. The key defaults to one made from the name; a select field needs its options.
    package func createCustomField(by principal: Principal, _ input: CustomFieldInput) async throws -> CustomField {
        try requireTenantOwner(principal, "custom fields")
        guard let rawName = input.name else { throw PlatformError.invalidInput(field: "name", reason: "is required") }
        let name = try Validate.text(rawName, field: "name", max: 100)
        guard let rawType = input.type else { throw PlatformError.invalidInput(field: "type", reason: "is required") }
        guard let type = CustomField.FieldType(rawValue: rawType) else {
            throw PlatformError.invalidInput(field: "type", reason: "must be one of \(CustomField.FieldType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let key: String
        if let given = input.key {
            key = try CustomField.validateKey(given)
        } else if let derived = CustomField.key(from: name) {
            key = derived
        } else {
            throw PlatformError.invalidInput(field: "key", reason: "is required when the name has no latin letters")
        }
        let options = try validatedOptions(input.options ?? [], for: type)
        let order = try validatedOrder(input.order) ?? 0
        return try await database.withTenantTransaction(principal.tenantScope) { connection in
            try await customFields.insert(
                key: key, name: name, type: type, options: options, required: input.required ?? false, order: order, on: connection
            )
        }
    }

    /// Changes name, options (select fields), required or order. Key and type never change: stored values
    /// depend on them. A field made required later binds customers only when they are next edited.
    package func updateCustomField(id: Int64, by principal: Principal, _ input: CustomFieldInput) async throws -> CustomField {
        try requireTenantOwner(principal, "custom fields")
        if input.key != nil { throw PlatformError.invalidInput(field: "key", reason: "cannot change; delete the field and add a new one") }
        if input.type != nil { throw PlatformError.invalidInput(field: "type", reason: "cannot change; delete the field and add a new one") }
        let name = try input.name.map { try Validate.text($0, field: "name", max: 100) }
        let order = try validatedOrder(input.order)
        guard name != nil || input.options != nil || input.required != nil || order != nil else {
            throw PlatformError.invalidInput(field: "body", reason: "nothing to change: give name, options, required and/or order")
        }
        let field = try await database.withTenantTransaction(principal.tenantScope) { connection in
            guard let current = try await customFields.field(id: id, on: connection) else { return CustomField?.none }
            let options = try input.options.map { try validatedOptions($0, for: current.type) }
            return try await customFields.update(id: id, name: name, options: options, required: input.required, order: order, on: connection)
        }
        guard let field else { throw PlatformError.notFound("custom field") }
        return field
    }

    /// Deletes a field and (once customers exist) every value of it.
    package func deleteCustomField(id: Int64, by principal: Principal) async throws {
        try requireTenantOwner(principal, "custom fields")
        let deleted = try await database.withTenantTransaction(principal.tenantScope) { connection in
            try await customFields.delete(id: id, on: connection)
        }
        guard deleted else { throw PlatformError.notFound("custom field") }
    }

    private func validatedOptions(_ options: [String], for type: CustomField.FieldType) throws -> [String] {
        if type == .select { return try CustomField.validateOptions(options) }
        guard options.isEmpty else { throw PlatformError.invalidInput(field: "options", reason: "only select fields have options") }
        return []
    }

    private func validatedOrder(_ order: Int?) throws -> Int? {
        guard let order else { return nil }
        guard (0...10_000).contains(order) else { throw PlatformError.invalidInput(field: "order", reason: "must be 0-10000") }
        return order
    }
}
