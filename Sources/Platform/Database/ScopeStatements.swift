import PostgresNIO

/// The statements every transaction runs, prepared once per connection: Postgres then only binds and
/// executes them (no parse, no plan), which is most of their cost.
enum ScopeStatements {
    struct Begin: PostgresPreparedStatement {
        static let sql = "BEGIN"
        typealias Row = ()
        func makeBindings() -> PostgresBindings { PostgresBindings() }
        func decodeRow(_ row: PostgresRow) throws {}
    }

    struct Commit: PostgresPreparedStatement {
        static let sql = "COMMIT"
        typealias Row = ()
        func makeBindings() -> PostgresBindings { PostgresBindings() }
        func decodeRow(_ row: PostgresRow) throws {}
    }

    /// `SET LOCAL` of role, search path and row-level-security settings, all bound, in one statement.
    /// `$5` is `plan_cache_mode`: `force_generic_plan` for a transaction that runs only prepared statements
    /// whose parameters do not change the best plan (otherwise Postgres may re-plan them on every call),
    /// `auto` for everything else (an unnamed statement with a generic plan could not use the trigram index).
    struct EnterTenant: PostgresPreparedStatement {
        static let sql = """
            SELECT set_config('search_path', $1, true), set_config('role', $2, true), \
            set_config('uplink.tenant_id', $3, true), set_config('uplink.operator_ids', $4, true), \
            set_config('plan_cache_mode', $5, true)
            """
        typealias Row = ()
        static let bindingDataTypes: [PostgresDataType] = [.text, .text, .text, .text, .text]
        var schema: String
        var role: String
        var tenantID: String
        var operators: String
        var planCacheMode: String

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 5)
            bindings.append(schema)
            bindings.append(role)
            bindings.append(tenantID)
            bindings.append(operators)
            bindings.append(planCacheMode)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }
}
