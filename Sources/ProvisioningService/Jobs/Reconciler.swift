import Foundation
import Logging
import Platform
import ServiceLifecycle

/// The worker role's timer: a full reconcile every `reconcileIntervalSeconds` (the first one a minute after
/// start, so a restart does not pile work onto a busy moment). Off when the interval is 0.
package struct Reconciler: Service {
    let service: ProvisioningService
    let holder: String

    package init(service: ProvisioningService, holder: String) {
        self.service = service
        self.holder = holder
    }

    package func run() async throws {
        let interval = service.settings.reconcileIntervalSeconds
        // A service that returns ends its whole group: when turned off, wait for shutdown instead.
        guard interval > 0 else {
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            var wait = min(60, interval)
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(wait))
                wait = interval
                guard !Task.isCancelled else { return }
                do {
                    let report = try await service.reconcile(dryRun: false, holder: holder)
                    service.logger.info("reconcile done", metadata: [
                        "customers": "\(report.customers)", "drifted": "\(report.drifted)", "orphans": "\(report.orphans)",
                        "seconds": "\(report.seconds)",
                    ])
                } catch {
                    service.logger.warning("reconcile failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
