import Foundation
import Platform
import PostgresNIO

extension BillingService {
    /// The admin sees every package; a reseller or sub-reseller only those assigned to it, with its operator price.
    package func listPackages(
        for principal: Principal, search: String?, type: String?, status: String?, page: PageRequest
    ) async throws -> Page<CatalogPackage> {
        let search = try search.map { try Validate.text($0, field: "q", max: 100) }
        let type = try type.map { try Self.customerType($0, field: "type").rawValue }
        let status = try status.map { text in
            guard let status = CatalogPackage.Status(rawValue: text) else {
                throw PlatformError.invalidInput(field: "status", reason: "must be active or archived")
            }
            return status.rawValue
        }
        if principal.isAdmin {
            return try await database.withPlatformTransaction { connection in
                try await catalog.packages(assignedTo: nil, search: search, type: type, status: status, page: page, on: connection)
            }
        }
        return try await database.withTenantTransaction(principal.tenantScope) { connection in
            try await catalog.packages(assignedTo: principal.operatorID, search: search, type: type, status: status, page: page, on: connection)
        }
    }

    package func package(id: Int64, for principal: Principal) async throws -> CatalogPackage {
        let package = try await principal.isAdmin
            ? database.withPlatformTransaction { try await catalog.package(id: id, assignedTo: nil, on: $0) }
            : database.withTenantTransaction(principal.tenantScope) { try await catalog.package(id: id, assignedTo: principal.operatorID, on: $0) }
        guard let package else { throw PlatformError.notFound("package") }
        return package
    }

    package func createPackage(by principal: Principal, _ input: PackageInput) async throws -> CatalogPackage {
        try requireAdmin(principal, "packages")
        guard let typeText = input.customerType else {
            throw PlatformError.unprocessable(field: "customer_type", code: "missing_field", reason: "is required")
        }
        let draft = CatalogPackage(
            id: 0, name: "", customerType: try Self.customerType(typeText, field: "customer_type"), downloadKbps: 0, uploadKbps: 0,
            burst: nil, timeLimitMinutes: nil, dataLimitMB: nil, validityDays: nil, validityHours: nil, ipPool: nil,
            suspendedPool: nil, pppProfile: nil, price: -1, currency: "BDT", vatProfileID: nil, visibility: .public, status: .active,
            operatorPrice: nil, createdAt: Date(), updatedAt: Date()
        )
        for (field, given) in [("name", input.name != nil), ("download_kbps", input.downloadKbps != nil), ("upload_kbps", input.uploadKbps != nil), ("price", input.price != nil)] where !given {
            throw PlatformError.unprocessable(field: field, code: "missing_field", reason: "is required")
        }
        let package = try Self.merged(draft, with: input)
        return try await database.withPlatformTransaction { connection in
            try await catalog.insertPackage(package, on: connection)
        }
    }

    package func updatePackage(id: Int64, by principal: Principal, _ input: PackageInput) async throws -> CatalogPackage {
        try requireAdmin(principal, "packages")
        return try await database.withPlatformTransaction { connection in
            guard let current = try await catalog.package(id: id, assignedTo: nil, on: connection) else {
                throw PlatformError.notFound("package")
            }
            if let type = input.customerType, type != current.customerType.rawValue {
                throw PlatformError.invalidInput(field: "customer_type", reason: "cannot change; create a new package instead")
            }
            guard let updated = try await catalog.updatePackage(try Self.merged(current, with: input), on: connection) else {
                throw PlatformError.notFound("package")
            }
            return updated
        }
    }

    /// Deletes a package nobody uses; one in use answers 409 (archive it instead).
    package func deletePackage(id: Int64, by principal: Principal) async throws {
        try requireAdmin(principal, "packages")
        let deleted = try await database.withPlatformTransaction { try await catalog.deletePackage(id: id, on: $0) }
        guard deleted else { throw PlatformError.notFound("package") }
    }

    // MARK: Assignments

    /// The admin sees every assignment of the package; a tenant owner its own and its sub-resellers'; a
    /// sub-reseller its own (404 when the package is not assigned to it).
    package func assignments(packageID: Int64, for principal: Principal) async throws -> [PackageAssignment] {
        if principal.isAdmin {
            return try await database.withPlatformTransaction { connection in
                guard try await catalog.package(id: packageID, assignedTo: nil, on: connection) != nil else { throw PlatformError.notFound("package") }
                return try await catalog.assignments(packageID: packageID, on: connection)
            }
        }
        return try await database.withTenantTransaction(principal.tenantScope) { connection in
            guard try await catalog.package(id: packageID, assignedTo: principal.operatorID, on: connection) != nil else {
                throw PlatformError.notFound("package")
            }
            return try await catalog.assignments(packageID: packageID, on: connection)
        }
    }

