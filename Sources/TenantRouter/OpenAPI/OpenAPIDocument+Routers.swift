extension OpenAPIDocument {
    static func routerRequest(required: [String]) -> Schema {
        .object([
            "name": .text(minLength: 1, maxLength: 64), "nas_ip": .text(minLength: 3, maxLength: 45),
            "radius_secret": .text(minLength: 8, maxLength: 128, pattern: "^[!-~]{8,128}$"), "api_host": .text(minLength: 1, maxLength: 253),
            "api_port": .integer, "api_tls": .boolean, "api_tls_verify": .boolean, "api_username": .text(minLength: 1, maxLength: 64),
            "api_password": .text(minLength: 0, maxLength: 128), "coa_port": .integer, "disconnect_method": .enumeration(["radius", "api", "none"]),
            "coa_enabled": .boolean, "location": .text(minLength: 1, maxLength: 200), "interim_seconds": .integer,
            "status": .enumeration(["active", "disabled"]),
        ], required: required)
    }

    static let routerOperations: [APIOperation] = [
        .init("GET", "/api/v1/routers", "Routers: all for the admin (with assigned_tenant_ids); those assigned to the caller's tenant otherwise",
              tag: "routers", scope: "customers:read", paged: true, response: .page("Router"), errors: [400, 401, 403]),
        .init("POST", "/api/v1/routers", "Add a router (admin): FreeRADIUS learns it and its API is tested; a failed test is reported, not refused",
              tag: "routers", scope: "customers:write", request: routerRequest(required: ["name", "nas_ip", "radius_secret", "api_username"]),
              status: 201, response: .ref("Router"), errors: [400, 401, 403, 409, 422]),
        .init("GET", "/api/v1/routers/{id}", "One router (404 when not assigned to the caller's tenant)", tag: "routers", scope: "customers:read",
              response: .ref("Router"), errors: [401, 403, 404]),
        .init("PATCH", "/api/v1/routers/{id}", "Change a router (admin); null clears api_host, api_password or location; changed API settings are tested again",
              tag: "routers", scope: "customers:write", request: routerRequest(required: []), response: .ref("Router"), errors: [400, 401, 403, 404, 409]),
        .init("DELETE", "/api/v1/routers/{id}", "Delete a router (admin) and its FreeRADIUS client; 409 router_in_use while customers are on it",
              tag: "routers", scope: "customers:write", status: 204, response: nil, errors: [401, 403, 404, 409]),
        .init("POST", "/api/v1/routers/{id}/test", "Test the router's API again (admin): login and /system/resource/print within 3 s",
              tag: "routers", scope: "customers:write", response: .ref("Router"), errors: [401, 403, 404]),
        .init("POST", "/api/v1/routers/{id}/configure",
              "Push the router's configuration (admin): RADIUS client, /radius incoming accept=yes, PPP AAA through RADIUS, the packages' IP pools "
              + "(ranges given here are stored per router) and PPP profiles. Items already right are left alone; the answer lists each item; "
              + "an unreachable router answers ok: false with the reason",
              tag: "routers", scope: "customers:write",
              request: .object(["pools": .array(.object(["name": .text(minLength: 1, maxLength: 64), "ranges": .text(minLength: 7, maxLength: 1000)],
                                                        required: ["name", "ranges"]))], required: []),
              response: .ref("RouterConfigureReport"), errors: [400, 401, 403, 404]),
        .init("PUT", "/api/v1/routers/{id}/assignments", "Set which reseller tenants may use the router (admin); replaces the list",
              tag: "routers", scope: "customers:write", request: .object(["tenant_ids": .array(.integer)], required: ["tenant_ids"]),
              response: .ref("Router"), errors: [400, 401, 403, 404, 422]),
    ]

    static let onlineOperations: [APIOperation] = [
        .init("GET", "/api/v1/online-customers",
              "Online customers of the caller's scope (a sub-reseller: its own), from the online view the accounting poller keeps in Redis; "
              + "q matches name, username, IP or MAC; sort uptime (newest first, the default), -uptime, download, -download, upload, -upload; "
              + "total counts the matching sessions, counts.total and counts.by_nas everything the caller sees; as_of is the view's freshness",
              tag: "online", scope: "online:read", paged: true, query: ["q", "operator_id", "zone_id", "package_id", "nas", "sort"],
              response: .ref("OnlineList"), errors: [400, 401, 403]),
        .init("GET", "/api/v1/customers/{id}/sessions",
              "A customer's sessions that started in [from, to) (ISO 8601; default the last 30 days, at most 366), newest first (up to 5000) "
              + "with totals over the whole period; format=csv downloads them",
              tag: "online", scope: "customers:read", query: ["from", "to", "format"], response: .ref("SessionHistory"), errors: [400, 401, 403, 404]),
        .init("GET", "/api/v1/auth-log",
              "Authentications of the caller's customers (a sub-reseller: its own), newest first; next_before is the before= of the next page",
              tag: "online", scope: "online:read", query: ["username", "result", "from", "to", "before", "limit"],
              response: .ref("AuthLogPage"), errors: [400, 401, 403]),
    ]

    static let routerSchemas: [String: Schema] = [
        "SessionHistory": .object([
            "customer_id": .integer, "username": .string, "from": .dateTime, "to": .dateTime, "truncated": .boolean,
            "items": .array(.object([
                "acct_session_id": .string, "started_at": .dateTime, "stopped_at": .dateTime, "duration_seconds": .integer, "ip": .string,
                "mac": .string, "nas_ip": .string, "nas": .string, "upload_bytes": .integer, "download_bytes": .integer, "terminate_cause": .string,
            ])),
            "totals": .object(["sessions": .integer, "seconds": .integer, "upload_bytes": .integer, "download_bytes": .integer]),
        ]),
        "AuthLogPage": .object([
            "items": .array(.object([
                "id": .integer, "at": .dateTime, "username": .string, "customer_id": .integer, "result": .enumeration(["accept", "reject"]),
                "nas_ip": .string, "mac": .string, "reply_message": .string,
            ])),
            "next_before": .integer,
        ]),
        "OnlineList": .object([
            "items": .array(.object([
                "customer_id": .integer, "name": .string, "username": .string, "operator_id": .integer, "zone_id": .integer,
                "package_id": .integer, "ip": .string, "mac": .string, "nas_ip": .string, "nas": .string, "acct_session_id": .string,
                "started_at": .dateTime, "uptime_seconds": .integer, "upload_bytes": .integer, "download_bytes": .integer, "last_update": .dateTime,
            ])),
            "page": .integer, "per_page": .integer, "total": .integer,
            "counts": .object(["total": .integer, "by_nas": .array(.object(["nas_ip": .string, "nas": .string, "count": .integer]))]),
            "as_of": .dateTime,
        ]),
        "Router": .object([
            "id": .integer, "name": .string, "nas_ip": .string, "api_host": .string, "api_port": .integer, "api_tls": .boolean,
            "api_tls_verify": .boolean, "api_username": .string, "has_api_password": .boolean, "coa_port": .integer,
            "disconnect_method": .enumeration(["radius", "api", "none"]), "coa_enabled": .boolean, "location": .string,
            "interim_seconds": .integer, "status": .enumeration(["active", "disabled"]), "assigned_tenant_ids": .array(.integer),
            "last_test": .object(["at": .dateTime, "ok": .boolean, "message": .string]),
            "last_configure": .object(["at": .dateTime, "ok": .boolean, "message": .string]), "created_at": .dateTime, "updated_at": .dateTime,
        ]),
        "RouterConfigureReport": .object([
            "router_id": .integer, "ok": .boolean, "error": .string,
            "items": .array(.object([
                "item": .string, "action": .enumeration(["created", "updated", "unchanged", "removed", "skipped", "failed"]),
                "properties": .array(.string), "detail": .string,
            ])),
        ]),
    ]
}
