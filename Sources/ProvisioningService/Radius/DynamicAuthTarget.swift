/// A NAS's dynamic authorization listener (RFC 5176): where Disconnect- and CoA-Requests go, and the
/// shared secret they are signed with.
package struct DynamicAuthTarget: Sendable, Hashable, CustomStringConvertible {
    /// The port IANA assigned to dynamic authorization (RFC 5176).
    package static let defaultPort = 3799

    /// An IPv4 or IPv6 address. Names are not resolved: resolution blocks, and a NAS is configured by address.
    package var host: String
    package var port: Int
    package var secret: String

    package init(host: String, port: Int = Self.defaultPort, secret: String) {
        self.host = host
        self.port = port
        self.secret = secret
    }

    /// Never shows the secret: targets end up in log metadata.
    package var description: String { "\(host):\(port)" }
}
