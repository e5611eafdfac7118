import Foundation
import Platform

/// The fields a BTRC listing column can show. A tenant's template picks some of them, in its order, each
/// under its own header.
package enum BTRCField: String, CaseIterable, Sendable {
    case operatorName = "operator_name", clientType = "client_type", distributionPoint = "distribution_point", clientName = "client_name"
    case address, connectionType = "connection_type", connectivity, activationDate = "activation_date", bandwidthMbps = "bandwidth_mbps"
    case allocatedIP = "allocated_ip", house, road, area, district, thana, division, phone, email
    case monthlyPriceBDT = "monthly_price_bdt", nid, gender, username, customerCode = "customer_code", package, status

    /// The layout Bangladeshi ISPs submit (SPEC §3), the default template.
    package static let defaultTemplate: [BTRCColumn] = [
        .init(.operatorName, "Operator Name"), .init(.clientType, "Client Type"), .init(.distributionPoint, "Distribution Point"),
        .init(.clientName, "Client Name"), .init(.address, "Client Address"), .init(.connectionType, "Connection Type"),
        .init(.connectivity, "Connectivity Type"), .init(.activationDate, "Activation Date"), .init(.bandwidthMbps, "Allocated Bandwidth (Mbps)"),
        .init(.allocatedIP, "Allocated IP"), .init(.house, "House No."), .init(.road, "Road No."), .init(.area, "Area"),
        .init(.district, "District"), .init(.thana, "Thana/Upazila"), .init(.phone, "Client Phone"), .init(.email, "E-mail"),
        .init(.monthlyPriceBDT, "Monthly Price (BDT, excl. VAT)"), .init(.nid, "NID/Passport"),
    ]
}

/// One column of the listing: a field and its header.
package struct BTRCColumn: Sendable, Hashable {
    package var field: BTRCField
    package var header: String

    package init(_ field: BTRCField, _ header: String) {
        self.field = field
        self.header = header
    }

    /// `[{header, key}, …]`, as the report and its template answer them.
    static func write(_ columns: [BTRCColumn], to out: inout JSONOutput) {
        out.array { out in
            for column in columns {
                out.object { out in
                    out.key("header"); out.string(column.header)
                    out.key("key"); out.string(column.field.rawValue)
                }
            }
        }
    }
}

/// One subscriber of the period with every field a column can show (in `BTRCField.allCases` order), and
/// where it stands.
struct BTRCSubscriber: Sendable {
    var values: [String?]
    var activeAtEnd: Bool
    var isNew: Bool
    var disconnected: Bool

    subscript(field: BTRCField) -> String? { values[field.position] }
}

extension BTRCField {
    /// Its index in `allCases`.
    var position: Int { Self.positions[self] ?? 0 }
    private static let positions = Dictionary(uniqueKeysWithValues: allCases.enumerated().map { ($0.element, $0.offset) })
}

