import Foundation
import Platform
import PostgresNIO

/// Realistic customer volume for demos and benchmarks, set-based: zones, a few sub-resellers and then
/// customers in batches of `INSERT … SELECT FROM generate_series` (the registry triggers index each batch
/// in the same statement). Bangladeshi names (Latin and Bangla script), mobile numbers, Dhaka-area
/// addresses, every type the tenant may have, and a mix of statuses, ages and expiry dates.
package struct CustomerGenerator: Sendable {
    let service: CustomerService
    package init(service: CustomerService) { self.service = service }

    /// Package ids by type the generated customers use (each must be assignable to the tenant's operators).
    package struct Catalog: Sendable {
        package var packages: [CustomerType: Int64]
        package var billingProfileID: Int64
        package init(packages: [CustomerType: Int64], billingProfileID: Int64) {
            self.packages = packages
            self.billingProfileID = billingProfileID
        }
    }

    static let firstNames = [
        "Rahim", "Karim", "Abdul", "Mohammad", "Hasan", "Hossain", "Rafiq", "Jamal", "Kamal", "Faruk", "Shafiq", "Mizanur", "Habib",
        "Anwar", "Shahidul", "Nazmul", "Tanvir", "Sakib", "Imran", "Rubel", "Fatema", "Ayesha", "Nasrin", "Shirin", "Taslima", "Sharmin",
        "Rumana", "Nusrat", "Farhana", "Sumaiya", "Jannatul", "Mahmuda", "Rokeya", "Sultana", "Zoë", "Sabbir", "Arif", "Milon", "Babul", "Sohel",
    ]
    static let lastNames = [
        "Uddin", "Ahmed", "Hossain", "Rahman", "Islam", "Khan", "Chowdhury", "Miah", "Sarkar", "Talukder", "Bhuiyan", "Sheikh", "Mollah",
        "Akter", "Begum", "Khatun", "Haque", "Karim", "Alam", "Siddique", "Mahmud", "Das", "Roy", "Paul", "Barua",
    ]
    static let banglaNames = ["রহিম উদ্দিন", "করিম আহমেদ", "ফাতেমা বেগম", "নাসরিন আক্তার", "হাসান মাহমুদ", "জামাল হোসেন", "সুমাইয়া ইসলাম", "তানভীর রহমান"]
    static let areas = [
        "Mirpur-1", "Mirpur-10", "Mirpur-12", "Pallabi", "Uttara Sector 4", "Uttara Sector 7", "Dhanmondi", "Mohammadpur", "Gulshan-1",
        "Gulshan-2", "Banani", "Badda", "Rampura", "Khilgaon", "Bashundhara", "Tejgaon", "Farmgate", "Motijheel", "Jatrabari", "Keraniganj",
    ]

    /// Adds `count` customers to the tenant (username prefix `prefix`, numbered from `start`). Returns the
    /// number inserted. Runs as the application role inside one transaction per batch.
    @discardableResult
    package func generate(
        tenantID: Int64, count: Int, prefix: String, start: Int = 1, catalog: Catalog, includeStatic: Bool, batch: Int = 25_000,
        halfDailyHalfMonthly: Bool = false
    ) async throws -> Int {
        let schema = TenantNaming.schema(tenantID)
        let logger = service.logger
        let sealed = Data(try service.secrets.seal("pass-\(prefix)", context: CustomerService.passwordContext(tenantID: tenantID)))
        // Zones and sub-resellers once per tenant (idempotent by name).
        let (zoneIDs, operatorIDs) = try await service.database.withPlatformTransaction { connection in
            try await connection.query(
                """
                INSERT INTO \(unescaped: schema).zones (name, description)
                SELECT area, 'Generated' FROM unnest(\(Self.areas)::text[]) AS area ON CONFLICT DO NOTHING
                """,
                logger: logger
            )
            let owner = try await connection.scalar("SELECT id FROM \(unescaped: schema).operators WHERE kind = 'owner'", as: Int64.self, logger: logger)
            guard let owner else { throw PlatformError.internalError("tenant without owner") }
            let subs = try await connection.scalar("SELECT count(*) FROM \(unescaped: schema).operators WHERE kind = 'sub_reseller'", as: Int.self, logger: logger) ?? 0
            if subs == 0 {
                try await connection.query(
                    """
                    INSERT INTO \(unescaped: schema).operators (parent_id, name, kind)
                    SELECT \(owner), 'Generated sub-reseller ' || n, 'sub_reseller' FROM generate_series(1, 3) n
                    """,
                    logger: logger
                )
            }
            var zones: [Int64] = []
            for try await id in try await connection.query("SELECT id FROM \(unescaped: schema).zones ORDER BY id", logger: logger).decode(Int64.self) {
                zones.append(id)
            }
            var operators: [Int64] = [owner]
            for try await id in try await connection.query(
                "SELECT id FROM \(unescaped: schema).operators WHERE kind = 'sub_reseller' ORDER BY id LIMIT 3", logger: logger
            ).decode(Int64.self) {
                operators.append(id)
            }
            // Every generated operator may sell the generated packages.
            for (index, operatorID) in operators.enumerated() {
                try await connection.query(
                    """
                    INSERT INTO catalog.package_assignments (package_id, tenant_id, operator_id, level, price)
                    SELECT p, \(tenantID), \(operatorID), \(index == 0 ? "reseller" : "sub_reseller"), 40000
                    FROM unnest(\(Array(catalog.packages.values))::bigint[]) AS p
                    ON CONFLICT (package_id, operator_id) DO NOTHING
                    """,
                    logger: logger
                )
            }
            return (zones, operators)
        }
        let types: [CustomerType] = includeStatic
            ? [.pppoeDaily, .pppoeMonthly, .hotspot, .staticMonthly, .other] : [.pppoeDaily, .pppoeMonthly, .hotspot, .other]
        let packageIDs = types.map { catalog.packages[$0] ?? 0 }
        var inserted = 0
        var from = start
        let end = start + count - 1
        while from <= end {
            let to = min(end, from + batch - 1)
            inserted += try await service.database.withPlatformTransaction { connection in
                // g % 100 decides type and status: 50 % daily, 30 % monthly, 12 % hotspot, 8 % other (the admin's
                // tenant: 3 % static; `halfDailyHalfMonthly`: 50 % daily, 50 % monthly); 80 % active, 10 % expired (prepaid; monthly ones suspended), 7 % suspended, 3 % disabled.
                let rows = try await connection.query(
                    """
                    WITH src AS (
                        SELECT g::int AS g, (g * 7919) % 100 AS t, (g * 104729) % 100 AS s FROM generate_series(\(from), \(to)) AS g
                    ), typed AS (
                        SELECT g, s,
                            CASE WHEN t < 50 THEN 1 WHEN \(halfDailyHalfMonthly) OR t < 80 THEN 2 WHEN t < 92 THEN 3
                                 WHEN \(includeStatic) AND t < 95 THEN 4 ELSE \(types.count) END AS k
                        FROM src
                    )
                    INSERT INTO \(unescaped: schema).customers (code, type, operator_id, username, password_enc, full_name, phone, house, road,
                        area, thana, district, division, zone_id, package_id, billing_profile_id, static_ip, client_type, connection_type,
                        connectivity, gender, connection_date, expires_at, status, status_reason, created_at, created_by, updated_by, custom)
                    SELECT 'G' || lpad(g::text, 7, '0'),
                        (\(types.map(\.rawValue))::text[])[k],
                        (\(operatorIDs)::bigint[])[CASE WHEN g % 10 < 7 THEN 1 ELSE 2 + g % \(max(operatorIDs.count - 1, 1)) END],
                        \(prefix) || g, \(sealed),
                        CASE WHEN g % 10 = 3 THEN (\(Self.banglaNames)::text[])[1 + g / 10 % \(Self.banglaNames.count)]
                             ELSE (\(Self.firstNames)::text[])[1 + (g * 31) % \(Self.firstNames.count)] || ' '
                               || (\(Self.lastNames)::text[])[1 + (g * 17) % \(Self.lastNames.count)] END,
                        '01' || (3 + g % 7)::text || lpad(((g::bigint * 2654435761) % 100000000)::text, 8, '0'),
                        (1 + g % 120)::text, 'Road ' || (1 + g % 30), (\(Self.areas)::text[])[1 + g % \(Self.areas.count)],
                        'Mirpur', 'Dhaka', 'Dhaka',
                        (\(zoneIDs)::bigint[])[1 + g % \(max(zoneIDs.count, 1))],
                        nullif((\(packageIDs)::bigint[])[k], 0),
                        CASE WHEN k IN (2, 4) THEN \(catalog.billingProfileID) END,
                        CASE WHEN k = 4 AND \(includeStatic) THEN ('10.' || (64 + g / 65536 % 64) || '.' || (g / 256 % 256) || '.' || (g % 256))::inet END,
                        (ARRAY['home', 'home', 'home', 'corporate', 'sme'])[1 + g % 5],
                        (ARRAY['wired', 'wired', 'wireless'])[1 + g % 3],
                        CASE WHEN g % 20 = 0 THEN 'dedicated' ELSE 'shared' END,
                        (ARRAY['male', 'female'])[1 + g % 2],
                        current_date - (g % 1000),
                        CASE WHEN k IN (1, 3) THEN now() + make_interval(days => CASE WHEN s BETWEEN 80 AND 89 THEN -(1 + g % 20) ELSE 1 + g % 30 END) END,
                        CASE WHEN s < 80 THEN 'active' WHEN s < 90 AND k IN (1, 3) THEN 'expired' WHEN s < 97 THEN 'suspended' ELSE 'disabled' END,
                        CASE WHEN s >= 90 THEN 'generated' END,
                        now() - make_interval(mins => (g * 37) % 1440000),
                        'generator', 'generator', '{}'::jsonb
                    FROM typed
                    ON CONFLICT DO NOTHING
                    RETURNING 1
                    """,
                    logger: logger
                )
                var count = 0
                for try await _ in rows { count += 1 }
                return count
            }
            from = to + 1
        }
        return inserted
    }
}
