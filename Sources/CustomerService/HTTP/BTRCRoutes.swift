import Foundation
import Hummingbird
import Platform

/// `/api/v1/reports/btrc…` (the BTRC subscriber report and its per-tenant column template) and
/// `/api/v1/geo/…` (Bangladesh's divisions and districts, for address forms).
struct BTRCRoutes: Sendable {
    let customers: CustomerService

    func register(on api: RouterGroup<AppRequestContext>) {
        api.get("reports/btrc", use: report)
        api.get("reports/btrc/template", use: template)
        api.put("reports/btrc/template", use: setTemplate)
        api.get("geo/divisions", use: divisions)
        api.get("geo/districts", use: districts)
        api.get("geo/upazilas", use: upazilas)
    }

    @Sendable func report(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.reportsRead)
        let query = request.uri.queryParameters
        let format = query.get("format") ?? "json"
        guard ["json", "csv", "xlsx"].contains(format) else { throw PlatformError.invalidInput(field: "format", reason: "must be json, csv or xlsx") }
        let report = try await customers.btrcReport(for: principal, from: query.get("from"), to: query.get("to"))
        let name = "btrc-\(report.from)-\(report.to)"
        switch format {
        case "csv":
            return try RawJSONResponse(bytes: report.csv(), contentType: "text/csv; charset=utf-8", attachmentName: "\(name).csv")
                .response(from: request, context: context)
        case "xlsx":
            return try RawJSONResponse(bytes: report.xlsx(), contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                       attachmentName: "\(name).xlsx").response(from: request, context: context)
        default:
            return try JSONBody(report).response(from: request, context: context)
        }
    }

    struct Template: JSONWritable {
        var columns: [BTRCColumn]
        var isDefault: Bool

        func writeJSON(to out: inout JSONOutput) {
            out.object { out in
                out.key("columns"); BTRCColumn.write(columns, to: &out)
                out.key("default"); out.bool(isDefault)
                out.key("fields")
                out.array { out in for field in BTRCField.allCases { out.string(field.rawValue) } }
            }
        }
    }

    @Sendable func template(_ request: Request, context: AppRequestContext) async throws -> JSONBody<Template> {
        let principal = try context.require(.reportsRead)
        let (columns, isDefault) = try await customers.btrcTemplate(for: principal)
        return JSONBody(Template(columns: columns, isDefault: isDefault))
    }

    struct TemplateRequest: Decodable {
        struct Column: Decodable {
            var key: String
            var header: String
        }

        var columns: [Column]?
    }

    @Sendable func setTemplate(_ request: Request, context: AppRequestContext) async throws -> JSONBody<Template> {
        let actor = try CustomerRoutes.actor(context, .customersWrite)
        let body = try await request.decodeBody(as: TemplateRequest.self, context: context)
        let (columns, isDefault) = try await customers.setBTRCTemplate(body.columns?.map { ($0.key, $0.header) }, by: actor)
        return JSONBody(Template(columns: columns, isDefault: isDefault))
    }

    struct Places: JSONWritable {
        var items: [CustomerService.Place]
        /// The member naming the parent (`division_id`, `district_id`), when the places have one.
        var parentKey: StaticString = "division_id"

        func writeJSON(to out: inout JSONOutput) {
            out.object { out in
                out.key("items")
                out.array { out in
                    for item in items {
                        out.object { out in
                            if let parent = item.parent { out.key(parentKey); out.int(parent) }
                            out.key("id"); out.int(item.id)
                            out.key("name"); out.string(item.name)
                            out.key("name_bn"); out.string(item.nameBN)
                        }
                    }
                }
            }
        }
    }

    @Sendable func divisions(_ request: Request, context: AppRequestContext) async throws -> JSONBody<Places> {
        _ = try context.require(.customersRead)
        return JSONBody(Places(items: try await customers.places(.division)))
    }

    @Sendable func districts(_ request: Request, context: AppRequestContext) async throws -> JSONBody<Places> {
        _ = try context.require(.customersRead)
        let division = try Self.parentID(request, "division_id")
        return JSONBody(Places(items: try await customers.places(.district, parent: division)))
    }

    @Sendable func upazilas(_ request: Request, context: AppRequestContext) async throws -> JSONBody<Places> {
        _ = try context.require(.customersRead)
        let district = try Self.parentID(request, "district_id")
        return JSONBody(Places(items: try await customers.places(.upazila, parent: district), parentKey: "district_id"))
    }

    static func parentID(_ request: Request, _ field: String) throws -> Int64? {
        try request.uri.queryParameters.get(field).map { text in
            guard let id = Int64(text), id > 0 else { throw PlatformError.invalidInput(field: field, reason: "must be a positive integer") }
            return id
        }
    }
}
