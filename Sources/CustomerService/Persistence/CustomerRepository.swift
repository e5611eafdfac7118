import Foundation
import Logging
import Platform
import PostgresNIO

/// The facts a customer write checks, read in one round trip.
struct WriteContext: Sendable {
    var operatorStatus: String?
    var operatorKind: String?
    var packageType: String?
    var packageStatus: String?
    var validityDays: Int?
    var validityHours: Int?
    var packageAssigned: Bool
    var profileExists: Bool
    var zoneExists: Bool
    /// The router given (if any) is one the tenant may use (row-level security on `platform.routers`).
    var routerVisible: Bool
    var fields: [CustomField]
}

/// The full state a customer write stores (create, edit). Validated by the service.
struct CustomerDraft: Sendable {
    var code: String?
    var type: CustomerType
    var operatorID: Int64
    var username: String
    var password: Data?
    var fullName: String
    var phone: String?
    var email: String?
    var address: Customer.Address
    var zoneID: Int64?
    var packageID: Int64?
    var billingProfileID: Int64?
    var nasID: Int64?
    var staticIP: String?
    var clientType: String
    var connectionType: String
    var connectivity: String
    var gender: String?
    var nid: String?
    var connectionDate: String?
    var expiresAt: Date?
    var status: CustomerStatus
    var custom: [String: String]
    var notes: String?
}

/// SQL for the tenant tables `customers`, `customer_devices` and `activity_log`. Runs inside a tenant
/// transaction: the schema is the caller's and row-level security limits a sub-reseller to its customers.
struct CustomerRepository: Sendable {
    let logger: Logger

    static let columns = """
        c.id, c.code, c.type, c.operator_id, c.username, c.full_name, c.phone, c.email, c.house, c.road, c.area, c.thana,
        c.district, c.division, c.zone_id, z.name AS zone_name, c.package_id, p.name AS package_name, c.billing_profile_id,
        c.nas_id, host(c.static_ip) AS static_ip, c.client_type, c.connection_type, c.connectivity, c.gender, c.nid,
        c.connection_date::text AS connection_date, c.expires_at, c.suspend_date::text AS suspend_date, c.status,
        c.status_reason, c.custom::text AS custom, c.notes, c.created_at, c.created_by, c.updated_at, c.updated_by,
        c.deleted_at, c.deleted_by
        """
    static let joins = "LEFT JOIN zones z ON z.id = c.zone_id LEFT JOIN catalog.packages p ON p.id = c.package_id"

    /// The same customer as `Customer.writeJSON` writes it, for the lists: written straight from the rows'
    /// binary cells into the response (decoding 38 columns per row into Swift values and encoding them again
    /// cost more than the query). Keys in sorted order; a test holds the two forms equal.
    static let listFields: [JSONField] = [
        .object("address", [
            .column("area", sql: "c.area", .text), .column("district", sql: "c.district", .text),
            .column("division", sql: "c.division", .text), .column("house", sql: "c.house", .text),
            .column("road", sql: "c.road", .text), .column("thana", sql: "c.thana", .text),
        ]),
        .column("billing_profile_id", sql: "c.billing_profile_id", .integer), .column("client_type", sql: "c.client_type", .text),
        .column("code", sql: "c.code", .text), .column("connection_date", sql: "c.connection_date::text", .text),
        .column("connection_type", sql: "c.connection_type", .text), .column("connectivity", sql: "c.connectivity", .text),
        .column("created_at", sql: "c.created_at", .timestamp), .column("created_by", sql: "c.created_by", .text),
        .column("custom_fields", sql: "c.custom", .json), .column("deleted_at", sql: "c.deleted_at", .timestamp),
        .column("deleted_by", sql: "c.deleted_by", .text), .column("email", sql: "c.email", .text),
        .column("expires_at", sql: "c.expires_at", .timestamp), .column("full_name", sql: "c.full_name", .text),
        .column("gender", sql: "c.gender", .text), .column("id", sql: "c.id", .integer), .column("nas_id", sql: "c.nas_id", .integer),
        .column("nid", sql: "c.nid", .text), .column("notes", sql: "c.notes", .text),
        .member("online", sql: "c.id"), .column("operator_id", sql: "c.operator_id", .integer),
        .column("package_id", sql: "c.package_id", .integer), .column("package_name", sql: "p.name", .text),
        .column("phone", sql: "c.phone", .text), .column("static_ip", sql: "host(c.static_ip)", .text), .column("status", sql: "c.status", .text),
        .column("status_reason", sql: "c.status_reason", .text), .column("suspend_date", sql: "c.suspend_date::text", .text),
        .column("type", sql: "c.type", .text), .column("updated_at", sql: "c.updated_at", .timestamp),
        .column("updated_by", sql: "c.updated_by", .text), .column("username", sql: "c.username", .text),
        .column("zone_id", sql: "c.zone_id", .integer), .column("zone_name", sql: "z.name", .text),
    ]
    static let listColumns = JSONField.selectList(listFields)

