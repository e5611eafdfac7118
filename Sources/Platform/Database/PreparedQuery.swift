import PostgresNIO

/// A SQL statement known at compile time, named by its type.
package protocol SQLStatement {
    static var sql: String { get }
}

/// Runs an `SQLStatement` as a named prepared statement: prepared once per connection, then only bound
/// and executed. Postgres re-plans it by itself when the search path or role differs from the cached plan,
/// so one statement serves every tenant. Used on hot paths, where parsing and planning (row-level
/// security, views) cost more than executing.
package struct PreparedQuery<Statement: SQLStatement>: PostgresPreparedStatement {
    package static var sql: String { Statement.sql }
    package static var name: String { String(reflecting: Statement.self) }
    package typealias Row = PostgresRow

    package var bindings: PostgresBindings

    package init(_ statement: Statement.Type, bindings: PostgresBindings = PostgresBindings()) {
        self.bindings = bindings
    }

    package func makeBindings() -> PostgresBindings { bindings }
    package func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}
