import Foundation
import Hummingbird
import Platform

/// Wallets and prepaid recharges:
/// `/api/v1/wallet`, `/api/v1/operators/{id}/wallet[/topups|/transfers]`,
/// `/api/v1/resellers/{id}/wallet[/topups|/transfers]`, `/api/v1/customers/{id}/recharge[s]`.
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
        let actor = try Self.actor(context, .billingWrite)
        let id = try context.parameters.requireID("id")
        let key = try request.idempotencyKey()
        let (input, body) = try await request.decodeBodyAndBytes(as: TopUpInput.self, context: context)
        return Self.response(try await billing.fundOperatorWallet(id: id, by: actor, input, key: key, body: body))
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
        let actor = try Self.actor(context, .billingWrite)
        let id = try context.parameters.requireID("id")
        let key = try request.idempotencyKey()
        let (input, body) = try await request.decodeBodyAndBytes(as: TopUpInput.self, context: context)
        return Self.response(try await billing.fundResellerWallet(tenantID: id, by: actor, input, key: key, body: body))
    }

    @Sendable func resellerTransfers(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        let principal = try context.require(.billingRead)
        let id = try context.parameters.requireID("id")
        return RawJSONResponse(bytes: try await billing.walletTransfers(operatorID: nil, resellerID: id, for: principal, page: try Self.page(request)))
    }

    @Sendable func recharge(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        let actor = try Self.actor(context, .billingWrite)
        let id = try context.parameters.requireID("id")
        let key = try request.idempotencyKey()
        let (input, body) = try await request.decodeBodyAndBytes(as: RechargeInput.self, context: context)
        return Self.response(try await billing.recharge(customerID: id, by: actor, input, key: key, body: body))
    }

    @Sendable func recharges(_ request: Request, context: AppRequestContext) async throws -> RawJSONResponse {
        let principal = try context.require(.billingRead)
        let id = try context.parameters.requireID("id")
        return RawJSONResponse(bytes: try await billing.recharges(customerID: id, for: principal, page: try Self.page(request)))
    }
}
