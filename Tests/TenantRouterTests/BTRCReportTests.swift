import AuthService
import Foundation
import HTTPTypes
import Platform
import TenantRouter
import TestSupport
import Testing

/// Today in the tenants' time zone (Asia/Dhaka), `YYYY-MM-DD`.
private func localToday() -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "Asia/Dhaka")
    formatter.dateFormat = "yyyy-MM-dd"
    return formatter.string(from: Date())
}

private func counts(_ reply: APIClient.Reply, _ key: String) -> [String: Int] {
    let summary = reply.json["summary"] as? [String: Any] ?? [:]
    return Dictionary(uniqueKeysWithValues: (summary[key] as? [[String: Any]] ?? []).map { ($0["key"] as? String ?? "", $0["count"] as? Int ?? -1) })
}

/// Reads an XLSX with Python's zipfile and XML parser (an independent reader): sheet names and each
/// sheet's rows of cell texts.
private func readWorkbook(_ bytes: Data) throws -> [String: [[String]]] {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("btrc-\(UUID().uuidString).xlsx")
    try bytes.write(to: path)
    defer { try? FileManager.default.removeItem(at: path) }
    let script = """
        import json, sys, zipfile, xml.etree.ElementTree as ET
        ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
              "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
        z = zipfile.ZipFile(sys.argv[1])
        assert z.testzip() is None
        book = ET.fromstring(z.read("xl/workbook.xml"))
        out = {}
        for i, sheet in enumerate(book.find("m:sheets", ns)):
            rows = []
            for row in ET.fromstring(z.read(f"xl/worksheets/sheet{i + 1}.xml")).iter("{%s}row" % ns["m"]):
                cells = []
                for c in row:
                    t = c.find("m:is/m:t", ns)
                    v = c.find("m:v", ns)
                    cells.append(t.text or "" if t is not None else (v.text if v is not None else ""))
                rows.append(cells)
            out[sheet.get("name")] = rows
        print(json.dumps(out))
        """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script, path.path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw TestFailure("python could not read the workbook") }
    return try JSONDecoder().decode([String: [[String]]].self, from: output)
}

