import AuthService
import Platform
import PostgresNIO
import TenantRouter
import TestSupport
import Testing

/// The database, not Swift code, keeps tenants and sibling sub-resellers apart.
@Suite struct TenancyTests {
    @Test func aTenantRoleCannotReadAnotherTenantsSchema() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            let database = test.app.database
            let scopeA = TenantScope(tenantID: fixtures.resellerA.id, operators: .all)
            let schemaB = TenantNaming.schema(fixtures.resellerB.id)
            // A hand-written, schema-qualified query for B's rows, run in A's scope.
            await #expect(throws: DatabaseError.permissionDenied) {
                try await database.withTenantTransaction(scopeA) { connection in
                    try await connection.query("SELECT id FROM \(unescaped: schemaB).operators", logger: test.app.logger).collect()
                }
            }
            // Nor the platform tables behind the API.
            await #expect(throws: DatabaseError.permissionDenied) {
                try await database.withTenantTransaction(scopeA) { connection in
                    try await connection.query("SELECT password_hash FROM platform.users", logger: test.app.logger).collect()
                }
            }
            // The narrow logins view shows A's logins only, whatever the query asks for.
            let names = try await database.withTenantTransaction(scopeA) { connection in
                var names: [String] = []
                for try await name in try await connection.query("SELECT username FROM platform.tenant_logins ORDER BY username", logger: test.app.logger).decode(String.self) {
                    names.append(name)
                }
                return names
            }
            #expect(names == ["owner-a", "sub-a1", "sub-a2"])
        }
    }

    @Test func aSubResellerSeesOnlyItsOwnRowsEvenWithAHandWrittenQuery() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            let scope = TenantScope(tenantID: fixtures.resellerA.id, operators: .only([fixtures.subA1.id]))
            let (visible, sibling, updated) = try await test.app.database.withTenantTransaction(scope) { connection in
                var ids: [Int64] = []
                for try await id in try await connection.query("SELECT id FROM operators ORDER BY id", logger: test.app.logger).decode(Int64.self) {
                    ids.append(id)
                }
                let sibling = try await connection.scalar("SELECT count(*) FROM operators WHERE id = \(fixtures.subA2.id)", as: Int.self, logger: test.app.logger)
                let update = try await connection.query("UPDATE operators SET name = 'taken over' WHERE id = \(fixtures.subA2.id) RETURNING id", logger: test.app.logger)
                var updated = 0
                for try await _ in update { updated += 1 }
                return (ids, sibling, updated)
            }
            #expect(visible == [fixtures.subA1.id])
            #expect(sibling == 0)
            #expect(updated == 0)
            // And the owner's scope sees the whole tenant, the sibling untouched.
            let all = try await test.app.database.withTenantTransaction(TenantScope(tenantID: fixtures.resellerA.id, operators: .all)) { connection in
                var names: [String] = []
                for try await name in try await connection.query("SELECT name FROM operators ORDER BY id", logger: test.app.logger).decode(String.self) {
                    names.append(name)
                }
                return names
            }
            #expect(all == ["Reseller A", "Sub A1", "Sub A2"])
        }
    }

    @Test func anEmptyScopeSeesNothing() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            let count = try await test.app.database.withTenantTransaction(TenantScope(tenantID: fixtures.resellerA.id, operators: .only([]))) { connection in
                try await connection.scalar("SELECT count(*) FROM operators", as: Int.self, logger: test.app.logger)
            }
            #expect(count == 0)
        }
    }

    @Test func operatorIDsAreUniqueAcrossTenants() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            let ids = [fixtures.resellerA.owner.operatorID, fixtures.resellerB.owner.operatorID, fixtures.subA1.id, fixtures.subA2.id, fixtures.admin.operatorID]
            #expect(Set(ids).count == ids.count)
        }
    }

    @Test func creatingAResellerIsAllOrNothing() async throws {
        try await TestApp.with { test in
            let auth = test.app.auth
            let system = try await auth.systemAdminPrincipal()
            _ = try await auth.createReseller(by: system, name: "First", slug: "first", owner: NewLogin(username: "taken", password: Fixtures.password, email: nil))
            // The owner username is taken: nothing of the second reseller may remain.
            await #expect(throws: AuthError.usernameTaken) {
                try await auth.createReseller(by: system, name: "Second", slug: "second", owner: NewLogin(username: "TAKEN", password: Fixtures.password, email: nil))
            }
            let (tenants, schemas) = try await test.app.database.withPlatformConnection { connection in
                let tenants = try await connection.scalar("SELECT count(*) FROM platform.tenants WHERE slug = 'second'", as: Int.self, logger: test.app.logger)
                let schemas = try await connection.scalar("SELECT count(*) FROM pg_namespace WHERE nspname ~ '^t_[0-9]+$'", as: Int.self, logger: test.app.logger)
                return (tenants, schemas)
            }
            #expect(tenants == 0)
            #expect(schemas == 2)  // the admin tenant and "first"
        }
    }
}
