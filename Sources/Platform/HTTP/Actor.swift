/// Who makes a change, for the activity log and the ledger: the user or token, the request and the client
/// address.
package struct Actor: Sendable {
    package var principal: Principal
    package var requestID: String
    package var clientIP: String

    package init(principal: Principal, requestID: String, clientIP: String) {
        self.principal = principal
        self.requestID = requestID
        self.clientIP = clientIP
    }

    package var userID: Int64 { principal.userID }
    package var tokenID: Int64? {
        if case .token(let id) = principal.credential { return id }
        return nil
    }
    /// `alice`, or `alice (token 12)` for an API token.
    package var name: String { tokenID.map { "\(principal.username) (token \($0))" } ?? principal.username }
}
