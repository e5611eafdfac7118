/// A SQL statement known at compile time, named by its type: `Database.tenantRead` prepares it once per
/// read connection (under that name), then only binds and executes it. Postgres re-plans it by itself when
/// the search path or role differs from the cached plan, so one statement serves every tenant. Used on hot
/// paths, where parsing and planning (row-level security, views) cost more than executing.
package protocol SQLStatement {
    static var sql: String { get }
}
