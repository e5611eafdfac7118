/// Which tenant a unit of work runs in and which of its operators' rows it may see.
///
/// The database enforces both: the tenant through a per-tenant Postgres role and `search_path`,
/// the operators through row-level security policies reading `uplink.operator_ids`.
package struct TenantScope: Sendable, Hashable {
    package var tenantID: Int64
    package var operators: OperatorVisibility

    package init(tenantID: Int64, operators: OperatorVisibility) {
        self.tenantID = tenantID
        self.operators = operators
    }

    /// The value the RLS policies read: `*` for every operator of the tenant, else a comma-separated id list.
    /// An empty list means no operator row is visible.
    package var operatorSetting: String {
        switch operators {
        case .all: "*"
        case .only(let ids): ids.sorted().map(String.init).joined(separator: ",")
        }
    }
}

package enum OperatorVisibility: Sendable, Hashable {
    /// The tenant's owner (and the admin inside the admin tenant): every operator in the tenant.
    case all
    /// A sub-reseller: only these operators' rows.
    case only(Set<Int64>)
}

/// Schema and role names are derived from the numeric tenant id by code, never from request text.
package enum TenantNaming {
    /// `t_42`
    package static func schema(_ tenantID: Int64) -> String {
        precondition(tenantID > 0, "tenant ids are positive")
        return "t_\(tenantID)"
    }

    /// `uplink_t_42`: NOLOGIN, granted exactly its schema; the app role switches to it per transaction.
    package static func role(_ tenantID: Int64) -> String {
        precondition(tenantID > 0, "tenant ids are positive")
        return "uplink_t_\(tenantID)"
    }

    /// `uplink_ts_42`: the tenant's sub-resellers' role, whose row-level-security policies filter by operator.
    package static func subResellerRole(_ tenantID: Int64) -> String {
        precondition(tenantID > 0, "tenant ids are positive")
        return "uplink_ts_\(tenantID)"
    }

    /// The role a scope runs as: the owner's for the whole tenant, the sub-resellers' for a set of operators.
    package static func role(for scope: TenantScope) -> String {
        switch scope.operators {
        case .all: role(scope.tenantID)
        case .only: subResellerRole(scope.tenantID)
        }
    }

    /// The group every tenant role belongs to: what all tenants may read (shared sequences, the catalog).
    package static let tenantsGroupRole = "uplink_tenants"
    /// Groups of the owner roles and of the sub-reseller roles; tenant tables' policies name them.
    package static let ownersGroupRole = "uplink_owners"
    package static let subResellersGroupRole = "uplink_subresellers"
}