    /// Writes rows of `listColumns` (after `leading` other columns) as a JSON array; `online`: the tenant's
    /// customers with an open session (nil: not known, `online` is null).
    static func writeList<Row: Sequence<PostgresCell>>(_ collected: [Row], skipping leading: Int = 0, online: Set<Int64>?) throws -> [UInt8] {
        var out = JSONOutput(capacity: 1_024 * (collected.count + 1))
        var failure: (any Error)?
        out.array { out in
            for row in collected where failure == nil {
                do { try out.row(row, listFields, skipping: leading, members: online) } catch { failure = error }
            }
        }
        if let failure { throw failure }
        return out.bytes
    }

    /// Columns left out of the activity log's before/after (secrets, derived values, bookkeeping).
    static let unlogged = ["password_enc", "search_name", "created_at", "created_by", "updated_at", "updated_by"]

    // MARK: Reads

    func customer(id: Int64, includeDeleted: Bool = false, on connection: PostgresConnection) async throws -> Customer? {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: Self.columns) FROM customers c \(unescaped: Self.joins)
            WHERE c.id = \(id) AND (\(includeDeleted) OR c.deleted_at IS NULL)
            """,
            logger: logger
        )
        return try await decode(rows).first
    }

    /// The provisioning state the workers keep for the customer; `pending` while its first job has not been
    /// relayed yet (every change queues one).
    func provisioningStatus(id: Int64, on connection: PostgresConnection) async throws -> ProvisioningStatus {
        var bindings = PostgresBindings()
        bindings.append(id)
        let rows = try await connection.query(PostgresQuery(unsafeSQL: ProvisioningStatusOf.sql, binds: bindings), logger: logger)
        for try await row in rows { return try Self.provisioningStatus(row) }
        return .pending
    }

    /// A row of `ProvisioningStatusOf`, from either read path.
    static func provisioningStatus(_ row: some Sequence<PostgresCell>) throws -> ProvisioningStatus {
        var r = RowReader(row)
        return ProvisioningStatus(state: try r.next(), attempts: try r.next(), lastError: try r.next(), requestedVersion: try r.next(),
                                  appliedVersion: try r.next(), nextAttemptAt: try r.next(), updatedAt: try r.next())
    }

    func customers(ids: [Int64], includeDeleted: Bool, on connection: PostgresConnection) async throws -> [Customer] {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: Self.columns) FROM customers c \(unescaped: Self.joins)
            WHERE c.id = ANY(\(ids)::bigint[]) AND (\(includeDeleted) OR c.deleted_at IS NULL) ORDER BY c.id
            """,
            logger: logger
        )
        return try await decode(rows)
    }

    func writeContext(
        operatorID: Int64, packageID: Int64?, profileID: Int64?, zoneID: Int64?, nasID: Int64? = nil, on connection: PostgresConnection
    ) async throws -> WriteContext {
        let rows = try await connection.query(
            """
            SELECT (SELECT status FROM operators WHERE id = \(operatorID)) AS operator_status,
                   (SELECT kind FROM operators WHERE id = \(operatorID)) AS operator_kind,
                   p.customer_type, p.status AS package_status, p.validity_days, p.validity_hours,
                   EXISTS (SELECT 1 FROM catalog.package_assignments a WHERE a.package_id = \(packageID) AND a.operator_id = \(operatorID)) AS assigned,
                   (\(profileID)::bigint IS NULL OR EXISTS (SELECT 1 FROM catalog.billing_profiles b WHERE b.id = \(profileID))) AS profile_ok,
                   (\(zoneID)::bigint IS NULL OR EXISTS (SELECT 1 FROM zones WHERE id = \(zoneID))) AS zone_ok,
                   (\(nasID)::bigint IS NULL OR EXISTS (SELECT 1 FROM platform.routers r WHERE r.id = \(nasID))) AS router_ok,
                   (SELECT coalesce(json_agg(json_build_object('id', f.id, 'key', f.key, 'name', f.name, 'type', f.type,
                        'options', f.options, 'required', f.required) ORDER BY f.position, f.id), '[]') FROM custom_fields f)::text AS fields
            FROM (SELECT 1) AS one LEFT JOIN catalog.packages p ON p.id = \(packageID)
            """,
            logger: logger
        )
        for try await row in rows {
            let r = row.makeRandomAccess()
            return WriteContext(
                operatorStatus: try r.get("operator_status"), operatorKind: try r.get("operator_kind"),
                packageType: try r.get("customer_type"), packageStatus: try r.get("package_status"),
                validityDays: try r.get("validity_days"), validityHours: try r.get("validity_hours"),
                packageAssigned: try r.get("assigned"), profileExists: try r.get("profile_ok"), zoneExists: try r.get("zone_ok"),
                routerVisible: try r.get("router_ok"),
                fields: Self.decodeFields(try r.get("fields", as: String.self))
            )
        }
        throw PlatformError.internalError("write context returned nothing")
    }

    static func decodeFields(_ json: String) -> [CustomField] {
        struct Row: Decodable {
            var id: Int64
            var key: String
            var name: String
            var type: String
            var options: [String]
            var required: Bool
        }
        let rows = (try? JSONDecoder().decode([Row].self, from: Data(json.utf8))) ?? []
        return rows.compactMap { row in
            CustomField.FieldType(rawValue: row.type).map {
                CustomField(id: row.id, key: row.key, name: row.name, type: $0, options: row.options, required: row.required, order: 0,
                            createdAt: Date(), updatedAt: Date())
            }
        }
    }

    // MARK: Writes

    /// Inserts a customer with its activity row and outbox row, in one statement.
    func insert(_ draft: CustomerDraft, tenantID: Int64, actor: Actor, on connection: PostgresConnection) async throws -> Customer {
        var b = SQLBuilder()
        let custom = Self.json(draft.custom)
        b.append("""
            WITH c AS (
                INSERT INTO customers (code, type, operator_id, username, password_enc, full_name, phone, email, house, road, area,
                    thana, district, division, zone_id, package_id, billing_profile_id, nas_id, static_ip, client_type, connection_type,
                    connectivity, gender, nid, connection_date, expires_at, status, custom, notes, created_by, updated_by)
                VALUES (coalesce(\(b.bind(draft.code)), 'C' || lpad(nextval('customer_codes')::text, 6, '0')), \(b.bind(draft.type.rawValue)),
                    \(b.bind(draft.operatorID)), \(b.bind(draft.username)), \(b.bind(draft.password)), \(b.bind(draft.fullName)),
                    \(b.bind(draft.phone)), \(b.bind(draft.email)), \(b.bind(draft.address.house)), \(b.bind(draft.address.road)),
                    \(b.bind(draft.address.area)), \(b.bind(draft.address.thana)), \(b.bind(draft.address.district)),
                    \(b.bind(draft.address.division)), \(b.bind(draft.zoneID)), \(b.bind(draft.packageID)), \(b.bind(draft.billingProfileID)),
                    \(b.bind(draft.nasID)), \(b.bind(draft.staticIP))::inet, \(b.bind(draft.clientType)), \(b.bind(draft.connectionType)),
                    \(b.bind(draft.connectivity)), \(b.bind(draft.gender)), \(b.bind(draft.nid)),
                    coalesce(\(b.bind(draft.connectionDate))::date, current_date), \(b.bind(draft.expiresAt)), \(b.bind(draft.status.rawValue)),
                    \(b.bind(custom))::jsonb, \(b.bind(draft.notes)), \(b.bind(actor.name)), \(b.bind(actor.name)))
                RETURNING *
            ), log AS (
                INSERT INTO activity_log (operator_id, customer_id, action, actor_user_id, actor_token_id, actor_username, changes, request_id, client_ip)
                SELECT c.operator_id, c.id, 'create', \(b.bind(actor.userID)), \(b.bind(actor.tokenID)), \(b.bind(actor.name)),
                    jsonb_build_object('created', to_jsonb(c) - \(b.bind(Self.unlogged))::text[]), \(b.bind(actor.requestID)), \(b.bind(actor.clientIP))
                FROM c
            ), box AS (
                INSERT INTO platform.outbox (tenant_id, customer_id, reason) SELECT \(b.bind(tenantID)), c.id, 'created' FROM c
            )
            SELECT \(Self.columns) FROM c \(Self.joins)
            """)
        let inserted = try await translatingConflicts { try await decode(try await connection.query(b.query, logger: logger)) }
        guard let customer = inserted.first else { throw PlatformError.internalError("customer insert returned nothing") }
        return customer
    }

    /// Applies `assignments` (fixed SQL with placeholders bound in `b`) to the live or deleted customers `ids`
    /// that satisfy `legal`, logging the changed fields and queueing provisioning (`outbox`: always, never,
    /// or only when a network-relevant field changed). Returns the changed customers; ids that did not change
    /// are absent.
    func change(
        ids: [Int64], builder: SQLBuilder, assignments: String, legal: String, action: String, outbox: OutboxRule,
        tenantID: Int64, actor: Actor, on connection: PostgresConnection
    ) async throws -> [Customer] {
        var b = builder
        let outboxCondition: String
        switch outbox {
        case .always(let reason): outboxCondition = "\(b.bind(reason))::text AS reason, true AS queue"
        case .never: outboxCondition = "NULL::text AS reason, false AS queue"
        case .whenChanged(let reason, let fields):
            outboxCondition = "\(b.bind(reason))::text AS reason, d.changes ?| \(b.bind(fields))::text[] AS queue"
        }
        let unlogged = b.bind(Self.unlogged)
        b.append("""
            WITH before_row AS (
                SELECT * FROM customers WHERE id = ANY(\(b.bind(ids))::bigint[]) ORDER BY id FOR UPDATE
            ), after_row AS (
                UPDATE customers c SET \(assignments), updated_at = now(), updated_by = \(b.bind(actor.name))
                FROM before_row
                WHERE c.id = before_row.id AND (\(legal))
                RETURNING c.*
            ), d AS (
                SELECT a.id, a.operator_id,
                    (SELECT coalesce(jsonb_object_agg(n.key, jsonb_build_object('from', o.value, 'to', n.value)), '{}'::jsonb)
                     FROM jsonb_each(to_jsonb(a) - \(unlogged)::text[]) n
                     JOIN jsonb_each(to_jsonb(o0) - \(unlogged)::text[]) o USING (key)
                     WHERE n.value IS DISTINCT FROM o.value)
                    || CASE WHEN a.password_enc IS DISTINCT FROM o0.password_enc THEN '{"password": {"changed": true}}'::jsonb ELSE '{}'::jsonb END
                    AS changes
                FROM after_row a JOIN before_row o0 ON o0.id = a.id
            ), q AS (
                SELECT d.id, d.operator_id, d.changes, \(outboxCondition) FROM d
            ), log AS (
                INSERT INTO activity_log (operator_id, customer_id, action, actor_user_id, actor_token_id, actor_username, changes, request_id, client_ip)
                SELECT q.operator_id, q.id, \(b.bind(action)), \(b.bind(actor.userID)), \(b.bind(actor.tokenID)), \(b.bind(actor.name)),
                    q.changes, \(b.bind(actor.requestID)), \(b.bind(actor.clientIP))
                FROM q WHERE q.changes <> '{}'::jsonb
            ), box AS (
                INSERT INTO platform.outbox (tenant_id, customer_id, reason)
                SELECT \(b.bind(tenantID)), q.id, q.reason FROM q WHERE q.queue AND q.changes <> '{}'::jsonb
            )
            SELECT \(Self.columns) FROM after_row c \(Self.joins) ORDER BY c.id
            """)
        // Constraint errors of a data-modifying statement can arrive with its rows: decode inside the translation.
        return try await translatingConflicts { try await decode(try await connection.query(b.query, logger: logger)) }
    }

    /// The first validity period of a new prepaid customer, charged like any recharge (the SQL function
    /// `recharge`, owned by billing: wallets, ledger, activity and outbox rows in this transaction).
    func firstRecharge(customerID: Int64, now: Date, actor: Actor, on connection: PostgresConnection) async throws {
        // Read the result: a refusal raised while the function runs arrives with the rows, not with the call.
        _ = try await connection.scalar(
            """
            SELECT recharge(\(customerID)::bigint, NULL::bigint, NULL::integer, 1, \(now)::timestamptz, 'create', \(actor.name)::text,
                \(actor.userID)::bigint, \(actor.tokenID)::bigint, \(actor.requestID)::text, \(actor.clientIP)::text,
                NULL::bigint, NULL::text, NULL::text, NULL::timestamptz)::text
            """,
            as: String.self, logger: logger
        )
    }

    /// Gives back the unused whole days of prepaid customers stopped early (suspended, disabled, deleted) to
    /// their operators' wallets and shortens their validity accordingly (the SQL function
    /// `refund_unused_days`, owned by billing). Returns the ids that got a refund.
    func refundUnusedDays(ids: [Int64], now: Date, actor: Actor, reason: String, on connection: PostgresConnection) async throws -> [Int64] {
        let refunded = try await connection.scalar(
            "SELECT refund_unused_days(\(ids)::bigint[], \(now)::timestamptz, \(actor.name)::text, \(reason)::text)",
            as: [Int64].self, logger: logger
        )
        return refunded ?? []
    }

    enum OutboxRule {
        case always(String)
        case never
        case whenChanged(String, fields: [String])
    }

    /// The state of customers that an action did not change, with the type of `packageID` for change-package.
    func states(ids: [Int64], now: Date, packageID: Int64? = nil, on connection: PostgresConnection) async throws -> [Int64: CustomerState] {
        let rows = try await connection.query(
            """
            SELECT id, status, deleted_at IS NOT NULL AS deleted, type, operator_id, package_id,
                coalesce(expires_at <= \(now), true) AS expired,
                (SELECT customer_type FROM catalog.packages WHERE id = \(packageID)) AS wanted
            FROM customers WHERE id = ANY(\(ids)::bigint[])
            """,
            logger: logger
        )
        var states: [Int64: CustomerState] = [:]
        for try await row in rows {
            let r = row.makeRandomAccess()
            states[try r.get("id")] = CustomerState(
                status: try r.get("status"), deleted: try r.get("deleted"), type: try r.get("type"), operatorID: try r.get("operator_id"),
                packageID: try r.get("package_id"), expired: try r.get("expired"), packageTypeWanted: try r.get("wanted")
            )
        }
        return states
    }

    /// The stored password, sealed; nil when the customer is not visible.
    func sealedPassword(id: Int64, on connection: PostgresConnection) async throws -> (Data?, operatorID: Int64)? {
        let rows = try await connection.query("SELECT password_enc, operator_id FROM customers WHERE id = \(id)", logger: logger)
        for try await (sealed, operatorID) in rows.decode((Data?, Int64).self) { return (sealed, operatorID) }
        return nil
    }

    /// An activity row that is not a field change (a password read, an admin's look at a record).
    func log(
        action: String, customerID: Int64, operatorID: Int64, changes: String = "{}", actor: Actor, on connection: PostgresConnection
    ) async throws {
        try await connection.query(
            """
            INSERT INTO activity_log (operator_id, customer_id, action, actor_user_id, actor_token_id, actor_username, changes, request_id, client_ip)
            VALUES (\(operatorID), \(customerID), \(action), \(actor.userID), \(actor.tokenID), \(actor.name), \(changes)::jsonb,
                \(actor.requestID), \(actor.clientIP))
            """,
            logger: logger
        )
    }

    // MARK: Decoding

    func translatingConflicts<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            switch DatabaseError(translating: error) {
            case .uniqueViolation(let constraint):
                throw CustomerError.forConstraint(constraint) ?? PlatformError.conflict(code: "conflict", message: "a value is already taken")
            case .foreignKeyViolation(let constraint):
                let field = constraint.map { name in
                    name.contains("zone") ? "zone_id" : name.contains("billing") ? "billing_profile_id" : name.contains("package") ? "package_id"
                        : name.contains("nas") ? "nas_id" : "operator_id"
                } ?? "body"
                throw PlatformError.unprocessable(field: field, code: "unknown_reference", reason: "does not exist")
            default:
                throw error
            }
        }
    }

    static func json(_ values: [String: String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: values, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Decodes rows of `columns`, in their order.
    func decode<Rows: AsyncSequence>(_ rows: Rows) async throws -> [Customer] where Rows.Element == PostgresRow {
        var customers: [Customer] = []
        for try await row in rows { customers.append(try Self.customer(row)) }
        return customers
    }

    /// One row of `columns`, from either read path.
    static func customer(_ row: some Sequence<PostgresCell>) throws -> Customer {
        var r = RowReader(row)
        return Customer(
            id: try r.next(), code: try r.next(), type: CustomerType(rawValue: try r.next()) ?? .other,
            operatorID: try r.next(), username: try r.next(), fullName: try r.next(), phone: try r.next(), email: try r.next(),
            address: .init(house: try r.next(), road: try r.next(), area: try r.next(), thana: try r.next(),
                           district: try r.next(), division: try r.next()),
            zoneID: try r.next(), zoneName: try r.next(), packageID: try r.next(), packageName: try r.next(),
            billingProfileID: try r.next(), nasID: try r.next(), staticIP: try r.next(), clientType: try r.next(),
            connectionType: try r.next(), connectivity: try r.next(), gender: try r.next(), nid: try r.next(),
            connectionDate: try r.next(), expiresAt: try r.next(), suspendDate: try r.next(),
            status: CustomerStatus(rawValue: try r.next()) ?? .disabled, statusReason: try r.next(),
            customFieldsJSON: try r.next(), notes: try r.next(), createdAt: try r.next(), createdBy: try r.next(),
            updatedAt: try r.next(), updatedBy: try r.next(), deletedAt: try r.next(), deletedBy: try r.next()
        )
    }
}

/// A live customer by id (`$1`), as `CustomerRepository.columns`.
enum CustomerByID: SQLStatement {
    static let sql = "SELECT \(CustomerRepository.columns) FROM customers c \(CustomerRepository.joins) WHERE c.id = $1 AND c.deleted_at IS NULL"
}

/// The provisioning state the workers keep for customer `$1`; no row while its first job has not been
/// relayed yet (every change queues one).
enum ProvisioningStatusOf: SQLStatement {
    static let sql = """
        SELECT state, attempts, last_error, requested_version, applied_version, next_attempt_at, updated_at
        FROM platform.provisioning_state WHERE tenant_id = platform.current_tenant() AND customer_id = $1
        """
}
