import Foundation
import Hummingbird
import Platform

/// `/api/v1/auth/*`, `/api/v1/tokens`, `/api/v1/resellers`, `/api/v1/operators`.
package struct AuthRoutes: Sendable {
    let auth: AuthService

    package init(auth: AuthService) { self.auth = auth }

    package func register(on api: RouterGroup<AppRequestContext>) {
        api.post("auth/login", use: login)
        api.post("auth/logout", use: logout)
        api.post("auth/logout-all", use: logoutAll)
        api.get("auth/me", use: me)

        api.get("tokens", use: listTokens)
        api.post("tokens", use: createToken)
        api.delete("tokens/{id}", use: revokeToken)

        api.get("resellers", use: listResellers)
        api.post("resellers", use: createReseller)
        api.get("resellers/{id}", use: reseller)
        api.patch("resellers/{id}", use: updateReseller)

        api.get("operators", use: listOperators)
        api.post("operators", use: createOperator)
        api.get("operators/{id}", use: operatorByID)
        api.patch("operators/{id}", use: updateOperator)
    }

    struct LoginRequest: Decodable {
        var username: String
        var password: String
    }

    @Sendable func login(_ request: Request, context: AppRequestContext) async throws -> LoginResult {
        let body = try await request.decodeBody(as: LoginRequest.self, context: context)
        return try await auth.login(username: body.username, password: body.password, clientIP: context.clientIP)
    }

    @Sendable func logout(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        try await auth.logout(context.requirePrincipal())
        return .noContent
    }

    struct LogoutAllResponse: ResponseEncodable {
        var sessionsEnded: Int
        enum CodingKeys: String, CodingKey { case sessionsEnded = "sessions_ended" }
    }

    @Sendable func logoutAll(_ request: Request, context: AppRequestContext) async throws -> LogoutAllResponse {
        LogoutAllResponse(sessionsEnded: try await auth.logoutAll(context.requirePrincipal()))
    }

    struct MeResponse: ResponseEncodable {
        var user: UserSummary
        var scopes: [Permission]
        var credential: String
    }

    @Sendable func me(_ request: Request, context: AppRequestContext) async throws -> MeResponse {
        let principal = try context.requirePrincipal()
        let credential = if case .token = principal.credential { "token" } else { "session" }
        return MeResponse(
            user: UserSummary(id: principal.userID, username: principal.username, role: principal.role, tenantID: principal.tenantID, operatorID: principal.operatorID),
            scopes: principal.permissions.sorted(),
            credential: credential
        )
    }

    struct CreateTokenRequest: Decodable {
        var name: String
        var scopes: [String]
        var expiresInDays: Int?
        enum CodingKeys: String, CodingKey {
            case name, scopes
            case expiresInDays = "expires_in_days"
        }
    }

    @Sendable func createToken(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<CreatedToken> {
        let principal = try context.require(.tokensWrite)
        let body = try await request.decodeBody(as: CreateTokenRequest.self, context: context)
        let token = try await auth.createToken(for: principal, name: body.name, scopes: body.scopes, expiresInDays: body.expiresInDays)
        return EditedResponse(status: .created, response: token)
    }

    @Sendable func listTokens(_ request: Request, context: AppRequestContext) async throws -> Page<APIToken> {
        let principal = try context.requirePrincipal()
        return try await auth.listTokens(for: principal, page: try pageRequest(request))
    }

    @Sendable func revokeToken(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let principal = try context.require(.tokensWrite)
        try await auth.revokeToken(id: try context.parameters.requireID("id"), for: principal)
        return .noContent
    }

    struct CreateResellerRequest: Decodable {
        var name: String
        var slug: String
        var owner: LoginFields
    }

    struct LoginFields: Decodable {
        var username: String
        var password: String
        var email: String?
    }

    @Sendable func createReseller(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<CreatedReseller> {
        let principal = try context.requireAdmin()
        let body = try await request.decodeBody(as: CreateResellerRequest.self, context: context)
        let created = try await auth.createReseller(
            by: principal, name: body.name, slug: body.slug,
            owner: NewLogin(username: body.owner.username, password: body.owner.password, email: body.owner.email)
        )
        return EditedResponse(status: .created, response: created)
    }

    @Sendable func listResellers(_ request: Request, context: AppRequestContext) async throws -> Page<Tenant> {
        let principal = try context.requireAdmin()
        return try await auth.listResellers(by: principal, page: try pageRequest(request))
    }

    @Sendable func reseller(_ request: Request, context: AppRequestContext) async throws -> Tenant {
        let principal = try context.requireAdmin()
        return try await auth.reseller(id: try context.parameters.requireID("id"), by: principal)
    }

    struct UpdateResellerRequest: Decodable {
        var name: String?
        var status: String?
    }

    @Sendable func updateReseller(_ request: Request, context: AppRequestContext) async throws -> Tenant {
        let principal = try context.requireAdmin()
        let id = try context.parameters.requireID("id")
        let body = try await request.decodeBody(as: UpdateResellerRequest.self, context: context)
        let status = try body.status.map { text in
            guard let status = Tenant.Status(rawValue: text) else {
                throw PlatformError.invalidInput(field: "status", reason: "must be active or suspended")
            }
            return status
        }
        guard body.name != nil || status != nil else {
            throw PlatformError.invalidInput(field: "body", reason: "nothing to change: give name and/or status")
        }
        return try await auth.updateReseller(id: id, by: principal, name: body.name, status: status)
    }

    struct CreateOperatorRequest: Decodable {
        var name: String
        var username: String
        var password: String
        var email: String?
    }

    @Sendable func listOperators(_ request: Request, context: AppRequestContext) async throws -> Page<Operator> {
        let principal = try context.requirePrincipal()
        return try await auth.listOperators(for: principal, page: try pageRequest(request))
    }

    @Sendable func operatorByID(_ request: Request, context: AppRequestContext) async throws -> Operator {
        let principal = try context.requirePrincipal()
        return try await auth.operator(id: try context.parameters.requireID("id"), for: principal)
    }

    @Sendable func createOperator(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Operator> {
        let principal = try context.require(.operatorsWrite)
        let body = try await request.decodeBody(as: CreateOperatorRequest.self, context: context)
        let created = try await auth.createOperator(
            by: principal, name: body.name,
            login: NewLogin(username: body.username, password: body.password, email: body.email)
        )
        return EditedResponse(status: .created, response: created)
    }

    struct UpdateOperatorRequest: Decodable {
        var name: String?
        var status: String?
    }

    @Sendable func updateOperator(_ request: Request, context: AppRequestContext) async throws -> Operator {
        let principal = try context.require(.operatorsWrite)
        let id = try context.parameters.requireID("id")
        let body = try await request.decodeBody(as: UpdateOperatorRequest.self, context: context)
        return try await auth.updateOperator(id: id, by: principal, name: body.name, status: body.status)
    }

    private func pageRequest(_ request: Request) throws -> PageRequest {
        try PageRequest(page: request.uri.queryParameters.get("page"), perPage: request.uri.queryParameters.get("per_page"))
    }
}

extension LoginResult: ResponseEncodable {}
extension CreatedToken: ResponseEncodable {}
extension CreatedReseller: ResponseEncodable {}
extension Operator: ResponseEncodable {}
