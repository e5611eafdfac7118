import Foundation
import AuthService
import Hummingbird
import Logging
import Platform

/// Reads `Authorization: Bearer …` (a session or an API token) and puts the principal in the context.
/// A missing header leaves the context anonymous (routes that need a caller answer 401); a bad one is a 401 here.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let auth: AuthService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            return try await next(request, context)
        }
        guard header.count > 7, header.prefix(7).lowercased() == "bearer " else { throw AuthError.invalidToken }
        let principal = try await auth.authenticate(bearer: String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces))
        var context = context
        context.principal = principal
        context.logger[metadataKey: "tenant.id"] = "\(principal.tenantID)"
        context.logger[metadataKey: "user.id"] = "\(principal.userID)"
        return try await next(request, context)
    }
}
