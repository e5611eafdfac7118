import Foundation
import Hummingbird
import Platform
import PostgresNIO

/// What one request to end (or re-authorize) a session got.
package struct SessionRequestOutcome: Codable, Sendable, Hashable {
    package var username: String
    package var nasIP: String
    package var acctSessionID: String?
    /// `disconnect`, `coa`, `api` or `none` (the router is set to leave sessions alone).
    package var method: String
    /// `ack`, `nak`, `timeout`, `error` or `skipped`.
    package var result: String
    package var detail: String?
    /// Requests made before this one for the same session (the RADIUS request an API removal followed):
    /// audited, not answered.
    var earlier: [SessionRequestOutcome] = []

    enum CodingKeys: String, CodingKey {
        case username, method, result, detail
        case nasIP = "nas_ip", acctSessionID = "acct_session_id"
    }

    /// Done with: acknowledged, gone already (NAK 503), or nothing to do by the router's setting.
    var settled: Bool { result == "ack" || result == "skipped" || (result == "nak" && detail?.hasPrefix("503") == true) }
}

/// What `POST /customers/{id}/disconnect` answers.
package struct DisconnectReport: Codable, Sendable, ResponseEncodable {
    package var customerID: Int64
    package var sessions: [SessionRequestOutcome]

    enum CodingKeys: String, CodingKey {
        case sessions
        case customerID = "customer_id"
    }
}

/// An open session (from `radius.radacct`) and how its NAS is reached.
struct OpenSession: Sendable {
    var username: String
    var acctSessionID: String
    var framedIP: String?
    var nasIP: String
    /// From `radius.nas`; nil when the NAS is not a known client.
    var secret: String?
    var coaPort: Int
    var method: String
    var coaEnabled: Bool
    /// The router (`platform.routers`) behind the NAS address; nil when the NAS is no router of ours.
    var routerID: Int64?
}

extension ProvisioningService {
    /// Ends every open session of the customer now (on demand): a Disconnect-Request to each session's NAS.
    /// 404 when the caller cannot see the customer. Logged in the activity log and in `platform.disconnects`.
    package func disconnect(customerID: Int64, by actor: Actor) async throws -> DisconnectReport {
        let username = try await logAction("disconnected", customerID: customerID, by: actor, queueReason: nil, includeDeleted: false)
        let sessions = try await openSessions([username])
        let outcomes = await end(sessions, newRateLimit: nil)
        try await record(outcomes, tenantID: actor.principal.tenantID, customerID: customerID, reason: "on_demand", requestedBy: actor.name)
        return DisconnectReport(customerID: customerID, sessions: outcomes)
    }

    /// The worker's step after a convergence: ends (or re-authorizes) the open sessions of the customers
    /// whose rows changed, records every request, clears `disconnect_pending` of the customers that are
    /// done, and throws when some are not (the job is retried, and the retry sends again).
    func apply(_ actions: [SessionAction], tenantID: Int64) async throws {
        guard !actions.isEmpty else { return }
        let sessions = try await openSessions(Array(Set(actions.flatMap(\.usernames))))
        var settled: [Int64] = []
        var unsettled: [String] = []
        for action in actions {
            let mine = sessions.filter { action.usernames.contains($0.username) }
            let outcomes = await end(mine, newRateLimit: action.newRateLimit)
            try await record(outcomes, tenantID: tenantID, customerID: action.customerID, reason: "provisioning", requestedBy: "provisioning")
            if outcomes.allSatisfy(\.settled) {
                settled.append(action.customerID)
            } else {
                unsettled += outcomes.filter { !$0.settled }.map { "\($0.username)@\($0.nasIP): \($0.result) \($0.detail ?? "")" }
            }
        }
        if !settled.isEmpty {
            _ = try await database.withPlatformConnection { connection in
                try await connection.query(
                    """
                    UPDATE platform.provisioning_state
                    SET disconnect_pending = false,
                        state = CASE WHEN applied_version >= requested_version AND NOT router_pending THEN 'in_sync' ELSE state END,
                        updated_at = now()
                    WHERE tenant_id = \(tenantID) AND customer_id = ANY(\(settled)::bigint[])
                    """,
                    logger: logger
                )
            }
        }
        if !unsettled.isEmpty { throw ProvisioningError.sessionsNotEnded(unsettled.prefix(3).joined(separator: "; ")) }
    }

