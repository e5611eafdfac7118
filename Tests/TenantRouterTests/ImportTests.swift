import AuthService
import CustomerService
import Foundation
import HTTPTypes
import Platform
import PostgresNIO
import TenantRouter
import TestSupport
import Testing

/// The committed messy corpus (see `Fixtures/make-import-corpus.py`).
private func messyCorpus() throws -> [UInt8] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/import-messy.csv")
    return Array(try Data(contentsOf: url))
}

private func errorTriples(_ reply: APIClient.Reply) -> Set<String> {
    Set((reply.json["errors"] as? [[String: Any]] ?? []).map { error in
        "\(error["line"] as? Int ?? 0) \(error["column"] as? String ?? "-") \(error["code"] as? String ?? "-")"
    })
}

private func customer(_ api: APIClient, _ token: String, _ username: String) async throws -> [String: Any]? {
    let list = try await api.get("/api/v1/customers?status=all&q=\(username)", token: token)
    return (list.json["items"] as? [[String: Any]])?.first { $0["username"] as? String == username }
}

/// `count` valid monthly-customer rows `<prefix>-<n>` for the catalog's package, profile and zone.
private func generatedFile(_ count: Int, prefix: String) -> [UInt8] {
    var text = "username,password,full_name,phone,package,billing_profile,zone\n"
    for n in 1...count {
        text += "\(prefix)-\(n),pass-\(n),Customer \(n),017\(String(format: "%08d", n)),P pppoe_monthly,Cycle 5,Mirpur\n"
    }
    return Array(text.utf8)
}

private func scalar(_ test: TestApp, _ sql: String) async throws -> Int {
    try await test.app.database.withPlatformTransaction { connection in
        try await connection.scalar(PostgresQuery(unsafeSQL: sql), as: Int.self, logger: test.app.logger) ?? -1
    }
}