/// `GET /api/v1/reports/btrc`: the period's summary and the listing in the template's columns.
package struct BTRCReport: Sendable, JSONWritable {
    package struct Count: Sendable, Hashable {
        package var key: String
        package var count: Int
    }

    package var from: String
    package var to: String
    package var activeAtEnd = 0
    package var new = 0
    package var disconnected = 0
    /// Breakdowns of the subscribers active at the period's end, largest first.
    package var byConnectionType: [Count] = []
    package var byPackage: [Count] = []
    package var byBandwidth: [Count] = []
    package var byZone: [Count] = []
    package var byDivision: [Count] = []
    package var byDistrict: [Count] = []
    package var byGender: [Count] = []
    package var byOperator: [Count] = []
    package var columns: [BTRCColumn]
    /// One row per subscriber active in the period (active at its end, or disconnected during it).
    package var rows: [[String]] = []

    init(from: String, to: String, columns: [BTRCColumn], subscribers: [BTRCSubscriber]) {
        self.from = from
        self.to = to
        self.columns = columns
        var tallies: [BTRCField: [String: Int]] = [:]
        let grouped: [BTRCField] = [.connectionType, .package, .bandwidthMbps, .distributionPoint, .division, .district, .gender, .operatorName]
        let positions = columns.map(\.field.position)
        rows.reserveCapacity(subscribers.count)
        for subscriber in subscribers {
            if subscriber.isNew { new += 1 }
            if subscriber.disconnected { disconnected += 1 }
            guard subscriber.activeAtEnd || subscriber.disconnected else { continue }
            rows.append(positions.map { subscriber.values[$0] ?? "" })
            guard subscriber.activeAtEnd else { continue }
            activeAtEnd += 1
            for field in grouped {
                var key = subscriber[field] ?? ""
                if field == .district, let division = subscriber[.division], !division.isEmpty { key = key.isEmpty ? division : "\(division) / \(key)" }
                tallies[field, default: [:]][key.isEmpty ? "(not set)" : key, default: 0] += 1
            }
        }
        func counts(_ field: BTRCField) -> [Count] {
            (tallies[field] ?? [:]).map { Count(key: $0.key, count: $0.value) }.sorted { ($0.count, $1.key) > ($1.count, $0.key) }
        }
        byConnectionType = counts(.connectionType)
        byPackage = counts(.package)
        byBandwidth = counts(.bandwidthMbps)
        byZone = counts(.distributionPoint)
        byDivision = counts(.division)
        byDistrict = counts(.district)
        byGender = counts(.gender)
        byOperator = counts(.operatorName)
    }

    /// The summary's sections, as label → counts, in the order the report shows them.
    package var breakdowns: [(String, [Count])] {
        [("connection type", byConnectionType), ("package", byPackage), ("bandwidth (Mbps)", byBandwidth), ("zone", byZone),
         ("division", byDivision), ("district", byDistrict), ("gender", byGender), ("operator", byOperator)]
    }

    package func writeJSON(to out: inout JSONOutput) {
        func write(_ counts: [Count], _ out: inout JSONOutput) {
            out.array { out in
                for count in counts {
                    out.object { out in
                        out.key("count"); out.int(count.count)
                        out.key("key"); out.string(count.key)
                    }
                }
            }
        }
        out.object { out in
            out.key("columns"); BTRCColumn.write(columns, to: &out)
            out.key("from"); out.string(from)
            out.key("rows")
            out.array { out in
                for row in rows { out.array { out in for cell in row { out.string(cell) } } }
            }
            out.key("summary")
            out.object { out in
                out.key("active_at_end"); out.int(activeAtEnd)
                out.key("by_bandwidth"); write(byBandwidth, &out)
                out.key("by_connection_type"); write(byConnectionType, &out)
                out.key("by_district"); write(byDistrict, &out)
                out.key("by_division"); write(byDivision, &out)
                out.key("by_gender"); write(byGender, &out)
                out.key("by_operator"); write(byOperator, &out)
                out.key("by_package"); write(byPackage, &out)
                out.key("by_zone"); write(byZone, &out)
                out.key("disconnected"); out.int(disconnected)
                out.key("new"); out.int(new)
            }
            out.key("to"); out.string(to)
        }
    }

    /// The listing as CSV (formula-like cells neutralised).
    package func csv() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(rows.count * 200)
        CSV.append(columns.map(\.header), to: &out)
        for row in rows { CSV.append(row, to: &out) }
        return out
    }

    /// A workbook with the summary and the listing.
    package func xlsx() -> [UInt8] {
        var summary: [[XLSX.Cell]] = [
            [.text("BTRC subscriber report"), .text("\(from) to \(to)")],
            [.text("Active subscribers at the period's end"), .number(Double(activeAtEnd))],
            [.text("New subscribers in the period"), .number(Double(new))],
            [.text("Disconnected in the period"), .number(Double(disconnected))],
        ]
        for (label, counts) in breakdowns {
            summary.append([])
            summary.append([.text("By \(label)"), .text("Subscribers")])
            for count in counts { summary.append([.text(count.key), .number(Double(count.count))]) }
        }
        let listing = [columns.map { XLSX.Cell.text($0.header) }] + rows.map { row in row.map { XLSX.Cell.text($0) } }
        return XLSX.workbook([XLSX.Sheet(name: "Summary", rows: summary), XLSX.Sheet(name: "Subscribers", rows: listing)])
    }
}
