import Logging
import Platform

/// Customers and what hangs off them: zones (so far), later the five customer types, custom fields,
/// devices, deleted customers, import, the BTRC report and the online view.
package struct CustomerService: Sendable {
    package let database: Database
    package let logger: Logger
    let zones: ZoneRepository

    package init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
        self.zones = ZoneRepository(logger: logger)
    }
}
