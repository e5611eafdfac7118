import AuthService
import Foundation
import Platform
import PostgresNIO
import TenantRouter
import TestSupport
import Testing

/// The pipelined read path: one round trip per tenant-scoped read, with the same isolation as a
/// tenant transaction, over its own connections (SCRAM-authenticated, like every login over TCP here).
@Suite struct ReadPipelineTests {
    enum OperatorNames: SQLStatement {
        static let sql = "SELECT id, name FROM operators ORDER BY id"
    }

    enum OperatorName: SQLStatement {
        static let sql = "SELECT name FROM operators WHERE id = $1"
    }

    enum PasswordHashes: SQLStatement {
        static let sql = "SELECT password_hash FROM platform.users"
    }

    enum RenameOperators: SQLStatement {
        static let sql = "UPDATE operators SET name = 'taken over' RETURNING id"
    }

    enum Divide: SQLStatement {
        static let sql = "SELECT 100 / $1"
    }

    /// What a read connection is when no request is on it.
    static let session = "SELECT current_user::text, current_setting('search_path'), current_setting('transaction_read_only'), "
        + "coalesce(current_setting('uplink.tenant_id', true), '')"

    private func names(_ result: WireResult) throws -> [String] {
        try result.rows.map { try $0.cells[1].decode(String.self, context: .default) }
    }

    @Test func aReadSeesItsScopeAndNothingElse() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            let database = test.app.database
            let owner = try await database.tenantRead(TenantScope(tenantID: fixtures.resellerA.id, operators: .all), OperatorNames.self)
            #expect(try names(owner) == ["Reseller A", "Sub A1", "Sub A2"])
            #expect(owner.columns.map(\.name) == ["id", "name"])

            let sub = try await database.tenantRead(TenantScope(tenantID: fixtures.resellerA.id, operators: .only([fixtures.subA1.id])), OperatorNames.self)
            #expect(try names(sub) == ["Sub A1"])
            let other = try await database.tenantRead(TenantScope(tenantID: fixtures.resellerB.id, operators: .all), OperatorNames.self)
            #expect(try names(other) == ["Reseller B"])
            let empty = try await database.tenantRead(TenantScope(tenantID: fixtures.resellerA.id, operators: .only([])), OperatorNames.self)
            #expect(empty.rows.isEmpty)

            // A sibling's row by id, and A's row asked for in B's scope: nothing.
            var bindings = WireBindings()
            bindings.append(fixtures.subA2.id)
            let sibling = try await database.tenantRead(TenantScope(tenantID: fixtures.resellerA.id, operators: .only([fixtures.subA1.id])), OperatorName.self, bindings)
            #expect(sibling.rows.isEmpty)
            let crossTenant = try await database.tenantRead(TenantScope(tenantID: fixtures.resellerB.id, operators: .all), OperatorName.self, bindings)
            #expect(crossTenant.rows.isEmpty)
            let own = try await database.tenantRead(TenantScope(tenantID: fixtures.resellerA.id, operators: .all), OperatorName.self, bindings)
            #expect(try own.rows.map { try $0.cells[0].decode(String.self, context: .default) } == ["Sub A2"])

