import Foundation
import Logging
import Platform
import PostgresNIO

/// SQL for `imports`, `import_rows` and `import_errors` (tenant tables) and `platform.import_jobs`. Runs in
/// a tenant transaction unless said otherwise.
struct ImportRepository: Sendable {
    let logger: Logger

    /// Everything rows are checked against, as the caller may see it.
    func references(on connection: PostgresConnection) async throws -> ImportReferences {
        var operators: [ImportReferences.Operator] = []
        for try await (id, name, kind, status) in try await connection.query(
            "SELECT id, name, kind, status FROM operators WHERE platform.operator_visible(id) ORDER BY id", logger: logger
        ).decode((Int64, String, String, String).self) {
            operators.append(.init(id: id, name: name, kind: kind, status: status))
        }
        var packages: [ImportReferences.Package] = []
        for try await (id, name, type, active, assigned) in try await connection.query(
            """
            SELECT p.id, p.name, p.customer_type, p.status = 'active',
                   coalesce(array_agg(a.operator_id) FILTER (WHERE a.operator_id IS NOT NULL), '{}')
            FROM catalog.packages p LEFT JOIN catalog.package_assignments a ON a.package_id = p.id
            GROUP BY p.id ORDER BY p.id
            """,
            logger: logger
        ).decode((Int64, String, String, Bool, [Int64]).self) {
            guard let type = CustomerType(rawValue: type) else { continue }
            packages.append(.init(id: id, name: name, type: type, active: active, operators: Set(assigned)))
        }
        var profiles: [Int64: String] = [:]
        for try await (id, name) in try await connection.query("SELECT id, name FROM catalog.billing_profiles", logger: logger).decode((Int64, String).self) {
            profiles[id] = name
        }
        var zones: [Int64: String] = [:]
        for try await (id, name) in try await connection.query("SELECT id, name FROM zones", logger: logger).decode((Int64, String).self) {
            zones[id] = name
        }
        let fields = CustomerRepository.decodeFields(try await connection.scalar(
            """
            SELECT coalesce(json_agg(json_build_object('id', f.id, 'key', f.key, 'name', f.name, 'type', f.type,
                   'options', f.options, 'required', f.required) ORDER BY f.position, f.id), '[]')::text FROM custom_fields f
            """,
            as: String.self, logger: logger
        ) ?? "[]")
        let zone = try await connection.scalar("SELECT tenant_time_zone()", as: String.self, logger: logger)
        return ImportReferences(
            operators: operators, packages: packages, profiles: profiles, zones: zones, fields: fields,
            timeZone: zone.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "Asia/Dhaka")!
        )
    }

    func create(_ draft: ImportDraft, actor: Actor, on connection: PostgresConnection) async throws -> Int64 {
        let scope: [Int64]? = CustomerService.operatorList(actor.principal)
        let id = try await connection.scalar(
            """
            INSERT INTO imports (operator_id, scope_operators, created_by, actor_user_id, actor_token_id, request_id, file_name,
                                 dry_run, strict, mode, state, total, unknown_columns)
            VALUES (\(actor.principal.operatorID), \(scope), \(actor.name), \(actor.userID), \(actor.tokenID), \(actor.requestID),
                    \(draft.fileName), \(draft.options.dryRun), \(draft.options.strict), \(draft.options.mode.rawValue), 'importing',
                    \(draft.total), \(draft.unknownColumns))
            RETURNING id
            """,
            as: Int64.self, logger: logger
        )
        guard let id else { throw PlatformError.internalError("import insert returned nothing") }
        return id
    }

    static let rowColumns = [
        "import_id", "line", "type", "operator_id", "username", "password_enc", "full_name", "phone", "email", "house", "road", "area",
        "thana", "district", "division", "zone_id", "package_id", "billing_profile_id", "static_ip", "mac", "client_type",
        "connection_type", "connectivity", "gender", "nid", "connection_date", "expires_at", "status", "custom", "notes",
    ]

    /// The checked rows and the errors found so far: `COPY` into temporary tables (`COPY` does not run under
    /// row-level security), then one `INSERT … SELECT` each into the import's tables.
    func load(importID: Int64, rows: [ImportRow], errors: [ImportError], on connection: PostgresConnection) async throws {
        if !rows.isEmpty {
            try await connection.query(
                "CREATE TEMP TABLE import_rows_load (LIKE import_rows INCLUDING DEFAULTS) ON COMMIT DROP", logger: logger
            )
            try await connection.copyFrom(table: "import_rows_load", columns: Self.rowColumns, logger: logger) { writer in
                var out = CopyText()
                for row in rows {
                    let customer = row.customer
                    out.int(importID); out.int(row.line); out.text(customer.type.rawValue); out.int(customer.operatorID); out.text(customer.username)
                    out.bytes(customer.password); out.text(customer.fullName); out.text(customer.phone); out.text(customer.email)
                    out.text(customer.address.house); out.text(customer.address.road); out.text(customer.address.area); out.text(customer.address.thana)
                    out.text(customer.address.district); out.text(customer.address.division); out.int(customer.zoneID); out.int(customer.packageID)
                    out.int(customer.billingProfileID); out.text(customer.staticIP); out.text(row.mac); out.text(customer.clientType)
                    out.text(customer.connectionType); out.text(customer.connectivity); out.text(customer.gender); out.text(customer.nid)
                    out.text(customer.connectionDate); out.timestamp(customer.expiresAt); out.text(customer.status.rawValue)
                    out.text(CustomerRepository.json(customer.custom)); out.text(customer.notes)
                    out.endRow()
                    if out.buffer.readableBytes > 256 * 1024 { try await writer.write(out.take()) }
                }
                if out.buffer.readableBytes > 0 { try await writer.write(out.take()) }
            }
            try await connection.query("INSERT INTO import_rows SELECT * FROM import_rows_load", logger: logger)
        }
        try await addErrors(importID: importID, errors, on: connection)
    }

    func addErrors(importID: Int64, _ errors: [ImportError], on connection: PostgresConnection) async throws {
        guard !errors.isEmpty else { return }
        try await connection.query("CREATE TEMP TABLE import_errors_load (LIKE import_errors) ON COMMIT DROP", logger: logger)
        try await connection.copyFrom(table: "import_errors_load", columns: ["import_id", "line", "column_name", "value", "code", "message"], logger: logger) { writer in
            var out = CopyText()
            for error in errors {
                out.int(importID); out.int(error.line); out.text(error.column); out.text(error.value); out.text(error.code); out.text(error.message)
                out.endRow()
                if out.buffer.readableBytes > 256 * 1024 { try await writer.write(out.take()) }
            }
            if out.buffer.readableBytes > 0 { try await writer.write(out.take()) }
        }
        try await connection.query("INSERT INTO import_errors SELECT * FROM import_errors_load", logger: logger)
    }

    /// What only the database knows, set-based over the pending rows: usernames the platform already has
    /// (this tenant's: `existing`; another tenant's: an error), static IPs and MAC addresses in use.
    /// `lines`: only these rows (a batch's), else every pending row of the import.
    func checkPending(importID: Int64, lines: [Int32]? = nil, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            WITH pending AS (
                SELECT line, username, static_ip, mac FROM import_rows
                WHERE import_id = \(importID) AND outcome = 'pending' AND (\(lines)::int[] IS NULL OR line = ANY(\(lines)::int[]))
            ), taken AS (
                SELECT t.username, t.own FROM platform.usernames_taken(ARRAY(SELECT lower(username) FROM pending)) t
            ), ips AS (
                SELECT ip FROM static_ips_in_use(ARRAY(SELECT static_ip FROM pending WHERE static_ip IS NOT NULL)) AS ip
            ), macs AS (
                SELECT mac FROM macs_in_use(ARRAY(SELECT mac FROM pending WHERE mac IS NOT NULL)) AS mac
            ), verdict AS (
                SELECT p.line, p.username, p.static_ip, p.mac, t.own,
                       CASE WHEN t.own IS NOT NULL AND NOT t.own THEN 'username_taken'
                            WHEN t.own THEN NULL
                            WHEN ips.ip IS NOT NULL THEN 'static_ip_taken'
                            WHEN macs.mac IS NOT NULL THEN 'mac_taken' END AS code
                FROM pending p
                LEFT JOIN taken t ON t.username = lower(p.username)
                LEFT JOIN ips ON ips.ip = p.static_ip
                LEFT JOIN macs ON macs.mac = p.mac
                WHERE t.username IS NOT NULL OR ips.ip IS NOT NULL OR macs.mac IS NOT NULL
            ), marked AS (
                UPDATE import_rows r SET outcome = CASE WHEN v.code IS NULL THEN 'existing' ELSE 'error' END
                FROM verdict v WHERE r.import_id = \(importID) AND r.line = v.line
            )
            INSERT INTO import_errors (import_id, line, column_name, value, code, message)
            SELECT \(importID), v.line,
                   CASE v.code WHEN 'username_taken' THEN 'username' WHEN 'static_ip_taken' THEN 'static_ip' ELSE 'mac' END,
                   CASE v.code WHEN 'username_taken' THEN v.username WHEN 'static_ip_taken' THEN host(v.static_ip) ELSE upper(v.mac::text) END,
                   v.code,
                   CASE v.code WHEN 'username_taken' THEN 'the username belongs to a customer of another account'
                               WHEN 'static_ip_taken' THEN 'the static IP is in use by another customer'
                               ELSE 'the MAC address is bound to another customer' END
            FROM verdict v WHERE v.code IS NOT NULL
            """,
            logger: logger
        )
    }

    /// Writes the counts of the import's rows and errors on it.
    func tally(importID: Int64, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            UPDATE imports i SET
                valid = (SELECT count(*) FROM import_rows r WHERE r.import_id = i.id AND r.outcome <> 'error'),
                imported = (SELECT count(*) FROM import_rows r WHERE r.import_id = i.id AND r.outcome = 'imported'),
                updated = (SELECT count(*) FROM import_rows r WHERE r.import_id = i.id AND r.outcome = 'updated'),
                skipped_existing = (SELECT count(*) FROM import_rows r WHERE r.import_id = i.id AND r.outcome = 'existing'),
                error_count = (SELECT count(DISTINCT line) FROM import_errors e WHERE e.import_id = i.id),
                updated_at = now()
            WHERE i.id = \(importID)
            """,
            logger: logger
        )
    }

    /// Adds a batch's rows to the import's counts (a full `tally` ends the import).
    func count(importID: Int64, imported: Int = 0, updated: Int = 0, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            UPDATE imports SET imported = imported + \(imported), updated = updated + \(updated),
                skipped_existing = skipped_existing - \(updated), updated_at = now()
            WHERE id = \(importID)
            """,
            logger: logger
        )
    }

    /// Ends the import and drops its staging rows (they hold sealed passwords; the counts and the errors
    /// stay).
    func finish(importID: Int64, state: String, message: String? = nil, on connection: PostgresConnection) async throws {
        try await connection.query(
            "UPDATE imports SET state = \(state), message = \(message), finished_at = now(), updated_at = now() WHERE id = \(importID)",
            logger: logger
        )
        try await connection.query("DELETE FROM import_rows WHERE import_id = \(importID)", logger: logger)
    }

    /// Inserts up to `limit` pending rows as customers, in one statement with one activity row and one outbox
    /// row each, the rows marked imported; then their MAC bindings (a second statement: a sub-reseller's
    /// device rows are checked against customers it can see, which the first statement's own inserts are
    /// not yet). Returns how many were inserted.
    /// Concurrent writers take disjoint batches (`SKIP LOCKED`). Returns the rows taken (0: none left) and
    /// the customers written.
    func insertBatch(importID: Int64, tenantID: Int64, limit: Int, actor: ImportActor, on connection: PostgresConnection) async throws
        -> (taken: Int, written: Int)
    {
        let taken = try await connection.scalar(
            """
            SELECT coalesce(array_agg(line), '{}') FROM (
                SELECT line FROM import_rows WHERE import_id = \(importID) AND outcome = 'pending'
                ORDER BY line LIMIT \(limit) FOR UPDATE SKIP LOCKED
            ) batch
            """,
            as: [Int32].self, logger: logger
        ) ?? []
        guard !taken.isEmpty else { return (0, 0) }
        try await checkPending(importID: importID, lines: taken, on: connection)
        let lines = try await connection.scalar(
            """
            WITH batch AS (
                SELECT * FROM import_rows WHERE import_id = \(importID) AND line = ANY(\(taken)::int[]) AND outcome = 'pending'
            ), c AS (
                INSERT INTO customers (type, operator_id, username, password_enc, full_name, phone, email, house, road, area, thana,
                    district, division, zone_id, package_id, billing_profile_id, static_ip, client_type, connection_type, connectivity,
                    gender, nid, connection_date, expires_at, status, status_reason, custom, notes, created_by, updated_by)
                SELECT type, operator_id, username, password_enc, full_name, phone, email, house, road, area, thana, district, division,
                    zone_id, package_id, billing_profile_id, static_ip, client_type, connection_type, connectivity, gender, nid,
                    coalesce(connection_date, current_date), expires_at, status,
                    CASE WHEN status = 'expired' THEN 'imported without a current validity' END, custom, notes,
                    \(actor.name), \(actor.name)
                FROM batch ORDER BY line
                RETURNING *
            ), matched AS (
                SELECT c.id, c.operator_id, b.line, to_jsonb(c) - \(CustomerRepository.unlogged)::text[] AS created
                FROM c JOIN batch b ON lower(b.username) = lower(c.username)
            ), log AS (
                INSERT INTO activity_log (operator_id, customer_id, action, actor_user_id, actor_token_id, actor_username, changes, request_id)
                SELECT operator_id, id, 'create', \(actor.userID), \(actor.tokenID), \(actor.name),
                       jsonb_build_object('created', created, 'import_id', \(importID), 'line', line), \(actor.requestID)
                FROM matched
            ), box AS (
                INSERT INTO platform.outbox (tenant_id, customer_id, reason) SELECT \(tenantID), id, 'created' FROM matched
            ), done AS (
                UPDATE import_rows r SET outcome = 'imported', customer_id = m.id
                FROM matched m WHERE r.import_id = \(importID) AND r.line = m.line
            )
            SELECT coalesce(array_agg(line), '{}') FROM matched
            """,
            as: [Int32].self, logger: logger
        ) ?? []
        guard !lines.isEmpty else { return (taken.count, 0) }
        try await connection.query(
            """
            INSERT INTO customer_devices (customer_id, mac, label, added_by)
            SELECT r.customer_id, r.mac, 'Imported', \(actor.name) FROM import_rows r
            WHERE r.import_id = \(importID) AND r.line = ANY(\(lines)::int[]) AND r.mac IS NOT NULL
            """,
            logger: logger
        )
        return (taken.count, lines.count)
    }

    /// `mode=upsert`: the rows after line `after` whose username the tenant already has (up to `limit`)
    /// update that customer's profile: the cells given replace its values, empty cells keep them, custom
    /// fields merge. Package, operator, status and password are not changed (their actions charge, refund
    /// and provision). A customer the caller cannot see, or one deleted, stays skipped. Logs the changed
    /// fields. Returns the last line looked at (nil: none left) and how many customers changed.
    func updateBatch(importID: Int64, after: Int, limit: Int, actor: ImportActor, on connection: PostgresConnection) async throws -> (last: Int?, changed: Int) {
        let rows = try await connection.query(
            """
            WITH batch AS (
                SELECT * FROM import_rows WHERE import_id = \(importID) AND outcome = 'existing' AND line > \(after)
                ORDER BY line LIMIT \(limit) FOR UPDATE
            ), before_row AS (
                SELECT c.*, b.line FROM customers c JOIN batch b ON lower(c.username) = lower(b.username)
                WHERE c.deleted_at IS NULL ORDER BY c.id FOR UPDATE OF c
            ), after_row AS (
                UPDATE customers c SET
                    full_name = b.full_name, phone = coalesce(b.phone, c.phone), email = coalesce(b.email, c.email),
                    house = coalesce(b.house, c.house), road = coalesce(b.road, c.road), area = coalesce(b.area, c.area),
                    thana = coalesce(b.thana, c.thana), district = coalesce(b.district, c.district), division = coalesce(b.division, c.division),
                    zone_id = coalesce(b.zone_id, c.zone_id), billing_profile_id = coalesce(b.billing_profile_id, c.billing_profile_id),
                    client_type = b.client_type, connection_type = b.connection_type, connectivity = b.connectivity,
                    gender = coalesce(b.gender, c.gender), nid = coalesce(b.nid, c.nid), notes = coalesce(b.notes, c.notes),
                    custom = c.custom || b.custom, updated_at = now(), updated_by = \(actor.name)
                FROM batch b, before_row o
                WHERE o.id = c.id AND o.line = b.line
                RETURNING c.*, b.line
            ), d AS (
                SELECT a.id, a.operator_id, a.line,
                    (SELECT coalesce(jsonb_object_agg(n.key, jsonb_build_object('from', o.value, 'to', n.value)), '{}'::jsonb)
                     FROM jsonb_each(to_jsonb(a) - \(CustomerRepository.unlogged + ["line"])::text[]) n
                     JOIN jsonb_each(to_jsonb(o0) - \(CustomerRepository.unlogged + ["line"])::text[]) o USING (key)
                     WHERE n.value IS DISTINCT FROM o.value) AS changes
                FROM after_row a JOIN before_row o0 ON o0.id = a.id
            ), log AS (
                INSERT INTO activity_log (operator_id, customer_id, action, actor_user_id, actor_token_id, actor_username, changes, request_id)
                SELECT operator_id, id, 'update', \(actor.userID), \(actor.tokenID), \(actor.name), changes, \(actor.requestID)
                FROM d WHERE changes <> '{}'::jsonb
            ), done AS (
                UPDATE import_rows r SET outcome = 'updated', customer_id = d.id FROM d
                WHERE r.import_id = \(importID) AND r.line = d.line AND d.changes <> '{}'::jsonb
            )
            SELECT (SELECT max(line) FROM batch), (SELECT count(*)::int FROM d WHERE changes <> '{}'::jsonb)
            """,
            logger: logger
        )
        for try await (last, changed) in rows.decode((Int?, Int).self) { return (last, changed) }
        return (nil, 0)
    }

    /// The import's summary row in the activity log (no customer), once it is done.
    func logSummary(importID: Int64, actor: ImportActor, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            INSERT INTO activity_log (operator_id, customer_id, action, actor_user_id, actor_token_id, actor_username, changes, request_id)
            SELECT operator_id, NULL, 'import', \(actor.userID), \(actor.tokenID), \(actor.name),
                   jsonb_build_object('import_id', id, 'file_name', file_name, 'total', total, 'imported', imported,
                                      'skipped_existing', skipped_existing, 'errors', error_count, 'strict', strict, 'dry_run', dry_run),
                   \(actor.requestID)
            FROM imports WHERE id = \(importID)
            """,
            logger: logger
        )
    }

    func actor(importID: Int64, on connection: PostgresConnection) async throws -> ImportActor? {
        let rows = try await connection.query(
            "SELECT created_by, actor_user_id, actor_token_id, request_id, scope_operators, mode = 'upsert' FROM imports WHERE id = \(importID)",
            logger: logger
        )
        for try await (name, user, token, request, scope, upsert) in rows.decode((String, Int64?, Int64?, String?, [Int64]?, Bool).self) {
            return ImportActor(name: name, userID: user, tokenID: token, requestID: request, scope: scope, upsert: upsert)
        }
        return nil
    }

    func report(importID: Int64, errorLimit: Int, on connection: PostgresConnection) async throws -> ImportReport? {
        let rows = try await connection.query(
            """
            SELECT id, state, dry_run, strict, mode, total, valid, imported, updated, skipped_existing, error_count, unknown_columns,
                   message, file_name, created_at, finished_at,
                   imported + updated + skipped_existing + error_count AS rows_done
            FROM imports i WHERE id = \(importID)
            """,
            logger: logger
        )
        var report: ImportReport?
        for try await row in rows {
            let r = row.makeRandomAccess()
            report = ImportReport(
                id: try r[0].decode(Int64.self), state: try r[1].decode(String.self), dryRun: try r[2].decode(Bool.self),
                strict: try r[3].decode(Bool.self), mode: try r[4].decode(String.self), total: try r[5].decode(Int.self),
                valid: try r[6].decode(Int.self), imported: try r[7].decode(Int.self), updated: try r[8].decode(Int.self),
                skippedExisting: try r[9].decode(Int.self), errorCount: try r[10].decode(Int.self),
                unknownColumns: try r[11].decode([String].self), message: try r[12].decode(String?.self),
                fileName: try r[13].decode(String?.self), createdAt: try r[14].decode(Date.self), finishedAt: try r[15].decode(Date?.self),
                rowsDone: try r[16].decode(Int.self), errors: []
            )
        }
        guard var report else { return nil }
        report.errors = try await errors(importID: importID, limit: errorLimit, on: connection)
        return report
    }

    func errors(importID: Int64, limit: Int?, on connection: PostgresConnection) async throws -> [ImportError] {
        let window = limit.map { "LIMIT \($0)" } ?? ""
        var errors: [ImportError] = []
        for try await (line, column, value, code, message) in try await connection.query(
            """
            SELECT line, column_name, value, code, message FROM import_errors WHERE import_id = \(importID)
            ORDER BY line, column_name NULLS FIRST \(unescaped: window)
            """,
            logger: logger
        ).decode((Int, String?, String?, String, String).self) {
            errors.append(ImportError(line: line, column: column, value: value, code: code, message: message))
        }
        return errors
    }

    func recent(page: PageRequest, on connection: PostgresConnection) async throws -> [Int64] {
        var ids: [Int64] = []
        for try await id in try await connection.query(
            "SELECT id FROM imports ORDER BY created_at DESC, id DESC LIMIT \(page.perPage) OFFSET \(page.offset)", logger: logger
        ).decode(Int64.self) {
            ids.append(id)
        }
        return ids
    }
}

