import Logging
import Platform

/// Customers and what hangs off them: the customer records of the five types, their actions, devices
/// (MAC bindings), the activity log, deleted customers, zones and custom field definitions, and the
/// admin's search across tenants. Later: import, the BTRC report and the online view.
package struct CustomerService: Sendable {
    package let database: Database
    package let logger: Logger
    let zones: ZoneRepository
    let customFields: CustomFieldRepository
    let customers: CustomerRepository
    let secrets: SecretBox
    let clock: any WallClock
    let maxDevicesPerCustomer: Int

    package init(database: Database, dataKey: DataKey, clock: any WallClock = SystemWallClock(), maxDevicesPerCustomer: Int = 4, logger: Logger) {
        self.database = database
        self.logger = logger
        self.zones = ZoneRepository(logger: logger)
        self.customFields = CustomFieldRepository(logger: logger)
        self.customers = CustomerRepository(logger: logger)
        self.secrets = SecretBox(key: dataKey)
        self.clock = clock
        self.maxDevicesPerCustomer = maxDevicesPerCustomer
    }

    /// What a customer's password is sealed with: the tenant, so a copied value does not open elsewhere.
    static func passwordContext(tenantID: Int64) -> String { SecretBox.customerPasswordContext(tenantID: tenantID) }
}
