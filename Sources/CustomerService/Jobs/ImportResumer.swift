import Foundation
import Logging
import Platform
import ServiceLifecycle

/// Finishes customer imports whose writer stopped midway (worker role): every 15 seconds it takes over
/// imports whose lease ran out and writes their remaining rows. Any node may run it; the lease keeps two
/// from writing the same import.
package struct ImportResumer: Service {
    let service: CustomerService
    let holder: String
    let interval: Duration

    package init(service: CustomerService, holder: String, interval: Duration = .seconds(15)) {
        self.service = service
        self.holder = holder
        self.interval = interval
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await service.resumeImports(holder: holder)
                } catch is CancellationError {
                    return
                } catch {
                    service.logger.warning("resuming imports failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
