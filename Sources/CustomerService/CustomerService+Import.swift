import Foundation
import Logging
import Platform
import PostgresNIO

extension CustomerService {
    /// Files of at most this many rows are imported before the request answers; larger ones in the background.
    package static let importInlineRows = 2_000
    /// Rows written per transaction.
    static let importBatchRows = 5_000
    /// Transactions writing one import's rows at once (Postgres then uses both cores).
    static let importWriters = 2
    /// Errors a report lists (the error CSV has them all).
    package static let importReportErrors = 100
    /// How long a worker holds an import it is writing before another may take it over.
    static let importLeaseSeconds = 60

    /// The import template: the columns every import understands, the tenant's custom fields after them,
    /// and one example row.
    package func importTemplate(for principal: Principal) async throws -> String {
        let references = try await database.withTenantTransaction(principal.tenantScope) { connection in
            try await imports.references(on: connection)
        }
        let package = references.packages.first { $0.active && ($0.operators.contains(principal.operatorID) || principal.isAdmin) }
        let example: [ImportColumn: String] = [
            .username: "rahim.uddin", .password: "s3cret-pass", .fullName: "Rahim Uddin", .phone: "01712345678",
            .email: "rahim@example.com", .operator: references.operators.first { $0.id == principal.operatorID }?.name ?? "",
            .package: package?.name ?? "", .billingProfile: package?.type.isMonthly == true ? references.profiles.values.sorted().first ?? "" : "",
            .zone: references.zones.values.sorted().first ?? "", .address: "House 12, Road 7, Mirpur-10",
            .type: package?.type.rawValue ?? "pppoe_monthly", .expiresAt: "", .staticIP: "", .mac: "AA:BB:CC:DD:EE:FF",
        ]
        var text = CSV.line(ImportColumn.template.map(\.rawValue) + references.fields.map(\.key))
        text += CSV.line(ImportColumn.template.map { example[$0] ?? "" } + references.fields.map { field in
            switch field.type {
            case .select: field.options.first ?? ""
            case .number: "1"
            case .date: "2026-01-31"
            case .text, .textarea: ""
            }
        })
        return text
    }

