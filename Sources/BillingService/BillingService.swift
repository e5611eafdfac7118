import Foundation
import Logging
import Platform
import PostgresNIO

/// Money and what it is charged for. So far the catalog: packages, their assignments to resellers and
/// sub-resellers with operator prices, billing profiles and VAT profiles. Wallets, the ledger, invoices and
/// payments come next.
package struct BillingService: Sendable {
    package let database: Database
    package let logger: Logger
    let catalog: CatalogRepository

    package init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
        self.catalog = CatalogRepository(logger: logger)
    }
}
