import Foundation
import Logging
import Platform
import PostgresNIO

/// SQL for the tenant table `custom_fields`, inside a tenant transaction.
struct CustomFieldRepository: Sendable {
    let logger: Logger
    static let columns = "id, key, name, type, options, required, position, created_at, updated_at"

    func list(page: PageRequest, on connection: PostgresConnection) async throws -> Page<CustomField> {
        let total = try await connection.scalar("SELECT count(*) FROM custom_fields", as: Int.self, logger: logger) ?? 0
        let rows = try await connection.query(
            """
            SELECT \(unescaped: Self.columns) FROM custom_fields
            ORDER BY position, id LIMIT \(page.perPage) OFFSET \(page.offset)
            """,
            logger: logger
        )
        return Page(items: try await decode(rows), page: page.page, perPage: page.perPage, total: total)
    }

    func field(id: Int64, on connection: PostgresConnection) async throws -> CustomField? {
        try await decode(connection.query("SELECT \(unescaped: Self.columns) FROM custom_fields WHERE id = \(id)", logger: logger)).first
    }

    func insert(
        key: String, name: String, type: CustomField.FieldType, options: [String], required: Bool, order: Int,
        on connection: PostgresConnection
    ) async throws -> CustomField {
        try await translatingConflicts {
            let rows = try await connection.query(
                """
                INSERT INTO custom_fields (key, name, type, options, required, position)
                VALUES (\(key), \(name), \(type.rawValue), \(options), \(required), \(order))
                RETURNING \(unescaped: Self.columns)
                """,
                logger: logger
            )
            guard let field = try await decode(rows).first else { throw PlatformError.internalError("custom field insert returned nothing") }
            return field
        }
    }

    func update(
        id: Int64, name: String?, options: [String]?, required: Bool?, order: Int?, on connection: PostgresConnection
    ) async throws -> CustomField? {
        let rows = try await connection.query(
            """
            UPDATE custom_fields SET name = coalesce(\(name), name), options = coalesce(\(options), options),
                required = coalesce(\(required), required), position = coalesce(\(order), position), updated_at = now()
            WHERE id = \(id)
            RETURNING \(unescaped: Self.columns)
            """,
            logger: logger
        )
        return try await decode(rows).first
    }

    /// Deletes the field and, in the same statement, its values on every customer.
    func delete(id: Int64, on connection: PostgresConnection) async throws -> Bool {
        try await connection.returnsRow(
            """
            WITH gone AS (DELETE FROM custom_fields WHERE id = \(id) RETURNING key),
            cleared AS (UPDATE customers c SET custom = c.custom - gone.key FROM gone WHERE c.custom ? gone.key)
            SELECT 1 FROM gone
            """,
            logger: logger
        )
    }

    private func translatingConflicts<T>(_ body: () async throws -> T) async throws -> T {
        try await translatingUniqueViolation({ _ in CustomerError.customFieldKeyTaken }, body)
    }

    private func decode(_ rows: PostgresRowSequence) async throws -> [CustomField] {
        var fields: [CustomField] = []
        for try await row in rows.decode((Int64, String, String, String, [String], Bool, Int, Date, Date).self) {
            fields.append(CustomField(
                id: row.0, key: row.1, name: row.2, type: CustomField.FieldType(rawValue: row.3) ?? .text, options: row.4,
                required: row.5, order: row.6, createdAt: row.7, updatedAt: row.8
            ))
        }
        return fields
    }
}
