import Foundation
import PostgresNIO

/// Postgres failures translated where SQL runs. Never carries driver or SQL text to a client.
package enum DatabaseError: ServiceError, Equatable {
    case uniqueViolation(constraint: String?)
    case foreignKeyViolation(constraint: String?)
    case checkViolation(constraint: String?)
    case invalidData
    case permissionDenied
    case serializationFailure
    case unavailable
    case unexpected(sqlState: String?)

    /// Maps a driver error (or anything else) to a `DatabaseError`; non-database errors come back as nil.
    package init?(translating error: any Error) {
        if let error = error as? DatabaseError {
            self = error
            return
        }
        if let error = error as? WireError {
            switch error {
            case .server(let state, let constraint, _): self.init(sqlState: state, constraint: constraint)
            case .connectionClosed, .timedOut, .shutDown: self = .unavailable
            case .protocolViolation, .authentication: self = .unexpected(sqlState: nil)
            }
            return
        }
        guard let error = error as? PSQLError else { return nil }
        switch error.code {
        case .server:
            self.init(sqlState: error.serverInfo?[.sqlState], constraint: error.serverInfo?[.constraintName])
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed, .uncleanShutdown:
            self = .unavailable
        default:
            self = .unexpected(sqlState: nil)
        }
    }

    private init(sqlState state: String?, constraint: String?) {
        switch state {
        case "23505": self = .uniqueViolation(constraint: constraint)
        case "23503": self = .foreignKeyViolation(constraint: constraint)
        case "23514", "23502": self = .checkViolation(constraint: constraint)
        case "40001", "40P01": self = .serializationFailure
        case "42501": self = .permissionDenied
        case .some(let code) where code.hasPrefix("22"): self = .invalidData
        case .some(let code) where code.hasPrefix("08") || code.hasPrefix("57"): self = .unavailable
        default: self = .unexpected(sqlState: state)
        }
    }

    package var code: String {
        switch self {
        case .uniqueViolation: "conflict"
        case .foreignKeyViolation: "invalid_reference"
        case .checkViolation: "invalid_input"
        case .invalidData: "invalid_input"
        case .permissionDenied: "not_found"
        case .serializationFailure: "conflict_retry"
        case .unavailable: "database_unavailable"
        case .unexpected: "internal_error"
        }
    }

    package var message: String {
        switch self {
        case .uniqueViolation: "a record with these values already exists"
        case .foreignKeyViolation: "a referenced record does not exist"
        case .checkViolation, .invalidData: "a value is not acceptable"
        case .permissionDenied: "not found"
        case .serializationFailure: "concurrent update, retry the request"
        case .unavailable: "the database is unavailable, try again shortly"
        case .unexpected: "internal error"
        }
    }

    package var kind: ErrorKind {
        switch self {
        case .uniqueViolation, .serializationFailure: .conflict
        case .foreignKeyViolation, .checkViolation, .invalidData: .invalidInput
        // A statement touching another tenant's schema is answered like a missing object: never confirm it exists.
        case .permissionDenied: .notFound
        case .unavailable: .unavailable
        case .unexpected: .internal
        }
    }
}

extension PlatformError {
    /// A business rule refused by SQL: `RAISE EXCEPTION USING ERRCODE = 'UB409', MESSAGE = '<code>',
    /// DETAIL = '<message for the client>', HINT = '<field>'`. The class `UB` is ours; 404, 409 and 422 map to
    /// not found (MESSAGE names the object), conflict and unprocessable. Anything else is not such a refusal.
    package init?(ruleRaisedBy error: any Error) {
        guard let error = error as? PSQLError, case .server = error.code,
              let state = error.serverInfo?[.sqlState], state.hasPrefix("UB"),
              let code = error.serverInfo?[.message]
        else { return nil }
        let detail = error.serverInfo?[.detail] ?? code.replacingOccurrences(of: "_", with: " ")
        switch state {
        case "UB404": self = .notFound(code)
        case "UB422": self = .unprocessable(field: error.serverInfo?[.hint] ?? "body", code: code, reason: detail)
        default: self = .conflict(code: code, message: detail)
        }
    }
}