    /// Assigns a package (or changes the price): the admin to a reseller (`resellerID`, a tenant id), a tenant
    /// owner to one of its sub-resellers (`operatorID`) — only a package assigned to that owner.
    package func assign(
        packageID: Int64, by principal: Principal, resellerID: Int64?, operatorID: Int64?, price: Int64?
    ) async throws -> PackageAssignment {
        guard principal.role != .subReseller else { throw PlatformError.forbidden("sub-resellers cannot assign packages") }
        guard let price else { throw PlatformError.unprocessable(field: "price", code: "missing_field", reason: "is required") }
        guard (0...Self.maxPrice).contains(price) else {
            throw PlatformError.invalidInput(field: "price", reason: "must be 0-\(Self.maxPrice) minor units")
        }
        switch (resellerID, operatorID) {
        case (let resellerID?, nil):
            try requireAdmin(principal, "assignments to resellers")
            return try await database.withPlatformTransaction { connection in
                guard try await catalog.package(id: packageID, assignedTo: nil, on: connection) != nil else { throw PlatformError.notFound("package") }
                let kind = try await connection.scalar("SELECT kind FROM platform.tenants WHERE id = \(resellerID)", as: String.self, logger: logger)
                guard kind == "reseller" else {
                    throw PlatformError.unprocessable(field: "reseller_id", code: "unknown_reference", reason: "no such reseller")
                }
                let ownerID = try await connection.scalar(
                    "SELECT id FROM \(unescaped: TenantNaming.schema(resellerID)).operators WHERE kind = 'owner'", as: Int64.self, logger: logger
                )
                guard let ownerID else { throw PlatformError.internalError("reseller without owner") }
                return try await catalog.upsertAssignment(
                    packageID: packageID, tenantID: resellerID, operatorID: ownerID, level: .reseller, price: price, on: connection
                )
            }
        case (nil, let operatorID?):
            return try await database.withTenantTransaction(principal.tenantScope) { connection in
                let visible = try await catalog.package(id: packageID, assignedTo: principal.isAdmin ? nil : principal.operatorID, on: connection)
                guard visible != nil else {
                    // The package exists but is not the caller's to pass on, or does not exist.
                    throw PlatformError.notFound("package")
                }
                let isSubReseller = try await connection.returnsRow(
                    "SELECT 1 FROM operators WHERE id = \(operatorID) AND kind = 'sub_reseller'", logger: logger
                )
                guard isSubReseller else {
                    throw PlatformError.unprocessable(field: "operator_id", code: "unknown_reference", reason: "no such sub-reseller of yours")
                }
                return try await catalog.upsertAssignment(
                    packageID: packageID, tenantID: principal.tenantID, operatorID: operatorID, level: .subReseller, price: price, on: connection
                )
            }
        default:
            throw PlatformError.invalidInput(field: "body", reason: "give exactly one of reseller_id (admin) or operator_id (a sub-reseller)")
        }
    }

    /// Withdraws a package from an operator (and, for a reseller, from its sub-resellers). Customers already
    /// on it keep it; no new ones can be given it.
    package func unassign(packageID: Int64, operatorID: Int64, by principal: Principal) async throws {
        guard principal.role != .subReseller else { throw PlatformError.forbidden("sub-resellers cannot assign packages") }
        let deleted = try await principal.isAdmin
            ? database.withPlatformTransaction { try await catalog.deleteAssignment(packageID: packageID, operatorID: operatorID, on: $0) }
            : database.withTenantTransaction(principal.tenantScope) { try await catalog.deleteAssignment(packageID: packageID, operatorID: operatorID, on: $0) }
        guard deleted else { throw PlatformError.notFound("assignment") }
    }

    // MARK: Rules

    static let maxPrice: Int64 = 100_000_000_000

