import Foundation
import Logging
import Platform
import PostgresNIO

/// SQL of `platform.routers`, `platform.router_assignments` and the routers' `radius.nas` rows.
///
/// Reads run in whatever transaction the caller opened: as the application role (the admin: every router)
/// or as a tenant role (row-level security shows the routers assigned to the tenant, column grants keep the
/// sealed secrets out of reach). Writes are the admin's, as the application role.
struct RouterRepository: Sendable {
    let secrets: SecretBox
    let logger: Logger

    /// Columns every reader may select; `assigned` is filtered to the tenant's own rows for tenant roles.
    private static let columns = """
        r.id, r.name, host(r.nas_ip) AS nas_ip, coalesce(r.api_host, host(r.nas_ip)) AS api_host, r.api_port, r.api_tls,
        r.api_tls_verify, r.api_username, r.has_api_password, r.coa_port, r.disconnect_method, r.coa_enabled, r.location,
        r.interim_seconds, r.status, r.last_test_at, r.last_test_ok, r.last_test_message, r.last_configure_at, r.last_configure_ok,
        r.last_configure_message, r.created_at, r.updated_at,
        ARRAY(SELECT a.tenant_id FROM platform.router_assignments a WHERE a.router_id = r.id ORDER BY a.tenant_id) AS assigned
        """

    /// Where a connection test logged in, so its result is recorded only while these are still the router's.
    struct Endpoint: Sendable, Equatable {
        var settings: RouterSettings
        var sealedPassword: Data?

        var config: RouterOSConfig { settings.apiConfig }
    }

    /// The secrets' authenticated context: a sealed value copied to another router does not open.
    static func radiusSecretContext(_ id: Int64) -> String { "router-radius-secret:r\(id)" }
    static func apiPasswordContext(_ id: Int64) -> String { "router-api-password:r\(id)" }

    /// FreeRADIUS' client row of a router is found by this description.
    static func nasDescription(_ id: Int64) -> String { "uplink router \(id)" }

    // MARK: Reads

    func list(page: PageRequest, withAssignments: Bool, on connection: PostgresConnection) async throws -> Page<NASRouter> {
        let total = try await connection.scalar("SELECT count(*)::bigint FROM platform.routers", as: Int64.self, logger: logger) ?? 0
        let rows = try await connection.query(
            """
            SELECT \(unescaped: Self.columns) FROM platform.routers r
            ORDER BY lower(r.name), r.id LIMIT \(page.perPage) OFFSET \(page.offset)
            """,
            logger: logger
        )
        var items: [NASRouter] = []
        for try await row in rows { items.append(try Self.router(row.makeRandomAccess(), withAssignments: withAssignments)) }
        return Page(items: items, page: page.page, perPage: page.perPage, total: Int(total))
    }

    func router(id: Int64, withAssignments: Bool, on connection: PostgresConnection) async throws -> NASRouter? {
        let rows = try await connection.query("SELECT \(unescaped: Self.columns) FROM platform.routers r WHERE r.id = \(id)", logger: logger)
        for try await row in rows { return try Self.router(row.makeRandomAccess(), withAssignments: withAssignments) }
        return nil
    }

