/// Which of a tenant's customers have an open session. The provisioning service's online view answers it;
/// the customer service asks it for the `online` flag of its records and lists, without either importing
/// the other.
package protocol OnlinePresence: Sendable {
    /// The tenant's customers with at least one open session; nil when the view cannot be read now.
    func onlineCustomerIDs(tenantID: Int64) async -> Set<Int64>?
}
