import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Platform

/// Gives each request an id (`X-Request-Id`, taken from the client when it is a sane token) and writes one
/// log line per request with method, path, status, duration, tenant and principal.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.requestID = Self.requestID(from: request)
        context.logger[metadataKey: "request.id"] = "\(context.requestID)"
        let start = ContinuousClock.now
        var response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        if let name = HTTPField.Name("X-Request-Id") { response.headers[name] = context.requestID }
        context.logger.info(
            "request",
            metadata: [
                "http.method": "\(request.method.rawValue)",
                "http.path": "\(request.uri.path)",
                "http.status": "\(response.status.code)",
                "duration.ms": "\(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)",
                "client.ip": "\(context.clientIP)",
            ]
        )
        return response
    }

    private static func requestID(from request: Request) -> String {
        if let name = HTTPField.Name("X-Request-Id"), let given = request.headers[name], (8...64).contains(given.count),
           given.unicodeScalars.allSatisfy({ ($0.value >= 48 && $0.value <= 57) || ($0.value >= 65 && $0.value <= 90) || ($0.value >= 97 && $0.value <= 122) || $0 == "-" || $0 == "_" }) {
            return given
        }
        return Secrets.hex(Secrets.randomBytes(8))
    }
}
