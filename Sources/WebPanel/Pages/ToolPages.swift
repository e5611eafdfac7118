import CustomerService
import Foundation
import Hummingbird
import Platform

/// Customer import (template, upload with dry run, per-row errors, progress) and the BTRC report.
extension WebPanel {
    func registerTools(on pages: RouterGroup<AppRequestContext>) {
        pages.get("customers/import") { request, context in try await page(request, context) { try await importPage($0, report: nil) } }
        pages.get("customers/import/template.csv") { request, context in
            try await page(request, context) { page in
                try require(.customersRead, page)
                return Self.download(Array(try await customers.importTemplate(for: page.principal).utf8), type: "text/csv; charset=utf-8",
                                     name: "customers-import-template.csv")
            }
        }
        pages.post("customers/import") { request, context in
            try await form(request, context) { form, page in
                do {
                    return try await upload(form, page)
                } catch let error as any ServiceError {
                    return try await importPage(page, report: nil, error: error.message, status: error.kind.status)
                }
            }
        }
        pages.get("imports/{id}") { request, context in
            try await page(request, context) { page in
                try require(.customersRead, page)
                let report = try await customers.importReport(id: try context.parameters.requireID("id"), for: page.principal)
                return try await importPage(page, report: report)
            }
        }
        pages.get("imports/{id}/errors.csv") { request, context in
            try await page(request, context) { page in
                try require(.customersRead, page)
                let id = try context.parameters.requireID("id")
                return Self.download(Array(try await customers.importErrorsCSV(id: id, for: page.principal).utf8), type: "text/csv; charset=utf-8",
                                     name: "import-\(id)-errors.csv")
            }
        }
        pages.get("reports/btrc") { request, context in try await page(request, context) { try await btrcPage($0) } }
        pages.post("reports/btrc/template") { request, context in
            try await action(request, context, back: { _ in "/reports/btrc" }) { form, page in
                try require(.reportsRead, page)
                // `key = Header` per line, in order; "reset" goes back to the default layout.
                let columns: [(key: String, header: String)]? = form["reset"] != nil ? nil
                    : (form["columns"] ?? "").split(whereSeparator: \.isNewline).compactMap { line in
                        let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                        guard let key = parts.first, !key.isEmpty else { return nil }
                        return (key, parts.count > 1 && !parts[1].isEmpty ? parts[1] : key)
                    }
                let template = try await customers.setBTRCTemplate(columns, by: page.actor)
                return redirect(to: "/reports/btrc", flash: template.isDefault ? "The report uses the default columns." : "The report's columns are saved.", request: request)
            }
        }
        pages.get("reports/btrc.csv") { request, context in
            try await page(request, context) { page in
                let report = try await btrcReport(page)
                return Self.download(report.csv(), type: "text/csv; charset=utf-8", name: "btrc-\(report.from)-\(report.to).csv")
            }
        }
        pages.get("reports/btrc.xlsx") { request, context in
            try await page(request, context) { page in
                let report = try await btrcReport(page)
                return Self.download(report.xlsx(), type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                     name: "btrc-\(report.from)-\(report.to).xlsx")
            }
        }
    }

    static func download(_ bytes: [UInt8], type: String, name: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: type, .contentDisposition: "attachment; filename=\"\(name)\"", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }

    // MARK: Import

    func importPage(_ page: PanelRequest, report: ImportReport?, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        try require(.customersRead, page)
        var data: [String: Any] = ["can_write": page.principal.permissions.contains(.customersWrite)]
        if let error { data["error"] = error }
        if let report {
            var view = try ViewValue.written(report)
            view["running"] = report.state == "importing"
            view["created"] = Display.time(report.createdAt)
            view["percent"] = report.valid == 0 ? 100 : min(100, report.rowsDone * 100 / max(report.valid, 1))
            view["has_errors"] = report.errorCount > 0
            view["more_errors"] = report.errorCount > report.errors.count
            view["unknown"] = report.unknownColumns.joined(separator: ", ")
            data["report"] = view
        }
        let recent = try await customers.recentImports(for: page.principal, page: PageRequest(page: 1, perPage: 10))
        data["recent"] = try recent.map { item -> [String: Any] in
            var row = try ViewValue.written(item)
            row["created"] = Display.time(item.createdAt)
            return row
        }
        return try await render("import", data, request: page, title: "Import customers", section: "import", status: status)
    }

    func upload(_ form: PanelForm, _ page: PanelRequest) async throws -> Response {
        try require(.customersWrite, page)
        guard let file = form.file else { throw PlatformError.invalidInput(field: "file", reason: "choose a CSV file to upload") }
        var options = ImportOptions()
        options.dryRun = form["dry_run"] != nil
        options.strict = form["strict"] != nil
        options.mode = form["mode"] == "upsert" ? .upsert : .insert
        options.encoding = form["encoding"] == "windows-1252" ? .windows1252 : .utf8
        options.fileName = file.fileName.map { String($0.prefix(200)) }
        let report = try await customers.importCustomers(file.bytes, options: options, by: page.actor)
        // A large file goes on in the background: its page shows the progress.
        if report.state == "importing" { return redirect(to: "/imports/\(report.id)") }
        return try await importPage(page, report: report)
    }

    // MARK: BTRC

    func btrcReport(_ page: PanelRequest) async throws -> BTRCReport {
        try require(.reportsRead, page)
        let (from, to) = Self.defaultPeriod(page)
        return try await customers.btrcReport(for: page.principal, from: from, to: to)
    }

    /// The period asked for, else the last full month.
    static func defaultPeriod(_ page: PanelRequest) -> (String, String) {
        if let from = page.query("from"), let to = page.query("to") { return (from, to) }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = Display.zone
        let startOfMonth = calendar.date(from: calendar.dateComponents([.year, .month], from: Date())) ?? Date()
        let previous = calendar.date(byAdding: .month, value: -1, to: startOfMonth) ?? startOfMonth
        let lastDay = calendar.date(byAdding: .day, value: -1, to: startOfMonth) ?? startOfMonth
        return (localDate(previous), localDate(lastDay))
    }

    func btrcPage(_ page: PanelRequest) async throws -> Response {
        let report = try await btrcReport(page)
        let query = Link.query([("from", report.from), ("to", report.to)])
        let data: [String: Any] = [
            "from": report.from, "to": report.to, "active_at_end": report.activeAtEnd, "new": report.new, "disconnected": report.disconnected,
            "breakdowns": report.breakdowns.filter { !$0.1.isEmpty }.map { label, counts in
                ["label": label, "counts": counts.map { ["key": $0.key, "count": $0.count] }]
            },
            "rows": report.rows.count, "csv_href": "/reports/btrc.csv" + query, "xlsx_href": "/reports/btrc.xlsx" + query,
            "columns": report.columns.map(\.header),
            "preview": report.rows.prefix(20).map { ["cells": $0] },
            "template": report.columns.map { "\($0.field.rawValue) = \($0.header)" }.joined(separator: "\n"),
            "fields": BTRCField.allCases.map(\.rawValue).joined(separator: ", "),
            "can_edit_template": page.principal.role != .subReseller,
        ]
        return try await render("btrc", data, request: page, title: "BTRC report", section: "btrc")
    }
}
