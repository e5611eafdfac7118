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

    static let walletTerms = Schema.object(["mode": .enumeration(["prepaid", "postpaid"]), "credit_limit": .integer])
    static let topUp = Schema.object([
        "amount": .integer, "method": .enumeration(["cash", "bank", "mobile_money"]), "reference": .text(minLength: 1, maxLength: 100),
        "note": .text(minLength: 0, maxLength: 500),
    ], required: ["amount"])

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

        .init("GET", "/api/v1/packages", "Packages: all for the admin; those assigned to the caller (with its operator_price) otherwise",
              tag: "packages", scope: "customers:read", paged: true, query: ["q", "type", "status"], response: .page("Package"), errors: [400, 401, 403]),
        .init("POST", "/api/v1/packages", "Create a package (admin)", tag: "packages", scope: "billing:write",
              request: packageRequest(required: ["name", "customer_type", "download_kbps", "upload_kbps", "price"]), status: 201,
              response: .ref("Package"), errors: [400, 401, 403, 409, 422]),
        .init("GET", "/api/v1/packages/{id}", "One package (404 when not assigned to the caller)", tag: "packages", scope: "customers:read",
              response: .ref("Package"), errors: [401, 403, 404]),
        .init("PATCH", "/api/v1/packages/{id}", "Change a package (admin); status archived withdraws it from sale", tag: "packages",
              scope: "billing:write", request: packageRequest(required: []), response: .ref("Package"), errors: [400, 401, 403, 404, 409, 422]),
        .init("DELETE", "/api/v1/packages/{id}", "Delete an unused package (admin); 409 when customers use it", tag: "packages",
              scope: "billing:write", status: 204, response: nil, errors: [401, 403, 404, 409]),
        .init("GET", "/api/v1/packages/{id}/assignments", "Who may sell the package and at what operator price", tag: "packages",
              scope: "customers:read", response: .object(["items": .array(.ref("PackageAssignment"))]), errors: [401, 403, 404]),
        .init("POST", "/api/v1/packages/{id}/assignments", "Assign a package: the admin to a reseller (reseller_id), an owner to its sub-reseller (operator_id)",
              tag: "packages", scope: "billing:write",
              request: .object(["reseller_id": .integer, "operator_id": .integer, "price": .integer], required: ["price"]),
              response: .ref("PackageAssignment"), errors: [400, 401, 403, 404, 422]),
        .init("DELETE", "/api/v1/packages/{id}/assignments/{operator_id}", "Withdraw a package from an operator (and its sub-resellers)",
              tag: "packages", scope: "billing:write", status: 204, response: nil, errors: [401, 403, 404]),
        .init("GET", "/api/v1/billing-profiles", "Billing profiles of monthly customers", tag: "billing-profiles", scope: "customers:read",
              paged: true, response: .page("BillingProfile"), errors: [400, 401, 403]),
        .init("POST", "/api/v1/billing-profiles", "Create a billing profile (admin)", tag: "billing-profiles", scope: "billing:write",
              request: billingProfileRequest(required: ["name", "cycle_day"]), status: 201, response: .ref("BillingProfile"), errors: [400, 401, 403, 409, 422]),
        .init("GET", "/api/v1/billing-profiles/{id}", "One billing profile", tag: "billing-profiles", scope: "customers:read",
              response: .ref("BillingProfile"), errors: [401, 403, 404]),
        .init("PATCH", "/api/v1/billing-profiles/{id}", "Change a billing profile (admin)", tag: "billing-profiles", scope: "billing:write",
              request: billingProfileRequest(required: []), response: .ref("BillingProfile"), errors: [400, 401, 403, 404, 409, 422]),
        .init("DELETE", "/api/v1/billing-profiles/{id}", "Delete an unused billing profile (admin)", tag: "billing-profiles", scope: "billing:write",
              status: 204, response: nil, errors: [401, 403, 404, 409]),
        .init("GET", "/api/v1/vat-profiles", "VAT profiles packages and billing profiles may name", tag: "billing-profiles", scope: "customers:read",
              response: .object(["items": .array(.object(["id": .integer, "name": .string, "rate_basis_points": .integer]))]), errors: [401, 403]),

        .init("GET", "/api/v1/wallet", "The caller's own wallet: a reseller's at the ISP, a sub-reseller's at its reseller (the admin has none)",
              tag: "wallets", scope: "billing:read", response: .ref("Wallet"), errors: [401, 403, 404]),
        .init("GET", "/api/v1/operators/{id}/wallet", "A sub-reseller's wallet (its reseller, or itself)", tag: "wallets", scope: "billing:read",
              response: .ref("Wallet"), errors: [401, 403, 404]),
        .init("PATCH", "/api/v1/operators/{id}/wallet", "Set a sub-reseller's wallet terms: prepaid or postpaid, credit limit (its reseller)",
              tag: "wallets", scope: "billing:write", request: walletTerms, response: .ref("Wallet"), errors: [400, 401, 403, 404, 409]),
        .init("POST", "/api/v1/operators/{id}/wallet/topups", "Top up a sub-reseller's prepaid wallet or settle its postpaid one (its reseller)",
              tag: "wallets", scope: "billing:write", request: topUp, status: 201, response: .ref("WalletTransfer"),
              errors: [400, 401, 403, 404, 422]).idempotent(),
        .init("GET", "/api/v1/operators/{id}/wallet/transfers", "Top-ups and settlements of a sub-reseller's wallet, newest first", tag: "wallets",
              scope: "billing:read", paged: true, response: .page("WalletTransfer"), errors: [400, 401, 403, 404]),
        .init("GET", "/api/v1/resellers/{id}/wallet", "A reseller's wallet at the ISP (admin)", tag: "wallets", scope: "billing:read",
              response: .ref("Wallet"), errors: [401, 403, 404]),
        .init("PATCH", "/api/v1/resellers/{id}/wallet", "Set a reseller's wallet terms (admin)", tag: "wallets", scope: "billing:write",
              request: walletTerms, response: .ref("Wallet"), errors: [400, 401, 403, 404, 409]),
        .init("POST", "/api/v1/resellers/{id}/wallet/topups", "Top up a reseller's prepaid wallet or settle its postpaid one (admin)", tag: "wallets",
              scope: "billing:write", request: topUp, status: 201, response: .ref("WalletTransfer"), errors: [400, 401, 403, 404, 422]).idempotent(),
        .init("GET", "/api/v1/resellers/{id}/wallet/transfers", "Top-ups and settlements of a reseller's wallet (admin)", tag: "wallets",
              scope: "billing:read", paged: true, response: .page("WalletTransfer"), errors: [400, 401, 403, 404]),
        .init("POST", "/api/v1/customers/{id}/recharge",
              "Recharge a prepaid customer: days of its package (price × days ÷ validity, half up) or whole periods; every level's wallet is charged in one transaction",
              tag: "recharges", scope: "billing:write",
              request: .object([
                  "days": .integer, "periods": .integer, "package_id": .integer,
                  "payment": .object(["amount": .integer, "method": .enumeration(["cash", "bank", "mobile_money"]), "reference": .string,
                                      "received_at": .dateTime], required: ["amount"]),
              ]),
              status: 201, response: .ref("Recharge"), errors: [400, 401, 403, 404, 409, 422]).idempotent(),
        .init("GET", "/api/v1/customers/{id}/recharges", "A customer's recharges, newest first, with what each level paid and got back",
              tag: "recharges", scope: "billing:read", paged: true, response: .page("Recharge"), errors: [400, 401, 403, 404]),

        .init("POST", "/api/v1/customers/{id}/invoices", "Invoice a monthly customer for the period due as of as_of (default now); once per period",
              tag: "invoices", scope: "billing:write", request: .object(["as_of": .dateTime]), status: 201, response: .ref("Invoice"),
              errors: [400, 401, 403, 404, 409, 422]).idempotent(),
        .init("POST", "/api/v1/customers/{id}/payments",
              "Record a monthly customer's payment: allocated oldest invoice first, the rest kept as advance credit; reactivates when nothing stays overdue",
              tag: "payments", scope: "billing:write",
              request: .object(["amount": .integer, "method": .enumeration(["cash", "bank", "mobile_money"]), "reference": .text(minLength: 1, maxLength: 100),
                                "received_at": .dateTime], required: ["amount"]),
              status: 201, response: .ref("Payment"), errors: [400, 401, 403, 404, 409, 422]).idempotent(),
        .init("POST", "/api/v1/invoices/generate", "Bulk generation for the caller's tenant (its owner): every monthly customer's invoice due as of as_of (default now)",
              tag: "invoices", scope: "billing:write", request: .object(["as_of": .dateTime]),
              response: .object(["job": .string, "as_of": .dateTime, "tenants": .integer, "tenants_leased": .integer, "created": .integer,
                                 "skipped": .integer, "failed": .integer, "failures": .array(.string), "seconds": .number]),
              errors: [400, 401, 403, 409]),
        .init("POST", "/api/v1/invoices/{id}/void", "Void an invoice (the tenant's owner): its payments become advance credit, a reversal posting undoes it and the operators' charges",
              tag: "invoices", scope: "billing:write", request: .object(["reason": .text(minLength: 1, maxLength: 200)], required: ["reason"]),
              response: .ref("Invoice"), errors: [400, 401, 403, 404, 409, 422]).idempotent(),
        .init("GET", "/api/v1/customers/{id}/billing-terms", "A monthly customer's own price and discount per period", tag: "invoices",
              scope: "billing:read", response: .ref("BillingTerms"), errors: [401, 403, 404]),
        .init("PUT", "/api/v1/customers/{id}/billing-terms", "Set a monthly customer's own price (null: the package's) and discount for the invoices to come",
              tag: "invoices", scope: "billing:write",
              request: .object(["special_price": .integer, "discount": .integer, "note": .text(minLength: 1, maxLength: 200)]),
              response: .ref("BillingTerms"), errors: [400, 401, 403, 404, 422]),
        .init("GET", "/api/v1/invoices", "Invoices of the caller's scope, newest first; status is a comma list; from/to are issue dates",
              tag: "invoices", scope: "billing:read", paged: true, query: ["status", "operator_id", "customer_id", "from", "to", "format"],
              response: .page("Invoice"), errors: [400, 401, 403]),
        .init("GET", "/api/v1/invoices/{id}", "One invoice with its lines and the payments allocated to it", tag: "invoices", scope: "billing:read",
              response: .ref("Invoice"), errors: [401, 403, 404]),
        .init("GET", "/api/v1/payments", "Payments of the caller's scope, newest first; from/to are dates received", tag: "payments",
              scope: "billing:read", paged: true, query: ["operator_id", "customer_id", "from", "to", "format"], response: .page("Payment"),
              errors: [400, 401, 403]),
        .init("GET", "/api/v1/ledger", "Ledger entries of the caller's scope, newest first (format=csv for every row)", tag: "reports",
              scope: "reports:read", paged: true, query: ["account", "operator_id", "customer_id", "from", "to", "format"],
              response: .page("LedgerEntry"), errors: [400, 401, 403]),
        .init("GET", "/api/v1/reports/resellers",
              "The admin's books: per reseller, its wallet at the ISP (balance, limit, owed) and what it paid and was credited in from…to",
              tag: "reports", scope: "reports:read", query: ["from", "to", "format"],
              response: .object(["from": .string, "to": .string,
                                 "totals": .object(["balance": .integer, "owed": .integer, "charged": .integer, "credited": .integer]),
                                 "resellers": .array(.object(["reseller_id": .integer, "reseller": .string, "status": .string, "mode": .string,
                                                              "balance": .integer, "credit_limit": .integer, "available": .integer,
                                                              "owed": .integer, "charged": .integer, "credited": .integer]))]),
              errors: [400, 401, 403]),
        .init("GET", "/api/v1/reports/billing-summary", "Per operator: billed, sold (recharges), collected in from…to (local dates; default this month), outstanding now; with totals",
              tag: "reports", scope: "reports:read", query: ["from", "to", "format"],
              response: .object(["from": .string, "to": .string, "totals": .object(["billed": .integer, "sold": .integer, "collected": .integer, "outstanding": .integer]),
                                 "operators": .array(.object(["operator_id": .integer, "operator": .string, "billed": .integer, "sold": .integer,
                                                              "collected": .integer, "outstanding": .integer]))]),
              errors: [400, 401, 403]),
        .init("GET", "/api/v1/suspension-log", "Every automatic suspension with its reason, newest first", tag: "invoices", scope: "billing:read",
              paged: true, query: ["customer_id"], response: .page("Suspension"), errors: [400, 401, 403]),

        .init("POST", "/api/v1/vouchers/batches", "Create a batch of recharge cards for one validity period of a prepaid package you may sell",
              tag: "vouchers", scope: "billing:write",
              request: .object(["package_id": .integer, "count": .integer, "expires_at": .dateTime, "distributor": .text(minLength: 1, maxLength: 200),
                                "commission": .integer], required: ["package_id", "count", "expires_at"]),
              status: 201, response: .ref("VoucherBatch"), errors: [400, 401, 403, 422]).idempotent(),
        .init("GET", "/api/v1/vouchers/batches", "Voucher batches, newest first, with counts per state", tag: "vouchers", scope: "billing:read",
              paged: true, response: .page("VoucherBatch"), errors: [400, 401, 403]),
        .init("GET", "/api/v1/vouchers/batches/{id}", "One voucher batch", tag: "vouchers", scope: "billing:read",
              response: .ref("VoucherBatch"), errors: [401, 403, 404]),
        .init("GET", "/api/v1/vouchers/batches/{id}/export", "The batch's codes as CSV for printing; unissued cards become issued",
              tag: "vouchers", scope: "billing:write", response: nil, contentType: "text/csv", errors: [401, 403, 404]),
        .init("GET", "/api/v1/vouchers", "Cards (never their codes, only the last four characters)", tag: "vouchers", scope: "billing:read",
              paged: true, query: ["batch_id", "state"], response: .page("Voucher"), errors: [400, 401, 403]),
        .init("POST", "/api/v1/vouchers/redeem", "Redeem a card onto a prepaid customer: one period of its package, at most once per card",
              tag: "vouchers", scope: "billing:write", request: .object(["code": .string, "customer_id": .integer], required: ["code", "customer_id"]),
              status: 201, response: .object(["voucher": .object(["id": .integer, "batch_id": .integer, "serial": .integer, "state": .string]),
                                              "recharge": .ref("Recharge")]),
              errors: [400, 401, 403, 404, 409, 422]).idempotent(),

        .init("GET", "/api/v1/customers", "Customers of the caller's scope; default: active, newest first. q matches name, username prefix, phone, code; cf.<key>=value filters custom fields",
              tag: "customers", scope: "customers:read", paged: true,
              query: ["q", "status", "type", "zone_id", "package_id", "operator_id", "sort", "format"], response: .ref("CustomerPage"), errors: [400, 401, 403]),
        .init("GET", "/api/v1/customers/import/template", "The customer import template (CSV header and an example row; the tenant's custom fields included)",
              tag: "import", scope: "customers:read", response: nil, contentType: "text/csv", errors: [401, 403]),
        .init("POST", "/api/v1/customers/import", "Import customers from CSV (text/csv or a multipart part `file`, ≤ 50 MB): 200 when done, 202 with Location when it continues in the background",
              tag: "import", scope: "customers:write", query: ["dry_run", "strict", "mode"], request: .string, response: .ref("Import"),
              errors: [400, 401, 403, 413, 422]).upload(),
        .init("GET", "/api/v1/imports", "The caller's recent imports, newest first", tag: "import", scope: "customers:read", paged: true,
              response: .page("Import"), errors: [400, 401, 403]),
        .init("GET", "/api/v1/imports/{id}", "One import: state, progress, counts and its first errors", tag: "import", scope: "customers:read",
              response: .ref("Import"), errors: [401, 403, 404]),
        .init("GET", "/api/v1/reports/btrc", "The BTRC subscriber report for from…to (local dates, ≤ 1 year): summary and listing in the tenant's columns (the admin: every tenant); format=json|csv|xlsx",
              tag: "reports", scope: "reports:read", query: ["from", "to", "format"], response: .ref("BTRCReport"), errors: [400, 401, 403]),
        .init("GET", "/api/v1/reports/btrc/template", "The tenant's BTRC listing columns (the default when not set) and the fields a column can show",
              tag: "reports", scope: "reports:read", response: .ref("BTRCTemplate"), errors: [401, 403]),
        .init("PUT", "/api/v1/reports/btrc/template", "Set the tenant's BTRC listing columns (the tenant's owner); columns null: back to the default",
              tag: "reports", scope: "customers:write",
              request: .object(["columns": .array(.object(["key": .string, "header": .text(minLength: 1, maxLength: 100)], required: ["key", "header"]))]),
              response: .ref("BTRCTemplate"), errors: [400, 401, 403]),
        .init("GET", "/api/v1/geo/divisions", "Bangladesh's divisions (English and Bangla names)", tag: "geo", scope: "customers:read",
              response: .object(["items": .array(.object(["id": .integer, "name": .string, "name_bn": .string]))]), errors: [401, 403]),
        .init("GET", "/api/v1/geo/districts", "Bangladesh's districts (English and Bangla), of one division when division_id is given", tag: "geo",
              scope: "customers:read", query: ["division_id"],
              response: .object(["items": .array(.object(["id": .integer, "name": .string, "name_bn": .string, "division_id": .integer]))]),
              errors: [400, 401, 403]),
        .init("GET", "/api/v1/geo/upazilas", "Bangladesh's upazilas (thanas), of one district when district_id is given", tag: "geo",
              scope: "customers:read", query: ["district_id"],
              response: .object(["items": .array(.object(["id": .integer, "name": .string, "name_bn": .string, "district_id": .integer]))]),
              errors: [400, 401, 403]),
        .init("GET", "/api/v1/imports/{id}/errors.csv", "Every error of an import as CSV", tag: "import", scope: "customers:read",
              response: nil, contentType: "text/csv", errors: [401, 403, 404]),
        .init("POST", "/api/v1/customers", "Register a customer (201); type decides the required fields", tag: "customers", scope: "customers:write",
              request: customerRequest(required: ["type", "username", "full_name"]), status: 201, response: .ref("Customer"), errors: [400, 401, 403, 409, 422]),
        .init("GET", "/api/v1/customers/deleted", "Soft-deleted customers; q matches name, username, phone", tag: "customers", scope: "customers:read",
              paged: true, query: ["q"], response: .page("Customer"), errors: [400, 401, 403]),
        .init("GET", "/api/v1/customers/{id}", "One customer (404 when not visible to the caller)", tag: "customers", scope: "customers:read",
              response: .ref("Customer"), errors: [401, 403, 404]),
        .init("PATCH", "/api/v1/customers/{id}", "Edit a customer; null clears an optional field", tag: "customers", scope: "customers:write",
              request: customerRequest(required: []), response: .ref("Customer"), errors: [400, 401, 403, 404, 409, 422]),
        .init("DELETE", "/api/v1/customers/{id}", "Soft-delete a customer (username stays reserved); returns it", tag: "customers", scope: "customers:write",
              response: .ref("Customer"), errors: [401, 403, 404, 409]),
        .init("GET", "/api/v1/customers/{id}/password", "The customer's password (tenant owner only; the read is logged)", tag: "customers",
              scope: "customers:write", response: .object(["password": .string]), errors: [401, 403, 404]),
        .init("GET", "/api/v1/customers/{id}/devices", "The customer's MAC bindings", tag: "devices", scope: "customers:read",
              response: .object(["items": .array(.ref("Device"))]), errors: [401, 403, 404]),
        .init("POST", "/api/v1/customers/{id}/devices", "Bind a MAC to the customer", tag: "devices", scope: "customers:write",
              request: .object(["mac": .text(minLength: 12, maxLength: 17), "label": .text(minLength: 0, maxLength: 100)], required: ["mac"]),
              status: 201, response: .ref("Device"), errors: [400, 401, 403, 404, 409, 422]),
        .init("DELETE", "/api/v1/customers/{id}/devices/{device_id}", "Remove a MAC binding", tag: "devices", scope: "customers:write",
              status: 204, response: nil, errors: [401, 403, 404]),
        .init("GET", "/api/v1/devices", "Every MAC binding the caller may see; q matches name, username, MAC, label", tag: "devices",
              scope: "customers:read", paged: true, query: ["q"], response: .page("Device"), errors: [400, 401, 403]),
        .init("GET", "/api/v1/activity", "The activity log, newest first", tag: "activity", scope: "customers:read", paged: true,
              query: ["customer_id", "actor", "action", "from", "to"], response: .page("ActivityEntry"), errors: [400, 401, 403]),
        .init("GET", "/api/v1/admin/customers", "Search the customers of every tenant (admin)", tag: "admin", scope: "customers:read", paged: true,
              query: ["q", "tenant_id", "status"], response: .page("AdminCustomerHit"), errors: [400, 401, 403]),
        .init("GET", "/api/v1/admin/customers/{tenant_id}/{id}", "One customer of any tenant (admin); logged in that tenant's activity log",
              tag: "admin", scope: "customers:read", response: .ref("Customer"), errors: [401, 403, 404]),

        .init("GET", "/api/v1/provisioning/failed", "Customers whose provisioning failed after every attempt, newest first, with the last error",
              tag: "provisioning", scope: "customers:read", paged: true, response: .page("ProvisioningFailure"), errors: [400, 401, 403]),
        .init("POST", "/api/v1/customers/{id}/reprovision", "Queue the customer's provisioning again (202): its RADIUS rows are rewritten from its record",
              tag: "provisioning", scope: "customers:write", status: 202,
              response: .object(["customer_id": .integer, "state": .enumeration(["pending"])]), errors: [401, 403, 404]),
        .init("POST", "/api/v1/customers/{id}/disconnect",
              "End the customer's open sessions now: a RADIUS Disconnect-Request to each session's NAS; every request is recorded",
              tag: "provisioning", scope: "customers:write",
              response: .object(["customer_id": .integer, "sessions": .array(.object([
                  "username": .string, "nas_ip": .string, "acct_session_id": .string,
                  "method": .enumeration(["disconnect", "coa", "api", "none"]),
                  "result": .enumeration(["ack", "nak", "timeout", "error", "skipped"]), "detail": .string,
              ]))]), errors: [401, 403, 404]),
    ] + actionOperations + routerOperations + onlineOperations

    static let actionSummaries: [(String, String, Schema)] = [
        ("activate", "Activate (from expired, suspended or disabled; prepaid needs validity left)", .object(["reason": .string])),
        ("suspend", "Suspend an active customer", .object(["reason": .string])),
        ("disable", "Disable (administratively off)", .object(["reason": .string])),
        ("change-package", "Move to another package of the same type assigned to the customer's operator", .object(["package_id": .integer], required: ["package_id"])),
        ("change-operator", "Move to another operator of the tenant", .object(["operator_id": .integer], required: ["operator_id"])),
        ("change-billing-profile", "Give a monthly customer another billing profile", .object(["billing_profile_id": .integer], required: ["billing_profile_id"])),
        ("reset-password", "Set (or generate) a new password; the response shows it once", .object(["password": .text(minLength: 4, maxLength: 64)])),
        ("set-suspend-date", "Set or clear (null) the suspend date override", .object(["suspend_date": .string], required: ["suspend_date"])),
        ("restore", "Bring a deleted customer back, disabled with reason restored", .object([:])),
    ]

    static let bulkSummaries = ["activate", "suspend", "disable", "delete", "change-package", "change-operator", "change-billing-profile", "restore"]

    static let actionOperations: [APIOperation] = actionSummaries.map { name, summary, body in
        APIOperation("POST", "/api/v1/customers/{id}/\(name)", summary, tag: "customer-actions", scope: "customers:write", request: body,
                     response: name == "reset-password" ? .object(["customer": .ref("Customer"), "password": .string]) : .ref("Customer"),
                     errors: [400, 401, 403, 404, 409, 422])
    } + bulkSummaries.map { name in
        APIOperation("POST", "/api/v1/customers/bulk/\(name)", "Bulk \(name): up to 1,000 ids, each succeeds or fails on its own", tag: "customer-actions",
                     scope: "customers:write", request: .object(["ids": .array(.integer), "reason": .string, "package_id": .integer, "operator_id": .integer, "billing_profile_id": .integer],
                                                                     required: ["ids"]),
                     response: .ref("BulkOutcome"), errors: [400, 401, 403, 422])
    }

    static func packageRequest(required: [String]) -> Schema {
        .object([
            "name": .text(minLength: 1, maxLength: 100), "customer_type": customerType, "download_kbps": .integer, "upload_kbps": .integer,
            "burst": .object(["download_kbps": .integer, "upload_kbps": .integer, "threshold_download_kbps": .integer,
                              "threshold_upload_kbps": .integer, "time_seconds": .integer], required: ["download_kbps", "upload_kbps"]),
            "time_limit_minutes": .integer, "data_limit_mb": .integer, "validity_days": .integer, "validity_hours": .integer,
            "ip_pool": .text(minLength: 1, maxLength: 64), "suspended_pool": .text(minLength: 1, maxLength: 64), "ppp_profile": .text(minLength: 1, maxLength: 64),
            "price": .integer, "vat_profile_id": .integer, "visibility": .enumeration(["public", "private"]), "status": .enumeration(["active", "archived"]),
        ], required: required)
    }

    static func billingProfileRequest(required: [String]) -> Schema {
        .object([
            "name": .text(minLength: 1, maxLength: 100), "cycle_day": .integer, "due_days": .integer, "grace_days": .integer,
            "auto_invoice": .boolean, "auto_suspend": .boolean, "auto_reactivate": .boolean, "cycle_ends_with_month": .boolean, "vat_profile_id": .integer,
        ], required: required)
    }

    static let customerType = Schema.enumeration(["pppoe_daily", "pppoe_monthly", "hotspot", "static_monthly", "other"])
    static let address = Schema.object(["house": .string, "road": .string, "area": .string, "thana": .string, "district": .string, "division": .string])

    static func customerRequest(required: [String]) -> Schema {
        .object([
            "code": .text(minLength: 1, maxLength: 32), "type": customerType, "operator_id": .integer, "username": username,
            "password": .text(minLength: 4, maxLength: 64), "full_name": name, "phone": .text(minLength: 1, maxLength: 30), "email": email,
            "address": address, "zone_id": .integer, "package_id": .integer, "billing_profile_id": .integer, "nas_id": .integer,
            "static_ip": .string, "client_type": .enumeration(["home", "corporate", "sme"]), "connection_type": .enumeration(["wired", "wireless"]),
            "connectivity": .enumeration(["shared", "dedicated"]), "gender": .enumeration(["male", "female", "other"]),
            "nid": .text(minLength: 1, maxLength: 40), "connection_date": .string, "expires_at": .dateTime,
            "status": .enumeration(["active", "disabled"]), "custom_fields": .map(.string), "notes": .text(minLength: 1, maxLength: 5000),
        ], required: required)
    }

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
        "Package": .object([
            "id": .integer, "name": .string, "customer_type": customerType, "download_kbps": .integer, "upload_kbps": .integer,
            "burst": .object(["download_kbps": .integer, "upload_kbps": .integer, "threshold_download_kbps": .integer, "threshold_upload_kbps": .integer, "time_seconds": .integer]),
            "time_limit_minutes": .integer, "data_limit_mb": .integer, "validity_days": .integer, "validity_hours": .integer, "ip_pool": .string,
            "suspended_pool": .string, "ppp_profile": .string, "price": .integer, "currency": .string, "vat_profile_id": .integer,
            "visibility": .enumeration(["public", "private"]), "status": .enumeration(["active", "archived"]), "operator_price": .integer,
            "created_at": .dateTime, "updated_at": .dateTime,
        ]),
        "PackageAssignment": .object(["package_id": .integer, "tenant_id": .integer, "operator_id": .integer, "level": .enumeration(["reseller", "sub_reseller"]),
                                      "price": .integer, "created_at": .dateTime, "updated_at": .dateTime]),
        "Wallet": .object(["operator_id": .integer, "operator_name": .string, "mode": .enumeration(["prepaid", "postpaid"]), "balance": .integer,
                           "credit_limit": .integer, "available": .integer, "currency": .string, "updated_at": .dateTime]),
        "WalletTransfer": .object(["id": .integer, "operator_id": .integer, "kind": .enumeration(["topup", "settlement"]), "amount": .integer,
                                   "method": .enumeration(["cash", "bank", "mobile_money"]), "reference": .string, "note": .string,
                                   "balance_after": .integer, "actor": .string, "created_at": .dateTime]),
        "Recharge": .object(["id": .integer, "customer_id": .integer, "package_id": .integer, "days": .integer, "hours": .integer,
                             "expires_before": .dateTime, "expires_at": .dateTime, "customer_price": .integer, "currency": .string,
                             "payment_id": .integer, "refunded_days": .integer, "status": .string,
                             "charged": .array(.object(["level": .integer, "operator_id": .integer, "amount": .integer, "refunded": .integer]))]),
        "Invoice": .object(["id": .integer, "number": .integer, "code": .string, "customer_id": .integer, "operator_id": .integer,
                            "package_id": .integer, "period_start": .string, "period_end": .string, "issued_on": .string, "due_on": .string,
                            "lines": .array(.object(["kind": .enumeration(["package", "discount", "vat"]), "description": .string, "amount": .integer])),
                            "subtotal": .integer, "discount": .integer, "vat": .integer, "total": .integer, "paid": .integer, "balance_due": .integer,
                            "status": .enumeration(["unpaid", "partial", "paid", "void"]), "currency": .string, "created_at": .dateTime]),
        "BillingTerms": .object(["customer_id": .integer, "special_price": .integer, "discount": .integer, "note": .string,
                                 "updated_at": .dateTime, "updated_by": .string]),
        "Payment": .object(["id": .integer, "customer_id": .integer, "operator_id": .integer, "amount": .integer, "method": .string,
                            "reference": .string, "received_at": .dateTime, "advance_credit": .integer, "reactivated": .boolean,
                            "allocations": .array(.object(["invoice_id": .integer, "number": .integer, "amount": .integer]))]),
        "Suspension": .object(["id": .integer, "customer_id": .integer, "operator_id": .integer, "reason": .enumeration(["invoice_overdue", "suspend_date"]),
                               "invoice_id": .integer, "suspended_at": .dateTime, "reactivated_at": .dateTime, "reactivated_by": .string]),
        "VoucherBatch": .object(["id": .integer, "operator_id": .integer, "package_id": .integer, "count": .integer, "value": .integer,
                                 "currency": .string, "distributor": .string, "commission": .integer, "expires_at": .dateTime,
                                 "states": .map(.integer), "created_at": .dateTime]),
        "Voucher": .object(["id": .integer, "batch_id": .integer, "serial": .integer, "code_hint": .string,
                            "state": .enumeration(["unissued", "issued", "used", "expired"]), "expires_at": .dateTime, "issued_at": .dateTime,
                            "used_at": .dateTime, "customer_id": .integer, "recharge_id": .integer]),
        "LedgerEntry": .object(["id": .integer, "posting_id": .integer, "account": .string, "operator_id": .integer, "customer_id": .integer,
                                "amount": .integer, "currency": .string, "kind": .string, "method": .string, "source_type": .string,
                                "source_id": .integer, "actor": .string, "created_at": .dateTime]),
        "BillingProfile": .object(["id": .integer, "name": .string, "cycle_day": .integer, "due_days": .integer, "grace_days": .integer,
                                   "auto_invoice": .boolean, "auto_suspend": .boolean, "auto_reactivate": .boolean, "cycle_ends_with_month": .boolean,
                                   "vat_profile_id": .integer, "created_at": .dateTime, "updated_at": .dateTime]),
        "Customer": .object([
            "id": .integer, "code": .string, "type": customerType, "operator_id": .integer, "username": .string, "full_name": .string,
            "phone": .string, "email": .string, "address": address, "zone_id": .integer, "zone_name": .string, "package_id": .integer,
            "package_name": .string, "billing_profile_id": .integer, "nas_id": .integer, "static_ip": .string, "client_type": .string,
            "connection_type": .string, "connectivity": .string, "gender": .string, "nid": .string, "connection_date": .string,
            "expires_at": .dateTime, "suspend_date": .string, "status": .enumeration(["active", "expired", "suspended", "disabled"]),
            "status_reason": .string, "custom_fields": .map(.string), "notes": .string, "created_at": .dateTime, "created_by": .string,
            "updated_at": .dateTime, "updated_by": .string, "deleted_at": .dateTime, "deleted_by": .string,
            "online": .boolean, "provisioning": .ref("ProvisioningState"),
        ]),
        "BTRCReport": .object([
            "from": .string, "to": .string, "columns": .array(.object(["key": .string, "header": .string])), "rows": .array(.array(.string)),
            "summary": .object([
                "active_at_end": .integer, "new": .integer, "disconnected": .integer,
                "by_connection_type": .array(.object(["key": .string, "count": .integer])), "by_package": .array(.object(["key": .string, "count": .integer])),
                "by_bandwidth": .array(.object(["key": .string, "count": .integer])), "by_zone": .array(.object(["key": .string, "count": .integer])),
                "by_division": .array(.object(["key": .string, "count": .integer])), "by_district": .array(.object(["key": .string, "count": .integer])),
                "by_gender": .array(.object(["key": .string, "count": .integer])), "by_operator": .array(.object(["key": .string, "count": .integer])),
            ]),
        ]),
        "BTRCTemplate": .object(["columns": .array(.object(["key": .string, "header": .string])), "default": .boolean, "fields": .array(.string)]),
        "Import": .object([
            "id": .integer, "state": .enumeration(["importing", "done", "failed"]), "dry_run": .boolean, "strict": .boolean, "mode": .string,
            "total": .integer, "valid": .integer, "imported": .integer, "updated": .integer, "skipped_existing": .integer,
            "error_count": .integer, "unknown_columns": .array(.string), "message": .string, "file_name": .string,
            "created_at": .dateTime, "finished_at": .dateTime, "rows_done": .integer, "errors_csv": .string,
            "errors": .array(.object(["line": .integer, "column": .string, "value": .string, "code": .string, "message": .string])),
        ]),
        "ProvisioningState": .object([
            "state": .enumeration(["in_sync", "pending", "failed"]), "attempts": .integer, "last_error": .string,
            "requested_version": .integer, "applied_version": .integer, "next_attempt_at": .dateTime, "updated_at": .dateTime,
        ]),
        "ProvisioningFailure": .object([
            "customer_id": .integer, "code": .string, "username": .string, "full_name": .string, "attempts": .integer,
            "last_error": .string, "updated_at": .dateTime,
        ]),
        "CustomerPage": .object(["items": .array(.ref("Customer")), "page": .integer, "per_page": .integer, "total": .integer,
                                 "counts": .object(["active": .integer, "expired": .integer, "suspended": .integer, "disabled": .integer])],
                                required: ["items", "page", "per_page", "total", "counts"]),
        "BulkOutcome": .object(["results": .array(.object(["id": .integer, "ok": .boolean, "status": .string, "error": .object(["code": .string, "message": .string, "details": .map(.string)])])),
                                "succeeded": .integer, "failed": .integer]),
        "Device": .object(["id": .integer, "customer_id": .integer, "customer_name": .string, "username": .string, "mac": .string,
                           "label": .string, "added_by": .string, "added_at": .dateTime]),
        "ActivityEntry": .object(["id": .integer, "occurred_at": .dateTime, "operator_id": .integer, "customer_id": .integer, "action": .string,
                                  "actor": .string, "actor_user_id": .integer, "actor_token_id": .integer, "changes": .object([:]),
                                  "request_id": .string, "client_ip": .string]),
        "AdminCustomerHit": .object(["tenant_id": .integer, "tenant_name": .string, "customer_id": .integer, "operator_id": .integer, "code": .string,
                                     "username": .string, "full_name": .string, "phone": .string, "type": .string, "status": .string,
                                     "deleted": .boolean, "created_at": .dateTime]),
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
                "schemas": schemas.merging(routerSchemas) { current, _ in current }.mapValues(\.rendered),
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
    /// Moves money: requires an `Idempotency-Key` header.
    var needsIdempotencyKey = false
    /// The request body's media type.
    var requestContentType = "application/json"

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

    func idempotent() -> APIOperation {
        var copy = self
        copy.needsIdempotencyKey = true
        return copy
    }

    /// A file upload: the body is CSV text.
    func upload() -> APIOperation {
        var copy = self
        copy.requestContentType = "text/csv"
        return copy
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
        if needsIdempotencyKey {
            parameters.append([
                "name": "Idempotency-Key", "in": "header", "required": true,
                "description": "A retry with the same key answers the first result (header Idempotent-Replayed: true) and moves no money again",
                "schema": ["type": "string", "minLength": 1, "maxLength": 200],
            ])
        }
        if !parameters.isEmpty { operation["parameters"] = parameters }
        if auth {
            operation["security"] = [["bearer": [String]()]]
        } else {
            operation["security"] = [[String: [String]]]()
        }
        if let scope { operation["x-required-scope"] = scope }
        if let request {
            operation["requestBody"] = ["required": true, "content": [requestContentType: ["schema": request.rendered]]]
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
    case string, integer, number, boolean, dateTime
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
        case .number: ["type": "number"]
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