    private static func router(_ r: PostgresRandomAccessRow, withAssignments: Bool) throws -> NASRouter {
        let testedAt: Date? = try r.get("last_test_at")
        let lastTest: NASRouter.ConnectionTest? = try testedAt.map { at in
            NASRouter.ConnectionTest(at: at, ok: try r.get("last_test_ok", as: Bool?.self) ?? false,
                                  message: try r.get("last_test_message", as: String?.self) ?? "")
        }
        let configuredAt: Date? = try r.get("last_configure_at")
        let lastConfigure: NASRouter.ConnectionTest? = try configuredAt.map { at in
            NASRouter.ConnectionTest(at: at, ok: try r.get("last_configure_ok", as: Bool?.self) ?? false,
                                  message: try r.get("last_configure_message", as: String?.self) ?? "")
        }
        return NASRouter(
            id: try r.get("id"), name: try r.get("name"), nasIP: try r.get("nas_ip"), apiHost: try r.get("api_host"),
            apiPort: try r.get("api_port"), apiTLS: try r.get("api_tls"), apiTLSVerify: try r.get("api_tls_verify"),
            apiUsername: try r.get("api_username"), hasAPIPassword: try r.get("has_api_password"), coaPort: try r.get("coa_port"),
            disconnectMethod: NASRouter.DisconnectMethod(rawValue: try r.get("disconnect_method")) ?? .radius,
            coaEnabled: try r.get("coa_enabled"), location: try r.get("location"), interimSeconds: try r.get("interim_seconds"),
            status: NASRouter.Status(rawValue: try r.get("status")) ?? .disabled,
            assignedTenantIDs: try withAssignments ? r.get("assigned", as: [Int64].self) : nil,
            lastTest: lastTest, lastConfigure: lastConfigure, createdAt: try r.get("created_at"), updatedAt: try r.get("updated_at")
        )
    }

    /// The router's settings with its secrets opened, its row locked for the rest of the transaction (so a
    /// concurrent update or delete waits, and so do customers being put on it). Application role only.
    func lockedEndpoint(id: Int64, on connection: PostgresConnection) async throws -> (endpoint: Endpoint, sealedSecret: Data)? {
        try await endpoints(ids: [id], lock: true, on: connection)[id]
    }

    /// The settings of these routers with their secrets opened (routers that are gone are left out); `lock`
    /// locks their rows for the rest of the transaction. Application role only.
    func endpoints(ids: [Int64], lock: Bool = false, on connection: PostgresConnection) async throws -> [Int64: (endpoint: Endpoint, sealedSecret: Data)] {
        let rows = try await connection.query(
            """
            SELECT id, name, host(nas_ip) AS nas_ip, radius_secret_enc, api_host, api_port, api_tls, api_tls_verify, api_username,
                   api_password_enc, coa_port, disconnect_method, coa_enabled, location, interim_seconds, status
            FROM platform.routers WHERE id = ANY(\(ids)::bigint[]) ORDER BY id \(unescaped: lock ? "FOR UPDATE" : "")
            """,
            logger: logger
        )
        var found: [Int64: (endpoint: Endpoint, sealedSecret: Data)] = [:]
        for try await row in rows {
            let r = row.makeRandomAccess()
            let id: Int64 = try r.get("id")
            let sealedSecret: Data = try r.get("radius_secret_enc")
            let sealedPassword: Data? = try r.get("api_password_enc")
            let settings = RouterSettings(
                name: try r.get("name"), nasIP: try r.get("nas_ip"),
                radiusSecret: try open(sealedSecret, context: Self.radiusSecretContext(id)), apiHost: try r.get("api_host"),
                apiPort: try r.get("api_port"), apiTLS: try r.get("api_tls"), apiTLSVerify: try r.get("api_tls_verify"),
                apiUsername: try r.get("api_username"),
                apiPassword: try sealedPassword.map { try open($0, context: Self.apiPasswordContext(id)) },
                coaPort: try r.get("coa_port"),
                disconnectMethod: NASRouter.DisconnectMethod(rawValue: try r.get("disconnect_method")) ?? .radius,
                coaEnabled: try r.get("coa_enabled"), location: try r.get("location"), interimSeconds: try r.get("interim_seconds"),
                status: NASRouter.Status(rawValue: try r.get("status")) ?? .disabled
            )
            found[id] = (Endpoint(settings: settings, sealedPassword: sealedPassword), sealedSecret)
        }
        return found
    }

    private func open(_ sealed: Data, context: String) throws -> String {
        do {
            return try secrets.open(Array(sealed), context: context)
        } catch {
            // A value sealed under another key or for another router: never guess, never show it.
            logger.error("router secret does not open", metadata: ["secret.context": "\(context)"])
            throw PlatformError.internalError("router secret does not open")
        }
    }

    // MARK: Writes (application role)

