import Hummingbird
import Foundation
import Logging
import PostgresNIO

/// A tenant: the admin's own, or a reseller's. Its data lives in schema `t_<id>`.
package struct Tenant: Codable, Sendable, Hashable, ResponseEncodable {
    package var id: Int64
    package var slug: String
    package var name: String
    package var kind: Kind
    package var status: Status
    package var createdAt: Date

    package enum Kind: String, Codable, Sendable { case admin, reseller }
    package enum Status: String, Codable, Sendable { case active, suspended }

    enum CodingKeys: String, CodingKey {
        case id, slug, name, kind, status
        case createdAt = "created_at"
    }
}

/// Owns `platform.tenants` and each tenant's `operators` table: creating tenants (schema, role, migrations,
/// owner operator) inside the caller's transaction, listing them, changing their status.
package struct TenantDirectory: Sendable {
    package let migrator: Migrator
    private var logger: Logger { migrator.logger }

    package init(migrator: Migrator) {
        self.migrator = migrator
    }

    /// Takes the next tenant id and makes its role, before the transaction that creates the tenant (see
    /// `Migrator.ensureTenantRole`). An id whose creation then fails is skipped, like any sequence value.
    package func reserveTenantID() async throws -> Int64 {
        let id = try await migrator.database.withPlatformConnection { connection in
            guard let id = try await connection.scalar("SELECT nextval('platform.tenants_id_seq')", as: Int64.self, logger: logger) else {
                throw PlatformError.internalError("no tenant id")
            }
            return id
        }
        try await migrator.ensureTenantRole(id)
        return id
    }

    /// Inserts the tenant row (with an id from `reserveTenantID`) and prepares its schema; the caller's
    /// transaction makes it all or nothing. Returns the tenant and the id of its owner operator.
    package func create(id: Int64, slug: String, name: String, kind: Tenant.Kind, on connection: PostgresConnection) async throws -> (Tenant, ownerOperatorID: Int64) {
        let rows = try await connection.query(
            """
            INSERT INTO platform.tenants (id, slug, name, kind, schema_name)
            VALUES (\(id), \(slug), \(name), \(kind.rawValue), \(TenantNaming.schema(id)))
            RETURNING id, slug, name, kind, status, created_at
            """,
            logger: logger
        )
        guard let tenant = try await Self.decode(rows).first else { throw PlatformError.internalError("tenant insert returned nothing") }
        try await migrator.prepareTenant(tenant.id, on: connection)
        let ownerID = try await ownerOperatorID(of: tenant.id, on: connection)
        return (tenant, ownerID)
    }

    /// The owner operator of a tenant, read as the application role (it owns the table).
    package func ownerOperatorID(of tenantID: Int64, on connection: PostgresConnection) async throws -> Int64 {
        let schema = TenantNaming.schema(tenantID)
        guard let id = try await connection.scalar(
            "SELECT id FROM \(unescaped: schema).operators WHERE kind = 'owner'", as: Int64.self, logger: logger
        ) else { throw PlatformError.internalError("tenant has no owner operator") }
        return id
    }

    /// The ISP's own tenant, made by the first platform migration.
    package func adminTenantID(on connection: PostgresConnection) async throws -> Int64 {
        guard let id = try await connection.scalar("SELECT id FROM platform.tenants WHERE kind = 'admin'", as: Int64.self, logger: logger) else {
            throw PlatformError.internalError("no admin tenant: run migrations first")
        }
        return id
    }

    package func tenant(id: Int64, on connection: PostgresConnection) async throws -> Tenant? {
        let rows = try await connection.query(
            "SELECT id, slug, name, kind, status, created_at FROM platform.tenants WHERE id = \(id)",
            logger: logger
        )
        return try await Self.decode(rows).first
    }

    package func tenant(slug: String, on connection: PostgresConnection) async throws -> Tenant? {
        let rows = try await connection.query(
            "SELECT id, slug, name, kind, status, created_at FROM platform.tenants WHERE slug = \(slug)",
            logger: logger
        )
        return try await Self.decode(rows).first
    }

    package func list(kind: Tenant.Kind, page: PageRequest, on connection: PostgresConnection) async throws -> Page<Tenant> {
        let total = try await connection.scalar(
            "SELECT count(*) FROM platform.tenants WHERE kind = \(kind.rawValue)", as: Int.self, logger: logger
        ) ?? 0
        let rows = try await connection.query(
            """
            SELECT id, slug, name, kind, status, created_at FROM platform.tenants
            WHERE kind = \(kind.rawValue) ORDER BY id LIMIT \(page.perPage) OFFSET \(page.offset)
            """,
            logger: logger
        )
        return Page(items: try await Self.decode(rows), page: page.page, perPage: page.perPage, total: total)
    }

    package func update(id: Int64, name: String?, status: Tenant.Status?, on connection: PostgresConnection) async throws -> Tenant? {
        let rows = try await connection.query(
            """
            UPDATE platform.tenants SET name = coalesce(\(name), name), status = coalesce(\(status?.rawValue), status), updated_at = now()
            WHERE id = \(id) AND kind = 'reseller'
            RETURNING id, slug, name, kind, status, created_at
            """,
            logger: logger
        )
        return try await Self.decode(rows).first
    }

    private static func decode(_ rows: PostgresRowSequence) async throws -> [Tenant] {
        var tenants: [Tenant] = []
        for try await (id, slug, name, kind, status, createdAt) in rows.decode((Int64, String, String, String, String, Date).self) {
            tenants.append(Tenant(
                id: id, slug: slug, name: name,
                kind: Tenant.Kind(rawValue: kind) ?? .reseller,
                status: Tenant.Status(rawValue: status) ?? .suspended,
                createdAt: createdAt
            ))
        }
        return tenants
    }
}
