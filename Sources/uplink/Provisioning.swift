import ArgumentParser
import Foundation
import Platform
import ProvisioningService
import TenantRouter

struct ProvisioningCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provisioning", abstract: "Customers' network state in FreeRADIUS and on the routers.", subcommands: [Reconcile.self]
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
}
