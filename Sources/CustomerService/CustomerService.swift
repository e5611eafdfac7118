import Logging
import Platform

/// Customers and what hangs off them: the customer records of the five types, their actions, devices
/// (MAC bindings), the activity log, deleted customers, zones and custom field definitions, and the
/// admin's search across tenants; each record's and list row's `online` flag comes from the online view
/// through `OnlinePresence`; import from CSV and the BTRC report.
package struct CustomerService: Sendable {
    package let database: Database
    package let logger: Logger
    let zones: ZoneRepository
    let customFields: CustomFieldRepository
    let customers: CustomerRepository
    let imports: ImportRepository
    let btrc: BTRCRepository
    let secrets: SecretBox
    let clock: any WallClock
    let maxDevicesPerCustomer: Int
    /// Who is online, for the `online` flag (nil: the flag is null).
    let presence: (any OnlinePresence)?

    package init(
        database: Database, dataKey: DataKey, clock: any WallClock = SystemWallClock(), maxDevicesPerCustomer: Int = 4,
        presence: (any OnlinePresence)? = nil, logger: Logger
    ) {
        self.database = database
        self.logger = logger
        self.zones = ZoneRepository(logger: logger)
        self.customFields = CustomFieldRepository(logger: logger)
        self.customers = CustomerRepository(logger: logger)
        self.imports = ImportRepository(logger: logger)
        self.btrc = BTRCRepository(logger: logger)
        self.secrets = SecretBox(key: dataKey)
        self.clock = clock
        self.maxDevicesPerCustomer = maxDevicesPerCustomer
        self.presence = presence
    }

    /// The tenant's customers with an open session (nil: not known).
    func onlineCustomers(tenantID: Int64) async -> Set<Int64>? {
        await presence?.onlineCustomerIDs(tenantID: tenantID)
    }

    /// The record with its `online` flag set.
    func withOnline(_ customer: Customer, tenantID: Int64) async -> Customer {
        var customer = customer
        customer.online = await onlineCustomers(tenantID: tenantID).map { $0.contains(customer.id) }
        return customer
    }

    /// What a customer's password is sealed with: the tenant, so a copied value does not open elsewhere.
    static func passwordContext(tenantID: Int64) -> String { SecretBox.customerPasswordContext(tenantID: tenantID) }
}
