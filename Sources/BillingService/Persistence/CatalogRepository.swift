import Foundation
import Logging
import Platform
import PostgresNIO

/// SQL for the shared `catalog` schema. Admin writes run as the application role; tenant reads and a
/// tenant owner's assignments to its sub-resellers run in a tenant transaction (row-level security).
struct CatalogRepository: Sendable {
    let logger: Logger

    static let packageColumns = """
        p.id, p.name, p.customer_type, p.download_kbps, p.upload_kbps, p.burst_download_kbps, p.burst_upload_kbps,
        p.burst_threshold_download_kbps, p.burst_threshold_upload_kbps, p.burst_time_seconds, p.time_limit_minutes,
        p.data_limit_mb, p.validity_days, p.validity_hours, p.ip_pool, p.suspended_pool, p.ppp_profile, p.price,
        p.currency, p.vat_profile_id, p.visibility, p.status, p.created_at, p.updated_at
        """

    /// Packages, optionally only those assigned to `operatorID` (with its operator price).
    func packages(
        assignedTo operatorID: Int64?, search: String?, type: String?, status: String?, page: PageRequest,
        on connection: PostgresConnection
    ) async throws -> Page<CatalogPackage> {
        var filter = SQLBuilder(" FROM catalog.packages p")
        if let operatorID {
            filter.append(" JOIN catalog.package_assignments a ON a.package_id = p.id AND a.operator_id = \(filter.bind(operatorID))")
        }
        filter.append(" WHERE true")
        if let search { filter.append(" AND p.name ILIKE \(filter.bind("%" + escapeLike(search) + "%"))") }
        if let type { filter.append(" AND p.customer_type = \(filter.bind(type))") }
        if let status { filter.append(" AND p.status = \(filter.bind(status))") }
        let total = try await connection.scalar(filter.countQuery, as: Int.self, logger: logger) ?? 0
        let columns = Self.packageColumns + (operatorID == nil ? ", NULL::bigint AS operator_price" : ", a.price AS operator_price")
        let rows = try await connection.query(filter.pageQuery(columns, orderBy: "lower(p.name), p.id", page: page), logger: logger)
        return Page(items: try await decodePackages(rows), page: page.page, perPage: page.perPage, total: total)
    }

