import Logging

/// The connection test of a router's API: a fresh connection, the login, `/system/resource/print`, all
/// within one deadline; then the connection is closed.
///
/// A fresh client on purpose: a pooled connection that logged in earlier would hide a password changed on
/// the router since. Never throws; a failure is an outcome with a reason an operator can act on.
package struct RouterProbe: Sendable {
    package struct Outcome: Sendable, Hashable {
        package var ok: Bool
        package var message: String

        package init(ok: Bool, message: String) {
            self.ok = ok
            self.message = message
        }
    }

    package let deadline: Duration
    let logger: Logger

    package init(deadline: Duration = .seconds(3), logger: Logger) {
        self.deadline = deadline
        self.logger = logger
    }

    package func check(_ router: RouterOSConfig) async -> Outcome {
        var config = router
        config.connectTimeout = deadline
        config.commandTimeout = deadline
        let client = RouterOSClient(config: config, logger: logger)
        let deadline = self.deadline
        let result = await withTaskGroup(of: Result<[[String: String]], RouterOSError>?.self) { group in
            group.addTask {
                do {
                    return .success(try await client.run("/system/resource/print"))
                } catch {
                    return .failure(error as? RouterOSError ?? .connectionFailed("\(error)"))
                }
            }
            group.addTask {
                // Cancelled when the test ends first; either way this child answers "no result".
                try? await Task.sleep(for: deadline)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            // Closing makes a command still waiting fail at once, so the group is not held up by it.
            await client.close()
            return first ?? .failure(.timeout)
        }
        switch result {
        case .success(let rows):
            return Outcome(ok: true, message: Self.describe(resource: rows.first ?? [:]))
        case .failure(let error):
            return Outcome(ok: false, message: describe(error, tls: router.tls != nil))
        }
    }

    /// `RouterOS 7.16 (stable), board CHR`.
    static func describe(resource: [String: String]) -> String {
        guard let version = resource["version"], !version.isEmpty else { return "connected; the router did not report its version" }
        let board = resource["board-name"].map { ", board \($0)" } ?? ""
        return String("RouterOS \(version)\(board)".prefix(500))
    }

    /// A reason an operator can act on. Driver text is reduced to what it says about the cause.
    func describe(_ error: RouterOSError, tls: Bool) -> String {
        let seconds = deadline.components.seconds
        let text: String
        switch error {
        case .loginFailed(let message):
            text = "login failed: \(message)"
        case .timeout:
            // A TLS handshake sent to the plain API port goes unanswered.
            text = "timeout: the router did not answer within \(seconds) s" + (tls ? " (is api-ssl served on this port?)" : "")
        case .trap(_, let message):
            text = "the router refused /system/resource/print: \(message)"
        case .fatal(let message):
            text = "the router ended the session: \(message)"
        case .protocolViolation:
            text = "the answer was not the RouterOS API (is api_tls right for this port?)"
        case .invalidRequest(let message):
            text = "cannot send the test: \(message)"
        case .connectionFailed(let detail):
            text = Self.describeConnectionFailure(detail, seconds: seconds)
        }
        return String(text.prefix(500))
    }

    static func describeConnectionFailure(_ detail: String, seconds: Int64) -> String {
        let lowered = detail.lowercased()
        if lowered.contains("certificate_verify_failed") || lowered.contains("certificate verify") {
            return "TLS failure: the router's certificate is not trusted (turn api_tls_verify off for a self-signed certificate)"
        }
        if lowered.contains("ssl") || lowered.contains("tls") || lowered.contains("handshake") || lowered.contains("certificate") {
            return "TLS failure: the TLS handshake with the router failed (is api-ssl enabled with a certificate on this port?)"
        }
        if lowered.contains("refused") { return "unreachable: connection refused (is the API service enabled on this port?)" }
        if lowered.contains("connecttimeout") || lowered.contains("timed out") {
            return "unreachable: no connection within \(seconds) s"
        }
        if lowered.contains("no route") || lowered.contains("unreachable") { return "unreachable: no route to the router" }
        // NIO names every connection attempt's DNS results, so only a resolver's own error counts here.
        if lowered.contains("socketaddresserror") || lowered.contains("unknown(host") {
            return "unreachable: the host name does not resolve"
        }
        if lowered.contains("connection closed") || lowered.contains("reset") {
            return "unreachable: the router closed the connection (is api_tls right for this port?)"
        }
        return "unreachable: the connection failed"
    }
}
