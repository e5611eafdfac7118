import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Platform

/// Turns every error into `{"error": {"code", "message", "details"}}` with the right status, once, here.
/// Unknown errors become a generic 500 and are logged once with the error in metadata; 4xx log at debug.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return Self.response(for: error, context: context)
        }
    }

    struct ErrorBody: Encodable {
        var error: Payload
        struct Payload: Encodable {
            var code: String
            var message: String
            var details: [String: String]
        }
    }

    static func response(for error: any Error, context: Context) -> Response {
        let status: HTTPResponse.Status
        let payload: ErrorBody.Payload
        var headers = HTTPFields()
        switch error {
        case let error as any ServiceError:
            status = error.kind.status
            payload = .init(code: error.code, message: error.message, details: error.details)
            if let retryAfter = error.details["retry_after"], let name = HTTPField.Name("Retry-After") {
                headers[name] = retryAfter
            }
            if error.kind == .internal {
                context.logger.error("request failed", metadata: ["error": "\(error)", "request.id": "\(context.requestID)"])
            } else {
                context.logger.debug("request rejected", metadata: ["error.code": "\(error.code)"])
            }
        case let error as any HTTPResponseError:
            status = error.status
            payload = .init(code: Self.code(for: error.status), message: error.status.reasonPhrase.lowercased(), details: [:])
            context.logger.debug("request rejected", metadata: ["status": "\(error.status.code)"])
        case is DecodingError:
            status = .badRequest
            payload = .init(code: "invalid_input", message: "the request body is not valid", details: [:])
        default:
            status = .internalServerError
            payload = .init(code: "internal_error", message: "internal error", details: [:])
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))", "request.id": "\(context.requestID)"])
        }
        headers[.contentType] = "application/json; charset=utf-8"
        let data = (try? AppJSON.encoder.encode(ErrorBody(error: payload))) ?? Data(#"{"error":{"code":"internal_error","message":"internal error","details":{}}}"#.utf8)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "invalid_input"
        case 401: "unauthenticated"
        case 403: "forbidden"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 413: "payload_too_large"
        case 415: "unsupported_media_type"
        default: status.code >= 500 ? "internal_error" : "invalid_request"
        }
    }
}
