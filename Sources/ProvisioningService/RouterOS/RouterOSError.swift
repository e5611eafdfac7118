import Platform

/// What can go wrong talking to a MikroTik router over its API.
///
/// The router's own text (a `!trap` or `!fatal` message) is kept in the case for logs and for callers
/// that branch on it ("already have such name"), and only ever reaches clients through `details`.
package enum RouterOSError: ServiceError, Equatable {
    /// The TCP or TLS connection could not be opened, or it closed while a command was waiting.
    case connectionFailed(String)
    /// No complete reply within the command timeout.
    case timeout
    /// The router refused the command (`!trap`). `category` is absent when the router sent none.
    case trap(category: Int?, message: String)
    /// The router ended the session (`!fatal`); the connection is closed.
    case fatal(String)
    /// `/login` was refused: wrong credentials, or a router too old for the post-6.43 login.
    case loginFailed(String)
    /// The peer sent bytes or sentences this protocol does not allow; the connection is closed.
    case protocolViolation(String)
    /// The command cannot be sent as given (an empty command, an attribute name containing `=`).
    case invalidRequest(String)

    package var code: String {
        switch self {
        case .connectionFailed: "routeros.unreachable"
        case .timeout: "routeros.timeout"
        case .trap: "routeros.command_refused"
        case .fatal: "routeros.session_ended"
        case .loginFailed: "routeros.login_failed"
        case .protocolViolation: "routeros.protocol_violation"
        case .invalidRequest: "routeros.invalid_request"
        }
    }

    package var message: String {
        switch self {
        case .connectionFailed: "the router could not be reached"
        case .timeout: "the router did not answer in time"
        case .trap: "the router refused the command"
        case .fatal: "the router ended the session"
        case .loginFailed: "the router refused the configured API credentials"
        case .protocolViolation: "the router sent a reply that could not be understood"
        case .invalidRequest: "the router command is malformed"
        }
    }

    package var kind: ErrorKind {
        switch self {
        case .connectionFailed, .timeout, .fatal, .loginFailed: .unavailable
        case .trap: .conflict
        case .protocolViolation, .invalidRequest: .internal
        }
    }

    package var details: [String: String] {
        switch self {
        case .trap(let category, let message):
            var details = ["router_message": message]
            if let category { details["router_category"] = String(category) }
            return details
        case .fatal(let message), .loginFailed(let message): return ["router_message": message]
        default: return [:]
        }
    }
}