    /// The id the next router gets: drawn before the insert, because the sealed secrets are bound to it.
    func nextID(on connection: PostgresConnection) async throws -> Int64 {
        guard let id = try await connection.scalar(
            "SELECT nextval(pg_get_serial_sequence('platform.routers', 'id'))", as: Int64.self, logger: logger
        ) else { throw PlatformError.internalError("no router id") }
        return id
    }

    func seal(_ secret: String, context: String) throws -> Data {
        Data(try secrets.seal(secret, context: context))
    }

    /// Inserts (`isNew`) or rewrites the router's settings.
    func save(id: Int64, _ settings: RouterSettings, sealedSecret: Data, sealedPassword: Data?, isNew: Bool, on connection: PostgresConnection) async throws {
        let method = settings.disconnectMethod.rawValue, status = settings.status.rawValue
        _ = try await translatingUniqueViolation({ constraint in
            constraint?.contains("nas_ip") == true ? RouterError.nasIPTaken : RouterError.nameTaken
        }) {
            if isNew {
                try await connection.query(
                    """
                    INSERT INTO platform.routers (id, name, nas_ip, radius_secret_enc, api_host, api_port, api_tls, api_tls_verify, api_username,
                                                  api_password_enc, coa_port, disconnect_method, coa_enabled, location, interim_seconds, status)
                    VALUES (\(id), \(settings.name), \(settings.nasIP)::inet, \(sealedSecret), \(settings.apiHost), \(settings.apiPort),
                            \(settings.apiTLS), \(settings.apiTLSVerify), \(settings.apiUsername), \(sealedPassword), \(settings.coaPort),
                            \(method), \(settings.coaEnabled), \(settings.location), \(settings.interimSeconds), \(status))
                    """,
                    logger: logger
                )
            } else {
                try await connection.query(
                    """
                    UPDATE platform.routers SET name = \(settings.name), nas_ip = \(settings.nasIP)::inet, radius_secret_enc = \(sealedSecret),
                        api_host = \(settings.apiHost), api_port = \(settings.apiPort), api_tls = \(settings.apiTLS),
                        api_tls_verify = \(settings.apiTLSVerify), api_username = \(settings.apiUsername), api_password_enc = \(sealedPassword),
                        coa_port = \(settings.coaPort), disconnect_method = \(method), coa_enabled = \(settings.coaEnabled),
                        location = \(settings.location), interim_seconds = \(settings.interimSeconds), status = \(status), updated_at = now()
                    WHERE id = \(id)
                    """,
                    logger: logger
                )
            }
        }
    }

    /// Makes the router's `radius.nas` row what FreeRADIUS should know: present with the clear secret while
    /// the router is active, absent while it is disabled. A row of the same address made by hand is taken
    /// over (FreeRADIUS cannot hold two clients of one address anyway).
    func syncNAS(id: Int64, _ settings: RouterSettings, on connection: PostgresConnection) async throws {
        let active = settings.status == .active
        try await connection.query(
            """
            WITH gone AS (
                DELETE FROM radius.nas WHERE description = \(Self.nasDescription(id)) AND (NOT \(active) OR nasname <> \(settings.nasIP))
            )
            INSERT INTO radius.nas AS n (nasname, shortname, type, secret, description)
            SELECT \(settings.nasIP), \(settings.name), 'other', \(settings.radiusSecret), \(Self.nasDescription(id)) WHERE \(active)
            ON CONFLICT (nasname) DO UPDATE SET shortname = EXCLUDED.shortname, type = EXCLUDED.type, secret = EXCLUDED.secret,
                description = EXCLUDED.description
            """,
            logger: logger
        )
    }