@Suite struct CustomerImportTests {
    /// The messy corpus yields exactly its expected per-line errors; strict imports nothing; a dry run writes
    /// nothing; the import writes the valid rows once, with their devices, activity and outbox rows; a second
    /// run imports nothing; the export neutralises formula cells.
    @Test func theMessyCorpusYieldsExactlyItsErrors() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                let tenant = fixtures.resellerA.id
                // `taken-b1` belongs to tenant B; `imp-existing` is already tenant A's.
                let monthly = try #require(catalog.packages["pppoe_monthly"])
                #expect(try await api.post("/api/v1/packages/\(monthly)/assignments", token: catalog.admin,
                                           json: ["reseller_id": fixtures.resellerB.id, "price": 40_000]).status == .ok)
                let ownerB = try await api.login("owner-b", Fixtures.password)
                var taken = catalog.body("pppoe_monthly", "taken-b1")
                taken.removeValue(forKey: "zone_id")
                #expect(try await api.post("/api/v1/customers", token: ownerB, json: taken).status == .created)
                #expect(try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("pppoe_monthly", "imp-existing")).status == .created)
                let before = try await rowCounts(test, tenant: tenant)
                let corpus = try messyCorpus()
                let expected: Set<String> = [
                    "5 username duplicate_in_file", "6 username username_taken", "7 package unknown_reference", "8 phone invalid_value",
                    "9 mac invalid_value", "10 email invalid_value", "11 full_name invalid_value", "13 full_name invalid_encoding",
                    "14 full_name missing_field",
                ]

                // Strict: rows fail, so nothing is written.
                let strict = try await api.upload("/api/v1/customers/import?strict=true", token: catalog.ownerA, bytes: corpus)
                #expect(strict.status == .ok, "\(strict.text)")
                #expect(strict.json["imported"] as? Int == 0 && strict.json["state"] as? String == "done", "\(strict.text)")
                #expect(errorTriples(strict) == expected, "\(errorTriples(strict).symmetricDifference(expected))")
                #expect(try await customer(api, catalog.ownerA, "imp-good1") == nil)

                // Dry run: the same verdicts, nothing written.
                let dry = try await api.upload("/api/v1/customers/import?dry_run=true", token: catalog.ownerA, bytes: corpus)
                #expect(dry.json["valid"] as? Int == 5 && dry.json["skipped_existing"] as? Int == 1 && dry.json["imported"] as? Int == 0, "\(dry.text)")
                #expect(errorTriples(dry) == expected)
                #expect(try await rowCounts(test, tenant: tenant) == before)

                // The import: the valid rows once.
                let run = try await api.upload("/api/v1/customers/import", token: catalog.ownerA, bytes: corpus)
                #expect(run.status == .ok, "\(run.text)")
                #expect(run.json["total"] as? Int == 14 && run.json["valid"] as? Int == 5 && run.json["imported"] as? Int == 4, "\(run.text)")
                #expect(run.json["skipped_existing"] as? Int == 1 && run.json["error_count"] as? Int == 9, "\(run.text)")
                #expect(run.json["unknown_columns"] as? [String] == ["legacy_id"], "\(run.text)")
                #expect(errorTriples(run) == expected, "\(errorTriples(run).symmetricDifference(expected))")
                let long = (run.json["errors"] as? [[String: Any]])?.first { $0["line"] as? Int == 11 }
                #expect(((long?["value"] as? String)?.count ?? 0) <= 201, "long values are cut in the report")

                let good1 = try #require(try await customer(api, catalog.ownerA, "imp-good1"))
                #expect((good1["address"] as? [String: Any])?["area"] as? String == "House 12, Road 7" && good1["zone_id"] as? Int == catalog.zone)
                #expect(good1["billing_profile_id"] as? Int == catalog.profile && good1["package_id"] as? Int == monthly && good1["status"] as? String == "active")
                let good2 = try #require(try await customer(api, catalog.ownerA, "imp-good2"))
                #expect(good2["phone"] as? String == "01812345678" && good2["zone_id"] as? Int == catalog.zone, "\(good2)")
                #expect((good2["address"] as? [String: Any])?["area"] as? String == "Mirpur-10")
                let formula = try #require(try await customer(api, catalog.ownerA, "imp-formula"))
                #expect(formula["full_name"] as? String == "=HYPERLINK(\"http://example.invalid\",\"x\")", "stored as given")
                let good3 = try #require(try await customer(api, catalog.ownerA, "imp-good3"))
                let devices = try await api.get("/api/v1/customers/\(try #require(good3["id"] as? Int))/devices", token: catalog.ownerA)
                #expect((devices.json["items"] as? [[String: Any]])?.first?["mac"] as? String == "AA:BB:CC:00:00:03", "\(devices.text)")
                let after = try await rowCounts(test, tenant: tenant)
                #expect(after.outbox == before.outbox + 4 && after.activity == before.activity + 5, "4 creations and the import's summary: \(before) → \(after)")
                let password = try await api.get("/api/v1/customers/\(try #require(good1["id"] as? Int))/password", token: catalog.ownerA)
                #expect(password.json["password"] as? String == "pass-good1")

                // Again: nothing twice.
                let again = try await api.upload("/api/v1/customers/import", token: catalog.ownerA, bytes: corpus)
                #expect(again.json["imported"] as? Int == 0 && again.json["skipped_existing"] as? Int == 5, "\(again.text)")
                #expect(try await rowCounts(test, tenant: tenant).outbox == after.outbox)

                // The error CSV has every error; the import's record answers later too.
                let id = try #require(run.json["id"] as? Int)
                let csv = try await api.get("/api/v1/imports/\(id)/errors.csv", token: catalog.ownerA)
                #expect(csv.status == .ok && csv.headers[.contentType]?.hasPrefix("text/csv") == true)
                #expect(csv.text.split(separator: "\r\n").count == 10 && csv.text.hasPrefix("line,column,value,code,message\r\n"), "\(csv.text.prefix(300))")
                let record = try await api.get("/api/v1/imports/\(id)", token: catalog.ownerA)
                #expect(record.json["state"] as? String == "done" && record.json["rows_done"] as? Int == 14, "\(record.text)")
                #expect(((try await api.get("/api/v1/imports", token: catalog.ownerA)).json["items"] as? [Any])?.count == 4)
                #expect(try await api.get("/api/v1/imports/\(id)", token: ownerB).status == .notFound, "another tenant's import")

                // The export neutralises what a spreadsheet would run.
                let export = try await api.get("/api/v1/customers?format=csv&status=all&q=imp-formula", token: catalog.ownerA)
                #expect(export.status == .ok && export.headers[.contentType]?.hasPrefix("text/csv") == true)
                let lines = export.text.split(separator: "\r\n")
                #expect(lines.first?.hasPrefix("username,full_name,phone,email,operator,package,billing_profile,zone,address,type,expires_at,static_ip,mac") == true,
                        "\(lines.first ?? "")")
                #expect(lines.count == 2 && lines[1].hasPrefix("imp-formula,\"'=HYPERLINK("), "\(export.text)")
                #expect(!export.text.contains("pass-"), "never a password")
            }
        }
    }

    /// Header problems, declared encodings, multipart uploads, bad parameters and missing rights.
    @Test func uploadsInEveryFormAndTheirRefusals() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                let template = try await api.get("/api/v1/customers/import/template", token: catalog.ownerA)
                let templateLines = template.text.split(separator: "\r\n")
                #expect(templateLines.first == "username,password,full_name,phone,email,operator,package,billing_profile,zone,address,type,expires_at,static_ip,mac",
                        "\(template.text)")
                #expect(templateLines.count == 2, "one example row")

                let noName = Array("username,phone,package\nx-1,01712345678,P pppoe_monthly\n".utf8)
                let missing = try await api.upload("/api/v1/customers/import", token: catalog.ownerA, bytes: noName)
                #expect(missing.status == .unprocessableContent && missing.errorCode == "missing_column", "\(missing.text)")
                let open = try await api.upload("/api/v1/customers/import", token: catalog.ownerA, bytes: Array("username,full_name\n\"x,y\n".utf8))
                #expect(open.errorCode == "invalid_csv", "\(open.text)")
                #expect(try await api.upload("/api/v1/customers/import", token: catalog.ownerA, bytes: []).errorCode == "invalid_csv")

                // Windows-1252 when declared.
                var latin = Array("username,password,full_name,phone,package,billing_profile\nimp-w1252,pass-w1252,Ren".utf8)
                latin += [0xE9] + Array(" Das,01712345681,P pppoe_monthly,Cycle 5\n".utf8)
                let declared = try await api.upload("/api/v1/customers/import", token: catalog.ownerA, bytes: latin, contentType: "text/csv; charset=windows-1252")
                #expect(declared.json["imported"] as? Int == 1, "\(declared.text)")
                #expect(try await customer(api, catalog.ownerA, "imp-w1252")?["full_name"] as? String == "René Das")

                // A multipart form with the file part.
                let boundary = "----uplink-test-boundary"
                var form = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n".utf8)
                form += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"subs.csv\"\r\nContent-Type: text/csv\r\n\r\n".utf8)
                form += Array("username,password,full_name,phone,package,billing_profile\r\nimp-form,pass-form,Form Upload,01712345682,P pppoe_monthly,Cycle 5\r\n".utf8)
                form += Array("\r\n--\(boundary)--\r\n".utf8)
                let multipart = try await api.upload("/api/v1/customers/import", token: catalog.ownerA, bytes: form,
                                                     contentType: "multipart/form-data; boundary=\(boundary)")
                #expect(multipart.json["imported"] as? Int == 1 && multipart.json["file_name"] as? String == "subs.csv", "\(multipart.text)")

                // Upsert: rows are checked as for new customers; given cells replace, empty optional cells keep,
                // unchanged rows stay skipped.
                let first = Array("username,password,full_name,phone,email,package,billing_profile,zone\nup-1,pass-up1,Old Name,01712345683,old@example.com,P pppoe_monthly,Cycle 5,Mirpur\nup-2,pass-up2,Same Name,01712345684,,P pppoe_monthly,Cycle 5,\n".utf8)
                #expect(try await api.upload("/api/v1/customers/import", token: catalog.ownerA, bytes: first).json["imported"] as? Int == 2)
                let second = Array("username,password,full_name,phone,email,package,billing_profile,zone\nup-1,pass-up1,New Name,01712345683,new@example.com,P pppoe_monthly,Cycle 5,\nup-2,pass-up2,Same Name,01712345684,,P pppoe_monthly,Cycle 5,\n".utf8)
                let upsert = try await api.upload("/api/v1/customers/import?mode=upsert", token: catalog.ownerA, bytes: second)
                #expect(upsert.json["updated"] as? Int == 1 && upsert.json["skipped_existing"] as? Int == 1 && upsert.json["imported"] as? Int == 0, "\(upsert.text)")
                let updated = try #require(try await customer(api, catalog.ownerA, "up-1"))
                #expect(updated["full_name"] as? String == "New Name" && updated["email"] as? String == "new@example.com" && updated["zone_id"] as? Int == catalog.zone,
                        "\(updated)")
                let history = try await api.get("/api/v1/activity?customer_id=\(try #require(updated["id"] as? Int))", token: catalog.ownerA)
                #expect((history.json["items"] as? [[String: Any]])?.contains { $0["action"] as? String == "update" } == true, "\(history.text)")

                let file = generatedFile(1, prefix: "imp-param")
                for bad in ["dry_run=maybe", "strict=2", "mode=merge"] {
                    #expect(try await api.upload("/api/v1/customers/import?\(bad)", token: catalog.ownerA, bytes: file).status == .badRequest, "\(bad)")
                }
                #expect(try await api.upload("/api/v1/customers/import", token: catalog.ownerA, bytes: file, contentType: "text/csv; charset=koi8-r").status == .badRequest)
                #expect(try await api.upload("/api/v1/customers/import", token: nil, bytes: file).status == .unauthorized)
                let token = try await api.post("/api/v1/tokens", token: catalog.ownerA, json: ["name": "read only", "scopes": ["customers:read"]])
                let secret = try #require(token.json["token"] as? String, "\(token.text)")
                #expect(try await api.upload("/api/v1/customers/import", token: secret, bytes: file).status == .forbidden)
                #expect(try await api.get("/api/v1/customers/import/template", token: secret).status == .ok)
                #expect(try await api.get("/api/v1/customers?format=xml", token: catalog.ownerA).status == .badRequest)
            }
        }
    }

    /// A sub-reseller imports only under itself: another operator by id or name is unknown to it, and it never
    /// sees the tenant owner's imports.
    @Test func aSubResellerImportsOnlyUnderItself() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                let monthly = try #require(catalog.packages["pppoe_monthly"])
                #expect(try await api.post("/api/v1/packages/\(monthly)/assignments", token: catalog.ownerA,
                                           json: ["operator_id": fixtures.subA1.id, "price": 45_000]).status == .ok)
                let sub1 = try await api.login("sub-a1", Fixtures.password)
                let file = Array("""
                    username,password,full_name,phone,package,billing_profile,operator
                    sub-own,pass-own,Own Customer,01712345690,P pppoe_monthly,Cycle 5,
                    sub-other,pass-other,Other Operator,01712345691,P pppoe_monthly,Cycle 5,\(fixtures.subA2.id)
                    sub-owner,pass-owner,Owner Operator,01712345692,P pppoe_monthly,Cycle 5,Reseller A
                    sub-named,pass-named,Named Other,01712345693,P pppoe_monthly,Cycle 5,Sub A2

                    """.utf8)
                let reply = try await api.upload("/api/v1/customers/import", token: sub1, bytes: file)
                #expect(reply.json["imported"] as? Int == 1, "\(reply.text)")
                #expect(errorTriples(reply) == ["3 operator unknown_reference", "4 operator unknown_reference", "5 operator unknown_reference"],
                        "\(reply.text)")
                let own = try #require(try await customer(api, sub1, "sub-own"))
                #expect(own["operator_id"] as? Int == Int(fixtures.subA1.id))

                let ownersImport = try await api.upload("/api/v1/customers/import", token: catalog.ownerA, bytes: generatedFile(1, prefix: "owner-row"))
                let ownersID = try #require(ownersImport.json["id"] as? Int)
                #expect(try await api.get("/api/v1/imports/\(ownersID)", token: sub1).status == .notFound)
                #expect(try await api.get("/api/v1/imports/\(ownersID)/errors.csv", token: sub1).status == .notFound)
            }
        }
    }

    /// A large import runs in the background with progress; one whose writer stopped after a batch is taken
    /// over when its lease runs out and completes without duplicates; a held lease keeps a second writer out.
    @Test func aStoppedImportResumesWithoutDuplicates() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                let tenant = fixtures.resellerA.id
                let schema = TenantNaming.schema(tenant)

                // Over the inline limit: 202, then done in the background.
                let background = try await api.upload("/api/v1/customers/import", token: catalog.ownerA, bytes: generatedFile(2_500, prefix: "bg"))
                #expect(background.status == .accepted && background.headers[.location] == "/api/v1/imports/\(background.json["id"] as? Int ?? 0)",
                        "\(background.text)")
                let location = try #require(background.headers[.location])
                try await eventually(within: 30, "background import done") {
                    try await api.get(location, token: catalog.ownerA).json["state"] as? String == "done"
                }
                #expect(try await api.get(location, token: catalog.ownerA).json["imported"] as? Int == 2_500)

                // Staged for a worker; the first writer stops after one batch of 5,000.
                let principal = try await test.app.auth.authenticate(bearer: catalog.ownerA)
                let actor = Actor(principal: principal, requestID: "test", clientIP: "127.0.0.1")
                // The last line repeats the first: checked in parallel chunks, still caught as a duplicate.
                let file = generatedFile(12_000, prefix: "bulk") + Array("bulk-1,pass-x,Again,01799999999,P pppoe_monthly,Cycle 5,Mirpur\n".utf8)
                let staged = try await test.app.customers.importCustomers(file, options: ImportOptions(), by: actor, start: .deferred)
                #expect(staged.state == "importing" && staged.valid == 12_000 && staged.errorCount == 1 && staged.rowsDone == 1, "\(staged)")
                #expect(staged.errors.map { "\($0.line) \($0.column ?? "") \($0.code)" } == ["12002 username duplicate_in_file"])
                #expect(try await test.app.customers.runImport(tenantID: tenant, importID: staged.id, holder: "node-1", maxBatches: 1))
                let partial = try await api.get("/api/v1/imports/\(staged.id)", token: catalog.ownerA)
                #expect(partial.json["state"] as? String == "importing" && partial.json["imported"] as? Int == 5_000 && partial.json["rows_done"] as? Int == 5_001,
                        "\(partial.text)")
                // node-1 holds the lease: nobody else writes.
                #expect(try await test.app.customers.runImport(tenantID: tenant, importID: staged.id, holder: "node-2") == false)
                #expect(try await test.app.customers.resumeImports(holder: "node-2") == 0)

                // node-1 is gone: its lease runs out and node-2 finishes.
                _ = try await scalar(test, "WITH u AS (UPDATE platform.import_jobs SET lease_until = now() - interval '1 second' RETURNING 1) SELECT count(*)::int FROM u")
                #expect(try await test.app.customers.resumeImports(holder: "node-2") == 1)
                let done = try await test.app.customers.importReport(id: staged.id, for: principal)
                #expect(done.state == "done" && done.imported == 12_000 && done.rowsDone == 12_001)
                #expect(try await scalar(test, "SELECT count(*)::int FROM \(schema).customers WHERE username LIKE 'bulk-%'") == 12_000)
                #expect(try await scalar(test, "SELECT count(DISTINCT lower(username))::int FROM \(schema).customers WHERE username LIKE 'bulk-%'") == 12_000)
                #expect(try await scalar(test, """
                    SELECT count(*)::int FROM platform.outbox o JOIN \(schema).customers c ON c.id = o.customer_id
                    WHERE o.tenant_id = \(tenant) AND c.username LIKE 'bulk-%'
                    """) == 12_000)
                #expect(try await scalar(test, "SELECT count(*)::int FROM \(schema).activity_log WHERE action = 'import'") == 2)
                #expect(try await scalar(test, "SELECT count(*)::int FROM platform.import_jobs") == 0)
                #expect(try await scalar(test, "SELECT count(*)::int FROM \(schema).import_rows") == 0, "staging rows (sealed passwords) are dropped when done")
                #expect(try await scalar(test, "SELECT count(*)::int FROM \(schema).import_errors") == 1, "the errors stay for the error CSV")
            }
        }
    }
}
