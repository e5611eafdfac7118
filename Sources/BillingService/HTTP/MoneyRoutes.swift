import Foundation
import Hummingbird
import Platform

/// Wallets, prepaid recharges, invoices and payments:
/// `/api/v1/wallet`, `/api/v1/operators/{id}/wallet[/topups|/transfers]`,
/// `/api/v1/resellers/{id}/wallet[/topups|/transfers]`, `/api/v1/customers/{id}/recharge[s]`,
/// `/api/v1/customers/{id}/invoices`, `/api/v1/customers/{id}/payments`, `/api/v1/invoices[/{id}]`,
/// `/api/v1/payments`, `/api/v1/suspension-log`.
/// Every request that moves money requires an `Idempotency-Key` header.
package struct MoneyRoutes: Sendable {
    let billing: BillingService

    package init(billing: BillingService) { self.billing = billing }

    package func register(on api: RouterGroup<AppRequestContext>) {
        api.get("wallet", use: ownWallet)
        api.get("operators/{id}/wallet", use: operatorWallet)
        api.patch("operators/{id}/wallet", use: updateOperatorWallet)
        api.post("operators/{id}/wallet/topups", use: fundOperator)
        api.get("operators/{id}/wallet/transfers", use: operatorTransfers)
        api.get("resellers/{id}/wallet", use: resellerWallet)
        api.patch("resellers/{id}/wallet", use: updateResellerWallet)
        api.post("resellers/{id}/wallet/topups", use: fundReseller)
        api.get("resellers/{id}/wallet/transfers", use: resellerTransfers)
        api.post("customers/{id}/recharge", use: recharge)
        api.get("customers/{id}/recharges", use: recharges)
        api.post("customers/{id}/invoices", use: createInvoice)
        api.post("invoices/generate", use: generateInvoices)
        api.post("invoices/{id}/void", use: voidInvoice)
        api.get("customers/{id}/billing-terms", use: billingTerms)
        api.put("customers/{id}/billing-terms", use: setBillingTerms)
        api.post("customers/{id}/payments", use: recordPayment)
        api.get("invoices", use: invoices)
        api.get("invoices/{id}", use: invoice)
        api.get("payments", use: payments)
        api.get("suspension-log", use: suspensionLog)
        api.get("ledger", use: ledger)
        api.get("reports/billing-summary", use: billingSummary)
        api.get("reports/resellers", use: resellerBooks)
        api.post("vouchers/batches", use: createVoucherBatch)
        api.get("vouchers/batches", use: voucherBatches)
        api.get("vouchers/batches/{id}", use: voucherBatch)
        api.get("vouchers/batches/{id}/export", use: exportVoucherBatch)
        api.get("vouchers", use: vouchers)
        api.post("vouchers/redeem", use: redeemVoucher)
    }

    @Sendable func createVoucherBatch(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        try await Self.moneyRequest(request, context, VoucherBatchInput.self) { actor, _, input, key, body in
            try await billing.createVoucherBatch(by: actor, input, key: key, body: body)
        }
    }

    @Sendable func voucherBatches(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        let principal = try context.require(.billingRead)
        return RawJSONResponse(bytes: try await billing.voucherBatches(for: principal, page: try Self.page(request)))
    }

    @Sendable func voucherBatch(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        let principal = try context.require(.billingRead)
        return RawJSONResponse(bytes: try await billing.voucherBatch(id: try context.parameters.requireID("id"), for: principal))
    }

    @Sendable func exportVoucherBatch(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        let principal = try context.require(.billingWrite)
        let id = try context.parameters.requireID("id")
        return RawJSONResponse(bytes: try await billing.exportVoucherBatch(id: id, for: principal),
                               contentType: "text/csv; charset=utf-8", attachmentName: "vouchers-\(id).csv")
    }

    @Sendable func vouchers(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        let principal = try context.require(.billingRead)
        let query = request.uri.queryParameters
        return RawJSONResponse(bytes: try await billing.vouchers(for: principal, batchID: query.get("batch_id"), state: query.get("state"),
                                                                  page: try Self.page(request)))
    }

    @Sendable func redeemVoucher(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        try await Self.moneyRequest(request, context, RedeemInput.self) { actor, _, input, key, body in
            try await billing.redeemVoucher(by: actor, input, key: key, body: body)
        }
    }

    static func filter(_ request: Request) -> MoneyListFilter {
        let query = request.uri.queryParameters
        return MoneyListFilter(
            status: query.get("status"), operatorID: query.get("operator_id"), customerID: query.get("customer_id"),
            from: query.get("from"), to: query.get("to")
        )
    }

    @Sendable func createInvoice(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        try await Self.moneyRequest(request, context, ManualInvoiceInput.self, id: "id") { actor, id, input, key, body in
            try await billing.createInvoice(customerID: id, by: actor, input, key: key, body: body)
        }
    }

    struct GenerateInput: Decodable {
        var asOf: String?
        enum CodingKeys: String, CodingKey { case asOf = "as_of" }
    }

    /// Bulk generation for the caller's tenant: every monthly customer's invoice due as of `as_of` (default
    /// now), as the scheduler would; answers the run report.
    @Sendable func generateInvoices(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<JobReport> {
        let principal = try context.require(.billingWrite)
        let input = try await request.decodeBodyAndBytes(as: GenerateInput.self, context: context).0
        let asOf = try input.asOf.map { try Validate.timestamp($0, field: "as_of") }
        return EditedResponse(status: .ok, response: try await billing.runForOwnTenant(.generateInvoices, asOf: asOf, by: principal))
    }

    @Sendable func voidInvoice(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        try await Self.moneyRequest(request, context, VoidInput.self, id: "id") { actor, id, input, key, body in
            try await billing.voidInvoice(id: id, by: actor, input, key: key, body: body)
        }
    }

    @Sendable func billingTerms(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        let principal = try context.require(.billingRead)
        return RawJSONResponse(bytes: try await billing.billingTerms(customerID: try context.parameters.requireID("id"), for: principal))
    }

    @Sendable func setBillingTerms(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        let actor = try Self.actor(context, .billingWrite)
        let id = try context.parameters.requireID("id")
        let input = try await request.decodeInput(BillingTermsInput.self, context: context)
        return RawJSONResponse(bytes: try await billing.setBillingTerms(customerID: id, by: actor, input))
    }

    @Sendable func recordPayment(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        try await Self.moneyRequest(request, context, PaymentInput.self, id: "id") { actor, id, input, key, body in
            try await billing.recordPayment(customerID: id, by: actor, input, key: key, body: body)
        }
    }

    /// JSON, or CSV with `?format=csv` (a download).
    static func formatted(_ bytes: [UInt8], _ format: ReportFormat, name: String) -> RawJSONResponse {
        switch format {
        case .json: RawJSONResponse(bytes: bytes)
        case .csv: RawJSONResponse(bytes: bytes, contentType: "text/csv; charset=utf-8", attachmentName: "\(name).csv")
        }
    }

    @Sendable func invoices(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        let principal = try context.require(.billingRead)
        let format = try ReportFormat.parse(request.uri.queryParameters.get("format"))
        let bytes = try await billing.invoices(for: principal, Self.filter(request), page: try Self.page(request), format: format)
        return Self.formatted(bytes, format, name: "invoices")
    }

    @Sendable func ledger(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        let principal = try context.require(.reportsRead)
        let query = request.uri.queryParameters
        let format = try ReportFormat.parse(query.get("format"))
        let bytes = try await billing.ledger(for: principal, account: query.get("account"), Self.filter(request), page: try Self.page(request), format: format)
        return Self.formatted(bytes, format, name: "ledger")
    }

    @Sendable func billingSummary(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        let principal = try context.require(.reportsRead)
        let query = request.uri.queryParameters
        let format = try ReportFormat.parse(query.get("format"))
        let bytes = try await billing.billingSummary(for: principal, from: query.get("from"), to: query.get("to"), format: format)
        return Self.formatted(bytes, format, name: "billing-summary")
    }

    @Sendable func invoice(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        let principal = try context.require(.billingRead)
        return RawJSONResponse(bytes: try await billing.invoice(id: try context.parameters.requireID("id"), for: principal))
    }

    @Sendable func resellerBooks(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        let principal = try context.require(.reportsRead)
        let query = request.uri.queryParameters
        let format = try ReportFormat.parse(query.get("format"))
        let bytes = try await billing.resellerBooks(for: principal, from: query.get("from"), to: query.get("to"), format: format)
        return Self.formatted(bytes, format, name: "resellers")
    }

    @Sendable func payments(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        let principal = try context.require(.billingRead)
        let format = try ReportFormat.parse(request.uri.queryParameters.get("format"))
        let bytes = try await billing.payments(for: principal, Self.filter(request), page: try Self.page(request), format: format)
        return Self.formatted(bytes, format, name: "payments")
    }

    @Sendable func suspensionLog(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        let principal = try context.require(.billingRead)
        let customer = request.uri.queryParameters.get("customer_id")
        return RawJSONResponse(bytes: try await billing.suspensionLog(for: principal, customerID: customer, page: try Self.page(request)))
    }

    static func actor(_ context: AppRequestContext, _ permission: Permission) throws -> Actor {
        Actor(principal: try context.require(permission), requestID: context.requestID, clientIP: context.clientIP)
    }

    static func page(_ request: Request) throws -> PageRequest {
        try PageRequest(page: request.uri.queryParameters.get("page"), perPage: request.uri.queryParameters.get("per_page"))
    }

    static func response(_ result: MoneyResult) -> RawJSONResponse {
        RawJSONResponse(status: HTTPResponse.Status(code: result.status), bytes: result.body, replayed: result.replayed)
    }

    /// A money-moving POST: the caller (with `billing:write`), the path's object id when `id` names it, the
    /// `Idempotency-Key`, the body decoded and kept as bytes for the key's request hash; answers the result
    /// as stored with the key.
    static func moneyRequest<Input: Decodable>(
        _ request: Request, _ context: AppRequestContext, _ type: Input.Type, id name: String? = nil,
        _ work: (Actor, Int64, Input, String, Data) async throws -> MoneyResult
    ) async throws -> RawJSONResponse {
        let actor = try actor(context, .billingWrite)
        let id = try name.map { try context.parameters.requireID($0) } ?? 0
        let key = try request.idempotencyKey()
        let (input, body) = try await request.decodeBodyAndBytes(as: type, context: context)
        return response(try await work(actor, id, input, key, body))
    }

    @Sendable func ownWallet(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        RawJSONResponse(bytes: try await billing.ownWallet(for: try context.require(.billingRead)))
    }

    @Sendable func operatorWallet(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        let principal = try context.require(.billingRead)
        return RawJSONResponse(bytes: try await billing.operatorWallet(id: try context.parameters.requireID("id"), for: principal))
    }

    @Sendable func updateOperatorWallet(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        let principal = try context.require(.billingWrite)
        let id = try context.parameters.requireID("id")
        let input = try await request.decodeBody(as: WalletSettingsInput.self, context: context)
        return RawJSONResponse(bytes: try await billing.updateOperatorWallet(id: id, by: principal, input))
    }

    @Sendable func fundOperator(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        try await Self.moneyRequest(request, context, TopUpInput.self, id: "id") { actor, id, input, key, body in
            try await billing.fundOperatorWallet(id: id, by: actor, input, key: key, body: body)
        }
    }

    @Sendable func operatorTransfers(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        let principal = try context.require(.billingRead)
        let id = try context.parameters.requireID("id")
        return RawJSONResponse(bytes: try await billing.walletTransfers(operatorID: id, resellerID: nil, for: principal, page: try Self.page(request)))
    }

    @Sendable func resellerWallet(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        let principal = try context.require(.billingRead)
        return RawJSONResponse(bytes: try await billing.resellerWallet(tenantID: try context.parameters.requireID("id"), for: principal))
    }

    @Sendable func updateResellerWallet(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        let principal = try context.require(.billingWrite)
        let id = try context.parameters.requireID("id")
        let input = try await request.decodeBody(as: WalletSettingsInput.self, context: context)
        return RawJSONResponse(bytes: try await billing.updateResellerWallet(tenantID: id, by: principal, input))
    }

    @Sendable func fundReseller(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        try await Self.moneyRequest(request, context, TopUpInput.self, id: "id") { actor, id, input, key, body in
            try await billing.fundResellerWallet(tenantID: id, by: actor, input, key: key, body: body)
        }
    }

    @Sendable func resellerTransfers(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        let principal = try context.require(.billingRead)
        let id = try context.parameters.requireID("id")
        return RawJSONResponse(bytes: try await billing.walletTransfers(operatorID: nil, resellerID: id, for: principal, page: try Self.page(request)))
    }

    @Sendable func recharge(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        try await Self.moneyRequest(request, context, RechargeInput.self, id: "id") { actor, id, input, key, body in
            try await billing.recharge(customerID: id, by: actor, input, key: key, body: body)
        }
    }

    @Sendable func recharges(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        let principal = try context.require(.billingRead)
        let id = try context.parameters.requireID("id")
        return RawJSONResponse(bytes: try await billing.recharges(customerID: id, for: principal, page: try Self.page(request)))
    }
}
