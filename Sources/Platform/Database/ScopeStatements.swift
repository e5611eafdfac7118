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

    /// `EnterTenant`'s settings and a read-only transaction, for the pipelined read path. `$5` is
    /// `plan_cache_mode`: `force_generic_plan` for a statement whose parameters do not change its best plan,
    /// `auto` otherwise.
    static let enterTenantReadOnly = """
        SELECT set_config('search_path', $1, true), set_config('role', $2, true), \
        set_config('uplink.tenant_id', $3, true), set_config('uplink.operator_ids', $4, true), \
        set_config('plan_cache_mode', $5, true), set_config('transaction_read_only', 'on', true)
        """

    /// `SET LOCAL` of role, search path and row-level-security settings, all bound, in one statement.
    struct EnterTenant: PostgresPreparedStatement {
        static let sql = """
            SELECT set_config('search_path', $1, true), set_config('role', $2, true), \
            set_config('uplink.tenant_id', $3, true), set_config('uplink.operator_ids', $4, true)
            """
        typealias Row = ()
        static let bindingDataTypes: [PostgresDataType] = [.text, .text, .text, .text]
        var schema: String
        var role: String
        var tenantID: String
        var operators: String

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 4)
            bindings.append(schema)
            bindings.append(role)
            bindings.append(tenantID)
            bindings.append(operators)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }
}
