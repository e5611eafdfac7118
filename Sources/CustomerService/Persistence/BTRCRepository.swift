import Foundation
import Logging
import Platform
import PostgresNIO

/// SQL of the BTRC report, in a tenant transaction (a sub-reseller's rows by row-level security).
struct BTRCRepository: Sendable {
    let logger: Logger

    /// The fields a listing column can show, in this order, then the three flags.
    static let fields: [BTRCField] = [
        .operatorName, .clientType, .distributionPoint, .clientName, .address, .connectionType, .connectivity, .activationDate,
        .bandwidthMbps, .allocatedIP, .house, .road, .area, .district, .thana, .division, .phone, .email, .monthlyPriceBDT, .nid,
        .gender, .username, .customerCode, .package, .status,
    ]

    /// Every customer connected by the period's end and not deleted before its start, with where it stood:
    /// active at the end (its last logged status change before the end, else its status when created, else,
    /// with no activity before the end, its status now), new (connected in the period), disconnected (disabled or deleted in the period).
    /// Periods are local dates of the tenant's time zone.
    func subscribers(from: String, to: String, on connection: PostgresConnection) async throws -> [BTRCSubscriber] {
        let rows = try await connection.query(
            """
            WITH b AS (
                SELECT (\(from)::date)::timestamp AT TIME ZONE tenant_time_zone() AS t0,
                       (\(to)::date + 1)::timestamp AT TIME ZONE tenant_time_zone() AS t1
            )
            SELECT o.name, c.client_type, z.name, c.full_name,
                   nullif(concat_ws(', ', c.house, c.road, c.area, coalesce(gu.name, c.thana), coalesce(gd.name, c.district)), ''),
                   c.connection_type, c.connectivity, c.connection_date::text,
                   CASE WHEN p.download_kbps IS NULL THEN NULL
                        WHEN p.download_kbps % 1024 = 0 THEN (p.download_kbps / 1024)::text
                        ELSE round(p.download_kbps / 1024.0, 2)::text END,
                   host(c.static_ip), c.house, c.road, c.area, coalesce(gd.name, c.district), coalesce(gu.name, c.thana),
                   coalesce(dv.name, tv.name, c.division), c.phone, c.email,
                   to_char(greatest(0, coalesce(t.special_price, p.price) - coalesce(t.discount, 0))
                           * CASE WHEN p.validity_days IS NOT NULL THEN 30.0 / p.validity_days
                                  WHEN p.validity_hours IS NOT NULL THEN 720.0 / p.validity_hours ELSE 1 END / 100.0,
                           'FM999999999990.00'),
                   c.nid, c.gender, c.username, c.code, p.name, st.status,
                   c.connection_date <= \(to)::date AND (c.deleted_at IS NULL OR c.deleted_at >= b.t1) AND st.status = 'active',
                   c.connection_date BETWEEN \(from)::date AND \(to)::date,
                   (c.deleted_at >= b.t0 AND c.deleted_at < b.t1) OR coalesce(h.disconnected, false)
            FROM customers c CROSS JOIN b
            LEFT JOIN operators o ON o.id = c.operator_id
            LEFT JOIN zones z ON z.id = c.zone_id
            LEFT JOIN catalog.packages p ON p.id = c.package_id
            LEFT JOIN customer_billing_terms t ON t.customer_id = c.id
            LEFT JOIN platform.geo_districts gd ON lower(gd.name) = lower(c.district)
            LEFT JOIN platform.geo_upazilas gu ON gu.district_id = gd.id AND lower(gu.name) = lower(c.thana)
            LEFT JOIN platform.geo_divisions dv ON dv.id = gd.division_id
            LEFT JOIN platform.geo_divisions tv ON lower(tv.name) = lower(c.division)
            -- One read of the customer's activity: its status at the end (the last change before it, or how
            -- it was created) and whether it was disabled or deleted during the period.
            CROSS JOIN LATERAL (
                SELECT (array_agg(coalesce(a.changes -> 'status' ->> 'to', a.changes -> 'created' ->> 'status') ORDER BY a.id DESC)
                            FILTER (WHERE a.occurred_at < b.t1 AND (a.changes ? 'status' OR a.action = 'create')))[1] AS status,
                       bool_or(a.action IN ('disable', 'delete') AND a.occurred_at >= b.t0 AND a.occurred_at < b.t1) AS disconnected
                FROM activity_log a WHERE a.customer_id = c.id
            ) h
            CROSS JOIN LATERAL (SELECT coalesce(h.status, c.status) AS status) st
            WHERE c.connection_date <= \(to)::date AND (c.deleted_at IS NULL OR c.deleted_at >= b.t0)
            ORDER BY c.id
            """,
            logger: logger
        )
        var subscribers: [BTRCSubscriber] = []
        let positions = Self.fields.map(\.position)
        for try await row in rows {
            var values = [String?](repeating: nil, count: BTRCField.allCases.count)
            var cells = row.makeIterator()
            for position in positions {
                guard let cell = cells.next() else { break }
                values[position] = try cell.decode(String?.self, context: .default)
            }
            let activeAtEnd = try cells.next()?.decode(Bool?.self, context: .default) ?? false
            let isNew = try cells.next()?.decode(Bool?.self, context: .default) ?? false
            let disconnected = try cells.next()?.decode(Bool?.self, context: .default) ?? false
            subscribers.append(BTRCSubscriber(values: values, activeAtEnd: activeAtEnd, isNew: isNew, disconnected: disconnected))
        }
        return subscribers
    }

    /// The tenant's template, nil when it uses the default.
    func template(on connection: PostgresConnection) async throws -> [BTRCColumn]? {
        guard let text = try await connection.scalar("SELECT columns::text FROM report_templates WHERE kind = 'btrc'", as: String.self, logger: logger) else {
            return nil
        }
        struct Stored: Decodable {
            var key: String
            var header: String
        }
        let stored = (try? JSONDecoder().decode([Stored].self, from: Data(text.utf8))) ?? []
        let columns = stored.compactMap { column in BTRCField(rawValue: column.key).map { BTRCColumn($0, column.header) } }
        return columns.isEmpty ? nil : columns
    }

    func saveTemplate(_ columns: [BTRCColumn]?, by name: String, on connection: PostgresConnection) async throws {
        guard let columns else {
            try await connection.query("DELETE FROM report_templates WHERE kind = 'btrc'", logger: logger)
            return
        }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: columns.map { ["key": $0.field.rawValue, "header": $0.header] }), as: UTF8.self)
        try await connection.query(
            """
            INSERT INTO report_templates (kind, columns, updated_by) VALUES ('btrc', \(json)::jsonb, \(name))
            ON CONFLICT (kind) DO UPDATE SET columns = EXCLUDED.columns, updated_at = now(), updated_by = EXCLUDED.updated_by
            """,
            logger: logger
        )
    }
}
