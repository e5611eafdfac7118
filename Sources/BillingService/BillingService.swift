import Foundation
import Logging
import Platform
import PostgresNIO

/// Money and what it is charged for: the catalog (packages, their assignments with operator prices, billing
/// and VAT profiles), operator wallets, the append-only ledger, prepaid recharges and the scheduler's billing
/// jobs. Invoices, payments of monthly customers and vouchers come next.
package struct BillingService: Sendable {
    package let database: Database
    package let logger: Logger
    let clock: any WallClock
    let catalog: CatalogRepository
    let idempotency: IdempotencyStore

    package init(database: Database, clock: any WallClock = SystemWallClock(), logger: Logger) {
        self.database = database
        self.logger = logger
        self.clock = clock
        self.catalog = CatalogRepository(logger: logger)
        self.idempotency = IdempotencyStore(logger: logger)
    }
}
