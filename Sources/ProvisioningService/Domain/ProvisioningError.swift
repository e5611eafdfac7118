import Platform

/// Provisioning's own failures.
package enum ProvisioningError: ServiceError, Equatable {
    /// Some open sessions of changed customers could not be ended (or re-authorized): the job is retried.
    case sessionsNotEnded(String)

    package var code: String {
        switch self {
        case .sessionsNotEnded: "provisioning.sessions_not_ended"
        }
    }

    package var message: String {
        switch self {
        case .sessionsNotEnded(let detail): "open sessions could not be ended: \(detail)"
        }
    }

    package var kind: ErrorKind {
        switch self {
        case .sessionsNotEnded: .unavailable
        }
    }
}