    /// Open sessions of these usernames, with their NAS's secret (`radius.nas`) and the router's settings
    /// (`platform.routers`; a NAS that is no router gets the defaults: RADIUS on 3799, Disconnect only).
    func openSessions(_ usernames: [String]) async throws -> [OpenSession] {
        guard !usernames.isEmpty else { return [] }
        return try await database.withPlatformConnection { connection in
            var sessions: [OpenSession] = []
            let rows = try await connection.query(
                """
                SELECT a.username, a.acctsessionid, host(a.framedipaddress), host(a.nasipaddress), n.secret,
                       coalesce(r.coa_port, 3799), coalesce(r.disconnect_method, 'radius'), coalesce(r.coa_enabled, false), r.id
                FROM radius.radacct a
                LEFT JOIN radius.nas n ON n.nasname = host(a.nasipaddress)
                LEFT JOIN platform.routers r ON r.nas_ip = a.nasipaddress
                WHERE a.username = ANY(\(usernames)) AND a.acctstoptime IS NULL
                ORDER BY a.radacctid
                """,
                logger: logger
            )
            for try await (username, session, framed, nas, secret, port, method, coa, router) in rows.decode(
                (String, String, String?, String, String?, Int, String, Bool, Int64?).self
            ) {
                sessions.append(OpenSession(username: username, acctSessionID: session, framedIP: framed, nasIP: nas, secret: secret,
                                            coaPort: port, method: method, coaEnabled: coa, routerID: router))
            }
            return sessions
        }
    }

