import ArgumentParser
import AuthService
import CustomerService
import Foundation
import Platform
import PostgresNIO
import TenantRouter

/// `uplink bench db`: the cost of tenant scoping, measured against the same read without it.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks that need the database directly.",
        subcommands: [DatabaseScope.self, CustomerPlans.self]
    )

    struct DatabaseScope: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "db",
            abstract: "Latency of a one-row read: autocommit, in a plain transaction, in a tenant-scoped transaction, and pipelined."
        )

        /// The scoped select of the pipelined variant.
        enum OperatorRead: SQLStatement {
            static let sql = "SELECT id, name FROM operators WHERE id = $1"
        }

        @Option(help: "Reads per variant.") var iterations = 5000
        @Option(help: "Tenant slug whose operators table is read.") var tenant = "dhaka-net"

        func run() async throws {
            let app = try loadApplication(label: "uplink.bench")
            let database = app.database
            let logger = app.logger
            try await app.withRunningDatabase {
                let tenantID: Int64 = try await database.withPlatformConnection { connection in
                    guard let found = try await app.auth.tenants.tenant(slug: tenant, on: connection) else {
                        throw ValidationError("no tenant \(tenant): run `uplink seed --demo` first")
                    }
                    return found.id
                }
                let schema = TenantNaming.schema(tenantID)
                let ownerID: Int64 = try await database.withPlatformConnection { connection in
                    try await app.auth.tenants.ownerOperatorID(of: tenantID, on: connection)
                }
                let scope = TenantScope(tenantID: tenantID, operators: .all)
                let select: PostgresQuery = "SELECT id, name FROM \(unescaped: schema).operators WHERE id = \(ownerID)"
                let scopedSelect: PostgresQuery = "SELECT id, name FROM operators WHERE id = \(ownerID)"

                print("one-row read of \(schema).operators, \(iterations) sequential reads per variant, one pooled connection at a time")
                print("variant                          round trips    p50 µs    p99 µs   mean µs")
                let autocommit = try await measure {
                    try await database.withPlatformConnection { connection in
                        _ = try await connection.query(select, logger: logger).collect()
                    }
                }
                report("autocommit (no transaction)", roundTrips: 1, autocommit)
                let plain = try await measure {
                    try await database.withPlatformTransaction { connection in
                        _ = try await connection.query(select, logger: logger).collect()
                    }
                }
                report("transaction, unscoped", roundTrips: 3, plain)
                let scoped = try await measure {
                    try await database.withTenantTransaction(scope) { connection in
                        _ = try await connection.query(scopedSelect, logger: logger).collect()
                    }
                }
                report("transaction, tenant-scoped", roundTrips: 4, scoped)
                var bindings = WireBindings()
                bindings.append(ownerID)
                let pipelined = try await measure {
                    _ = try await database.tenantRead(scope, OperatorRead.self, bindings)
                }
                report("pipelined, tenant-scoped", roundTrips: 1, pipelined)
            }
            await app.shutdown()
        }

        private func measure(_ body: () async throws -> Void) async throws -> [Duration] {
            for _ in 0..<200 { try await body() }  // warm the pool and the plan cache
            var samples: [Duration] = []
            samples.reserveCapacity(iterations)
            let clock = ContinuousClock()
            for _ in 0..<iterations {
                samples.append(try await clock.measure { try await body() })
            }
            return samples.sorted()
        }

        private func report(_ name: String, roundTrips: Int, _ samples: [Duration]) {
            func micros(_ duration: Duration) -> Int {
                Int(duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000)
            }
            let p50 = micros(samples[samples.count / 2])
            let p99 = micros(samples[min(samples.count - 1, samples.count * 99 / 100)])
            let mean = samples.reduce(0) { $0 + micros($1) } / samples.count
            print(name.padding(toLength: 33, withPad: " ", startingAt: 0)
                + String(roundTrips).padding(toLength: 11, withPad: " ", startingAt: 0)
                + String(format: "%9d %9d %9d", p50, p99, mean))
        }
    }

    /// `uplink bench plans`: `EXPLAIN ANALYZE` of the customer list's statements for the benchmark's scenarios,
    /// run through the same code that serves the API, so the plans are those of the real queries.
    struct CustomerPlans: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "plans",
            abstract: "Query plans of the customer list and the admin search for the benchmark scenarios."
        )

        @Option(help: "Login whose scope the list runs in.") var owner = "bench-001-owner"
        @Option(help: "Name fragment.") var name = "rahim"
        @Option(help: "Username prefix.") var username = "b001-1234"
        @Option(help: "Phone number (any format).") var phone = "01700000000"
        @Option(help: "Zone id for the zone + status filter.") var zone = "1"
        @Flag(help: "Print whole plans, not only their key lines.") var full = false

        func run() async throws {
            let app = try loadApplication(label: "uplink.bench")
            try await app.withRunningDatabase {
                guard let principal = try await app.auth.principal(forUsername: owner) else {
                    throw ValidationError("no login \(owner): run `uplink seed --customers …` first")
                }
                let scenarios: [(String, String?, String?, String?)] = [
                    ("default page (active, newest first)", nil, nil, nil),
                    ("name fragment q=\(name)", name, nil, nil),
                    ("username prefix q=\(username)", username, nil, nil),
                    ("phone q=\(phone)", phone, nil, nil),
                    ("zone \(zone) + status suspended", nil, "suspended", zone),
                ]
                for (label, search, status, zone) in scenarios {
                    let plans = try await app.customers.explainListCustomers(for: principal, search: search, status: status, zoneID: zone)
                    print("\n### \(label)\ncounts:")
                    show(plans.counts)
                    print("page:")
                    show(plans.page)
                }
                let admin = try await app.customers.explainAdminSearch(search: name)
                print("\n### admin search q=\(name) (every tenant)\ncount:")
                show(admin.count)
                print("page:")
                show(admin.page)
            }
            await app.shutdown()
        }

        private func show(_ lines: [String]) {
            let keys = ["Scan", "Execution Time", "Planning Time", "Sort Method", "Limit"]
            for line in lines where full || keys.contains(where: { line.contains($0) }) { print("    " + line) }
        }
    }
}
