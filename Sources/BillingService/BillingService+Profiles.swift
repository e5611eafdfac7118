import Foundation
import Platform

extension BillingService {
    /// Billing profiles are the admin's; every operator reads them (monthly customers name one).
    package func listBillingProfiles(for principal: Principal, page: PageRequest) async throws -> Page<BillingProfile> {
        try await database.withTenantTransaction(principal.tenantScope) { try await catalog.billingProfiles(page: page, on: $0) }
    }

    package func billingProfile(id: Int64, for principal: Principal) async throws -> BillingProfile {
        let profile = try await database.withTenantTransaction(principal.tenantScope) { try await catalog.billingProfile(id: id, on: $0) }
        guard let profile else { throw PlatformError.notFound("billing profile") }
        return profile
    }

    package func createBillingProfile(by principal: Principal, _ input: BillingProfileInput) async throws -> BillingProfile {
        try requireAdmin(principal, "billing profiles")
        for (field, given) in [("name", input.name != nil), ("cycle_day", input.cycleDay != nil)] where !given {
            throw PlatformError.unprocessable(field: field, code: "missing_field", reason: "is required")
        }
        let draft = BillingProfile(
            id: 0, name: "", cycleDay: 1, dueDays: 7, graceDays: 3, autoInvoice: true, autoSuspend: true, autoReactivate: true,
            cycleEndsWithMonth: false, vatProfileID: nil, createdAt: Date(), updatedAt: Date()
        )
        let profile = try Self.merged(draft, with: input)
        let saved = try await database.withPlatformTransaction { try await catalog.saveBillingProfile(profile, isNew: true, on: $0) }
        guard let saved else { throw PlatformError.internalError("billing profile insert returned nothing") }
        return saved
    }

    package func updateBillingProfile(id: Int64, by principal: Principal, _ input: BillingProfileInput) async throws -> BillingProfile {
        try requireAdmin(principal, "billing profiles")
        return try await database.withPlatformTransaction { connection in
            guard let current = try await catalog.billingProfile(id: id, on: connection),
                  let saved = try await catalog.saveBillingProfile(try Self.merged(current, with: input), isNew: false, on: connection)
            else { throw PlatformError.notFound("billing profile") }
            return saved
        }
    }

    package func deleteBillingProfile(id: Int64, by principal: Principal) async throws {
        try requireAdmin(principal, "billing profiles")
        let deleted = try await database.withPlatformTransaction { try await catalog.deleteBillingProfile(id: id, on: $0) }
        guard deleted else { throw PlatformError.notFound("billing profile") }
    }

    package func vatProfiles(for principal: Principal) async throws -> [VATProfile] {
        try await database.withTenantTransaction(principal.tenantScope) { try await catalog.vatProfiles(on: $0) }
    }

    static func merged(_ current: BillingProfile, with input: BillingProfileInput) throws -> BillingProfile {
        var profile = current
        if let name = input.name { profile.name = try Validate.text(name, field: "name", max: 100) }
        if let day = input.cycleDay {
            guard (1...28).contains(day) else { throw PlatformError.invalidInput(field: "cycle_day", reason: "must be 1-28") }
            profile.cycleDay = day
        }
        if let days = input.dueDays {
            guard (0...90).contains(days) else { throw PlatformError.invalidInput(field: "due_days", reason: "must be 0-90") }
            profile.dueDays = days
        }
        if let days = input.graceDays {
            guard (0...90).contains(days) else { throw PlatformError.invalidInput(field: "grace_days", reason: "must be 0-90") }
            profile.graceDays = days
        }
        if let value = input.autoInvoice { profile.autoInvoice = value }
        if let value = input.autoSuspend { profile.autoSuspend = value }
        if let value = input.autoReactivate { profile.autoReactivate = value }
        if let value = input.cycleEndsWithMonth { profile.cycleEndsWithMonth = value }
        if input.nulls.contains("vat_profile_id") { profile.vatProfileID = nil } else if let id = input.vatProfileID { profile.vatProfileID = id }
        return profile
    }
}