    /// Sends one request per session, all at once; where RADIUS did not get through (or the router is set to
    /// the API), removes the session over the router's API instead. Never throws (every failure is an outcome).
    func end(_ sessions: [OpenSession], newRateLimit: String?) async -> [SessionRequestOutcome] {
        let first = await withTaskGroup(of: (OpenSession, SessionRequestOutcome).self) { group in
            for session in sessions {
                group.addTask { (session, await end(session, newRateLimit: newRateLimit)) }
            }
            var outcomes: [(OpenSession, SessionRequestOutcome)] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        // Sessions on one of our routers that is set to the API, or whose RADIUS request was not settled.
        var outcomes: [SessionRequestOutcome] = []
        var viaAPI: [(OpenSession, SessionRequestOutcome)] = []
        for (session, outcome) in first {
            let useAPI = session.routerID != nil
                && (session.method == NASRouter.DisconnectMethod.api.rawValue || (session.method == "radius" && !outcome.settled))
            if useAPI { viaAPI.append((session, outcome)) } else { outcomes.append(outcome) }
        }
        if !viaAPI.isEmpty {
            let routerIDs = Array(Set(viaAPI.compactMap(\.0.routerID)))
            let endpoints: [Int64: RouterRepository.Endpoint]
            do {
                endpoints = try await database.withPlatformConnection { connection in
                    try await routerRepository.endpoints(ids: routerIDs, on: connection).mapValues(\.endpoint)
                }
            } catch {
                endpoints = [:]
                logger.warning("cannot read routers for an API disconnect", metadata: ["error": "\(error)"])
            }
            outcomes += await withTaskGroup(of: SessionRequestOutcome.self) { group in
                for (session, radius) in viaAPI {
                    let endpoint = session.routerID.flatMap { endpoints[$0] }
                    group.addTask {
                        var outcome = await removeOverAPI(session, endpoint: endpoint, after: session.method == "radius" ? radius : nil)
                        if session.method == "radius" { outcome.earlier = [radius] }
                        return outcome
                    }
                }
                var outcomes: [SessionRequestOutcome] = []
                for await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
        }
        return outcomes.sorted { ($0.nasIP, $0.acctSessionID ?? "") < ($1.nasIP, $1.acctSessionID ?? "") }
    }

    /// Removes the session from the router's active PPP and hotspot lists (by user, and by address when the
    /// session has one). `after`: the RADIUS request that did not get through, named in the detail.
    private func removeOverAPI(_ session: OpenSession, endpoint: RouterRepository.Endpoint?, after radius: SessionRequestOutcome?) async
        -> SessionRequestOutcome
    {
        var outcome = SessionRequestOutcome(
            username: session.username, nasIP: session.nasIP, acctSessionID: session.acctSessionID, method: "api", result: "error", detail: nil
        )
        let prefix = radius.map { "after RADIUS \($0.method) \($0.result)\($0.detail.map { " (\($0))" } ?? ""): " } ?? ""
        guard let endpoint else {
            outcome.detail = prefix + "the router is gone"
            return outcome
        }
        do {
            let client = try await routerPool.client(for: endpoint.config)
            var removed = 0
            for (menu, userProperty) in [("/ppp/active", "name"), ("/ip/hotspot/active", "user")] {
                let rows = try await client.run(menu + "/print", attributes: [".proplist": ".id,\(userProperty),address"],
                                                queries: ["?\(userProperty)=\(session.username)"])
                let ids = rows.filter { row in
                    guard let framed = session.framedIP, let address = row["address"] else { return true }
                    return address == framed
                }.compactMap { $0[".id"] }
                guard !ids.isEmpty else { continue }
                try await client.run(menu + "/remove", attributes: [".id": ids.joined(separator: ",")])
                removed += ids.count
            }
            outcome.result = "ack"
            outcome.detail = prefix + (removed == 0 ? "no such session on the router" : "removed \(removed) active entr\(removed == 1 ? "y" : "ies")")
        } catch {
            outcome.result = (error as? RouterOSError) == .timeout ? "timeout" : "error"
            outcome.detail = prefix + Self.routerReason(error)
        }
        return outcome
    }

    private func end(_ session: OpenSession, newRateLimit: String?) async -> SessionRequestOutcome {
        let coa = newRateLimit != nil && session.coaEnabled
        var outcome = SessionRequestOutcome(
            username: session.username, nasIP: session.nasIP, acctSessionID: session.acctSessionID,
            method: coa ? "coa" : "disconnect", result: "error", detail: nil
        )
        switch session.method {
        case "none":
            outcome.method = "none"
            outcome.result = "skipped"
            outcome.detail = "the router is set to leave sessions alone"
            return outcome
        case "radius":
            break
        default:
            // `api`: the caller removes it over the router's API (a NAS that is no router has no API to use).
            outcome.method = session.method
            outcome.detail = "the NAS is no router of ours, so it has no API to use"
            return outcome
        }
        guard let secret = session.secret else {
            outcome.detail = "the NAS is not a known RADIUS client"
            return outcome
        }
        let target = DynamicAuthTarget(host: session.nasIP, port: session.coaPort, secret: secret)
        let identity = SessionIdentity(userName: session.username, acctSessionID: session.acctSessionID, framedIP: session.framedIP,
                                       nasIP: session.nasIP)
        do {
            let answer = if coa, let rate = newRateLimit {
                try await dynamicAuth.changeOfAuthorization(target, session: identity, attributes: [.vendor(14988, 8, rate)])
            } else {
                try await dynamicAuth.disconnect(target, session: identity)
            }
            switch answer {
            case .ack:
                outcome.result = "ack"
            case .nak(let cause, let message):
                outcome.result = "nak"
                outcome.detail = [cause.map { "\($0.rawValue) \($0)" }, message].compactMap { $0 }.joined(separator: ": ")
            }
        } catch {
            outcome.result = error == .timeout ? "timeout" : "error"
            outcome.detail = error.message
        }
        return outcome
    }

    /// One row per request in `platform.disconnects`, in the order they were made.
    private func record(_ final: [SessionRequestOutcome], tenantID: Int64, customerID: Int64, reason: String, requestedBy: String) async throws {
        let outcomes = final.flatMap { $0.earlier + [$0] }
        guard !outcomes.isEmpty else { return }
        _ = try await database.withPlatformConnection { connection in
            try await connection.query(
                """
                INSERT INTO platform.disconnects (tenant_id, customer_id, username, nas_ip, acct_session_id, method, reason, requested_by, result, detail)
                SELECT \(tenantID), \(customerID), o.username, o.nas_ip::inet, o.session, o.method, \(reason), \(requestedBy), o.result,
                       left(nullif(o.detail, ''), 500)
                FROM unnest(\(outcomes.map(\.username)), \(outcomes.map(\.nasIP)), \(outcomes.map { $0.acctSessionID ?? "" }),
                            \(outcomes.map(\.method)), \(outcomes.map(\.result)), \(outcomes.map { $0.detail ?? "" }))
                     WITH ORDINALITY o(username, nas_ip, session, method, result, detail, n)
                ORDER BY o.n
                """,
                logger: logger
            )
        }
    }
}
