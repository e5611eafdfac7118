import Foundation
import Hummingbird
import Platform

/// `/api/v1/customers/import…` and `/api/v1/imports…`: the CSV template, uploads, and imports' progress and errors.
struct ImportRoutes: Sendable {
    let customers: CustomerService
    /// The largest file an import takes.
    static let maxFileBytes = 50 * 1024 * 1024

    func register(on api: RouterGroup<AppRequestContext>) {
        api.get("customers/import/template", use: template)
        api.post("customers/import", use: upload)
        api.get("imports", use: list)
        api.get("imports/{id}", use: report)
        api.get("imports/{id}/errors.csv", use: errors)
    }

    @Sendable func template(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        let principal = try context.require(.customersRead)
        let text = try await customers.importTemplate(for: principal)
        return RawJSONResponse(bytes: Array(text.utf8), contentType: "text/csv; charset=utf-8", attachmentName: "customers-import-template.csv")
    }

    @Sendable func upload(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try CustomerRoutes.actor(context, .customersWrite)
        let query = request.uri.queryParameters
        var options = ImportOptions()
        options.dryRun = try Self.flag(query.get("dry_run"), "dry_run")
        options.strict = try Self.flag(query.get("strict"), "strict")
        if let mode = query.get("mode") {
            guard let value = ImportOptions.Mode(rawValue: mode) else {
                throw PlatformError.invalidInput(field: "mode", reason: "must be insert or upsert")
            }
            options.mode = value
        }
        let file = try await request.upload(limit: Self.maxFileBytes)
        switch file.charset {
        case nil, "utf-8", "utf8", "us-ascii": options.encoding = .utf8
        case "windows-1252", "cp1252", "iso-8859-1", "latin1": options.encoding = .windows1252
        case let other?: throw PlatformError.invalidInput(field: "charset", reason: "\(other) is not supported; send UTF-8 or Windows-1252")
        }
        options.fileName = file.fileName.map { String($0.prefix(200)) }
        let report = try await customers.importCustomers(file.bytes, options: options, by: actor)
        var output = JSONOutput()
        report.writeJSON(to: &output)
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if report.state == "importing" { headers[.location] = "/api/v1/imports/\(report.id)" }
        return Response(status: report.state == "importing" ? .accepted : .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: output.bytes)))
    }

    struct ImportPage: JSONWritable {
        var items: [ImportReport]
        var page: Int
        var perPage: Int

        func writeJSON(to out: inout JSONOutput) {
            out.object { out in
                out.key("items")
                out.array { out in for item in items { item.writeJSON(to: &out) } }
                out.key("page"); out.int(page)
                out.key("per_page"); out.int(perPage)
            }
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> JSONBody<ImportPage> {
        let principal = try context.require(.customersRead)
        let query = request.uri.queryParameters
        let page = try PageRequest(page: query.get("page"), perPage: query.get("per_page"))
        return JSONBody(ImportPage(items: try await customers.recentImports(for: principal, page: page), page: page.page, perPage: page.perPage))
    }

    @Sendable func report(_ request: Request, context: AppRequestContext) async throws -> JSONBody<ImportReport> {
        let principal = try context.require(.customersRead)
        return JSONBody(try await customers.importReport(id: try context.parameters.requireID("id"), for: principal))
    }

    @Sendable func errors(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        let principal = try context.require(.customersRead)
        let id = try context.parameters.requireID("id")
        let text = try await customers.importErrorsCSV(id: id, for: principal)
        return RawJSONResponse(bytes: Array(text.utf8), contentType: "text/csv; charset=utf-8", attachmentName: "import-\(id)-errors.csv")
    }

    static func flag(_ text: String?, _ field: String) throws -> Bool {
        switch text?.lowercased() {
        case nil, "", "false", "0", "no": false
        case "true", "1", "yes": true
        default: throw PlatformError.invalidInput(field: field, reason: "must be true or false")
        }
    }
}
