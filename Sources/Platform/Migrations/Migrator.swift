import Crypto
import Foundation
import Logging
import PostgresNIO

/// One numbered SQL file.
package struct Migration: Sendable, Hashable {
    package var version: Int
    package var name: String
    package var sql: String
    package var checksum: String

    package init(version: Int, name: String, sql: String, checksum: String) {
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = checksum
    }
}

/// The three migration sets: `platform` and `radius` run once, `tenant` runs in every tenant schema.
package enum MigrationSet: String, Sendable, CaseIterable {
    case platform, radius, tenant
}

/// All migration files, read once from disk: `migrations/<set>/NNNN_name.sql`.
package struct MigrationCatalog: Sendable {
    package var sets: [MigrationSet: [Migration]]

    package init(sets: [MigrationSet: [Migration]]) { self.sets = sets }

    package subscript(set: MigrationSet) -> [Migration] { sets[set] ?? [] }

    package static func load(from directory: String) throws -> MigrationCatalog {
        var sets: [MigrationSet: [Migration]] = [:]
        let files = FileManager.default
        for set in MigrationSet.allCases {
            let folder = directory + "/" + set.rawValue
            guard let names = try? files.contentsOfDirectory(atPath: folder) else {
                throw MigrationError.missingDirectory(folder)
            }
            var migrations: [Migration] = []
            for name in names.sorted() where name.hasSuffix(".sql") {
                guard let prefix = name.split(separator: "_").first, let version = Int(prefix), version > 0 else {
                    throw MigrationError.badFileName(name)
                }
                let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
                guard let sql = String(data: data, encoding: .utf8) else { throw MigrationError.badFileName(name) }
                let checksum = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
                if migrations.contains(where: { $0.version == version }) { throw MigrationError.duplicateVersion(set.rawValue, version) }
                migrations.append(Migration(version: version, name: name, sql: sql, checksum: checksum))
            }
            sets[set] = migrations.sorted { $0.version < $1.version }
        }
        return MigrationCatalog(sets: sets)
    }
}

package enum MigrationError: Error, CustomStringConvertible {
    case missingDirectory(String)
    case badFileName(String)
    case duplicateVersion(String, Int)
    case checksumMismatch(schema: String, name: String)

    package var description: String {
        switch self {
        case .missingDirectory(let path): "migrations folder \(path) does not exist (set UPLINK_MIGRATIONS_DIR)"
        case .badFileName(let name): "migration \(name) must be named NNNN_description.sql and be UTF-8"
        case .duplicateVersion(let set, let version): "two \(set) migrations share version \(version)"
        case .checksumMismatch(let schema, let name): "migration \(name) changed after it was applied to \(schema); add a new migration instead"
        }
    }
}

/// What a migration run did, per schema.
package struct MigrationReport: Sendable {
    package var applied: [String: [String]] = [:]
    package var schemasChecked = 0
    package var appliedCount: Int { applied.values.reduce(0) { $0 + $1.count } }
}

