import NIOSSL

extension RouterOSSimulator {
    /// The simulator's self-signed api-ssl certificate (CN router.test, SAN localhost and 127.0.0.1,
    /// valid 2020–2120). Trust it through `RouterOSConfig.TLS.trustedRootsPEM` to test full verification.
    package static let certificatePEM = """
        -----BEGIN CERTIFICATE-----
        MIIBXzCCAQWgAwIBAgIUNtLfkUNHk4NhJYiIYeUr3vyJW5wwCgYIKoZIzj0EAwIw
        FjEUMBIGA1UEAwwLcm91dGVyLnRlc3QwIBcNMjAwMTAxMDAwMDAwWhgPMjEyMDAx
        MDEwMDAwMDBaMBYxFDASBgNVBAMMC3JvdXRlci50ZXN0MFkwEwYHKoZIzj0CAQYI
        KoZIzj0DAQcDQgAEvRdlWhRZniTIx7mWtVnk2uvDtRqjT550GeXG4k6i3zXpjfow
        BkTDSa49Dtea/OPnYQCv6OFdRHgu7zueIouNTaMvMC0wGgYDVR0RBBMwEYIJbG9j
        YWxob3N0hwR/AAABMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIh
        AMpuJ81seE5piAaJa3DauGZRZKSoXQYG5UFT6SFQWt0rAiBQzKwCA1tmkxJzdbom
        +SdBMAgsRv63XiTC/TIFlJWALg==
        -----END CERTIFICATE-----
        """

    /// The key of `certificatePEM`. A test fixture: it protects nothing.
    static let privateKeyPEM = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgaw1z+tF+laENMZ7m
        xz5ryZ8+E74xJ06JZpqVFYkPWGKhRANCAAS9F2VaFFmeJMjHuZa1WeTa68O1GqNP
        nnQZ5cbiTqLfNemN+jAGRMNJrj0O15r84+dhAK/o4V1EeC7vO54ii41N
        -----END PRIVATE KEY-----
        """

    /// A server context for the api-ssl listener.
    static func makeTLSContext() throws -> NIOSSLContext {
        let certificates = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8))
        let key = try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem)
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificates.map { .certificate($0) }, privateKey: .privateKey(key)
        )
        return try NIOSSLContext(configuration: configuration)
    }
}
