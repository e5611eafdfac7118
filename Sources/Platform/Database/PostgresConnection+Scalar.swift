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