    /// Imports customers from a CSV file: reads and checks every row (in memory, then set-based in the
    /// database after a `COPY` into the import's staging rows), and unless it is a dry run, or a strict one
    /// with errors, writes the valid rows as customers in batches. Files up to `importInlineRows` rows are
    /// done when this returns; larger ones continue in the background (`state: importing`; follow them with
    /// `importReport`). Rows whose username the tenant already has are skipped, so importing a file again
    /// imports nothing twice.
    package func importCustomers(_ file: [UInt8], options: ImportOptions, by actor: Actor, start: ImportStart = .automatic) async throws -> ImportReport {
        let principal = actor.principal
        let timer = ContinuousClock()
        let started = timer.now
        let records: [CSV.Record]
        do { records = try CSV.read(file, encoding: options.encoding, maxCellBytes: 1 << 20) } catch {
            switch error {
            case .unterminatedQuote(let line):
                throw PlatformError.unprocessable(field: "file", code: "invalid_csv", reason: "a quoted cell opened on line \(line) is never closed")
            case .cellTooLong(let line):
                throw PlatformError.unprocessable(field: "file", code: "invalid_csv", reason: "line \(line) has a cell longer than 1 MiB")
            }
        }
        guard let headerRecord = records.first else {
            throw PlatformError.unprocessable(field: "file", code: "invalid_csv", reason: "the file is empty")
        }
        let references = try await database.withTenantTransaction(principal.tenantScope) { connection in
            try await imports.references(on: connection)
        }
        let (header, headerErrors) = ImportValidator.header(headerRecord.cells, fields: references.fields)
        if let missing = headerErrors.first(where: { $0.code == "missing_column" }) {
            throw PlatformError.unprocessable(field: missing.column ?? "file", code: "missing_column", reason: missing.message)
        }
        let context = Self.passwordContext(tenantID: principal.tenantID)
        let secrets = self.secrets
        let now = clock.now()
        let seal: @Sendable (String) throws -> Data = { password in Data(try secrets.seal(password, context: context)) }
        let parsed = timer.now
        // Checked in one chunk per core (each with its validator), then duplicates marked in line order.
        let body = records.dropFirst()
        let parts = max(1, min(ProcessInfo.processInfo.activeProcessorCount, body.count / 2_000))
        let size = (body.count + parts - 1) / max(parts, 1)
        var results = try await withThrowingTaskGroup(of: (Int, [ImportValidator.Checked]).self) { group in
            for part in 0..<parts {
                let chunk = Array(body.dropFirst(part * size).prefix(size))
                group.addTask {
                    let validator = ImportValidator(references: references, principal: principal, now: now, seal: seal)
                    return (part, chunk.map { validator.validate($0, header: header) })
                }
            }
            var byPart: [Int: [ImportValidator.Checked]] = [:]
            for try await (part, checked) in group { byPart[part] = checked }
            return (0..<parts).flatMap { byPart[$0] ?? [] }
        }
        ImportValidator.markDuplicates(&results)
        let rows = results.compactMap(\.row)
        let errors = headerErrors + results.flatMap(\.errors)
        let checked = timer.now
        let draft = ImportDraft(fileName: options.fileName, options: options, total: records.count - 1, unknownColumns: header.unknown)
        var loaded = checked
        let importID = try await database.withTenantTransaction(principal.tenantScope) { connection in
            let id = try await imports.create(draft, actor: actor, on: connection)
            try await imports.load(importID: id, rows: rows, errors: errors, on: connection)
            loaded = timer.now
            try await imports.checkPending(importID: id, on: connection)
            try await imports.tally(importID: id, on: connection)
            let report = try await imports.report(importID: id, errorLimit: 0, on: connection)
            let failed = (report?.errorCount ?? 0) > 0
            if options.dryRun || (options.strict && failed) {
                try await imports.finish(
                    importID: id, state: "done",
                    message: options.dryRun ? "dry run: nothing was written" : "strict: nothing was written because rows failed",
                    on: connection
                )
            }
            return id
        }
        let staged = try await importReport(id: importID, for: principal)
        logger.info("import staged", metadata: [
            "import": "\(importID)", "rows": "\(draft.total)", "read": "\(parsed - started)", "checked": "\(checked - parsed)",
            "loaded": "\(loaded - checked)", "database_checks": "\(timer.now - loaded)",
        ])
        guard staged.state == "importing" else { return staged }
        // Held by this process, or (deferred) free for any worker at once.
        let lease = start == .deferred ? 0 : Self.importLeaseSeconds
        try await database.withPlatformConnection { connection in
            try await connection.query(
                """
                INSERT INTO platform.import_jobs (tenant_id, import_id, holder, lease_until)
                VALUES (\(principal.tenantID), \(importID), \(Self.importHolder), now() + make_interval(secs => \(lease)))
                """,
                logger: logger
            )
        }
        if start == .deferred { return staged }
        if staged.total <= Self.importInlineRows {
            try await runImport(tenantID: principal.tenantID, importID: importID, holder: Self.importHolder)
            return try await importReport(id: importID, for: principal)
        }
        let service = self
        Task.detached {
            do {
                try await service.runImport(tenantID: principal.tenantID, importID: importID, holder: Self.importHolder)
            } catch {
                service.logger.error("import stopped", metadata: ["tenant": "\(principal.tenantID)", "import": "\(importID)", "error": "\(error)"])
            }
        }
        return staged
    }

    /// Who writes an import's rows once they are checked.
    package enum ImportStart: Sendable {
        /// This request for a small file, a background task of this process for a large one.
        case automatic
        /// A worker (`ImportResumer`), which takes it at its next round.
        case deferred
    }