    func package(id: Int64, assignedTo operatorID: Int64?, on connection: PostgresConnection) async throws -> CatalogPackage? {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: Self.packageColumns), a.price AS operator_price
            FROM catalog.packages p
            LEFT JOIN catalog.package_assignments a ON a.package_id = p.id AND a.operator_id = \(operatorID)
            WHERE p.id = \(id) AND (\(operatorID)::bigint IS NULL OR a.id IS NOT NULL)
            """,
            logger: logger
        )
        return try await decodePackages(rows).first
    }

    func insertPackage(_ input: CatalogPackage, on connection: PostgresConnection) async throws -> CatalogPackage {
        let burst = input.burst
        let inserted = try await translating {
            try await decodePackages(try await connection.query(
                """
                INSERT INTO catalog.packages AS p (name, customer_type, download_kbps, upload_kbps, burst_download_kbps,
                    burst_upload_kbps, burst_threshold_download_kbps, burst_threshold_upload_kbps, burst_time_seconds,
                    time_limit_minutes, data_limit_mb, validity_days, validity_hours, ip_pool, suspended_pool, ppp_profile,
                    price, vat_profile_id, visibility)
                VALUES (\(input.name), \(input.customerType.rawValue), \(input.downloadKbps), \(input.uploadKbps), \(burst?.downloadKbps),
                    \(burst?.uploadKbps), \(burst?.thresholdDownloadKbps), \(burst?.thresholdUploadKbps), \(burst?.timeSeconds),
                    \(input.timeLimitMinutes), \(input.dataLimitMB), \(input.validityDays), \(input.validityHours), \(input.ipPool),
                    \(input.suspendedPool), \(input.pppProfile), \(input.price), \(input.vatProfileID), \(input.visibility.rawValue))
                RETURNING \(unescaped: Self.packageColumns), NULL::bigint AS operator_price
                """,
                logger: logger
            ))
        }
        guard let package = inserted.first else { throw PlatformError.internalError("package insert returned nothing") }
        return package
    }

    /// Writes the full, already merged and validated state of a package.
    func updatePackage(_ package: CatalogPackage, on connection: PostgresConnection) async throws -> CatalogPackage? {
        let burst = package.burst
        return try await translating {
            try await decodePackages(try await connection.query(
                """
                UPDATE catalog.packages AS p SET name = \(package.name), download_kbps = \(package.downloadKbps),
                    upload_kbps = \(package.uploadKbps), burst_download_kbps = \(burst?.downloadKbps),
                    burst_upload_kbps = \(burst?.uploadKbps), burst_threshold_download_kbps = \(burst?.thresholdDownloadKbps),
                    burst_threshold_upload_kbps = \(burst?.thresholdUploadKbps), burst_time_seconds = \(burst?.timeSeconds),
                    time_limit_minutes = \(package.timeLimitMinutes), data_limit_mb = \(package.dataLimitMB),
                    validity_days = \(package.validityDays), validity_hours = \(package.validityHours), ip_pool = \(package.ipPool),
                    suspended_pool = \(package.suspendedPool), ppp_profile = \(package.pppProfile), price = \(package.price),
                    vat_profile_id = \(package.vatProfileID), visibility = \(package.visibility.rawValue),
                    status = \(package.status.rawValue), updated_at = now()
                WHERE p.id = \(package.id)
                RETURNING \(unescaped: Self.packageColumns), NULL::bigint AS operator_price
                """,
                logger: logger
            )).first
        }
    }

    func deletePackage(id: Int64, on connection: PostgresConnection) async throws -> Bool {
        do {
            return try await connection.returnsRow("DELETE FROM catalog.packages WHERE id = \(id) RETURNING id", logger: logger)
        } catch {
            if case .foreignKeyViolation = DatabaseError(translating: error) { throw CatalogError.inUse("package") }
            throw error
        }
    }

    // MARK: Assignments

    /// Assignments of a package visible in this transaction (all for the admin; the tenant's own for a tenant role).
    func assignments(packageID: Int64, on connection: PostgresConnection) async throws -> [PackageAssignment] {
        let rows = try await connection.query(
            """
            SELECT package_id, tenant_id, operator_id, level, price, created_at, updated_at
            FROM catalog.package_assignments WHERE package_id = \(packageID) ORDER BY tenant_id, level, operator_id
            """,
            logger: logger
        )
        var items: [PackageAssignment] = []
        for try await (packageID, tenantID, operatorID, level, price, createdAt, updatedAt) in rows.decode((Int64, Int64, Int64, String, Int64, Date, Date).self) {
            items.append(PackageAssignment(
                packageID: packageID, tenantID: tenantID, operatorID: operatorID, level: PackageAssignment.Level(rawValue: level) ?? .subReseller,
                price: price, createdAt: createdAt, updatedAt: updatedAt
            ))
        }
        return items
    }

    /// Creates the assignment or changes its price.
    func upsertAssignment(
        packageID: Int64, tenantID: Int64, operatorID: Int64, level: PackageAssignment.Level, price: Int64, on connection: PostgresConnection
    ) async throws -> PackageAssignment {
        let rows = try await connection.query(
            """
            INSERT INTO catalog.package_assignments (package_id, tenant_id, operator_id, level, price)
            VALUES (\(packageID), \(tenantID), \(operatorID), \(level.rawValue), \(price))
            ON CONFLICT (package_id, operator_id) DO UPDATE SET price = EXCLUDED.price, updated_at = now()
            RETURNING package_id, tenant_id, operator_id, level, price, created_at, updated_at
            """,
            logger: logger
        )
        for try await (packageID, tenantID, operatorID, level, price, createdAt, updatedAt) in rows.decode((Int64, Int64, Int64, String, Int64, Date, Date).self) {
            return PackageAssignment(
                packageID: packageID, tenantID: tenantID, operatorID: operatorID, level: PackageAssignment.Level(rawValue: level) ?? .subReseller,
                price: price, createdAt: createdAt, updatedAt: updatedAt
            )
        }
        throw PlatformError.internalError("assignment upsert returned nothing")
    }

    /// Removes an operator's assignment and, for a reseller's, those it gave its sub-resellers.
    func deleteAssignment(packageID: Int64, operatorID: Int64, on connection: PostgresConnection) async throws -> Bool {
        let rows = try await connection.query(
            """
            WITH gone AS (
                DELETE FROM catalog.package_assignments WHERE package_id = \(packageID) AND operator_id = \(operatorID)
                RETURNING tenant_id, level
            ), cascade AS (
                DELETE FROM catalog.package_assignments a USING gone
                WHERE gone.level = 'reseller' AND a.package_id = \(packageID) AND a.tenant_id = gone.tenant_id AND a.level = 'sub_reseller'
            )
            SELECT count(*) FROM gone
            """,
            logger: logger
        )
        for try await count in rows.decode(Int.self) { return count > 0 }
        return false
    }

    /// True when the package is assigned to the operator (visible in this transaction).
    func isAssigned(packageID: Int64, operatorID: Int64, on connection: PostgresConnection) async throws -> Bool {
        try await connection.returnsRow(
            "SELECT 1 FROM catalog.package_assignments WHERE package_id = \(packageID) AND operator_id = \(operatorID)",
            logger: logger
        )
    }

    // MARK: Billing profiles

    static let profileColumns = """
        id, name, cycle_day, due_days, grace_days, auto_invoice, auto_suspend, auto_reactivate, cycle_ends_with_month,
        vat_profile_id, created_at, updated_at
        """

    func billingProfiles(page: PageRequest, on connection: PostgresConnection) async throws -> Page<BillingProfile> {
        let total = try await connection.scalar("SELECT count(*) FROM catalog.billing_profiles", as: Int.self, logger: logger) ?? 0
        let rows = try await connection.query(
            """
            SELECT \(unescaped: Self.profileColumns) FROM catalog.billing_profiles
            ORDER BY lower(name), id LIMIT \(page.perPage) OFFSET \(page.offset)
            """,
            logger: logger
        )
        return Page(items: try await decodeProfiles(rows), page: page.page, perPage: page.perPage, total: total)
    }

    func billingProfile(id: Int64, on connection: PostgresConnection) async throws -> BillingProfile? {
        let rows = try await connection.query(
            "SELECT \(unescaped: Self.profileColumns) FROM catalog.billing_profiles WHERE id = \(id)", logger: logger
        )
        return try await decodeProfiles(rows).first
    }

    func saveBillingProfile(_ profile: BillingProfile, isNew: Bool, on connection: PostgresConnection) async throws -> BillingProfile? {
        return try await translating {
            if isNew {
                try await decodeProfiles(try await connection.query(
                    """
                    INSERT INTO catalog.billing_profiles (name, cycle_day, due_days, grace_days, auto_invoice, auto_suspend,
                        auto_reactivate, cycle_ends_with_month, vat_profile_id)
                    VALUES (\(profile.name), \(profile.cycleDay), \(profile.dueDays), \(profile.graceDays), \(profile.autoInvoice),
                        \(profile.autoSuspend), \(profile.autoReactivate), \(profile.cycleEndsWithMonth), \(profile.vatProfileID))
                    RETURNING \(unescaped: Self.profileColumns)
                    """,
                    logger: logger
                )).first
            } else {
                try await decodeProfiles(try await connection.query(
                    """
                    UPDATE catalog.billing_profiles SET name = \(profile.name), cycle_day = \(profile.cycleDay),
                        due_days = \(profile.dueDays), grace_days = \(profile.graceDays), auto_invoice = \(profile.autoInvoice),
                        auto_suspend = \(profile.autoSuspend), auto_reactivate = \(profile.autoReactivate),
                        cycle_ends_with_month = \(profile.cycleEndsWithMonth), vat_profile_id = \(profile.vatProfileID), updated_at = now()
                    WHERE id = \(profile.id)
                    RETURNING \(unescaped: Self.profileColumns)
                    """,
                    logger: logger
                )).first
            }
        }
    }

    func deleteBillingProfile(id: Int64, on connection: PostgresConnection) async throws -> Bool {
        do {
            return try await connection.returnsRow("DELETE FROM catalog.billing_profiles WHERE id = \(id) RETURNING id", logger: logger)
        } catch {
            if case .foreignKeyViolation = DatabaseError(translating: error) { throw CatalogError.inUse("billing profile") }
            throw error
        }
    }

    func vatProfiles(on connection: PostgresConnection) async throws -> [VATProfile] {
        var items: [VATProfile] = []
        let rows = try await connection.query("SELECT id, name, rate_basis_points FROM catalog.vat_profiles ORDER BY id", logger: logger)
        for try await (id, name, rate) in rows.decode((Int64, String, Int).self) {
            items.append(VATProfile(id: id, name: name, rateBasisPoints: rate))
        }
        return items
    }

    // MARK: Decoding

    private func translating<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            switch DatabaseError(translating: error) {
            case .uniqueViolation(let constraint):
                throw constraint == "billing_profiles_name_key" ? CatalogError.billingProfileNameTaken : CatalogError.packageNameTaken
            case .foreignKeyViolation:
                throw PlatformError.unprocessable(field: "vat_profile_id", code: "unknown_reference", reason: "no such VAT profile")
            default:
                throw error
            }
        }
    }

    private func decodePackages(_ rows: PostgresRowSequence) async throws -> [CatalogPackage] {
        var packages: [CatalogPackage] = []
        for try await row in rows {
            let r = row.makeRandomAccess()
            let burstDown: Int? = try r.get("burst_download_kbps")
            let burstUp: Int? = try r.get("burst_upload_kbps")
            var burst: CatalogPackage.Burst?
            if let burstDown, let burstUp {
                burst = .init(
                    downloadKbps: burstDown, uploadKbps: burstUp, thresholdDownloadKbps: try r.get("burst_threshold_download_kbps"),
                    thresholdUploadKbps: try r.get("burst_threshold_upload_kbps"), timeSeconds: try r.get("burst_time_seconds")
                )
            }
            packages.append(CatalogPackage(
                id: try r.get("id"), name: try r.get("name"),
                customerType: CustomerType(rawValue: try r.get("customer_type")) ?? .other,
                downloadKbps: try r.get("download_kbps"), uploadKbps: try r.get("upload_kbps"), burst: burst,
                timeLimitMinutes: try r.get("time_limit_minutes"), dataLimitMB: try r.get("data_limit_mb"),
                validityDays: try r.get("validity_days"), validityHours: try r.get("validity_hours"),
                ipPool: try r.get("ip_pool"), suspendedPool: try r.get("suspended_pool"), pppProfile: try r.get("ppp_profile"),
                price: try r.get("price"), currency: try r.get("currency"), vatProfileID: try r.get("vat_profile_id"),
                visibility: CatalogPackage.Visibility(rawValue: try r.get("visibility")) ?? .public,
                status: CatalogPackage.Status(rawValue: try r.get("status")) ?? .active,
                operatorPrice: try r.get("operator_price"), createdAt: try r.get("created_at"), updatedAt: try r.get("updated_at")
            ))
        }
        return packages
    }

    private func decodeProfiles(_ rows: PostgresRowSequence) async throws -> [BillingProfile] {
        var items: [BillingProfile] = []
        for try await row in rows {
            let r = row.makeRandomAccess()
            items.append(BillingProfile(
                id: try r.get("id"), name: try r.get("name"), cycleDay: try r.get("cycle_day"), dueDays: try r.get("due_days"),
                graceDays: try r.get("grace_days"), autoInvoice: try r.get("auto_invoice"), autoSuspend: try r.get("auto_suspend"),
                autoReactivate: try r.get("auto_reactivate"), cycleEndsWithMonth: try r.get("cycle_ends_with_month"),
                vatProfileID: try r.get("vat_profile_id"), createdAt: try r.get("created_at"), updatedAt: try r.get("updated_at")
            ))
        }
        return items
    }
}

