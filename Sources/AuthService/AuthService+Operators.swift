import Foundation
import Platform
import PostgresNIO

/// An operator of a tenant: its owner or a sub-reseller, with the username of its login.
package struct Operator: Codable, Sendable, Hashable {
    package var id: Int64
    package var parentID: Int64?
    package var name: String
    package var kind: String
    package var status: String
    package var username: String?
    package var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name, kind, status, username
        case parentID = "parent_id", createdAt = "created_at"
    }
}

extension AuthService {
    /// The operators the caller may see. The row filter is the database's (row-level security), so a
    /// sub-reseller gets only itself whatever the SQL says.
    package func listOperators(for principal: Principal, page: PageRequest) async throws -> Page<Operator> {
        try await database.withTenantTransaction(principal.tenantScope) { connection in
            let total = try await connection.scalar("SELECT count(*) FROM operators", as: Int.self, logger: logger) ?? 0
            let rows = try await connection.query(
                """
                SELECT o.id, o.parent_id, o.name, o.kind, o.status, o.created_at, l.username
                FROM operators o LEFT JOIN platform.tenant_logins l ON l.operator_id = o.id
                ORDER BY o.id LIMIT \(page.perPage) OFFSET \(page.offset)
                """,
                logger: logger
            )
            return Page(items: try await decodeOperators(rows), page: page.page, perPage: page.perPage, total: total)
        }
    }

    /// One operator, or 404 when it is not visible to the caller (another tenant's, or a sibling's). On the
    /// pipelined read path: the scope switch and the query in one round trip.
    package func `operator`(id: Int64, for principal: Principal) async throws -> Operator {
        var bindings = WireBindings()
        bindings.append(id)
        let result = try await database.tenantRead(principal.tenantScope, OperatorByID.self, bindings)
        guard let row = result.rows.first else { throw PlatformError.notFound("operator") }
        return try Self.decodeOperator(row)
    }

    /// Creates a sub-reseller under the caller's operator and its login, in one transaction.
    package func createOperator(by principal: Principal, name: String, login: NewLogin) async throws -> Operator {
        guard principal.role != .subReseller, principal.permissions.contains(.operatorsWrite) else {
            throw PlatformError.forbidden("only a reseller may create sub-resellers")
        }
        let name = try Validate.text(name, field: "name")
        let login = try validated(login, prefix: "")
        let passwordHash = try await hasher.hash(login.password)
        return try await database.withPlatformTransaction { connection in
            guard try await users.isUsernameFree(login.username, on: connection) else { throw AuthError.usernameTaken }
            guard let operatorID = try await connection.scalar("SELECT nextval('platform.operator_ids')", as: Int64.self, logger: logger) else {
                throw PlatformError.internalError("no operator id")
            }
            let userID = try await users.insert(
                username: login.username, email: login.email, passwordHash: passwordHash, role: .subReseller,
                tenantID: principal.tenantID, operatorID: operatorID, on: connection
            )
            try await users.recordEvent("operator.created", userID: principal.userID, tenantID: principal.tenantID, username: principal.username, clientIP: nil, detail: "operator \(operatorID) user \(userID)", on: connection)
            try await database.enterTenant(principal.tenantScope, on: connection)
            let rows = try await connection.query(
                """
                INSERT INTO operators (id, parent_id, name, kind) VALUES (\(operatorID), \(principal.operatorID), \(name), 'sub_reseller')
                RETURNING id, parent_id, name, kind, status, created_at, \(login.username)::text
                """,
                logger: logger
            )
            guard let item = try await decodeOperators(rows).first else { throw PlatformError.internalError("operator insert returned nothing") }
            try await database.leaveTenant(on: connection)
            return item
        }
    }

    /// Renames a sub-reseller or suspends/reactivates it. Suspending disables its logins and ends their
    /// sessions and tokens at once. The tenant's own owner operator is not changed here (that is the reseller).
    package func updateOperator(id: Int64, by principal: Principal, name: String?, status: String?) async throws -> Operator {
        guard principal.role != .subReseller, principal.permissions.contains(.operatorsWrite) else {
            throw PlatformError.forbidden("only a reseller may change sub-resellers")
        }
        let name = try name.map { try Validate.text($0, field: "name") }
        if let status, status != "active", status != "suspended" {
            throw PlatformError.invalidInput(field: "status", reason: "must be active or suspended")
        }
        guard name != nil || status != nil else {
            throw PlatformError.invalidInput(field: "body", reason: "nothing to change: give name and/or status")
        }
        let (item, userIDs, hashes) = try await database.withTenantTransaction(principal.tenantScope) { connection in
            let rows = try await connection.query(
                """
                UPDATE operators SET name = coalesce(\(name), name), status = coalesce(\(status), status), updated_at = now()
                WHERE id = \(id) AND kind = 'sub_reseller'
                RETURNING id, parent_id, name, kind, status, created_at, NULL::text
                """,
                logger: logger
            )
            guard var item = try await decodeOperators(rows).first else { throw PlatformError.notFound("operator") }
            try await database.leaveTenant(on: connection)
            var userIDs: [Int64] = []
            var hashes: [String] = []
            if let status {
                userIDs = try await users.setStatus(operatorID: id, tenantID: principal.tenantID, active: status == "active", on: connection)
                hashes = try await tokens.hashes(userIDs: userIDs, on: connection)
            }
            item.username = try await users.username(ofOperator: id, tenantID: principal.tenantID, on: connection)
            try await users.recordEvent(
                "operator.updated", userID: principal.userID, tenantID: principal.tenantID, username: principal.username,
                clientIP: nil, detail: "operator \(id) status=\(item.status)", on: connection
            )
            return (item, userIDs, hashes)
        }
        // After commit: cached token answers go in either direction; open sessions end on suspension.
        try await evictTokens(hashes)
        if status == "suspended" {
            for userID in userIDs { try await sessions.revokeAll(userID: userID) }
        }
        return item
    }

    private func decodeOperators(_ rows: PostgresRowSequence) async throws -> [Operator] {
        var items: [Operator] = []
        for try await row in rows { items.append(try Self.decodeOperator(row)) }
        return items
    }

    /// Columns: id, parent_id, name, kind, status, created_at, username; a row of either read path.
    private static func decodeOperator(_ row: some Sequence<PostgresCell>) throws -> Operator {
        var r = RowReader(row)
        let (id, parentID, name, kind, status): (Int64, Int64?, String, String, String) = (try r.next(), try r.next(), try r.next(), try r.next(), try r.next())
        let createdAt: Date = try r.next()
        return Operator(id: id, parentID: parentID, name: name, kind: kind, status: status, username: try r.next(), createdAt: createdAt)
    }
}

/// One operator with its login name, in the caller's tenant scope (RLS filters the row).
enum OperatorByID: SQLStatement {
    static let sql = """
        SELECT o.id, o.parent_id, o.name, o.kind, o.status, o.created_at, l.username
        FROM operators o LEFT JOIN platform.tenant_logins l ON l.operator_id = o.id
        WHERE o.id = $1
        """
}
