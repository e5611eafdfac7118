import AuthService
import Foundation
import Platform
import PostgresNIO
import TenantRouter
import TestSupport
import Testing

@Suite struct MigratorTests {
    @Test func aSecondRunAppliesNothingAndConcurrentRunsAreSafe() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            let migrator = test.app.migrator
            async let first = migrator.migrateAll()
            async let second = migrator.migrateAll()
            let reports = try await [first, second]
            #expect(reports.allSatisfy { $0.appliedCount == 0 })
            #expect(reports[0].schemasChecked == 2 + 3)  // platform, radius, admin + two resellers
        }
    }

    @Test func everyTenantSchemaRecordsItsMigrationsWithChecksums() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            let rows = try await test.app.database.withPlatformConnection { connection in
                var rows: [(String, Int, String)] = []
                for try await row in try await connection.query(
                    "SELECT schema_name, version, checksum FROM platform.schema_migrations ORDER BY schema_name, version",
                    logger: test.app.logger
                ).decode((String, Int, String).self) { rows.append(row) }
                return rows
            }
            let schemas = Set(rows.map(\.0))
            #expect(schemas.isSuperset(of: ["platform", "radius", "t_1", TenantNaming.schema(fixtures.resellerA.id), TenantNaming.schema(fixtures.resellerB.id)]))
            let tenantChecksums = Set(rows.filter { $0.0.hasPrefix("t_") && $0.1 == 1 }.map(\.2))
            #expect(tenantChecksums.count == 1)
            #expect(rows.allSatisfy { $0.2.count == 64 })
        }
    }

    @Test func anEditedMigrationIsRefused() async throws {
        try await TestApp.with { test in
            var catalog = test.app.migrator.catalog
            var tenant = catalog[.tenant]
            tenant[0].checksum = String(repeating: "0", count: 64)
            catalog.sets[.tenant] = tenant
            let migrator = Migrator(database: test.app.database, catalog: catalog, logger: test.app.logger)
            await #expect(throws: MigrationError.self) { try await migrator.migrateAll() }
        }
    }

    @Test func anAddedTenantMigrationReachesEveryTenant() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            var catalog = test.app.migrator.catalog
            let sql = "CREATE TABLE probe (id int); INSERT INTO probe VALUES (1);"
            catalog.sets[.tenant, default: []].append(Migration(version: 9999, name: "9999_probe.sql", sql: sql, checksum: String(repeating: "a", count: 64)))
            let migrator = Migrator(database: test.app.database, catalog: catalog, logger: test.app.logger)
            let report = try await migrator.migrateAll()
            #expect(report.appliedCount == 3)
            let count = try await test.app.database.withPlatformConnection { connection in
                try await connection.scalar(
                    "SELECT count(*) FROM information_schema.tables WHERE table_name = 'probe' AND table_schema ~ '^t_'",
                    as: Int.self, logger: test.app.logger
                )
            }
            #expect(count == 3)
        }
    }
}
