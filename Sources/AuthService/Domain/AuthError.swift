import Platform

/// Errors of sign-in, sessions, tokens and operator management.
package enum AuthError: ServiceError, Equatable {
    case invalidCredentials
    case accountSuspended
    case invalidToken
    case scopeNotAllowed(String)
    case usernameTaken
    case emailTaken
    case slugTaken

    package var code: String {
        switch self {
        case .invalidCredentials: "invalid_credentials"
        case .accountSuspended: "account_suspended"
        case .invalidToken: "invalid_token"
        case .scopeNotAllowed: "scope_not_allowed"
        case .usernameTaken: "username_taken"
        case .emailTaken: "email_taken"
        case .slugTaken: "slug_taken"
        }
    }

    package var message: String {
        switch self {
        case .invalidCredentials: "username or password is incorrect"
        case .accountSuspended: "this account is suspended"
        case .invalidToken: "the credential is invalid, expired or revoked"
        case .scopeNotAllowed(let scope): "scope \(scope) exceeds the rights of this credential"
        case .usernameTaken: "this username is already in use"
        case .emailTaken: "this e-mail address is already in use"
        case .slugTaken: "this slug is already in use"
        }
    }

    package var kind: ErrorKind {
        switch self {
        case .invalidCredentials, .invalidToken: .unauthenticated
        case .accountSuspended, .scopeNotAllowed: .forbidden
        case .usernameTaken, .emailTaken, .slugTaken: .conflict
        }
    }

    package var details: [String: String] {
        if case .scopeNotAllowed(let scope) = self { return ["scope": scope] }
        return [:]
    }
}