    static func customerType(_ text: String, field: String) throws -> CustomerType {
        guard let type = CustomerType(rawValue: text) else {
            throw PlatformError.invalidInput(field: field, reason: "must be one of: \(CustomerType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return type
    }

    func requireAdmin(_ principal: Principal, _ what: String) throws {
        guard principal.isAdmin else { throw PlatformError.forbidden("only the platform admin manages \(what)") }
    }

    /// `current` with the given fields applied (nulls clear optional ones), then checked as a whole.
    static func merged(_ current: CatalogPackage, with input: PackageInput) throws -> CatalogPackage {
        var package = current
        if let name = input.name { package.name = try Validate.text(name, field: "name", max: 100) }
        if let value = input.downloadKbps { package.downloadKbps = value }
        if let value = input.uploadKbps { package.uploadKbps = value }
        if input.nulls.contains("burst") { package.burst = nil } else if let burst = input.burst { package.burst = burst }
        func optional<T>(_ key: String, _ value: T?, _ keyPath: WritableKeyPath<CatalogPackage, T?>) {
            if input.nulls.contains(key) { package[keyPath: keyPath] = nil } else if let value { package[keyPath: keyPath] = value }
        }
        optional("time_limit_minutes", input.timeLimitMinutes, \.timeLimitMinutes)
        optional("data_limit_mb", input.dataLimitMB, \.dataLimitMB)
        optional("validity_days", input.validityDays, \.validityDays)
        optional("validity_hours", input.validityHours, \.validityHours)
        optional("ip_pool", try input.ipPool.map { try poolName($0, field: "ip_pool") }, \.ipPool)
        optional("suspended_pool", try input.suspendedPool.map { try poolName($0, field: "suspended_pool") }, \.suspendedPool)
        optional("ppp_profile", try input.pppProfile.map { try poolName($0, field: "ppp_profile") }, \.pppProfile)
        optional("vat_profile_id", input.vatProfileID, \.vatProfileID)
        if let price = input.price { package.price = price }
        if let visibility = input.visibility {
            guard let value = CatalogPackage.Visibility(rawValue: visibility) else {
                throw PlatformError.invalidInput(field: "visibility", reason: "must be public or private")
            }
            package.visibility = value
        }
        if let status = input.status {
            guard let value = CatalogPackage.Status(rawValue: status) else {
                throw PlatformError.invalidInput(field: "status", reason: "must be active or archived")
            }
            package.status = value
        }
        try validate(package)
        return package
    }

    static func validate(_ package: CatalogPackage) throws {
        let type = package.customerType
        let speeds = type == .other ? 0...100_000_000 : 1...100_000_000
        guard speeds.contains(package.downloadKbps) else {
            throw PlatformError.invalidInput(field: "download_kbps", reason: "must be \(speeds.lowerBound)-100000000 kbps")
        }
        guard speeds.contains(package.uploadKbps) else {
            throw PlatformError.invalidInput(field: "upload_kbps", reason: "must be \(speeds.lowerBound)-100000000 kbps")
        }
        if let burst = package.burst {
            guard burst.downloadKbps > package.downloadKbps, burst.downloadKbps <= 100_000_000 else {
                throw PlatformError.invalidInput(field: "burst.download_kbps", reason: "must be above download_kbps")
            }
            guard burst.uploadKbps > package.uploadKbps, burst.uploadKbps <= 100_000_000 else {
                throw PlatformError.invalidInput(field: "burst.upload_kbps", reason: "must be above upload_kbps")
            }
            if let value = burst.thresholdDownloadKbps, !(1...burst.downloadKbps).contains(value) {
                throw PlatformError.invalidInput(field: "burst.threshold_download_kbps", reason: "must be 1 up to the burst speed")
            }
            if let value = burst.thresholdUploadKbps, !(1...burst.uploadKbps).contains(value) {
                throw PlatformError.invalidInput(field: "burst.threshold_upload_kbps", reason: "must be 1 up to the burst speed")
            }
            if let value = burst.timeSeconds, !(1...3600).contains(value) {
                throw PlatformError.invalidInput(field: "burst.time_seconds", reason: "must be 1-3600")
            }
        }
        if type != .hotspot {
            if package.timeLimitMinutes != nil { throw PlatformError.invalidInput(field: "time_limit_minutes", reason: "applies to hotspot packages only") }
            if package.dataLimitMB != nil { throw PlatformError.invalidInput(field: "data_limit_mb", reason: "applies to hotspot packages only") }
            if package.validityHours != nil { throw PlatformError.invalidInput(field: "validity_hours", reason: "applies to hotspot packages only") }
        }
        if let minutes = package.timeLimitMinutes, !(1...527_040).contains(minutes) {
            throw PlatformError.invalidInput(field: "time_limit_minutes", reason: "must be 1-527040")
        }
        if let megabytes = package.dataLimitMB, !(1...100_000_000).contains(megabytes) {
            throw PlatformError.invalidInput(field: "data_limit_mb", reason: "must be 1-100000000")
        }
        if let days = package.validityDays, !(1...3660).contains(days) {
            throw PlatformError.invalidInput(field: "validity_days", reason: "must be 1-3660")
        }
        if let hours = package.validityHours, !(1...8784).contains(hours) {
            throw PlatformError.invalidInput(field: "validity_hours", reason: "must be 1-8784")
        }
        switch type {
        case .pppoeDaily:
            guard package.validityDays != nil else {
                throw PlatformError.unprocessable(field: "validity_days", code: "missing_field", reason: "a daily package needs its validity in days")
            }
        case .hotspot:
            guard (package.validityDays == nil) != (package.validityHours == nil) else {
                throw PlatformError.unprocessable(field: "validity_hours", code: "missing_field", reason: "a hotspot package needs validity_days or validity_hours (one)")
            }
        case .pppoeMonthly, .staticMonthly:
            guard package.validityDays == nil else {
                throw PlatformError.invalidInput(field: "validity_days", reason: "monthly packages follow the billing cycle")
            }
        case .other:
            break
        }
        guard (0...maxPrice).contains(package.price) else {
            throw PlatformError.invalidInput(field: "price", reason: "must be 0-\(maxPrice) minor units")
        }
    }

    static func poolName(_ text: String, field: String) throws -> String {
        guard (1...64).contains(text.count),
              text.unicodeScalars.allSatisfy({ $0.properties.isASCIIHexDigit || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" || $0 == "." })
        else { throw PlatformError.invalidInput(field: field, reason: "must be 1-64 letters, digits, '-', '_' or '.'") }
        return text
    }
}