/// Applies migrations: idempotent, serialized by transaction-scoped advisory locks (safe behind PgBouncer),
/// checksums recorded per schema, tenant migrations applied to every tenant schema in parallel.
package struct Migrator: Sendable {
    package let database: Database
    package let catalog: MigrationCatalog
    package let logger: Logger
    /// How many tenant schemas migrate at once, each in its own transaction.
    package var parallelism = 4

    /// Lock keys: (namespace, id). Namespace 1 is the platform run, 2 a tenant schema.
    static let platformLockKey: Int32 = 0x55_504c

    package init(database: Database, catalog: MigrationCatalog, logger: Logger) {
        self.database = database
        self.catalog = catalog
        self.logger = logger
    }

    @discardableResult
    package func migrateAll() async throws -> MigrationReport {
        var report = MigrationReport()
        let sharedApplied = try await database.withPlatformTransaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(1, \(Self.platformLockKey))", logger: logger)
            try await connection.query("CREATE SCHEMA IF NOT EXISTS platform", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS platform.schema_migrations (
                    schema_name text NOT NULL,
                    version integer NOT NULL,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (schema_name, version)
                )
                """,
                logger: logger
            )
            var applied: [String: [String]] = [:]
            applied["platform"] = try await apply(catalog[.platform], schema: "platform", on: connection)
            applied["radius"] = try await apply(catalog[.radius], schema: "radius", on: connection)
            return applied
        }
        report.applied.merge(sharedApplied) { $1 }

        let tenantIDs = try await database.withPlatformConnection { connection in
            var ids: [Int64] = []
            for try await id in try await connection.query("SELECT id FROM platform.tenants ORDER BY id", logger: logger).decode(Int64.self) {
                ids.append(id)
            }
            return ids
        }
        report.schemasChecked = 2 + tenantIDs.count
        let perTenant = try await withThrowingTaskGroup(of: (String, [String]).self) { group in
            var results: [String: [String]] = [:]
            var pending = tenantIDs[...]
            func startNext() {
                guard let id = pending.popFirst() else { return }
                group.addTask {
                    try await ensureTenantRole(id)
                    let applied = try await database.withPlatformTransaction { connection in
                        try await prepareTenant(id, on: connection)
                    }
                    return (TenantNaming.schema(id), applied)
                }
            }
            for _ in 0..<parallelism { startNext() }
            while let (schema, applied) = try await group.next() {
                if !applied.isEmpty { results[schema] = applied }
                startNext()
            }
            return results
        }
        report.applied.merge(perTenant) { $1 }
        logger.info("migrations done", metadata: ["applied": "\(report.appliedCount)", "schemas": "\(report.schemasChecked)"])
        return report
    }

    /// Creates the tenant's role if missing, in its own committed statement, never inside a transaction that
    /// may roll back: roles are cluster-wide, and other databases of the cluster (the test suite's copies) may
    /// already rely on a role of the same name. A role without a schema grants nothing.
    package func ensureTenantRole(_ tenantID: Int64) async throws {
        let roles = [
            (TenantNaming.role(tenantID), TenantNaming.ownersGroupRole),
            (TenantNaming.subResellerRole(tenantID), TenantNaming.subResellersGroupRole),
        ]
        for (role, group) in roles {
            try await retryingRace { try await createRole(role, in: group) }
        }
    }

    /// Roles are cluster-wide: another database of the cluster (a parallel test's copy) may create the same
    /// role at the same moment. The loser can then fail on a catalog row the winner has just committed
    /// (the role "does not exist" yet, or "tuple concurrently updated"); the statement is idempotent, so
    /// it is simply run again.
    private func retryingRace(_ body: () async throws -> Void) async throws {
        for attempt in 1...3 {
            do {
                return try await body()
            } catch {
                guard attempt < 3 else { throw error }
                try await Task.sleep(for: .milliseconds(20 * attempt))
            }
        }
    }

    /// Creates `role` (NOLOGIN) if missing, in the all-tenants group and `group`, and lets the application
    /// role switch to it. Each step tolerates its work being done already.
    private func createRole(_ role: String, in group: String) async throws {
        let tenants = TenantNaming.tenantsGroupRole
        try await database.withPlatformConnection { connection in
            try await connection.query(
                """
                DO $role$ BEGIN
                    BEGIN CREATE ROLE \(unescaped: role) NOLOGIN;
                    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
                    BEGIN GRANT \(unescaped: tenants) TO \(unescaped: role);
                    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
                    BEGIN GRANT \(unescaped: group) TO \(unescaped: role);
                    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
                    BEGIN GRANT \(unescaped: role) TO CURRENT_USER;
                    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
                END $role$
                """,
                logger: logger
            )
        }
    }

    /// Creates (if missing) the tenant's schema, applies pending tenant migrations and grants the tenant's role
    /// (made before by `ensureTenantRole`) exactly its schema. Runs inside the caller's transaction, so creating
    /// a tenant's data is all or nothing.
    @discardableResult
    package func prepareTenant(_ tenantID: Int64, on connection: PostgresConnection) async throws -> [String] {
        let schema = TenantNaming.schema(tenantID)
        let role = TenantNaming.role(tenantID)
        try await connection.query("SELECT pg_advisory_xact_lock(2, \(Int32(truncatingIfNeeded: tenantID)))", logger: logger)
        try await connection.query("CREATE SCHEMA IF NOT EXISTS \(unescaped: schema)", logger: logger)
        try await connection.query("REVOKE ALL ON SCHEMA \(unescaped: schema) FROM PUBLIC", logger: logger)
        let roles = "\(role), \(TenantNaming.subResellerRole(tenantID))"
        try await connection.query("GRANT USAGE ON SCHEMA \(unescaped: schema) TO \(unescaped: roles)", logger: logger)
        try await connection.query("SELECT set_config('search_path', \(schema), true)", logger: logger)
        let applied = try await apply(catalog[.tenant], schema: schema, on: connection)
        try await connection.query(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA \(unescaped: schema) TO \(unescaped: roles)",
            logger: logger
        )
        try await connection.query(
            "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA \(unescaped: schema) TO \(unescaped: roles)",
            logger: logger
        )
        try await connection.query("SELECT set_config('search_path', 'platform', true)", logger: logger)
        return applied
    }

    /// Applies the set's pending migrations to `schema`, checking recorded checksums.
    private func apply(_ migrations: [Migration], schema: String, on connection: PostgresConnection) async throws -> [String] {
        var recorded: [Int: String] = [:]
        let rows = try await connection.query(
            "SELECT version, checksum FROM platform.schema_migrations WHERE schema_name = \(schema)",
            logger: logger
        )
        for try await (version, checksum) in rows.decode((Int, String).self) { recorded[version] = checksum }

        var applied: [String] = []
        for migration in migrations {
            if let checksum = recorded[migration.version] {
                guard checksum == migration.checksum else {
                    throw MigrationError.checksumMismatch(schema: schema, name: migration.name)
                }
                continue
            }
            for statement in SQLScript.statements(migration.sql) {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            try await connection.query(
                """
                INSERT INTO platform.schema_migrations (schema_name, version, name, checksum)
                VALUES (\(schema), \(migration.version), \(migration.name), \(migration.checksum))
                """,
                logger: logger
            )
            applied.append(migration.name)
            logger.info("migration applied", metadata: ["schema": "\(schema)", "migration": "\(migration.name)"])
        }
        return applied
    }
}
