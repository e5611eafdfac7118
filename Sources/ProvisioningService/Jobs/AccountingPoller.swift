import Foundation
import Logging
import Platform
import ServiceLifecycle

/// The accounting poller (worker role): every `UPLINK_ACCOUNTING_POLL_MS` closes stale sessions and brings
/// the online view in Redis up to date from `radius.radacct`; hourly, prunes accounting past its retention. Several nodes may run it: every tick is
/// idempotent (the view is rewritten from the database, stale closes skip rows another node holds).
package struct AccountingPoller: Service {
    let service: ProvisioningService

    package init(service: ProvisioningService) { self.service = service }

    package func run() async throws {
        let interval = service.settings.accountingPollMilliseconds
        guard interval > 0 else {
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            var state = AccountingPollState()
            var lastPrune = ContinuousClock.now - .seconds(3600)
            while !Task.isCancelled {
                if ContinuousClock.now - lastPrune >= .seconds(3600) {
                    lastPrune = ContinuousClock.now
                    do {
                        _ = try await service.pruneAccounting()
                    } catch is CancellationError {
                        return
                    } catch {
                        service.logger.warning("accounting prune failed", metadata: ["error": "\(error)"])
                    }
                }
                do {
                    let tick = try await service.pollAccounting(&state)
                    if tick.rebuilt || tick.staleClosed > 0 {
                        service.logger.info("online view updated", metadata: [
                            "rebuilt": "\(tick.rebuilt)", "sessions": "\(tick.upserted)", "stale_closed": "\(tick.staleClosed)",
                            "seconds": "\(tick.seconds)",
                        ])
                    }
                } catch is CancellationError {
                    return
                } catch {
                    // Redis or Postgres away: the next tick rebuilds what it must.
                    state = AccountingPollState()
                    service.logger.warning("accounting poll failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .milliseconds(interval))
            }
        }
    }
}