    /// Records a connection test, unless the router's API settings changed (or it was deleted) meanwhile.
    @discardableResult
    func recordTest(id: Int64, endpoint: Endpoint, outcome: RouterProbe.Outcome, on connection: PostgresConnection) async throws -> Bool {
        let settings = endpoint.settings
        return try await connection.returnsRow(
            """
            UPDATE platform.routers SET last_test_at = now(), last_test_ok = \(outcome.ok), last_test_message = \(outcome.message)
            WHERE id = \(id) AND coalesce(api_host, host(nas_ip)) = \(settings.apiHost ?? settings.nasIP) AND api_port = \(settings.apiPort)
              AND api_tls = \(settings.apiTLS) AND api_tls_verify = \(settings.apiTLSVerify) AND api_username = \(settings.apiUsername)
              AND api_password_enc IS NOT DISTINCT FROM \(endpoint.sealedPassword)
            RETURNING id
            """,
            logger: logger
        )
    }

    /// Stores (replaces) the address ranges of these pools of the router.
    func savePools(routerID: Int64, _ pools: [String: String], on connection: PostgresConnection) async throws {
        guard !pools.isEmpty else { return }
        let names = pools.keys.sorted()
        try await connection.query(
            """
            INSERT INTO platform.router_pools AS p (router_id, name, ranges)
            SELECT \(routerID), n, r FROM unnest(\(names)::text[], \(names.map { pools[$0] ?? "" })::text[]) x(n, r)
            ON CONFLICT (router_id, name) DO UPDATE SET ranges = EXCLUDED.ranges, updated_at = now()
            WHERE p.ranges <> EXCLUDED.ranges
            """,
            logger: logger
        )
    }

    /// The router's pool ranges by name.
    func pools(routerID: Int64, on connection: PostgresConnection) async throws -> [String: String] {
        var pools: [String: String] = [:]
        for try await (name, ranges) in try await connection.query(
            "SELECT name, ranges FROM platform.router_pools WHERE router_id = \(routerID)", logger: logger
        ).decode((String, String).self) { pools[name] = ranges }
        return pools
    }

    /// Records the outcome of a configuration push.
    func recordConfigure(id: Int64, ok: Bool, message: String, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            UPDATE platform.routers SET last_configure_at = now(), last_configure_ok = \(ok), last_configure_message = \(String(message.prefix(500)))
            WHERE id = \(id)
            """,
            logger: logger
        )
    }

    /// Live customers of every tenant on the router.
    func customerCount(id: Int64, on connection: PostgresConnection) async throws -> Int64 {
        try await connection.scalar("SELECT platform.router_customer_count(\(id))", as: Int64.self, logger: logger) ?? 0
    }

    /// Deletes the router, its FreeRADIUS client row and its assignments; soft-deleted customers that still
    /// name it lose the reference (the tenants' foreign keys).
    func delete(id: Int64, on connection: PostgresConnection) async throws {
        try await connection.query("DELETE FROM radius.nas WHERE description = \(Self.nasDescription(id))", logger: logger)
        try await connection.query("DELETE FROM platform.routers WHERE id = \(id)", logger: logger)
    }

    /// Of `tenantIDs`, those that are not reseller tenants.
    func unknownResellers(_ tenantIDs: [Int64], on connection: PostgresConnection) async throws -> [Int64] {
        let rows = try await connection.query(
            """
            SELECT i.id FROM unnest(\(tenantIDs)::bigint[]) i(id)
            WHERE NOT EXISTS (SELECT 1 FROM platform.tenants t WHERE t.id = i.id AND t.kind = 'reseller') ORDER BY 1
            """,
            logger: logger
        )
        var unknown: [Int64] = []
        for try await id in rows.decode(Int64.self) { unknown.append(id) }
        return unknown
    }

    /// Makes the router's assignments exactly `tenantIDs`.
    func replaceAssignments(routerID: Int64, tenantIDs: [Int64], on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            WITH removed AS (
                DELETE FROM platform.router_assignments WHERE router_id = \(routerID) AND NOT (tenant_id = ANY(\(tenantIDs)::bigint[]))
            ), added AS (
                INSERT INTO platform.router_assignments (router_id, tenant_id)
                SELECT \(routerID), t FROM unnest(\(tenantIDs)::bigint[]) t ON CONFLICT DO NOTHING
            )
            UPDATE platform.routers SET updated_at = now() WHERE id = \(routerID)
            """,
            logger: logger
        )
    }
}
