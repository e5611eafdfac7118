import ArgumentParser
import Foundation
import Platform
import ProvisioningService
import TenantRouter

struct ProvisioningCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provisioning", abstract: "Customers' network state in FreeRADIUS and on the routers.", subcommands: [Reconcile.self, PollAccounting.self, PruneAccounting.self]
    )

    struct Reconcile: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare every customer's RADIUS rows (and static-IP customers' router queues and address lists) with its record and repair the drift (exit 1 when a dry run finds any)."
        )

        @Flag(name: .customLong("dry-run"), help: "Only print the drift.")
        var dryRun = false

        @Option(help: "One tenant only.")
        var tenant: Int64?

        func run() async throws {
            let app = try loadApplication(label: "uplink.provisioning")
            let report = try await app.withRunningDatabase {
                try await app.provisioning.reconcile(dryRun: dryRun, tenantID: tenant, holder: Scheduler.holderName())
            }
            await app.shutdown()
            print("\(dryRun ? "dry run: " : "")\(report.customers) customers in \(report.tenants) tenants, \(report.drifted) drifted, "
                  + "\(report.orphans) orphan usernames, \(report.tenantsLeased) tenants held by another node, "
                  + String(format: "%.2f s", report.seconds))
            for sample in report.samples { print("  \(dryRun ? "differs" : "repaired"): \(sample)") }
            if let routers = report.routers {
                print("routers: \(routers.routers) compared, \(routers.drifted) queue/address-list items \(dryRun ? "differ" : "repaired"), "
                      + "\(routers.failed.count) unreachable")
                for sample in routers.samples { print("  \(sample)") }
                for failure in routers.failed { print("  failed: \(failure)") }
            }
            let routerDrift = report.routers?.drifted ?? 0
            if dryRun, report.drifted + report.orphans + routerDrift > 0 { throw ExitCode(1) }
        }
    }

    struct PollAccounting: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "poll-accounting",
            abstract: "Run the accounting poller's ticks here and print what each did (stale sessions closed, the online view updated)."
        )

        @Option(help: "Ticks to run.")
        var ticks = 1

        @Option(name: .customLong("interval-ms"), help: "Pause between ticks, in milliseconds.")
        var intervalMilliseconds = 5000

        func run() async throws {
            guard (1...10_000).contains(ticks), (0...600_000).contains(intervalMilliseconds) else {
                throw ValidationError("--ticks must be 1-10000 and --interval-ms 0-600000")
            }
            let app = try loadApplication(label: "uplink.provisioning")
            try await app.withRunningDatabase {
                var state = AccountingPollState()
                for tick in 1...ticks {
                    if tick > 1 { try await Task.sleep(for: .milliseconds(intervalMilliseconds)) }
                    let report = try await app.provisioning.pollAccounting(&state)
                    print("tick \(tick): " + (report.rebuilt ? "rebuilt the view, \(report.upserted) open sessions" :
                        "\(report.upserted) sessions written, \(report.removed) removed") + ", \(report.staleClosed) stale closed, "
                        + String(format: "%.3f s", report.seconds))
                }
            }
            await app.shutdown()
        }
    }

    struct PruneAccounting: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prune-accounting",
            abstract: "Delete closed sessions and authentications older than UPLINK_ACCOUNTING_RETENTION_DAYS, in batches (the poller does it hourly)."
        )

        func run() async throws {
            let app = try loadApplication(label: "uplink.provisioning")
            let report = try await app.withRunningDatabase { try await app.provisioning.pruneAccounting() }
            await app.shutdown()
            print("pruned \(report.sessions) sessions and \(report.authentications) authentications in " + String(format: "%.2f s", report.seconds))
        }
    }
}
