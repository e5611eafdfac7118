import Foundation

/// The OpenAPI 3.1 description of every implemented route, served at `/api/v1/openapi.json`.
/// A test compares it with the router both ways: no route undocumented, no documented route missing.
package enum OpenAPIDocument {
    static let username = Schema.text(minLength: 3, maxLength: 64, pattern: "^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$")
    static let password = Schema.text(minLength: 8, maxLength: 128)
    static let name = Schema.text(minLength: 1, maxLength: 200)
    static let email = Schema.text(minLength: 3, maxLength: 254, pattern: "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$")

    static func customFieldRequest(required: [String]) -> Schema {
        .object([
            "key": .text(minLength: 1, maxLength: 40, pattern: "^[a-z][a-z0-9_]{0,39}$"), "name": .text(minLength: 1, maxLength: 100),
            "type": .enumeration(["text", "number", "date", "textarea", "select"]), "options": .array(.text(minLength: 1, maxLength: 100)),
            "required": .boolean, "order": .integer,
        ], required: required)
    }

    package static let operations: [APIOperation] = [
        .init("GET", "/healthz", "Liveness: the process answers", tag: "system", auth: false, response: .object(["status": .string])),
        .init("GET", "/readyz", "Readiness: Postgres and Redis answer (503 otherwise)", tag: "system", auth: false,
              response: .object(["status": .string, "checks": .map(.string)])),
        .init("GET", "/metrics", "Prometheus metrics (text exposition format)", tag: "system", auth: false, response: nil, contentType: "text/plain"),
        .init("GET", "/api/v1/openapi.json", "This document", tag: "system", auth: false, response: .object([:])),

        .init("POST", "/api/v1/auth/login", "Sign in; returns a session token", tag: "auth", auth: false,
              request: .object(["username": .string, "password": .string], required: ["username", "password"]),
              response: .ref("LoginResult"), errors: [400, 401, 403, 429]),
        .init("POST", "/api/v1/auth/logout", "End this session", tag: "auth", status: 204, response: nil),
        .init("POST", "/api/v1/auth/logout-all", "End every session of the signed-in user", tag: "auth",
              response: .object(["sessions_ended": .integer])),
        .init("GET", "/api/v1/auth/me", "The signed-in user and its scopes", tag: "auth",
              response: .object(["user": .ref("User"), "scopes": .array(.ref("Scope")), "credential": .enumeration(["session", "token"])])),

        .init("GET", "/api/v1/tokens", "The caller's API tokens (never their secrets)", tag: "tokens", paged: true, response: .page("APIToken")),
        .init("POST", "/api/v1/tokens", "Create a scoped API token; the secret is shown once", tag: "tokens", scope: "tokens:write",
              request: .object(["name": .text(minLength: 1, maxLength: 100), "scopes": .array(.ref("Scope")), "expires_in_days": .integer], required: ["name", "scopes"]),
              status: 201, response: .ref("CreatedToken"), errors: [400, 401, 403]),
        .init("DELETE", "/api/v1/tokens/{id}", "Revoke one of the caller's tokens", tag: "tokens", scope: "tokens:write", status: 204, response: nil, errors: [401, 403, 404]),

        .init("GET", "/api/v1/resellers", "Reseller tenants (admin)", tag: "resellers", paged: true, response: .page("Tenant")),
        .init("POST", "/api/v1/resellers", "Create a reseller tenant with its schema and owner login (admin)", tag: "resellers",
              request: .object([
                  "name": name, "slug": .text(minLength: 2, maxLength: 40, pattern: "^[a-z0-9][a-z0-9-]{1,39}$"),
                  "owner": .object(["username": username, "password": password, "email": email], required: ["username", "password"]),
              ], required: ["name", "slug", "owner"]),
              status: 201, response: .ref("CreatedReseller"), errors: [400, 401, 403, 409]),
        .init("GET", "/api/v1/resellers/{id}", "One reseller tenant (admin)", tag: "resellers", response: .ref("Tenant"), errors: [401, 403, 404]),
        .init("PATCH", "/api/v1/resellers/{id}", "Rename, suspend or reactivate a reseller (admin); suspension ends its sessions and tokens", tag: "resellers",
              request: .object(["name": name, "status": .enumeration(["active", "suspended"])]),
              response: .ref("Tenant"), errors: [400, 401, 403, 404]),

        .init("GET", "/api/v1/operators", "Operators visible to the caller (a sub-reseller sees itself only)", tag: "operators", paged: true, response: .page("Operator")),
        .init("POST", "/api/v1/operators", "Create a sub-reseller and its login", tag: "operators", scope: "operators:write",
              request: .object(["name": name, "username": username, "password": password, "email": email], required: ["name", "username", "password"]),
              status: 201, response: .ref("Operator"), errors: [400, 401, 403, 409]),
        .init("GET", "/api/v1/operators/{id}", "One operator (404 when not visible to the caller)", tag: "operators", response: .ref("Operator"), errors: [401, 404]),
        .init("PATCH", "/api/v1/operators/{id}", "Rename, suspend or reactivate a sub-reseller; suspension ends its sessions and tokens", tag: "operators",
              scope: "operators:write", request: .object(["name": name, "status": .enumeration(["active", "suspended"])]),
              response: .ref("Operator"), errors: [400, 401, 403, 404]),

        .init("GET", "/api/v1/zones", "Customer zones of the caller's tenant; q matches part of the name", tag: "zones", scope: "customers:read",
              paged: true, query: ["q"], response: .page("Zone"), errors: [400, 401, 403]),
        .init("POST", "/api/v1/zones", "Create a zone (tenant owner)", tag: "zones", scope: "customers:write",
              request: .object(["name": .text(minLength: 1, maxLength: 100), "description": .text(minLength: 0, maxLength: 1000)], required: ["name"]),
              status: 201, response: .ref("Zone"), errors: [400, 401, 403, 409]),
        .init("GET", "/api/v1/zones/{id}", "One zone", tag: "zones", scope: "customers:read", response: .ref("Zone"), errors: [401, 403, 404]),
        .init("PATCH", "/api/v1/zones/{id}", "Rename a zone or set its description (empty clears it)", tag: "zones", scope: "customers:write",
              request: .object(["name": .text(minLength: 1, maxLength: 100), "description": .text(minLength: 0, maxLength: 1000)]),
              response: .ref("Zone"), errors: [400, 401, 403, 404, 409]),
        .init("GET", "/api/v1/custom-fields", "Custom customer fields of the caller's tenant, in display order", tag: "custom-fields",
              scope: "customers:read", paged: true, response: .page("CustomField"), errors: [400, 401, 403]),
        .init("POST", "/api/v1/custom-fields", "Define a custom field (tenant owner); key defaults from the name", tag: "custom-fields",
              scope: "customers:write", request: customFieldRequest(required: ["name", "type"]), status: 201, response: .ref("CustomField"),
              errors: [400, 401, 403, 409]),
        .init("GET", "/api/v1/custom-fields/{id}", "One custom field", tag: "custom-fields", scope: "customers:read",
              response: .ref("CustomField"), errors: [401, 403, 404]),
        .init("PATCH", "/api/v1/custom-fields/{id}", "Change name, options, required or order (key and type are fixed)", tag: "custom-fields",
              scope: "customers:write", request: customFieldRequest(required: []), response: .ref("CustomField"), errors: [400, 401, 403, 404]),
        .init("DELETE", "/api/v1/custom-fields/{id}", "Delete a custom field and its values", tag: "custom-fields", scope: "customers:write",
              status: 204, response: nil, errors: [401, 403, 404]),
        .init("DELETE", "/api/v1/zones/{id}", "Delete a zone; its customers keep everything but the zone", tag: "zones", scope: "customers:write",
              status: 204, response: nil, errors: [401, 403, 404]),
    ]

    static let schemas: [String: Schema] = [
        "Error": .object(["error": .object(["code": .string, "message": .string, "details": .map(.string)], required: ["code", "message", "details"])], required: ["error"]),
        "Scope": .enumeration(["customers:read", "customers:write", "billing:read", "billing:write", "online:read", "reports:read", "operators:write", "tokens:write"]),
        "User": .object(["id": .integer, "username": .string, "role": .enumeration(["admin", "reseller", "sub_reseller"]), "tenant_id": .integer, "operator_id": .integer]),
        "LoginResult": .object(["token": .string, "expires_at": .dateTime, "user": .ref("User")], required: ["token", "expires_at", "user"]),
        "APIToken": .object(["id": .integer, "name": .string, "prefix": .string, "scopes": .array(.ref("Scope")), "expires_at": .dateTime,
                             "revoked_at": .dateTime, "last_used_at": .dateTime, "created_at": .dateTime]),
        "CreatedToken": .object(["id": .integer, "token": .string, "name": .string, "scopes": .array(.ref("Scope")), "expires_at": .dateTime, "created_at": .dateTime]),
        "Tenant": .object(["id": .integer, "slug": .string, "name": .string, "kind": .enumeration(["admin", "reseller"]),
                           "status": .enumeration(["active", "suspended"]), "created_at": .dateTime]),
        "CreatedReseller": .object(["id": .integer, "slug": .string, "name": .string, "status": .string, "created_at": .dateTime, "owner": .ref("User")]),
        "CustomField": .object(["id": .integer, "key": .string, "name": .string, "type": .enumeration(["text", "number", "date", "textarea", "select"]),
                                "options": .array(.string), "required": .boolean, "order": .integer, "created_at": .dateTime, "updated_at": .dateTime]),
        "Zone": .object(["id": .integer, "name": .string, "description": .string, "created_at": .dateTime, "updated_at": .dateTime]),
        "Operator": .object(["id": .integer, "parent_id": .integer, "name": .string, "kind": .enumeration(["owner", "sub_reseller"]),
                             "status": .enumeration(["active", "suspended"]), "username": .string, "created_at": .dateTime]),
    ]

    /// The document as JSON bytes, built once.
    package static let json: [UInt8] = {
        var paths: [String: [String: Any]] = [:]
        for operation in operations {
            paths[operation.path, default: [:]][operation.method.lowercased()] = operation.rendered
        }
        let document: [String: Any] = [
            "openapi": "3.1.0",
            "info": [
                "title": "Uplink API",
                "version": "1.0.0",
                "description": "Multi-tenant ISP billing and subscriber management. Errors are {\"error\": {\"code\", \"message\", \"details\"}}.",
            ],
            "servers": [["url": "/"]],
            "paths": paths,
            "components": [
                "schemas": schemas.mapValues(\.rendered),
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer", "description": "A session token (ups_…) or an API token (upk_…)"]],
            ],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return Array(data)
    }()
}

package struct APIOperation: Sendable {
    package var method: String
    package var path: String
    var summary: String
    var tag: String
    var auth: Bool
    var scope: String?
    var paged: Bool
    var query: [String]
    var request: Schema?
    var status: Int
    var response: Schema?
    var contentType: String
    var errors: [Int]

    init(
        _ method: String, _ path: String, _ summary: String, tag: String, auth: Bool = true, scope: String? = nil,
        paged: Bool = false, query: [String] = [], request: Schema? = nil, status: Int = 200, response: Schema?, contentType: String = "application/json",
        errors: [Int] = [401]
    ) {
        self.method = method
        self.path = path
        self.summary = summary
        self.tag = tag
        self.auth = auth
        self.scope = scope
        self.paged = paged
        self.query = query
        self.request = request
        self.status = status
        self.response = response
        self.contentType = contentType
        self.errors = errors
    }

    var rendered: [String: Any] {
        var operation: [String: Any] = ["summary": summary, "tags": [tag], "operationId": "\(method.lowercased())\(path.replacingOccurrences(of: "/", with: "_"))"]
        var parameters: [[String: Any]] = []
        for segment in path.split(separator: "/") where segment.hasPrefix("{") {
            parameters.append(["name": String(segment.dropFirst().dropLast()), "in": "path", "required": true, "schema": ["type": "integer", "minimum": 1]])
        }
        if paged {
            parameters.append(["name": "page", "in": "query", "schema": ["type": "integer", "minimum": 1]])
            parameters.append(["name": "per_page", "in": "query", "schema": ["type": "integer", "minimum": 1, "maximum": 200]])
        }
        for name in query {
            parameters.append(["name": name, "in": "query", "schema": ["type": "string", "maxLength": 100]])
        }
        if !parameters.isEmpty { operation["parameters"] = parameters }
        if auth {
            operation["security"] = [["bearer": [String]()]]
        } else {
            operation["security"] = [[String: [String]]]()
        }
        if let scope { operation["x-required-scope"] = scope }
        if let request {
            operation["requestBody"] = ["required": true, "content": ["application/json": ["schema": request.rendered]]]
        }
        var responses: [String: Any] = [:]
        var success: [String: Any] = ["description": status == 204 ? "No content" : "Success"]
        if let response { success["content"] = [contentType: ["schema": response.rendered]] }
        if response == nil, contentType != "application/json" { success["content"] = [contentType: ["schema": ["type": "string"]]] }
        responses[String(status)] = success
        for code in Set(errors + (request != nil ? [400] : [])) {
            responses[String(code)] = ["description": "Error", "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]]
        }
        operation["responses"] = responses
        return operation
    }
}

indirect enum Schema: Sendable {
    case string, integer, boolean, dateTime
    /// A string with the limits the API enforces.
    case text(minLength: Int, maxLength: Int, pattern: String? = nil)
    case enumeration([String])
    case array(Schema)
    case map(Schema)
    case object([String: Schema], required: [String] = [])
    case ref(String)
    case page(String)

    var rendered: [String: Any] {
        switch self {
        case .string: ["type": "string"]
        case .text(let minLength, let maxLength, let pattern):
            pattern.map { ["type": "string", "minLength": minLength, "maxLength": maxLength, "pattern": $0] }
                ?? ["type": "string", "minLength": minLength, "maxLength": maxLength]
        case .integer: ["type": "integer", "format": "int64"]
        case .boolean: ["type": "boolean"]
        case .dateTime: ["type": ["string", "null"], "format": "date-time"]
        case .enumeration(let values): ["type": "string", "enum": values]
        case .array(let item): ["type": "array", "items": item.rendered]
        case .map(let value): ["type": "object", "additionalProperties": value.rendered]
        case .object(let properties, let required):
            required.isEmpty
                ? ["type": "object", "properties": properties.mapValues(\.rendered)]
                : ["type": "object", "properties": properties.mapValues(\.rendered), "required": required]
        case .ref(let name): ["$ref": "#/components/schemas/\(name)"]
        case .page(let item):
            Schema.object(["items": .array(.ref(item)), "page": .integer, "per_page": .integer, "total": .integer], required: ["items", "page", "per_page", "total"]).rendered
        }
    }
}
