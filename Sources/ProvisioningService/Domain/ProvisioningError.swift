import Platform

/// Provisioning's own failures.
package enum ProvisioningError: ServiceError, Equatable {
    /// Some open sessions of changed customers could not be ended (or re-authorized): the job is retried.
    case sessionsNotEnded(String)
    /// A router's queue or address list could not be written (unreachable, refused): the job is retried.
    case routerNotUpdated(String)

    package var code: String {
        switch self {
        case .sessionsNotEnded: "provisioning.sessions_not_ended"
        case .routerNotUpdated: "provisioning.router_not_updated"
        }
    }

    package var message: String {
        switch self {
        case .sessionsNotEnded(let detail): "open sessions could not be ended: \(detail)"
        case .routerNotUpdated(let detail): "the router could not be updated: \(detail)"
        }
    }

    package var kind: ErrorKind {
        switch self {
        case .sessionsNotEnded, .routerNotUpdated: .unavailable
        }
    }
}

extension RouterOSError {
    /// What went wrong, with the router's or the network's own words: for logs and the failure list.
    package var reason: String {
        switch self {
        case .connectionFailed(let detail): "cannot connect: \(detail)"
        case .timeout: "no answer in time"
        case .trap(_, let message): "command refused: \(message)"
        case .fatal(let message): "session ended by the router: \(message)"
        case .loginFailed(let message): "login refused: \(message)"
        case .protocolViolation(let detail): "unreadable reply: \(detail)"
        case .invalidRequest(let detail): "malformed command: \(detail)"
        }
    }
}