/// Who an import's rows are written as: its creator, also when another process resumes it.
struct ImportActor: Sendable {
    var name: String
    var userID: Int64?
    var tokenID: Int64?
    var requestID: String?
    /// The creator's operators when a sub-reseller (nil: the tenant's owner).
    var scope: [Int64]?
    /// `mode=upsert`: existing customers are updated.
    var upsert = false
}

/// What an upload becomes before its rows are loaded.
struct ImportDraft: Sendable {
    var fileName: String?
    var options: ImportOptions
    var total: Int
    var unknownColumns: [String]
}

extension CustomerRepository {
    /// Every live customer the filter matches, in the list's order, as CSV in the import template's columns
    /// (no password), the address parts (which an import of the file reads back) and the tenant's custom
    /// fields; formula-like cells neutralised. One statement; the rows are written as they arrive.
    func exportCSV(_ filter: CustomerFilter, fields: [CustomField], on connection: PostgresConnection) async throws -> [UInt8] {
        var b = SQLBuilder(
            """
            SELECT c.username, c.full_name, c.phone, c.email, o.name, p.name, bp.name, z.name,
                   concat_ws(', ', c.house, c.road, c.area, c.thana, c.district, c.division), c.type,
                   to_char(c.expires_at AT TIME ZONE tenant_time_zone(), 'YYYY-MM-DD HH24:MI'), host(c.static_ip),
                   (SELECT string_agg(upper(d.mac::text), ' ' ORDER BY d.id) FROM customer_devices d WHERE d.customer_id = c.id),
                   c.house, c.road, c.area, c.thana, c.district, c.division, c.custom::text
            FROM customers c
            LEFT JOIN operators o ON o.id = c.operator_id
            LEFT JOIN zones z ON z.id = c.zone_id
            LEFT JOIN catalog.packages p ON p.id = c.package_id
            LEFT JOIN catalog.billing_profiles bp ON bp.id = c.billing_profile_id
            WHERE c.deleted_at IS NULL
            """
        )
        Self.appendFilter(filter, includeStatus: true, to: &b)
        b.append(" ORDER BY \(filter.sort.orderBy)")
        let parts: [ImportColumn] = [.house, .road, .area, .thana, .district, .division]
        let columns = ImportColumn.template.filter { $0 != .password } + parts
        var out = Array(CSV.line(columns.map(\.rawValue) + fields.map(\.key)).utf8)
        for try await row in try await connection.query(b.query, logger: logger) {
            let r = row.makeRandomAccess()
            var cells: [String] = []
            cells.reserveCapacity(columns.count + fields.count)
            for index in 0..<columns.count { cells.append(try r[index].decode(String?.self) ?? "") }
            let custom = (try? JSONSerialization.jsonObject(with: Data((try r[columns.count].decode(String.self)).utf8)) as? [String: Any]) ?? [:]
            for field in fields { cells.append(custom[field.key].map { "\($0)" } ?? "") }
            out.append(contentsOf: CSV.line(cells).utf8)
        }
        return out
    }
}
