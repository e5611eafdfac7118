import ArgumentParser
import AuthService
import Foundation
import Platform
import TenantRouter

/// `uplink seed --demo`: an admin, two resellers and a sub-reseller under the first. Idempotent: what exists is kept.
struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create demo data (idempotent) and print the demo logins.")

    @Flag(help: "Create the demo tenants and logins.")
    var demo = false

    struct DemoLogin {
        var role: String
        var username: String
        var password: String
    }

    func run() async throws {
        guard demo else { throw ValidationError("nothing to seed: pass --demo") }
        let app = try loadApplication(label: "uplink.seed")
        let logins = [
            DemoLogin(role: "admin", username: "admin", password: "admin-demo-2026"),
            DemoLogin(role: "reseller (Dhaka Net)", username: "dhakanet", password: "dhakanet-demo-2026"),
            DemoLogin(role: "reseller (Chattogram Link)", username: "ctglink", password: "ctglink-demo-2026"),
            DemoLogin(role: "sub-reseller of Dhaka Net", username: "mirpur", password: "mirpur-demo-2026"),
        ]
        try await app.withRunningDatabase {
            let auth = app.auth
            if try await auth.principal(forUsername: "admin") == nil {
                _ = try await auth.createAdmin(NewLogin(username: "admin", password: logins[0].password, email: "admin@example.net"))
            }
            let system = try await auth.systemAdminPrincipal()
            if try await auth.principal(forUsername: "dhakanet") == nil {
                _ = try await auth.createReseller(by: system, name: "Dhaka Net", slug: "dhaka-net",
                    owner: NewLogin(username: "dhakanet", password: logins[1].password, email: "noc@dhakanet.example"))
            }
            if try await auth.principal(forUsername: "ctglink") == nil {
                _ = try await auth.createReseller(by: system, name: "Chattogram Link", slug: "ctg-link",
                    owner: NewLogin(username: "ctglink", password: logins[2].password, email: "noc@ctglink.example"))
            }
            if try await auth.principal(forUsername: "mirpur") == nil, let dhaka = try await auth.principal(forUsername: "dhakanet") {
                _ = try await auth.createOperator(by: dhaka, name: "Mirpur Cable",
                    login: NewLogin(username: "mirpur", password: logins[3].password, email: nil))
            }
        }
        print("Demo logins (POST /api/v1/auth/login):")
        for login in logins {
            print("  \(login.role.padding(toLength: 28, withPad: " ", startingAt: 0)) \(login.username.padding(toLength: 10, withPad: " ", startingAt: 0)) \(login.password)")
        }
        await app.shutdown()
    }
}
