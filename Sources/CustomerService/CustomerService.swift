import Logging
import Platform

/// Customers and what hangs off them: zones and custom field definitions (so far), later the five customer types, custom fields,
/// devices, deleted customers, import, the BTRC report and the online view.
package struct CustomerService: Sendable {
    package let database: Database
    package let logger: Logger
    let zones: ZoneRepository
    let customFields: CustomFieldRepository

    package init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
        self.zones = ZoneRepository(logger: logger)
        self.customFields = CustomFieldRepository(logger: logger)
    }
}
