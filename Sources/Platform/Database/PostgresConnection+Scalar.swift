import Foundation
import Logging
import PostgresNIO

extension PostgresConnection {
    /// The first column of the first row (`count(*)`, `nextval(…)`, one id), or nil when there is no row.
    package func scalar<Value: PostgresDecodable>(_ query: PostgresQuery, as type: Value.Type, logger: Logger) async throws -> Value? {
        for try await value in try await self.query(query, logger: logger).decode(Value.self) {
            return value
        }
        return nil
    }

    /// True when the statement returned at least one row (an existence check, a `DELETE … RETURNING`).
    package func returnsRow(_ query: PostgresQuery, logger: Logger) async throws -> Bool {
        for try await _ in try await self.query(query, logger: logger) {
            return true
        }
        return false
    }
}

/// Runs `body`; a unique violation becomes the error `conflict` makes from the violated constraint's name,
/// so a repository says what is taken (`zone_name_taken`) instead of a generic conflict.
package func translatingUniqueViolation<T>(
    _ conflict: (_ constraint: String?) -> any Error,
    _ body: () async throws -> T
) async throws -> T {
    do {
        return try await body()
    } catch {
        if case .uniqueViolation(let constraint) = DatabaseError(translating: error) { throw conflict(constraint) }
        throw error
    }
}

extension PostgresRandomAccessRow {
    /// The value of `column`, decoded (for wide rows read by name rather than by tuple position).
    package func get<Value: PostgresDecodable>(_ column: String, as type: Value.Type = Value.self) throws -> Value {
        try self[column].decode(Value.self, context: .default)
    }
}

/// Builds a statement from fixed SQL text and bound values: `bind` appends a value and returns its
/// placeholder (`$3`), so dynamic filters never splice input into SQL.
package struct SQLBuilder: Sendable {
    package var sql: String
    package var binds = PostgresBindings()

    package init(_ sql: String = "") { self.sql = sql }

    package mutating func bind<Value: PostgresThrowingDynamicTypeEncodable>(_ value: Value?) -> String {
        do { try binds.append(value) } catch { preconditionFailure("encoding a bind failed: \(error)") }
        return "$\(binds.count)"
    }

    package mutating func append(_ text: String) { sql += text }

    package var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }

    /// For a builder holding `FROM … WHERE …`: the count of its rows.
    package var countQuery: PostgresQuery { PostgresQuery(unsafeSQL: "SELECT count(*)" + sql, binds: binds) }

    /// For a builder holding `FROM … WHERE …`: one page of `columns` in `order`.
    package func pageQuery(_ columns: String, orderBy order: String, page: PageRequest) -> PostgresQuery {
        PostgresQuery(
            unsafeSQL: "SELECT \(columns)" + sql + " ORDER BY \(order) LIMIT \(page.perPage) OFFSET \(page.offset)", binds: binds
        )
    }
}

/// `%`, `_` and `\` in a search are literal characters in a `LIKE` pattern, not wildcards.
package func escapeLike(_ text: String) -> String {
    text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
}
