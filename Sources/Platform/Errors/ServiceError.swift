import HTTPTypes

/// What went wrong, in the terms the HTTP layer maps to a status once, in the router's error middleware.
package enum ErrorKind: String, Sendable {
    case invalidInput
    case unauthenticated
    case forbidden
    case notFound
    case conflict
    /// Well-formed but not acceptable (a type's required field missing, a package not sold to the caller).
    case unprocessable
    case tooManyRequests
    case payloadTooLarge
    case unavailable
    case `internal`

    /// The HTTP status of this kind, for the API's error body and the panel's error page alike.
    package var status: HTTPResponse.Status {
        switch self {
        case .invalidInput: .badRequest
        case .unauthenticated: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .unprocessable: .unprocessableContent
        case .tooManyRequests: .tooManyRequests
        case .payloadTooLarge: .contentTooLarge
        case .unavailable: .serviceUnavailable
        case .internal: .internalServerError
        }
    }
}

/// Every module's error enum conforms to this: a stable `code`, a message safe to show a client, a kind.
package protocol ServiceError: Error, Sendable {
    /// Stable, snake_case, documented (`invalid_credentials`, `customer.username_taken`).
    var code: String { get }
    /// Safe for clients: never SQL text, never a secret.
    var message: String { get }
    var kind: ErrorKind { get }
    /// Extra structured facts for the client (field names, limits).
    var details: [String: String] { get }
}

extension ServiceError {
    package var details: [String: String] { [:] }
}

/// Errors raised by the shared plumbing and by generic input checks.
package enum PlatformError: ServiceError, Equatable {
    case invalidInput(field: String, reason: String)
    case notFound(String)
    case conflict(code: String, message: String)
    /// 422: the request is well-formed but `field` makes it unacceptable; `code` says why (`missing_field` …).
    case unprocessable(field: String, code: String, reason: String)
    case unavailable(String)
    case tooManyRequests(retryAfterSeconds: Int)
    case payloadTooLarge(limitBytes: Int)
    case unauthenticated
    case forbidden(String)
    case internalError(String)

    package var code: String {
        switch self {
        case .invalidInput: "invalid_input"
        case .notFound: "not_found"
        case .conflict(let code, _): code
        case .unprocessable(_, let code, _): code
        case .unavailable: "service_unavailable"
        case .tooManyRequests: "too_many_requests"
        case .payloadTooLarge: "payload_too_large"
        case .unauthenticated: "unauthenticated"
        case .forbidden: "forbidden"
        case .internalError: "internal_error"
        }
    }

    package var message: String {
        switch self {
        case .invalidInput(let field, let reason): "\(field): \(reason)"
        case .notFound(let what): "\(what) not found"
        case .conflict(_, let message): message
        case .unprocessable(let field, _, let reason): "\(field): \(reason)"
        case .unavailable(let what): "\(what) is unavailable, try again shortly"
        case .tooManyRequests: "too many attempts, try again later"
        case .payloadTooLarge(let limit): "the request body is larger than \(limit) bytes"
        case .unauthenticated: "authentication required"
        case .forbidden(let why): why
        case .internalError: "internal error"
        }
    }

    package var kind: ErrorKind {
        switch self {
        case .invalidInput: .invalidInput
        case .notFound: .notFound
        case .conflict: .conflict
        case .unprocessable: .unprocessable
        case .unavailable: .unavailable
        case .tooManyRequests: .tooManyRequests
        case .payloadTooLarge: .payloadTooLarge
        case .unauthenticated: .unauthenticated
        case .forbidden: .forbidden
        case .internalError: .internal
        }
    }

    package var details: [String: String] {
        switch self {
        case .invalidInput(let field, _): ["field": field]
        case .unprocessable(let field, _, _): ["field": field]
        case .tooManyRequests(let seconds): ["retry_after": String(seconds)]
        case .payloadTooLarge(let limit): ["limit_bytes": String(limit)]
        default: [:]
        }
    }
}
