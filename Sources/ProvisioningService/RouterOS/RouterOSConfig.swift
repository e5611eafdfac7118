/// How to reach and log in to one router's API.
package struct RouterOSConfig: Sendable, Hashable, CustomStringConvertible {
    /// TLS for the `api-ssl` service.
    ///
    /// RouterOS serves api-ssl only with a certificate assigned to it, and most routers carry a
    /// self-signed one: turn `verifyCertificate` off for those, or keep it on and trust that certificate
    /// (or the private CA that signed it) through `trustedRootsPEM`.
    package struct TLS: Sendable, Hashable {
        package var verifyCertificate: Bool
        /// PEM certificates to trust instead of the system roots; `nil` uses the system roots.
        package var trustedRootsPEM: String?

        package init(verifyCertificate: Bool = true, trustedRootsPEM: String? = nil) {
            self.verifyCertificate = verifyCertificate
            self.trustedRootsPEM = trustedRootsPEM
        }
    }

    /// The API's plain port.
    package static let plainPort = 8728
    /// The API's TLS port (`api-ssl`).
    package static let tlsPort = 8729

    package var host: String
    package var port: Int
    package var username: String
    package var password: String
    /// `nil` speaks plain TCP.
    package var tls: TLS?
    /// Bounds opening the TCP connection; the TLS handshake and login count against `commandTimeout`.
    package var connectTimeout: Duration
    /// How long one command may wait for its `!done`.
    package var commandTimeout: Duration

    /// `port` defaults to 8728, or 8729 with `tls`.
    package init(
        host: String, port: Int? = nil, username: String, password: String, tls: TLS? = nil,
        connectTimeout: Duration = .seconds(5), commandTimeout: Duration = .seconds(10)
    ) {
        self.host = host
        self.port = port ?? (tls == nil ? Self.plainPort : Self.tlsPort)
        self.username = username
        self.password = password
        self.tls = tls
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
    }

    /// Never shows the password: configurations end up in log metadata.
    package var description: String {
        "\(username)@\(host):\(port)\(tls == nil ? "" : " (tls)")"
    }
}
