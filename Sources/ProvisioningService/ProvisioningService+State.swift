import Foundation
import Platform
import PostgresNIO

/// A customer whose provisioning failed after every attempt.
package struct ProvisioningFailure: Codable, Sendable {
    package var customerID: Int64
    package var code: String
    package var username: String
    package var fullName: String
    package var attempts: Int
    package var lastError: String?
    package var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case code, username, attempts
        case customerID = "customer_id", fullName = "full_name", lastError = "last_error", updatedAt = "updated_at"
    }
}

extension ProvisioningService {
    /// The caller's failed customers (a sub-reseller sees its own only), newest first.
    package func failures(for principal: Principal, page: PageRequest) async throws -> Page<ProvisioningFailure> {
        try await database.withTenantTransaction(principal.tenantScope) { connection in
            let total = try await connection.scalar(
                """
                SELECT count(*)::bigint FROM platform.provisioning_state s JOIN customers c ON c.id = s.customer_id
                WHERE s.tenant_id = platform.current_tenant() AND s.state = 'failed'
                """,
                as: Int64.self, logger: logger
            ) ?? 0
            let rows = try await connection.query(
                """
                SELECT s.customer_id, c.code, c.username, c.full_name, s.attempts, s.last_error, s.updated_at
                FROM platform.provisioning_state s JOIN customers c ON c.id = s.customer_id
                WHERE s.tenant_id = platform.current_tenant() AND s.state = 'failed'
                ORDER BY s.updated_at DESC, s.customer_id DESC
                LIMIT \(page.perPage) OFFSET \(page.offset)
                """,
                logger: logger
            )
            var items: [ProvisioningFailure] = []
            for try await (id, code, username, name, attempts, error, updated) in rows.decode((Int64, String, String, String, Int, String?, Date).self) {
                items.append(ProvisioningFailure(customerID: id, code: code, username: username, fullName: name, attempts: attempts,
                                                 lastError: error, updatedAt: updated))
            }
            return Page(items: items, page: page.page, perPage: page.perPage, total: Int(total))
        }
    }

    /// Queues the customer again (an outbox row, like any change), whatever its state; 404 when the caller
    /// cannot see it. The activity log records who asked.
    package func reprovision(customerID: Int64, by actor: Actor) async throws {
        _ = try await logAction("reprovisioned", customerID: customerID, by: actor, queueReason: "reprovision", includeDeleted: true)
    }

    /// In one tenant-scoped statement: finds the customer the caller can see, writes `action` to its activity
    /// log, queues provisioning when `queueReason` is given, and returns its username; 404 when not visible.
    func logAction(_ action: String, customerID: Int64, by actor: Actor, queueReason: String?, includeDeleted: Bool) async throws -> String {
        let principal = actor.principal
        return try await database.withTenantTransaction(principal.tenantScope) { connection in
            let rows = try await connection.query(
                """
                WITH c AS (SELECT id, operator_id, username FROM customers WHERE id = \(customerID) AND (\(includeDeleted) OR deleted_at IS NULL)),
                log AS (
                    INSERT INTO activity_log (operator_id, customer_id, action, actor_user_id, actor_token_id, actor_username, changes,
                                              request_id, client_ip)
                    SELECT c.operator_id, c.id, \(action), \(actor.userID), \(actor.tokenID), \(actor.name), '{}'::jsonb,
                           \(actor.requestID), \(actor.clientIP)
                    FROM c
                ), queued AS (
                    INSERT INTO platform.outbox (tenant_id, customer_id, reason)
                    SELECT \(principal.tenantID), id, \(queueReason) FROM c WHERE \(queueReason)::text IS NOT NULL
                )
                SELECT username FROM c
                """,
                logger: logger
            )
            for try await name in rows.decode(String.self) { return name }
            throw PlatformError.notFound("customer")
        }
    }
}
