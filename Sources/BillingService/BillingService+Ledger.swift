import Foundation
import Platform
import PostgresNIO

/// The outcome of checking every tenant's books.
package struct LedgerReport: Sendable, Codable {
    package struct TenantFindings: Sendable, Codable {
        package var tenantID: Int64
        package var entries: Int
        package var postings: Int
        package var wallets: Int
        /// Postings whose entries do not sum to zero.
        package var unbalancedPostings: Int
        /// Wallets whose cached balance differs from the sum of their entries.
        package var walletMismatches: Int
        /// Wallets whose recharge charges net of refunds differ from their recharge and refund entries.
        package var chargeMismatches: Int

        enum CodingKeys: String, CodingKey {
            case entries, postings, wallets
            case tenantID = "tenant_id", unbalancedPostings = "unbalanced_postings", walletMismatches = "wallet_mismatches"
            case chargeMismatches = "charge_mismatches"
        }

        package var ok: Bool { unbalancedPostings == 0 && walletMismatches == 0 && chargeMismatches == 0 }
    }

    package var tenants: [TenantFindings]
    package var ok: Bool { tenants.allSatisfy(\.ok) }
}

extension BillingService {
    /// Proves the books: in every tenant, every posting sums to zero, every wallet's cached balance equals the
    /// sum of its entries, and what recharges charged each wallet (net of refunds) equals its recharge and
    /// refund entries. Read-only; runs in each tenant's own scope.
    package func verifyLedger() async throws -> LedgerReport {
        let tenants = try await database.withPlatformConnection { connection in
            var ids: [Int64] = []
            for try await id in try await connection.query("SELECT id FROM platform.tenants ORDER BY id", logger: logger).decode(Int64.self) {
                ids.append(id)
            }
            return ids
        }
        var findings: [LedgerReport.TenantFindings] = []
        for tenantID in tenants {
            let found = try await database.withTenantTransaction(TenantScope(tenantID: tenantID, operators: .all)) { connection in
                let rows = try await connection.query(
                    """
                    SELECT (SELECT count(*) FROM ledger_entries)::int,
                           (SELECT count(DISTINCT posting_id) FROM ledger_entries)::int,
                           (SELECT count(*) FROM wallets)::int,
                           (SELECT count(*) FROM (SELECT 1 FROM ledger_entries GROUP BY posting_id HAVING sum(amount) <> 0) u)::int,
                           (SELECT count(*) FROM wallets w
                            LEFT JOIN (SELECT operator_id, sum(amount) AS total FROM ledger_entries WHERE account = 'wallet' GROUP BY operator_id) e
                                USING (operator_id)
                            WHERE w.balance <> coalesce(e.total, 0))::int
                         + (SELECT count(DISTINCT operator_id) FROM ledger_entries e
                            WHERE e.account = 'wallet' AND NOT EXISTS (SELECT 1 FROM wallets w WHERE w.operator_id = e.operator_id))::int,
                           (SELECT count(*) FROM
                               (SELECT operator_id, sum(amount - refunded) AS net FROM wallet_charges GROUP BY operator_id) c
                               FULL JOIN (SELECT operator_id, -sum(amount) AS net FROM ledger_entries
                                          WHERE account = 'wallet' AND kind IN ('recharge', 'refund') GROUP BY operator_id) e USING (operator_id)
                            WHERE coalesce(c.net, 0) <> coalesce(e.net, 0))::int
                    """,
                    logger: logger
                )
                for try await (entries, postings, wallets, unbalanced, mismatched, charges) in rows.decode((Int, Int, Int, Int, Int, Int).self) {
                    return LedgerReport.TenantFindings(
                        tenantID: tenantID, entries: entries, postings: postings, wallets: wallets, unbalancedPostings: unbalanced,
                        walletMismatches: mismatched, chargeMismatches: charges
                    )
                }
                throw PlatformError.internalError("ledger check returned nothing")
            }
            findings.append(found)
        }
        return LedgerReport(tenants: findings)
    }
}
