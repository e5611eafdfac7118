import Foundation
import Platform

extension CustomerService {
    /// Zones of the caller's tenant, by name; `search` matches any part of the name, case-insensitively.
    package func listZones(for principal: Principal, search: String?, page: PageRequest) async throws -> Page<Zone> {
        let search = try search.map { try Validate.text($0, field: "q", max: 100) }
        return try await database.withTenantTransaction(principal.tenantScope) { connection in
            try await zones.list(search: search, page: page, on: connection)
        }
    }

    package func zone(id: Int64, for principal: Principal) async throws -> Zone {
        let zone = try await database.withTenantTransaction(principal.tenantScope) { connection in
            try await zones.zone(id: id, on: connection)
        }
        guard let zone else { throw PlatformError.notFound("zone") }
        return zone
    }

    package func createZone(by principal: Principal, name: String, description: String?) async throws -> Zone {
        try requireTenantOwner(principal, "zones")
        let name = try Validate.text(name, field: "name", max: 100)
        let description = try description.map { try Validate.text($0, field: "description", max: 1000) }
        return try await database.withTenantTransaction(principal.tenantScope) { connection in
            try await zones.insert(name: name, description: description, on: connection)
        }
    }

    /// Renames a zone and/or sets its description (an empty description clears it).
    package func updateZone(id: Int64, by principal: Principal, name: String?, description: String?) async throws -> Zone {
        try requireTenantOwner(principal, "zones")
        let name = try name.map { try Validate.text($0, field: "name", max: 100) }
        let newDescription: String?? = try description.map { text in
            text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? String?.none : try Validate.text(text, field: "description", max: 1000)
        }
        guard name != nil || newDescription != nil else {
            throw PlatformError.invalidInput(field: "body", reason: "nothing to change: give name and/or description")
        }
        let zone = try await database.withTenantTransaction(principal.tenantScope) { connection in
            try await zones.update(id: id, name: name, description: newDescription, on: connection)
        }
        guard let zone else { throw PlatformError.notFound("zone") }
        return zone
    }

    /// Deletes a zone; customers in it keep everything but the zone (cleared in the same transaction).
    package func deleteZone(id: Int64, by principal: Principal) async throws {
        try requireTenantOwner(principal, "zones")
        let deleted = try await database.withTenantTransaction(principal.tenantScope) { connection in
            try await zones.delete(id: id, on: connection)
        }
        guard deleted else { throw PlatformError.notFound("zone") }
    }

    /// Zones and custom fields are the tenant's: its owner (and the admin in its own tenant) manages them,
    /// sub-resellers read them.
    func requireTenantOwner(_ principal: Principal, _ what: String) throws {
        guard principal.role != .subReseller else {
            throw PlatformError.forbidden("only the tenant's owner manages \(what)")
        }
    }
}
