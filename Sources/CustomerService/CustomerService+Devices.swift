import Foundation
import Platform
import PostgresNIO

extension CustomerService {
    static let deviceColumns = """
        d.id, d.customer_id, c.full_name, c.username, upper(d.mac::text) AS mac, d.label, d.added_by, d.created_at
        """

    package func devices(customerID: Int64, for principal: Principal) async throws -> [Device] {
        try await database.withTenantTransaction(principal.tenantScope) { connection in
            guard try await customers.customer(id: customerID, on: connection) != nil else { throw PlatformError.notFound("customer") }
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.deviceColumns) FROM customer_devices d JOIN customers c ON c.id = d.customer_id
                WHERE d.customer_id = \(customerID) ORDER BY d.id
                """,
                logger: logger
            )
            return try await Self.decodeDevices(rows)
        }
    }

    /// Every device the caller may see; `q` matches customer name, username, MAC (any notation) or label.
    package func allDevices(for principal: Principal, search: String?, page: PageRequest) async throws -> Page<Device> {
        let search = try search.flatMap { text in
            text.trimmingCharacters(in: .whitespaces).isEmpty ? nil : try Validate.text(text, field: "q", max: 100)
        }
        var filter = SQLBuilder(" FROM customer_devices d JOIN customers c ON c.id = d.customer_id WHERE c.deleted_at IS NULL")
        if let search {
            let pattern = "%" + escapeLike(search) + "%"
            let macDigits = search.uppercased().filter { $0.isHexDigit }
            var alternatives = [
                "c.search_name LIKE platform.fold(\(filter.bind(pattern)))",
                "lower(c.username) LIKE \(filter.bind(escapeLike(search.lowercased()) + "%"))",
                "d.label ILIKE \(filter.bind(pattern))",
            ]
            if macDigits.count >= 2 { alternatives.append("replace(upper(d.mac::text), ':', '') LIKE \(filter.bind("%" + macDigits + "%"))") }
            filter.append(" AND (" + alternatives.joined(separator: " OR ") + ")")
        }
        return try await database.withTenantTransaction(principal.tenantScope) { connection in
            let total = try await connection.scalar(filter.countQuery, as: Int.self, logger: logger) ?? 0
            let rows = try await connection.query(filter.pageQuery(Self.deviceColumns, orderBy: "d.id DESC", page: page), logger: logger)
            return Page(items: try await Self.decodeDevices(rows), page: page.page, perPage: page.perPage, total: total)
        }
    }

    /// Binds a MAC to a live customer (one customer per MAC in the tenant, at most the configured number per
    /// customer); logged and queued for provisioning in the same transaction.
    package func addDevice(customerID: Int64, by actor: Actor, mac: String?, label: String?) async throws -> Device {
        guard let mac else { throw PlatformError.unprocessable(field: "mac", code: "missing_field", reason: "is required") }
        let normalized = try Validate.mac(mac)
        let label = try label.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : try Validate.text($0, field: "label", max: 100) }
        let principal = actor.principal
        return try await database.withTenantTransaction(principal.tenantScope) { connection in
            // Locks the customer, so concurrent adds cannot both pass the count check.
            let locked = try await connection.query(
                """
                SELECT c.operator_id, (SELECT count(*) FROM customer_devices d WHERE d.customer_id = c.id) AS devices
                FROM customers c WHERE c.id = \(customerID) AND c.deleted_at IS NULL FOR UPDATE
                """,
                logger: logger
            )
            var found: (operatorID: Int64, devices: Int)?
            for try await (operatorID, devices) in locked.decode((Int64, Int).self) { found = (operatorID, devices) }
            guard let found else { throw PlatformError.notFound("customer") }
            guard found.devices < maxDevicesPerCustomer else { throw CustomerError.tooManyDevices(max: maxDevicesPerCustomer) }
            let devices = try await customers.translatingConflicts {
                try await Self.decodeDevices(try await connection.query(
                    """
                    WITH d AS (
                        INSERT INTO customer_devices (customer_id, mac, label, added_by)
                        VALUES (\(customerID), \(normalized)::macaddr, \(label), \(actor.name)) RETURNING *
                    ), log AS (
                        INSERT INTO activity_log (operator_id, customer_id, action, actor_user_id, actor_token_id, actor_username, changes, request_id, client_ip)
                        SELECT \(found.operatorID), \(customerID), 'device_added', \(actor.userID), \(actor.tokenID), \(actor.name),
                            jsonb_build_object('mac', jsonb_build_object('from', NULL, 'to', \(normalized)::text)), \(actor.requestID), \(actor.clientIP)
                        FROM d
                    ), box AS (
                        INSERT INTO platform.outbox (tenant_id, customer_id, reason) SELECT \(principal.tenantID), \(customerID), 'mac_changed' FROM d
                    )
                    SELECT \(unescaped: Self.deviceColumns) FROM d JOIN customers c ON c.id = d.customer_id
                    """,
                    logger: logger
                ))
            }
            guard let device = devices.first else { throw PlatformError.internalError("device insert returned nothing") }
            return device
        }
    }

    package func removeDevice(customerID: Int64, deviceID: Int64, by actor: Actor) async throws {
        let principal = actor.principal
        let removed = try await database.withTenantTransaction(principal.tenantScope) { connection in
            try await connection.returnsRow(
                """
                WITH d AS (
                    DELETE FROM customer_devices d USING customers c
                    WHERE d.id = \(deviceID) AND d.customer_id = \(customerID) AND c.id = d.customer_id
                    RETURNING d.customer_id, c.operator_id, upper(d.mac::text) AS mac
                ), log AS (
                    INSERT INTO activity_log (operator_id, customer_id, action, actor_user_id, actor_token_id, actor_username, changes, request_id, client_ip)
                    SELECT d.operator_id, d.customer_id, 'device_removed', \(actor.userID), \(actor.tokenID), \(actor.name),
                        jsonb_build_object('mac', jsonb_build_object('from', d.mac, 'to', NULL)), \(actor.requestID), \(actor.clientIP)
                    FROM d
                ), box AS (
                    INSERT INTO platform.outbox (tenant_id, customer_id, reason) SELECT \(principal.tenantID), d.customer_id, 'mac_changed' FROM d
                )
                SELECT 1 FROM d
                """,
                logger: logger
            )
        }
        guard removed else { throw PlatformError.notFound("device") }
    }

    static func decodeDevices(_ rows: PostgresRowSequence) async throws -> [Device] {
        var devices: [Device] = []
        for try await (id, customerID, name, username, mac, label, addedBy, addedAt) in rows.decode((Int64, Int64, String, String, String, String?, String, Date).self) {
            devices.append(Device(id: id, customerID: customerID, customerName: name, username: username, mac: mac, label: label, addedBy: addedBy, addedAt: addedAt))
        }
        return devices
    }
}
