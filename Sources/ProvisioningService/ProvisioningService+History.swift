import Foundation
import Hummingbird
import Platform
import PostgresNIO

/// One session of a customer's history (`radius.radacct`).
package struct SessionRecord: Codable, Sendable, Hashable {
    package var acctSessionID: String
    package var startedAt: Date?
    /// Nil while the session is open.
    package var stoppedAt: Date?
    package var durationSeconds: Int64
    package var ip: String?
    package var mac: String?
    package var nasIP: String
    package var nas: String?
    package var uploadBytes: Int64
    package var downloadBytes: Int64
    package var terminateCause: String?

    enum CodingKeys: String, CodingKey {
        case ip, mac, nas
        case acctSessionID = "acct_session_id", startedAt = "started_at", stoppedAt = "stopped_at", durationSeconds = "duration_seconds"
        case nasIP = "nas_ip", uploadBytes = "upload_bytes", downloadBytes = "download_bytes", terminateCause = "terminate_cause"
    }
}

/// What `GET /api/v1/customers/{id}/sessions` answers.
package struct SessionHistory: Codable, Sendable, ResponseEncodable {
    package struct Totals: Codable, Sendable {
        package var sessions: Int64
        package var seconds: Int64
        package var uploadBytes: Int64
        package var downloadBytes: Int64

        enum CodingKeys: String, CodingKey {
            case sessions, seconds
            case uploadBytes = "upload_bytes", downloadBytes = "download_bytes"
        }
    }

    package var customerID: Int64
    package var username: String
    package var from: Date
    package var to: Date
    /// Newest first, at most `SessionHistory.limit`.
    package var items: [SessionRecord]
    /// Over every session of the period, listed or not.
    package var totals: Totals
    /// More sessions started in the period than are listed.
    package var truncated: Bool

    package static let limit = 5_000

    enum CodingKeys: String, CodingKey {
        case username, from, to, items, totals, truncated
        case customerID = "customer_id"
    }

    /// The listed sessions as CSV.
    package var csv: [UInt8] {
        var text = CSV.line(["acct_session_id", "started_at", "stopped_at", "duration_seconds", "ip", "mac", "nas_ip", "nas",
                             "upload_bytes", "download_bytes", "terminate_cause"])
        let format = ISO8601DateFormatter()
        for item in items {
            text += CSV.line([
                item.acctSessionID, item.startedAt.map(format.string) ?? "", item.stoppedAt.map(format.string) ?? "",
                String(item.durationSeconds), item.ip ?? "", item.mac ?? "", item.nasIP, item.nas ?? "", String(item.uploadBytes),
                String(item.downloadBytes), item.terminateCause ?? "",
            ])
        }
        return Array(text.utf8)
    }
}

/// One authentication (`radius.radpostauth`).
package struct AuthAttempt: Codable, Sendable, Hashable {
    package var id: Int64
    package var at: Date
    package var username: String
    package var customerID: Int64
    /// `accept` or `reject`.
    package var result: String
    package var nasIP: String?
    package var mac: String?
    package var replyMessage: String?

    enum CodingKeys: String, CodingKey {
        case id, at, username, result, mac
        case customerID = "customer_id", nasIP = "nas_ip", replyMessage = "reply_message"
    }
}

/// What `GET /api/v1/auth-log` answers: newest first; `next_before` asks for the page after this one.
package struct AuthLogPage: Codable, Sendable, ResponseEncodable {
    package var items: [AuthAttempt]
    package var nextBefore: Int64?

    enum CodingKeys: String, CodingKey {
        case items
        case nextBefore = "next_before"
    }
}

/// The filters of `GET /api/v1/auth-log`.
package struct AuthLogQuery: Sendable {
    package var username: String?
    /// `accept` or `reject`.
    package var result: String?
    package var from: Date?
    package var to: Date?
    /// Only attempts with a smaller id (the previous page's `next_before`).
    package var before: Int64?
    package var limit = 100

    package init() {}
}

