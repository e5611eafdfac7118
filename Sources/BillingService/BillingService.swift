import Foundation
import Logging
import Platform
import PostgresNIO

/// Money and what it is charged for: the catalog (packages, their assignments with operator prices, billing
/// and VAT profiles), operator wallets, the append-only ledger, prepaid recharges, the scheduler's billing
/// jobs, invoices and payments of monthly customers, and vouchers.
package struct BillingService: Sendable {
    package let database: Database
    package let logger: Logger
    let clock: any WallClock
    let catalog: CatalogRepository
    let idempotency: IdempotencyStore
    /// Seals voucher codes and makes their look-up fingerprints.
    let secrets: SecretBox

    package init(database: Database, dataKey: DataKey, clock: any WallClock = SystemWallClock(), logger: Logger) {
        self.database = database
        self.logger = logger
        self.clock = clock
        self.secrets = SecretBox(key: dataKey)
        self.catalog = CatalogRepository(logger: logger)
        self.idempotency = IdempotencyStore(logger: logger)
    }
}
