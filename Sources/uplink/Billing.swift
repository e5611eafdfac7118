import ArgumentParser
import BillingService
import Foundation
import Logging
import Platform
import ServiceLifecycle
import TenantRouter

struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ledger", abstract: "Check the books.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prove every tenant's books: postings sum to zero, wallet balances equal their entries. Exits 1 on any mismatch."
        )

        func run() async throws {
            let app = try loadApplication(label: "uplink.ledger")
            let report = try await app.withRunningDatabase { try await app.billing.verifyLedger() }
            await app.shutdown()
            for tenant in report.tenants {
                print("tenant \(tenant.tenantID): \(tenant.entries) entries in \(tenant.postings) postings, \(tenant.wallets) wallets — "
                      + (tenant.ok ? "ok" : "unbalanced postings \(tenant.unbalancedPostings), wallet mismatches \(tenant.walletMismatches), "
                         + "charge mismatches \(tenant.chargeMismatches)"))
            }
            print(report.ok ? "ledger verified" : "LEDGER MISMATCH")
            if !report.ok { throw ExitCode(1) }
        }
    }
}

struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "jobs", abstract: "Run scheduler jobs by hand.", subcommands: [Run.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run one job for every tenant as of a given time (default now).")

        @Argument(help: "The job: \(BillingJob.allCases.map(\.rawValue).joined(separator: ", ")).")
        var name: String

        @Option(name: .customLong("as-of"), help: "ISO 8601 time, e.g. 2026-12-01T00:00:00+06:00.")
        var asOf: String?

        func run() async throws {
            guard let job = BillingJob(rawValue: name) else {
                throw ValidationError("unknown job \(name); jobs: \(BillingJob.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let time: Date
            do { time = try asOf.map { try Validate.timestamp($0, field: "as-of") } ?? Date() } catch {
                throw ValidationError("--as-of must be an ISO 8601 time like 2026-12-01T00:00:00+06:00")
            }
            let app = try loadApplication(label: "uplink.jobs")
            let report = try await app.withRunningDatabase {
                try await app.billing.run(job, asOf: time, holder: Scheduler.holderName())
            }
            await app.shutdown()
            print("\(report.job) as of \(ISO8601DateFormatter().string(from: report.asOf)): \(report.tenants) tenants, "
                  + "\(report.created) done, \(report.skipped) skipped, \(report.failed) failed, \(report.tenantsLeased) tenants held by another node, "
                  + String(format: "%.2f s", report.seconds))
            for failure in report.failures { print("  failed: \(failure)") }
            if report.failed > 0 { throw ExitCode(1) }
        }
    }
}

/// The scheduler role: runs every billing job as of now on a timer until shut down. Several nodes may run
/// it: each tenant's job takes a lease, so a tenant's job never runs twice at once.
struct Scheduler: Service {
    let billing: BillingService
    let interval: Duration
    let logger: Logger

    static func holderName() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8))"
    }

    func run() async throws {
        let holder = Self.holderName()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            for job in BillingJob.allCases {
                do {
                    let report = try await billing.run(job, asOf: Date(), holder: holder)
                    if report.created > 0 || report.failed > 0 {
                        logger.info("job run", metadata: [
                            "job": "\(report.job)", "created": "\(report.created)", "failed": "\(report.failed)",
                            "seconds": "\(String(format: "%.2f", report.seconds))",
                        ])
                    }
                } catch {
                    logger.error("job failed", metadata: ["job": "\(job.rawValue)", "error": "\(String(describing: type(of: error)))"])
                }
            }
            try? await Task.sleep(for: interval)
        }
    }
}