extension ProvisioningService {
    /// A customer's sessions that started in [`from`, `to`) (default: the last 30 days; at most 366 days),
    /// with totals. 404 when the caller cannot see the customer. Sessions under the same username before
    /// the customer existed (a name freed and taken again) are not its own and are left out.
    package func sessionHistory(customerID: Int64, for principal: Principal, from: Date?, to: Date?) async throws -> SessionHistory {
        let end = to ?? clock.now().addingTimeInterval(60)
        let start = from ?? end.addingTimeInterval(-30 * 86_400)
        guard start < end else { throw PlatformError.invalidInput(field: "from", reason: "must be before to") }
        guard end.timeIntervalSince(start) <= 366 * 86_400 else { throw PlatformError.invalidInput(field: "from", reason: "the period must be at most 366 days") }
        let (username, createdAt) = try await database.withTenantTransaction(principal.tenantScope) { connection in
            let rows = try await connection.query("SELECT username, created_at FROM customers WHERE id = \(customerID)", logger: logger)
            for try await row in rows.decode((String, Date).self) { return row }
            throw PlatformError.notFound("customer")
        }
        let since = max(start, createdAt.addingTimeInterval(-60))
        return try await database.withPlatformConnection { connection in
            let totals = try await connection.query(
                """
                SELECT count(*), coalesce(sum(coalesce(acctsessiontime, 0)), 0)::bigint,
                       coalesce(sum(coalesce(acctinputoctets, 0)), 0)::bigint, coalesce(sum(coalesce(acctoutputoctets, 0)), 0)::bigint
                FROM radius.radacct WHERE username = \(username) AND acctstarttime >= \(since) AND acctstarttime < \(end)
                """,
                logger: logger
            )
            var summary = SessionHistory.Totals(sessions: 0, seconds: 0, uploadBytes: 0, downloadBytes: 0)
            for try await (count, seconds, upload, download) in totals.decode((Int64, Int64, Int64, Int64).self) {
                summary = .init(sessions: count, seconds: seconds, uploadBytes: upload, downloadBytes: download)
            }
            let rows = try await connection.query(
                """
                SELECT a.acctsessionid, a.acctstarttime, a.acctstoptime,
                       coalesce(a.acctsessiontime, extract(epoch FROM coalesce(a.acctstoptime, now()) - a.acctstarttime)::bigint, 0),
                       host(a.framedipaddress), a.callingstationid, host(a.nasipaddress), r.name,
                       coalesce(a.acctinputoctets, 0), coalesce(a.acctoutputoctets, 0), a.acctterminatecause
                FROM radius.radacct a LEFT JOIN platform.routers r ON r.nas_ip = a.nasipaddress
                WHERE a.username = \(username) AND a.acctstarttime >= \(since) AND a.acctstarttime < \(end)
                ORDER BY a.acctstarttime DESC, a.radacctid DESC LIMIT \(SessionHistory.limit)
                """,
                logger: logger
            )
            var items: [SessionRecord] = []
            for try await row in rows {
                let (session, started, stopped, duration, ip, mac, nasIP, nas) = try row.decode(
                    (String, Date?, Date?, Int64, String?, String?, String, String?).self
                )
                let columns = row.makeRandomAccess()
                items.append(SessionRecord(
                    acctSessionID: session, startedAt: started, stoppedAt: stopped, durationSeconds: duration, ip: ip, mac: mac, nasIP: nasIP,
                    nas: nas, uploadBytes: try columns[8].decode(Int64.self), downloadBytes: try columns[9].decode(Int64.self),
                    terminateCause: try columns[10].decode(String?.self)
                ))
            }
            return SessionHistory(customerID: customerID, username: username, from: start, to: end, items: items, totals: summary,
                                  truncated: summary.sessions > Int64(items.count))
        }
    }

    /// Authentications of the caller's customers, newest first: the tenant's usernames (through the
    /// username registry), and for a sub-reseller only its own customers'.
    package func authLog(for principal: Principal, _ query: AuthLogQuery) async throws -> AuthLogPage {
        let operators: [Int64]? = switch principal.tenantScope.operators {
        case .all: nil
        case .only(let ids): Array(ids)
        }
        let result: String? = query.result.map { $0 == "accept" ? "Access-Accept" : "Access-Reject" }
        return try await database.withPlatformConnection { connection in
            let rows = try await connection.query(
                """
                SELECT p.id, p.authdate, p.username, u.customer_id, p.reply, host(p.nasipaddress), p.callingstationid, p.replymessage
                FROM radius.radpostauth p
                JOIN platform.usernames u ON u.username = lower(p.username) AND u.tenant_id = \(principal.tenantID)
                WHERE (\(query.username)::text IS NULL OR p.username = \(query.username))
                  AND (\(result)::text IS NULL OR p.reply = \(result))
                  AND (\(query.from)::timestamptz IS NULL OR p.authdate >= \(query.from))
                  AND (\(query.to)::timestamptz IS NULL OR p.authdate < \(query.to))
                  AND (\(query.before)::bigint IS NULL OR p.id < \(query.before))
                  AND (\(operators)::bigint[] IS NULL OR EXISTS (
                      SELECT 1 FROM platform.customer_index ci
                      WHERE ci.tenant_id = u.tenant_id AND ci.customer_id = u.customer_id AND ci.operator_id = ANY(\(operators ?? [])::bigint[])))
                ORDER BY p.id DESC LIMIT \(query.limit + 1)
                """,
                logger: logger
            )
            var items: [AuthAttempt] = []
            for try await (id, at, username, customerID, reply, nasIP, mac, message) in rows.decode(
                (Int64, Date, String, Int64, String, String?, String?, String?).self
            ) {
                items.append(AuthAttempt(id: id, at: at, username: username, customerID: customerID,
                                         result: reply == "Access-Accept" ? "accept" : "reject", nasIP: nasIP, mac: mac, replyMessage: message))
            }
            let more = items.count > query.limit
            if more { items.removeLast() }
            return AuthLogPage(items: items, nextBefore: more ? items.last?.id : nil)
        }
    }
}