@Suite struct BTRCReportTests {
    /// Over customers made through the API (connected before and during the period, disabled and deleted in
    /// it, connected after it, a sub-reseller's and another tenant's), the summary and listing match what the
    /// test made; the sub-reseller sees its own, the admin every tenant; CSV and XLSX carry the same rows;
    /// the column template changes the listing without code.
    @Test func theReportMatchesTheCustomersMade() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                let today = localToday()
                let monthly = try #require(catalog.packages["pppoe_monthly"])
                #expect(try await api.post("/api/v1/packages/\(monthly)/assignments", token: catalog.ownerA,
                                           json: ["operator_id": fixtures.subA1.id, "price": 45_000]).status == .ok)
                #expect(try await api.post("/api/v1/packages/\(monthly)/assignments", token: catalog.admin,
                                           json: ["reseller_id": fixtures.resellerB.id, "price": 40_000]).status == .ok)
                let sub1 = try await api.login("sub-a1", Fixtures.password)
                let ownerB = try await api.login("owner-b", Fixtures.password)

                func make(_ token: String, _ type: String, _ username: String, _ extra: [String: Any] = [:]) async throws -> Int {
                    var body = catalog.body(type, username)
                    if token != catalog.ownerA { body.removeValue(forKey: "zone_id") }
                    body.merge(extra) { $1 }
                    let created = try await api.post("/api/v1/customers", token: token, json: body)
                    try #require(created.status == .created, "\(created.text)")
                    return try #require(created.json["id"] as? Int)
                }
                _ = try await make(catalog.ownerA, "pppoe_monthly", "btrc-1", [
                    "connection_date": "2026-01-15", "gender": "male", "nid": "1990123456789",
                    "address": ["house": "12", "road": "7", "area": "Mirpur-10", "thana": "Mirpur", "district": "Dhaka", "division": "Dhaka"],
                ])
                _ = try await make(catalog.ownerA, "pppoe_monthly", "btrc-2", [
                    "connection_date": today, "gender": "female", "connection_type": "wireless", "address": ["district": "gazipur"],
                ])
                _ = try await make(catalog.ownerA, "pppoe_daily", "btrc-3", ["address": ["district": "Sylhet", "thana": "companiganj"]])
                let disabled = try await make(catalog.ownerA, "pppoe_monthly", "btrc-4")
                let deleted = try await make(catalog.ownerA, "pppoe_monthly", "btrc-5")
                _ = try await make(catalog.ownerA, "pppoe_monthly", "btrc-6", ["connection_date": "2027-06-01"])
                _ = try await make(sub1, "pppoe_monthly", "btrc-7")
                _ = try await make(ownerB, "pppoe_monthly", "btrc-b1")
                #expect(try await api.post("/api/v1/customers/\(disabled)/disable", token: catalog.ownerA, json: ["reason": "left"]).status == .ok)
                #expect(try await api.request(.delete, "/api/v1/customers/\(deleted)", token: catalog.ownerA).status == .ok)

                let period = "from=2026-11-01&to=\(today)"
                let owner = try await api.get("/api/v1/reports/btrc?\(period)", token: catalog.ownerA)
                #expect(owner.status == .ok, "\(owner.text)")
                let summary = try #require(owner.json["summary"] as? [String: Any])
                #expect(summary["active_at_end"] as? Int == 4 && summary["new"] as? Int == 5 && summary["disconnected"] as? Int == 2, "\(summary)")
                #expect(counts(owner, "by_connection_type") == ["wired": 3, "wireless": 1])
                #expect(counts(owner, "by_district") == ["Dhaka / Dhaka": 1, "Dhaka / Gazipur": 1, "Sylhet / Sylhet": 1, "(not set)": 1],
                        "district names and their division from the reference table: \(counts(owner, "by_district"))")
                #expect(counts(owner, "by_division") == ["Dhaka": 2, "Sylhet": 1, "(not set)": 1])
                #expect(counts(owner, "by_gender") == ["male": 1, "female": 1, "(not set)": 2])
                #expect(counts(owner, "by_zone") == ["Mirpur": 3, "(not set)": 1])
                #expect(counts(owner, "by_operator").values.sorted() == [1, 3] && counts(owner, "by_operator")["Sub A1"] == 1, "\(counts(owner, "by_operator"))")
                #expect(counts(owner, "by_package") == ["P pppoe_monthly": 3, "P pppoe_daily": 1])
                #expect(counts(owner, "by_bandwidth") == ["10": 4])
                let columns = try #require(owner.json["columns"] as? [[String: Any]])
                #expect(columns.count == 19 && columns.first?["header"] as? String == "Operator Name")
                let rows = try #require(owner.json["rows"] as? [[String]])
                #expect(rows.count == 6, "active at the end, or disconnected in the period")
                let first = try #require(rows.first { $0[3] == "Rahim Uddin" && $0[7] == "2026-01-15" })
                #expect(first[4] == "12, 7, Mirpur-10, Mirpur, Dhaka" && first[8] == "10" && first[17] == "500.00" && first[18] == "1990123456789", "\(first)")
                #expect(!rows.contains { $0[7] == "2027-06-01" }, "connected after the period")
                #expect(rows.contains { $0[13] == "Sylhet" && $0[14] == "Companiganj" }, "the thana as the upazila list spells it")

                // A sub-reseller's own; the admin's every tenant.
                let mine = try await api.get("/api/v1/reports/btrc?\(period)", token: sub1)
                #expect((mine.json["summary"] as? [String: Any])?["active_at_end"] as? Int == 1 && (mine.json["rows"] as? [Any])?.count == 1, "\(mine.text)")
                let all = try await api.get("/api/v1/reports/btrc?\(period)", token: catalog.admin)
                #expect((all.json["summary"] as? [String: Any])?["active_at_end"] as? Int == 5, "\(all.text.prefix(400))")
                let theirs = try await api.get("/api/v1/reports/btrc?\(period)", token: ownerB)
                #expect((theirs.json["rows"] as? [Any])?.count == 1)

                // CSV and XLSX: the same listing.
                let csv = try await api.get("/api/v1/reports/btrc?\(period)&format=csv", token: catalog.ownerA)
                #expect(csv.status == .ok && csv.headers[.contentType]?.hasPrefix("text/csv") == true)
                let lines = csv.text.split(separator: "\r\n")
                #expect(lines.count == 7 && lines[0].hasPrefix("Operator Name,Client Type,Distribution Point,Client Name,Client Address"), "\(lines.first ?? "")")
                let xlsx = try await api.get("/api/v1/reports/btrc?\(period)&format=xlsx", token: catalog.ownerA)
                #expect(xlsx.status == .ok && xlsx.headers[.contentDisposition]?.contains(".xlsx") == true)
                let book = try readWorkbook(xlsx.body)
                let listing = try #require(book["Subscribers"])
                #expect(listing.count == 7 && listing[0].first == "Operator Name" && Array(listing.dropFirst()) == rows, "\(listing)")
                #expect(book["Summary"]?.contains { $0.first == "Active subscribers at the period's end" && $0.last == "4" } == true, "\(book["Summary"] ?? [])")

                // The template: other columns without code; the owner only; back to the default.
                let set = try await api.request(.put, "/api/v1/reports/btrc/template", token: catalog.ownerA,
                                                json: ["columns": [["key": "username", "header": "User ID"], ["key": "district", "header": "Zila"]]])
                #expect(set.status == .ok && set.json["default"] as? Bool == false, "\(set.text)")
                let custom = try await api.get("/api/v1/reports/btrc?\(period)&format=csv", token: catalog.ownerA)
                #expect(custom.text.hasPrefix("User ID,Zila\r\n") && custom.text.contains("btrc-2,Gazipur"), "\(custom.text)")
                #expect(try await api.request(.put, "/api/v1/reports/btrc/template", token: sub1, json: ["columns": [["key": "username", "header": "U"]]]).status == .forbidden)
                #expect(try await api.request(.put, "/api/v1/reports/btrc/template", token: catalog.ownerA, json: ["columns": [["key": "salary", "header": "S"]]]).status == .badRequest)
                #expect(try await api.request(.put, "/api/v1/reports/btrc/template", token: catalog.ownerA, json: ["columns": NSNull()]).json["default"] as? Bool == true)

                for bad in ["to=\(today)", "from=2026-11-01", "from=2026-11-05&to=2026-11-01", "from=2025-01-01&to=2026-06-01", "\(period)&format=pdf", "from=2026-13-01&to=2026-12-01"] {
                    #expect(try await api.get("/api/v1/reports/btrc?\(bad)", token: catalog.ownerA).status == .badRequest, "\(bad)")
                }
                let billing = try await api.post("/api/v1/tokens", token: catalog.ownerA, json: ["name": "billing", "scopes": ["billing:read"]])
                #expect(try await api.get("/api/v1/reports/btrc?\(period)", token: try #require(billing.json["token"] as? String)).status == .forbidden)

                let divisions = try await api.get("/api/v1/geo/divisions", token: catalog.ownerA)
                #expect((divisions.json["items"] as? [[String: Any]])?.count == 8)
                let dhaka = try #require((divisions.json["items"] as? [[String: Any]])?.first { $0["name"] as? String == "Dhaka" }?["id"] as? Int)
                let districts = try await api.get("/api/v1/geo/districts?division_id=\(dhaka)", token: catalog.ownerA)
                #expect((districts.json["items"] as? [[String: Any]])?.count == 13)
                let allDistricts = try #require(try await api.get("/api/v1/geo/districts", token: catalog.ownerA).json["items"] as? [[String: Any]])
                #expect(allDistricts.count == 64 && allDistricts.allSatisfy { ($0["name_bn"] as? String)?.isEmpty == false })
                let dhakaDistrict = try #require(allDistricts.first { $0["name"] as? String == "Dhaka" }?["id"] as? Int)
                let upazilas = try await api.get("/api/v1/geo/upazilas?district_id=\(dhakaDistrict)", token: catalog.ownerA)
                #expect(((upazilas.json["items"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String } == ["Dhamrai", "Dohar", "Keraniganj", "Nawabganj", "Savar"],
                        "\(upazilas.text)")
                #expect((try await api.get("/api/v1/geo/upazilas", token: catalog.ownerA).json["items"] as? [Any])?.count == 492)
                #expect(try await api.get("/api/v1/geo/upazilas?district_id=x", token: catalog.ownerA).status == .badRequest)
            }
        }
    }
}
