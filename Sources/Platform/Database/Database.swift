import Logging
import PostgresNIO

/// The only door to Postgres. Tenant work goes through `withTenantTransaction`, which switches to the
/// tenant's role and schema for exactly one transaction; handlers never see the pool.
package struct Database: Sendable {
    package let client: PostgresClient
    /// The pipelined path for the hottest reads (`tenantRead`): its own few connections.
    package let reads: ReadPipeline
    package let logger: Logger

    package init(config: DatabaseConfig, logger: Logger) {
        var configuration = if let socketPath = config.socketPath {
            PostgresClient.Configuration(
                unixSocketPath: socketPath, username: config.username, password: config.password, database: config.database
            )
        } else {
            PostgresClient.Configuration(
                host: config.host, port: config.port, username: config.username,
                password: config.password, database: config.database, tls: .disable
            )
        }
        configuration.options.maximumConnections = config.poolSize
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(5)
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.reads = ReadPipeline(config: config, logger: logger)
        self.logger = logger
    }

    /// Closes the read path's connections (the pool closes when its service ends).
    package func shutdown() async {
        await reads.shutdown()
    }

    /// One prepared statement in the tenant's scope, in a single round trip: the scope switch and the
    /// statement go out together with one `Sync`, so Postgres runs them in one implicit transaction, which
    /// the switch also makes read-only. The same settings as `withTenantTransaction`, all transaction-local;
    /// for the hot reads of one statement (the default customers page, one operator).
    /// `genericPlans`: the statement's best plan does not depend on its parameters, so it keeps its generic
    /// plan instead of being planned again on every call (Postgres' `auto` may re-plan it each time).
    package func tenantRead<Statement: SQLStatement>(
        _ scope: TenantScope, _ statement: Statement.Type, _ bindings: WireBindings = WireBindings(), genericPlans: Bool = true
    ) async throws -> WireResult {
        try await tenantRead(scope, [WireCall(statement, bindings)], genericPlans: genericPlans)[0]
    }

    /// Several statements read together in the tenant's scope: one round trip, one read-only transaction
    /// (read committed: each statement sees what was committed when it began); their results in order.
    package func tenantRead(_ scope: TenantScope, _ calls: [WireCall], genericPlans: Bool = true) async throws -> [WireResult] {
        var enter = WireBindings()
        enter.append(TenantNaming.schema(scope.tenantID))
        enter.append(TenantNaming.role(for: scope))
        enter.append(String(scope.tenantID))
        enter.append(scope.operatorSetting)
        enter.append(genericPlans ? "force_generic_plan" : "auto")
        let request = [WireCall(name: "uplink.enter_tenant_read", sql: ScopeStatements.enterTenantReadOnly, bindings: enter)] + calls
        do {
            let results: [WireResult]
            do {
                results = try await reads.run(request)
            } catch WireError.connectionClosed {
                // A connection Postgres closed (a restart, a terminated backend) is noticed by the first request
                // on it; a read is safe to send again, and the retry opens a new connection.
                results = try await reads.run(request)
            }
            guard results.count == calls.count + 1 else {
                throw WireError.protocolViolation("\(results.count) results for \(calls.count + 1) statements")
            }
            return Array(results.dropFirst())
        } catch {
            throw translate(error)
        }
    }

    /// Runs `body` in one transaction as the tenant's role with its schema first on the search path and the
    /// operator visibility set for row-level security. All settings are transaction-local, so the pooled
    /// connection (or a PgBouncer server connection) comes back clean.
    package func withTenantTransaction<Result: Sendable>(
        _ scope: TenantScope,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withTransaction { connection in
            try await enterTenant(scope, on: connection)
            return try await body(connection)
        }
    }

    /// Switches the current transaction to the tenant's role, schema and operator visibility.
    /// One round trip: every setting is bound, none is spliced into SQL.
    package func enterTenant(_ scope: TenantScope, on connection: PostgresConnection) async throws {
        let statement = ScopeStatements.EnterTenant(
            schema: TenantNaming.schema(scope.tenantID), role: TenantNaming.role(for: scope),
            tenantID: String(scope.tenantID), operators: scope.operatorSetting
        )
        for try await _ in try await connection.execute(statement, logger: logger) {}
    }

    /// Switches the current transaction back to the application role (for the platform tables),
    /// so one transaction can change a tenant's rows and the platform's together.
    package func leaveTenant(on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            SELECT set_config('role', 'none', true), set_config('search_path', 'platform', true), \
            set_config('uplink.tenant_id', '', true), set_config('uplink.operator_ids', '', true)
            """,
            logger: logger
        )
    }

    /// A transaction as the application role, for platform tables (tenants, logins, tokens) and migrations.
    package func withPlatformTransaction<Result: Sendable>(
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withTransaction(body)
    }

    /// A single statement outside an explicit transaction (autocommit), as the application role.
    package func withPlatformConnection<Result: Sendable>(
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await client.withConnection { connection in try await body(connection) }
        } catch {
            throw translate(error)
        }
    }

    private func withTransaction<Result: Sendable>(
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await client.withConnection { connection in
                    _ = try await connection.execute(ScopeStatements.Begin(), logger: logger)
                    do {
                        let result = try await body(connection)
                        _ = try await connection.execute(ScopeStatements.Commit(), logger: logger)
                        return result
                    } catch {
                        // Best effort: if the connection is gone the pool discards it anyway.
                        _ = try? await connection.query("ROLLBACK", logger: logger)
                        throw error
                    }
                }
            } catch {
                let translated = translate(error)
                if case DatabaseError.serializationFailure = translated, attempt < 3 {
                    continue
                }
                throw translated
            }
        }
    }

    private func translate(_ error: any Error) -> any Error {
        if error is any ServiceError { return error }
        if let refusal = PlatformError(ruleRaisedBy: error) { return refusal }
        if let translated = DatabaseError(translating: error) {
            if case .unexpected(let state) = translated {
                // Only the server's own message: the driver's description may carry bound values.
                var serverMessage = (error as? PSQLError)?.serverInfo?[.message] ?? "\(type(of: error))"
                if case WireError.server(_, _, let message) = error { serverMessage = message }
                logger.error("unexpected database error", metadata: ["sql.state": "\(state ?? "-")", "error.message": "\(serverMessage)"])
            }
            return translated
        }
        return error
    }
}
