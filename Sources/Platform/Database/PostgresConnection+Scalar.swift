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
}
