import AuthService
import Platform
import TenantRouter

/// The usual cast: an admin, two resellers (A and B) and a sub-reseller under each... built through the
/// same service calls the API uses.
package struct Fixtures: Sendable {
    package static let password = "correct-horse-battery"

    package var admin: UserSummary
    package var resellerA: CreatedReseller
    package var resellerB: CreatedReseller
    package var subA1: Operator
    package var subA2: Operator

    package static func make(_ test: TestApp) async throws -> Fixtures {
        let auth = test.app.auth
        let admin = try await auth.createAdmin(NewLogin(username: "admin", password: password, email: "admin@example.net"))
        let system = try await auth.systemAdminPrincipal()
        let a = try await auth.createReseller(by: system, name: "Reseller A", slug: "reseller-a",
                                              owner: NewLogin(username: "owner-a", password: password, email: nil))
        let b = try await auth.createReseller(by: system, name: "Reseller B", slug: "reseller-b",
                                              owner: NewLogin(username: "owner-b", password: password, email: nil))
        guard let ownerA = try await auth.principal(forUsername: "owner-a") else { throw TestFailure("owner-a missing") }
        let sub1 = try await auth.createOperator(by: ownerA, name: "Sub A1", login: NewLogin(username: "sub-a1", password: password, email: nil))
        let sub2 = try await auth.createOperator(by: ownerA, name: "Sub A2", login: NewLogin(username: "sub-a2", password: password, email: nil))
        return Fixtures(admin: admin, resellerA: a, resellerB: b, subA1: sub1, subA2: sub2)
    }
}