            // The platform's tables stay out of reach, as in a tenant transaction.
            await #expect(throws: DatabaseError.permissionDenied) {
                _ = try await database.tenantRead(TenantScope(tenantID: fixtures.resellerA.id, operators: .all), PasswordHashes.self)
            }
        }
    }

    @Test func aReadCannotWriteAndLeavesTheConnectionClean() async throws {
        try await TestApp.with(configure: { $0.database.readConnections = 1 }) { test in
            let fixtures = try await Fixtures.make(test)
            let database = test.app.database
            let scope = TenantScope(tenantID: fixtures.resellerA.id, operators: .all)
            await #expect(throws: DatabaseError.self) {
                _ = try await database.tenantRead(scope, RenameOperators.self)
            }
            #expect(try names(try await database.tenantRead(scope, OperatorNames.self)) == ["Reseller A", "Sub A1", "Sub A2"])

            // The one read connection, right after a scoped read: the application's own role and path again,
            // read-write, no tenant (every setting was local to the request's transaction).
            let session = try await database.reads.run([WireCall(name: "test.session", sql: Self.session)])
            let cells = try #require(session.last?.rows.first?.cells)
            #expect(try cells[0].decode(String.self, context: .default) == test.app.config.database.username)
            #expect(try cells[1].decode(String.self, context: .default) != TenantNaming.schema(fixtures.resellerA.id))
            #expect(try cells[2].decode(String.self, context: .default) == "off")
            #expect(try cells[3].decode(String.self, context: .default) == "")
        }
    }

    @Test func aFailedRequestDoesNotBreakTheConnection() async throws {
        try await TestApp.with(configure: { $0.database.readConnections = 1 }) { test in
            let reads = test.app.database.reads
            func divide(by divisor: Int64) async throws -> Int64 {
                var bindings = WireBindings()
                bindings.append(divisor)
                let results = try await reads.run([WireCall(name: "test.divide", sql: Divide.sql, bindings: bindings)])
                return try #require(results.first?.rows.first?.cells.first).decode(Int64.self, context: .default)
            }
            // Parsed and then failed at execution: the next use finds it prepared.
            await #expect(throws: WireError.self) { _ = try await divide(by: 0) }
            let quarter = try await divide(by: 4)
            #expect(quarter == 25)
            // A statement that never parses fails alone, again on the next try.
            for _ in 0..<2 {
                await #expect(throws: WireError.self) {
                    _ = try await reads.run([WireCall(name: "test.broken", sql: "SELEC 1")])
                }
            }
            let fifth = try await divide(by: 5)
            #expect(fifth == 20)
        }
    }

    @Test func concurrentReadsOfManyScopesGetTheirOwnAnswers() async throws {
        try await TestApp.with(configure: { $0.database.readConnections = 2 }) { test in
            let fixtures = try await Fixtures.make(test)
            let database = test.app.database
            let cases: [(TenantScope, [String])] = [
                (TenantScope(tenantID: fixtures.resellerA.id, operators: .all), ["Reseller A", "Sub A1", "Sub A2"]),
                (TenantScope(tenantID: fixtures.resellerA.id, operators: .only([fixtures.subA1.id])), ["Sub A1"]),
                (TenantScope(tenantID: fixtures.resellerA.id, operators: .only([fixtures.subA2.id])), ["Sub A2"]),
                (TenantScope(tenantID: fixtures.resellerB.id, operators: .all), ["Reseller B"]),
            ]
            // Many requests in flight on each connection, scopes interleaved.
            let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<400 {
                    let (scope, expected) = cases[index % cases.count]
                    group.addTask {
                        try names(try await database.tenantRead(scope, OperatorNames.self)) == expected ? 0 : 1
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(mismatches == 0)
        }
    }

    @Test func aRequestWithoutAnAnswerTimesOutAndTheNextOneReconnects() async throws {
        let config = try TestDatabases.baseConfig().database
        let reads = ReadPipeline(config: config, logger: .init(label: "uplink.test"), requestTimeout: .milliseconds(500))
        let started = ContinuousClock.now
        await #expect(throws: WireError.timedOut) {
            _ = try await reads.run([WireCall(name: "test.sleep", sql: "SELECT pg_sleep(5)")])
        }
        #expect(ContinuousClock.now - started < .seconds(3))
        let one = try await reads.run([WireCall(name: "test.one", sql: "SELECT 1::int8")])
        #expect(try one.first?.rows.first?.cells.first?.decode(Int64.self, context: .default) == 1)
        await reads.shutdown()
    }

    @Test func aReadSurvivesItsConnectionBeingClosedByPostgres() async throws {
        try await TestApp.with(configure: { $0.database.readConnections = 1 }) { test in
            let fixtures = try await Fixtures.make(test)
            let database = test.app.database
            let scope = TenantScope(tenantID: fixtures.resellerA.id, operators: .all)
            #expect(try names(try await database.tenantRead(scope, OperatorNames.self)).count == 3)
            // As a restart or an administrator would: the read path's backend is terminated under it. The next
            // read opens a new connection (one written in the race with the close is sent once more).
            let terminated = try await database.withPlatformConnection { connection in
                try await connection.query(
                    """
                    SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
                    WHERE application_name = 'uplink-read' AND datname = current_database()
                    """,
                    logger: test.app.logger
                ).collect().first?.decode(Int.self)
            }
            #expect(terminated == 1)
            #expect(try names(try await database.tenantRead(scope, OperatorNames.self)) == ["Reseller A", "Sub A1", "Sub A2"])
        }
    }

    @Test func aWrongPasswordIsRefused() async throws {
        var config = try TestDatabases.baseConfig().database
        config.password = "not-the-password"
        let reads = ReadPipeline(config: config, logger: .init(label: "uplink.test"))
        await #expect(throws: WireError.self) {
            _ = try await reads.run([WireCall(name: "test.one", sql: "SELECT 1")])
        }
        await reads.shutdown()
    }

    @Test func scramMatchesTheRFC7677Example() throws {
        var client = SCRAMClient(password: "pencil", user: "user", nonce: "rOprNGfwEbeRWgbNEkqO")
        #expect(String(decoding: client.firstMessage, as: UTF8.self) == "n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
        let final = try client.finalMessage(
            serverFirst: Array("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096".utf8)
        )
        #expect(String(decoding: final, as: UTF8.self)
            == "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
        try client.verify(serverFinal: Array("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=".utf8))
        #expect(throws: WireError.self) { try client.verify(serverFinal: Array("v=AAAArriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=".utf8)) }
        // A server nonce that does not extend ours is refused before any proof is sent.
        var other = SCRAMClient(password: "pencil", nonce: "abc")
        #expect(throws: WireError.self) { try other.finalMessage(serverFirst: Array("r=xyz123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096".utf8)) }
    }

    @Test func md5AnswersAsPostgresComputesIt() {
        // md5(md5("secret" + "alice") + salt), the value Postgres expects for this user, password and salt.
        #expect(MD5Password.response(user: "alice", password: "secret", salt: [1, 2, 3, 4]) == "md598a0412b9c31436fc53776e863350083")
    }
}
