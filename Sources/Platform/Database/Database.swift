import Logging
import PostgresNIO

/// The only door to Postgres. Tenant work goes through `withTenantTransaction`, which switches to the
/// tenant's role and schema for exactly one transaction; handlers never see the pool.
package struct Database: Sendable {
    package let client: PostgresClient
    package let logger: Logger

    package init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

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
        self.init(client: PostgresClient(configuration: configuration, backgroundLogger: logger), logger: logger)
    }

    /// Runs `body` in one transaction as the tenant's role with its schema first on the search path and the
    /// operator visibility set for row-level security. All settings are transaction-local, so the pooled
    /// connection (or a PgBouncer server connection) comes back clean.
    /// `genericPlans`: the body runs only prepared statements whose best plan does not depend on their
    /// parameters; they then use their generic plan instead of being planned again on every call.
    package func withTenantTransaction<Result: Sendable>(
        _ scope: TenantScope,
        genericPlans: Bool = false,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withTransaction { connection in
            try await enterTenant(scope, genericPlans: genericPlans, on: connection)
            return try await body(connection)
        }
    }

    /// Switches the current transaction to the tenant's role, schema and operator visibility.
    /// One round trip: every setting is bound, none is spliced into SQL.
    package func enterTenant(_ scope: TenantScope, genericPlans: Bool = false, on connection: PostgresConnection) async throws {
        let statement = ScopeStatements.EnterTenant(
            schema: TenantNaming.schema(scope.tenantID), role: TenantNaming.role(for: scope),
            tenantID: String(scope.tenantID), operators: scope.operatorSetting,
            planCacheMode: genericPlans ? "force_generic_plan" : "auto"
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
                let serverMessage = (error as? PSQLError)?.serverInfo?[.message] ?? "\(type(of: error))"
                logger.error("unexpected database error", metadata: ["sql.state": "\(state ?? "-")", "error.message": "\(serverMessage)"])
            }
            return translated
        }
        return error
    }
}
