import Foundation
import Logging
import Platform
import PostgresNIO

/// SQL for the tenant table `zones`. Runs inside a tenant transaction: the schema is the caller's.
struct ZoneRepository: Sendable {
    let logger: Logger

    func list(search: String?, page: PageRequest, on connection: PostgresConnection) async throws -> Page<Zone> {
        var filter = SQLBuilder(" FROM zones WHERE true")
        if let search { filter.append(" AND name ILIKE \(filter.bind("%" + escapeLike(search) + "%"))") }
        let total = try await connection.scalar(filter.countQuery, as: Int.self, logger: logger) ?? 0
        let rows = try await connection.query(
            filter.pageQuery("id, name, description, created_at, updated_at", orderBy: "lower(name), id", page: page), logger: logger
        )
        return Page(items: try await decode(rows), page: page.page, perPage: page.perPage, total: total)
    }

    func zone(id: Int64, on connection: PostgresConnection) async throws -> Zone? {
        let rows = try await connection.query(
            "SELECT id, name, description, created_at, updated_at FROM zones WHERE id = \(id)", logger: logger
        )
        return try await decode(rows).first
    }

    func insert(name: String, description: String?, on connection: PostgresConnection) async throws -> Zone {
        try await translatingConflicts {
            let rows = try await connection.query(
                """
                INSERT INTO zones (name, description) VALUES (\(name), \(description))
                RETURNING id, name, description, created_at, updated_at
                """,
                logger: logger
            )
            guard let zone = try await decode(rows).first else { throw PlatformError.internalError("zone insert returned nothing") }
            return zone
        }
    }

    /// Changes the given fields; `description` `.some(nil)` clears it. Nil when there is no such zone.
    func update(id: Int64, name: String?, description: String??, on connection: PostgresConnection) async throws -> Zone? {
        let setDescription = description != nil
        let newDescription = description ?? nil
        return try await translatingConflicts {
            let rows = try await connection.query(
                """
                UPDATE zones SET name = coalesce(\(name), name),
                    description = CASE WHEN \(setDescription) THEN \(newDescription) ELSE description END,
                    updated_at = now()
                WHERE id = \(id)
                RETURNING id, name, description, created_at, updated_at
                """,
                logger: logger
            )
            return try await decode(rows).first
        }
    }

    /// True when a zone was deleted.
    func delete(id: Int64, on connection: PostgresConnection) async throws -> Bool {
        try await connection.returnsRow("DELETE FROM zones WHERE id = \(id) RETURNING id", logger: logger)
    }

    private func translatingConflicts<T>(_ body: () async throws -> T) async throws -> T {
        try await translatingUniqueViolation({ _ in CustomerError.zoneNameTaken }, body)
    }

    private func decode(_ rows: PostgresRowSequence) async throws -> [Zone] {
        var zones: [Zone] = []
        for try await (id, name, description, createdAt, updatedAt) in rows.decode((Int64, String, String?, Date, Date).self) {
            zones.append(Zone(id: id, name: name, description: description, createdAt: createdAt, updatedAt: updatedAt))
        }
        return zones
    }
}