    /// This process, as the holder of the imports it writes.
    static let importHolder = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))"

    /// Writes an import's pending rows in batches, each its own transaction, renewing the lease with every
    /// batch; stops after `maxBatches` when given (as if the process had stopped there). Returns false when
    /// another holder has the import.
    @discardableResult
    package func runImport(tenantID: Int64, importID: Int64, holder: String, maxBatches: Int? = nil) async throws -> Bool {
        let claimed = try await database.withPlatformConnection { connection in
            try await connection.returnsRow(
                """
                UPDATE platform.import_jobs SET holder = \(holder), lease_until = now() + make_interval(secs => \(Self.importLeaseSeconds))
                WHERE tenant_id = \(tenantID) AND import_id = \(importID) AND (holder = \(holder) OR lease_until < now())
                RETURNING 1
                """,
                logger: logger
            )
        }
        guard claimed else { return false }
        // The creator's scope, read as the tenant's owner (the row says who).
        let owner = TenantScope(tenantID: tenantID, operators: .all)
        guard let creator = try await database.withTenantTransaction(owner, { try await imports.actor(importID: importID, on: $0) }) else {
            try await dropJob(tenantID: tenantID, importID: importID)
            return true
        }
        let scope = TenantScope(tenantID: tenantID, operators: creator.scope.map { .only(Set($0)) } ?? .all)
        // New customers, by `importWriters` concurrent writers taking disjoint batches (one when stopping
        // after `maxBatches`), each batch its own transaction; then (upsert) the existing ones, in line order.
        let writers = maxBatches == nil ? Self.importWriters : 1
        let stopped = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<writers {
                group.addTask {
                    var batches = 0
                    while !Task.isCancelled {
                        if let maxBatches, batches >= maxBatches { return true }
                        let taken = try await database.withTenantTransaction(scope) { connection in
                            let (taken, written) = try await imports.insertBatch(
                                importID: importID, tenantID: tenantID, limit: Self.importBatchRows, actor: creator, on: connection
                            )
                            if written > 0 { try await imports.count(importID: importID, imported: written, on: connection) }
                            return taken
                        }
                        batches += 1
                        if taken == 0 { return false }
                        try await renewLease(tenantID: tenantID, importID: importID, holder: holder)
                    }
                    return true
                }
            }
            var stopped = false
            for try await writerStopped in group { stopped = stopped || writerStopped }
            return stopped
        }
        if stopped { return true }
        if creator.upsert {
            var cursor = 0
            while !Task.isCancelled {
                let last = try await database.withTenantTransaction(scope) { connection -> Int? in
                    let (last, changed) = try await imports.updateBatch(importID: importID, after: cursor, limit: Self.importBatchRows, actor: creator, on: connection)
                    if changed > 0 { try await imports.count(importID: importID, updated: changed, on: connection) }
                    return last
                }
                guard let last else { break }
                cursor = last
                try await renewLease(tenantID: tenantID, importID: importID, holder: holder)
            }
        }
        guard !Task.isCancelled else { return true }
        try await database.withTenantTransaction(scope) { connection in
            // Counted again from the rows: a batch may have found a username taken since the check.
            try await imports.tally(importID: importID, on: connection)
            try await imports.finish(importID: importID, state: "done", on: connection)
            try await imports.logSummary(importID: importID, actor: creator, on: connection)
        }
        try await dropJob(tenantID: tenantID, importID: importID)
        return true
    }

    private func renewLease(tenantID: Int64, importID: Int64, holder: String) async throws {
        try await database.withPlatformConnection { connection in
            try await connection.query(
                """
                UPDATE platform.import_jobs SET lease_until = now() + make_interval(secs => \(Self.importLeaseSeconds))
                WHERE tenant_id = \(tenantID) AND import_id = \(importID) AND holder = \(holder)
                """,
                logger: logger
            )
        }
    }

    /// Finishes imports whose writer stopped (its lease ran out): the worker's periodic step. Returns how
    /// many it took over.
    package func resumeImports(holder: String) async throws -> Int {
        let due = try await database.withPlatformConnection { connection in
            var due: [(Int64, Int64)] = []
            for try await pair in try await connection.query(
                "SELECT tenant_id, import_id FROM platform.import_jobs WHERE lease_until < now() ORDER BY created_at LIMIT 10", logger: logger
            ).decode((Int64, Int64).self) {
                due.append(pair)
            }
            return due
        }
        var resumed = 0
        for (tenantID, importID) in due {
            logger.info("resuming import", metadata: ["tenant": "\(tenantID)", "import": "\(importID)"])
            if try await runImport(tenantID: tenantID, importID: importID, holder: holder) { resumed += 1 }
        }
        return resumed
    }

    private func dropJob(tenantID: Int64, importID: Int64) async throws {
        try await database.withPlatformConnection { connection in
            try await connection.query("DELETE FROM platform.import_jobs WHERE tenant_id = \(tenantID) AND import_id = \(importID)", logger: logger)
        }
    }

    /// An import's state and counts with its first errors; 404 for another operator's (a sub-reseller's view).
    package func importReport(id: Int64, for principal: Principal) async throws -> ImportReport {
        let report = try await database.withTenantTransaction(principal.tenantScope) { connection in
            try await imports.report(importID: id, errorLimit: Self.importReportErrors, on: connection)
        }
        guard let report else { throw PlatformError.notFound("import") }
        return report
    }

    /// The caller's recent imports, newest first (without their errors).
    package func recentImports(for principal: Principal, page: PageRequest) async throws -> [ImportReport] {
        try await database.withTenantTransaction(principal.tenantScope) { connection in
            var reports: [ImportReport] = []
            for id in try await imports.recent(page: page, on: connection) {
                if let report = try await imports.report(importID: id, errorLimit: 0, on: connection) { reports.append(report) }
            }
            return reports
        }
    }

    /// Every error of an import as CSV (line, column, value, code, message), values neutralised for spreadsheets.
    package func importErrorsCSV(id: Int64, for principal: Principal) async throws -> String {
        try await database.withTenantTransaction(principal.tenantScope) { connection in
            guard try await imports.report(importID: id, errorLimit: 0, on: connection) != nil else { throw PlatformError.notFound("import") }
            var text = CSV.line(["line", "column", "value", "code", "message"])
            for error in try await imports.errors(importID: id, limit: nil, on: connection) {
                text += CSV.line([String(error.line), error.column ?? "", error.value ?? "", error.code, error.message])
            }
            return text
        }
    }
}
