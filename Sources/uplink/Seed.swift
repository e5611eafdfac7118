import ArgumentParser
import BillingService
import AuthService
import CustomerService
import Foundation
import Platform
import PostgresNIO
import TenantRouter

/// `uplink seed --demo`: an admin, two resellers and a sub-reseller under the first, packages of every type,
/// zones and a few hundred customers. `uplink seed --customers N --tenants T`: volume for benchmarks.
/// Both are idempotent: what exists is kept.
struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create demo data or benchmark volume (idempotent) and print the demo logins.")

    @Flag(help: "Create the demo tenants, logins, packages, zones and customers.")
    var demo = false

    @Option(help: "Generate this many customers in total (with --tenants).")
    var customers: Int?

    @Option(help: "Reseller tenants to spread generated customers over (bench-001 …).")
    var tenants = 100

    @Option(help: "Customers in the first generated tenant (the rest share the remainder).")
    var largest: Int?

    @Option(help: "Tenants generated at once.")
    var parallel = 2

    @Option(help: "Customer types of generated volume: realistic (50 % daily, 30 % monthly, 12 % hotspot, 8 % other) or billing (half daily, half monthly).")
    var mix = "realistic"

    struct DemoLogin {
        var role: String
        var username: String
        var password: String
    }

    func run() async throws {
        if let customers {
            try await generate(customers)
            return
        }
        guard demo else { throw ValidationError("nothing to seed: pass --demo or --customers N") }
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
            let catalog = try await Self.catalog(app)
            let generator = CustomerGenerator(service: app.customers)
            let adminTenant = try await auth.systemAdminPrincipal().tenantID
            try await generator.generate(tenantID: adminTenant, count: 40, prefix: "isp", catalog: catalog, includeStatic: true)
            for (slug, prefix, count) in [("dhaka-net", "dn", 300), ("ctg-link", "ctg", 120)] {
                let tenant = try await app.database.withPlatformConnection { try await auth.tenants.tenant(slug: slug, on: $0) }
                if let tenant {
                    try await generator.generate(tenantID: tenant.id, count: count, prefix: prefix, catalog: catalog, includeStatic: false)
                }
            }
            // Opening balances (idempotent keys: a second seed replays them): the ISP funds both resellers,
            // Dhaka Net funds Mirpur Cable.
            let seedActor = Actor(principal: system, requestID: "seed", clientIP: "127.0.0.1")
            for slug in ["dhaka-net", "ctg-link"] {
                guard let tenant = try await app.database.withPlatformConnection({ try await auth.tenants.tenant(slug: slug, on: $0) }) else { continue }
                _ = try await app.billing.fundResellerWallet(
                    tenantID: tenant.id, by: seedActor, TopUpInput(amount: 20_000_000, method: "bank", note: "demo opening balance"),
                    key: "demo-opening-\(slug)", body: Data("demo".utf8)
                )
            }
            if let dhaka = try await auth.principal(forUsername: "dhakanet"), let mirpur = try await auth.principal(forUsername: "mirpur") {
                _ = try await app.billing.fundOperatorWallet(
                    id: mirpur.operatorID, by: Actor(principal: dhaka, requestID: "seed", clientIP: "127.0.0.1"),
                    TopUpInput(amount: 5_000_000, method: "cash", note: "demo opening balance"), key: "demo-opening-mirpur", body: Data("demo".utf8)
                )
            }
            try await Self.demoBilling(app)
        }
        print("Demo logins (POST /api/v1/auth/login):")
        for login in logins {
            print("  \(login.role.padding(toLength: 28, withPad: " ", startingAt: 0)) \(login.username.padding(toLength: 10, withPad: " ", startingAt: 0)) \(login.password)")
        }
        await app.shutdown()
    }

    /// Makes the demo's money coherent (idempotent): every tenant's operators may sell the demo packages
    /// (owners at 70 %, sub-resellers at 80 % of the customer price), wallets never funded get an opening
    /// balance, the current period is invoiced like the scheduler does, and the active monthly customers
    /// have paid it in cash — so the scheduler of `make run` finds nothing overdue to suspend.
    static func demoBilling(_ app: UplinkApplication) async throws {
        try await app.database.withPlatformTransaction { connection in
            try await connection.query(
                """
                DO $demo$
                DECLARE t record; o record;
                BEGIN
                    FOR t IN SELECT id, kind, schema_name FROM platform.tenants ORDER BY id LOOP
                        EXECUTE format($q$
                            INSERT INTO catalog.package_assignments (package_id, tenant_id, operator_id, level, price)
                            SELECT p.id, %s, o.id, CASE o.kind WHEN 'owner' THEN 'reseller' ELSE 'sub_reseller' END,
                                   p.price * CASE o.kind WHEN 'owner' THEN 7 ELSE 8 END / 10
                            FROM catalog.packages p, %I.operators o
                            WHERE p.name IN ('Home 10 Mbps (30 days)', 'Home 20 Mbps monthly', 'Hotspot day pass 2 GB',
                                             'Corporate static 50 Mbps', 'Cable TV')
                              AND (o.kind = 'sub_reseller' OR %L = 'reseller')
                            ON CONFLICT DO NOTHING $q$, t.id, t.schema_name, t.kind);
                        FOR o IN EXECUTE format($q$SELECT w.operator_id FROM %I.wallets w
                                                   WHERE NOT EXISTS (SELECT 1 FROM %I.wallet_transfers x WHERE x.operator_id = w.operator_id)
                                                   ORDER BY 1$q$, t.schema_name, t.schema_name) LOOP
                            EXECUTE format($q$SELECT %I.fund_wallet($1, 5000000, 'bank', NULL, 'demo opening balance', 'seed')$q$, t.schema_name)
                                USING o.operator_id;
                        END LOOP;
                    END LOOP;
                END
                $demo$
                """,
                logger: app.logger
            )
        }
        _ = try await app.billing.run(.generateInvoices, asOf: Date(), holder: "seed")
        try await app.database.withPlatformTransaction { connection in
            try await connection.query(
                """
                DO $paid$
                DECLARE t record; i record;
                BEGIN
                    PERFORM set_config('uplink.operator_ids', '*', true);
                    FOR t IN SELECT schema_name FROM platform.tenants ORDER BY id LOOP
                        FOR i IN EXECUTE format($q$SELECT v.customer_id, v.total - v.paid AS open FROM %I.invoices v
                                                   JOIN %I.customers c ON c.id = v.customer_id
                                                   WHERE v.status IN ('unpaid', 'partial') AND v.total > v.paid AND c.status = 'active'
                                                   ORDER BY v.id$q$, t.schema_name, t.schema_name) LOOP
                            EXECUTE format($q$SELECT %I.record_payment($1, $2, 'cash', NULL, now(), now(), 'seed', NULL, NULL, 'seed', '127.0.0.1')$q$,
                                           t.schema_name) USING i.customer_id, i.open;
                        END LOOP;
                    END LOOP;
                END
                $paid$
                """,
                logger: app.logger
            )
        }
    }

    /// Packages of every type and a monthly billing profile, made once (looked up by name after that).
    static func catalog(_ app: UplinkApplication) async throws -> CustomerGenerator.Catalog {
        try await app.database.withPlatformTransaction { connection in
            let logger = app.logger
            try await connection.query(
                """
                INSERT INTO catalog.packages (name, customer_type, download_kbps, upload_kbps, burst_download_kbps, burst_upload_kbps,
                    burst_time_seconds, validity_days, validity_hours, data_limit_mb, ip_pool, suspended_pool, price, vat_profile_id)
                VALUES ('Home 10 Mbps (30 days)', 'pppoe_daily', 10240, 10240, 15360, 15360, 16, 30, NULL, NULL, 'pool-home', 'pool-suspended', 50000, 1),
                       ('Home 20 Mbps monthly', 'pppoe_monthly', 20480, 20480, NULL, NULL, NULL, NULL, NULL, NULL, 'pool-home', 'pool-suspended', 80000, 1),
                       ('Hotspot day pass 2 GB', 'hotspot', 5120, 2048, NULL, NULL, NULL, NULL, 24, 2048, 'pool-hotspot', NULL, 2000, 1),
                       ('Corporate static 50 Mbps', 'static_monthly', 51200, 51200, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 500000, 1),
                       ('Cable TV', 'other', 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 30000, NULL)
                ON CONFLICT DO NOTHING
                """,
                logger: logger
            )
            try await connection.query(
                "INSERT INTO catalog.billing_profiles (name, cycle_day) VALUES ('Monthly, cycle day 1', 1) ON CONFLICT DO NOTHING", logger: logger
            )
            var packages: [CustomerType: Int64] = [:]
            let names = ["Home 10 Mbps (30 days)", "Home 20 Mbps monthly", "Hotspot day pass 2 GB", "Corporate static 50 Mbps", "Cable TV"]
            for try await (id, type) in try await connection.query(
                "SELECT id, customer_type FROM catalog.packages WHERE name = ANY(\(names)::text[])", logger: logger
            ).decode((Int64, String).self) {
                if let type = CustomerType(rawValue: type) { packages[type] = id }
            }
            let profile = try await connection.scalar(
                "SELECT id FROM catalog.billing_profiles WHERE name = 'Monthly, cycle day 1'", as: Int64.self, logger: logger
            )
            guard packages.count == 5, let profile else { throw ValidationError("demo packages are missing") }
            return CustomerGenerator.Catalog(packages: packages, billingProfileID: profile)
        }
    }

    /// `--customers N --tenants T [--largest L]`: tenants bench-001 … with generated customers, timed.
    func generate(_ total: Int) async throws {
        guard total > 0, tenants > 0, total >= tenants else { throw ValidationError("--customers must be at least --tenants (both positive)") }
        let largest = min(largest ?? total / tenants, total)
        guard mix == "realistic" || mix == "billing" else { throw ValidationError("--mix: realistic or billing") }
        let halfAndHalf = mix == "billing"
        let app = try loadApplication(label: "uplink.seed")
        let clock = ContinuousClock()
        let started = clock.now
        try await app.withRunningDatabase {
            let auth = app.auth
            let system = try await auth.systemAdminPrincipal()
            let catalog = try await Self.catalog(app)
            var tenantIDs: [Int64] = []
            for index in 1...tenants {
                let slug = String(format: "bench-%03d", index)
                if let tenant = try await app.database.withPlatformConnection({ try await auth.tenants.tenant(slug: slug, on: $0) }) {
                    tenantIDs.append(tenant.id)
                } else {
                    let created = try await auth.createReseller(by: system, name: "Bench ISP \(index)", slug: slug,
                        owner: NewLogin(username: "\(slug)-owner", password: "\(slug)-password", email: nil))
                    tenantIDs.append(created.id)
                }
            }
            let tenantsReady = clock.now
            print("tenants ready: \(tenants) in \(tenantsReady - started)")
            let rest = tenants > 1 ? (total - largest) / (tenants - 1) : 0
            let counts = tenantIDs.indices.map { index in index == 0 ? largest : rest + (index <= (total - largest) % max(tenants - 1, 1) ? 1 : 0) }
            let generator = CustomerGenerator(service: app.customers)
            var next = 0
            var inserted = 0
            try await withThrowingTaskGroup(of: Int.self) { group in
                func startNext() {
                    guard next < tenantIDs.count else { return }
                    let index = next
                    next += 1
                    let (tenantID, count) = (tenantIDs[index], counts[index])
                    let prefix = String(format: "b%03d-", index + 1)
                    group.addTask {
                        try await generator.generate(tenantID: tenantID, count: count, prefix: prefix, catalog: catalog, includeStatic: false,
                                                     halfDailyHalfMonthly: halfAndHalf)
                    }
                }
                for _ in 0..<max(parallel, 1) { startNext() }
                while let count = try await group.next() {
                    inserted += count
                    startNext()
                }
            }
            let generated = clock.now
            print("customers inserted: \(inserted) (of \(total); first tenant \(largest)) in \(generated - tenantsReady)")
            try await app.database.withPlatformConnection { connection in
                try await connection.query("VACUUM (ANALYZE)", logger: app.logger)
            }
            print("vacuum analyze: \(clock.now - generated); total \(clock.now - started)")
        }
        await app.shutdown()
    }
}
