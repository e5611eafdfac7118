import Foundation
import NIOCore
import Platform

/// Everything an admin sets on a router, validated, secrets in clear (they are sealed before they are stored
/// and never leave the service). Pure rules: no I/O.
struct RouterSettings: Sendable, Hashable {
    var name: String
    /// A host address in its canonical form.
    var nasIP: String
    var radiusSecret: String
    /// `nil`: the API is reached at `nasIP`.
    var apiHost: String?
    var apiPort: Int
    var apiTLS: Bool
    var apiTLSVerify: Bool
    var apiUsername: String
    /// `nil`: log in with an empty password.
    var apiPassword: String?
    var coaPort: Int
    var disconnectMethod: NASRouter.DisconnectMethod
    var coaEnabled: Bool
    var location: String?
    var interimSeconds: Int
    var status: NASRouter.Status

    static let defaultCoAPort = 3799
    static let defaultInterimSeconds = 300

    /// The members of `RouterInput` that may be `null` in an update (to clear them).
    static let clearable: Set<String> = ["api_host", "api_password", "location"]

    /// These settings with the request's fields applied: given members replace, `null` clears an optional one.
    func merged(with input: RouterInput) throws -> RouterSettings {
        if let field = input.nulls.subtracting(Self.clearable).sorted().first(where: { !$0.contains(".") }) {
            throw PlatformError.invalidInput(field: field, reason: "must not be null")
        }
        var settings = self
        if let name = input.name { settings.name = try Validate.text(name, field: "name", max: 64) }
        if let address = input.nasIP { settings.nasIP = try Self.hostAddress(address, field: "nas_ip") }
        if let secret = input.radiusSecret { settings.radiusSecret = try Self.radiusSecret(secret) }
        if input.nulls.contains("api_host") {
            settings.apiHost = nil
        } else if let host = input.apiHost {
            settings.apiHost = try Self.host(host, field: "api_host")
        }
        if let port = input.apiPort { settings.apiPort = try Self.port(port, field: "api_port") }
        if let tls = input.apiTLS { settings.apiTLS = tls }
        if let verify = input.apiTLSVerify { settings.apiTLSVerify = verify }
        if let username = input.apiUsername { settings.apiUsername = try Self.apiUsername(username) }
        if input.nulls.contains("api_password") {
            settings.apiPassword = nil
        } else if let password = input.apiPassword {
            settings.apiPassword = try Self.apiPassword(password)
        }
        if let port = input.coaPort { settings.coaPort = try Self.port(port, field: "coa_port") }
        if let method = input.disconnectMethod {
            guard let value = NASRouter.DisconnectMethod(rawValue: method) else {
                throw PlatformError.invalidInput(field: "disconnect_method", reason: "must be one of: radius, api, none")
            }
            settings.disconnectMethod = value
        }
        if let enabled = input.coaEnabled { settings.coaEnabled = enabled }
        if input.nulls.contains("location") {
            settings.location = nil
        } else if let location = input.location {
            settings.location = try Validate.text(location, field: "location", max: 200)
        }
        if let seconds = input.interimSeconds {
            guard (60...3600).contains(seconds) else { throw PlatformError.invalidInput(field: "interim_seconds", reason: "must be 60-3600") }
            settings.interimSeconds = seconds
        }
        if let status = input.status {
            guard let value = NASRouter.Status(rawValue: status) else {
                throw PlatformError.invalidInput(field: "status", reason: "must be active or disabled")
            }
            settings.status = value
        }
        return settings
    }

    /// Where and how the connection test logs in.
    var apiConfig: RouterOSConfig {
        RouterOSConfig(
            host: apiHost ?? nasIP, port: apiPort, username: apiUsername, password: apiPassword ?? "",
            tls: apiTLS ? RouterOSConfig.TLS(verifyCertificate: apiTLSVerify) : nil
        )
    }

    // MARK: Rules

    /// An IPv4 or IPv6 host address (no prefix length, no zone), canonical: what FreeRADIUS matches a
    /// client's source address against.
    static func hostAddress(_ text: String, field: String) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.count <= 45, trimmed.unicodeScalars.allSatisfy({ $0.properties.isASCIIHexDigit || $0 == "." || $0 == ":" }),
              let address = try? SocketAddress(ipAddress: trimmed, port: 0), let canonical = address.ipAddress
        else { throw PlatformError.invalidInput(field: field, reason: "must be an IPv4 or IPv6 address like 10.0.0.1 or 2001:db8::1") }
        if case .v4 = address {
            // inet_pton takes no leading zeros either, but say so in the house style.
            _ = try Validate.ipv4(trimmed, field: field)
        }
        guard canonical != "0.0.0.0", canonical != "::" else {
            throw PlatformError.invalidInput(field: field, reason: "must be the router's own address, not the unspecified address")
        }
        return canonical
    }

    /// An address, or a DNS name of letters, digits and hyphens between dots.
    static func host(_ text: String, field: String) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.contains(":") || trimmed.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || $0 == "." }) {
            return try hostAddress(trimmed, field: field)
        }
        let labels = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        let valid = (1...253).contains(trimmed.count) && labels.allSatisfy { label in
            (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                && label.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        }
        guard valid else {
            throw PlatformError.invalidInput(field: field, reason: "must be an IP address or a host name like router1.example.net")
        }
        return trimmed.lowercased()
    }

    static func port(_ value: Int, field: String) throws -> Int {
        guard (1...65535).contains(value) else { throw PlatformError.invalidInput(field: field, reason: "must be 1-65535") }
        return value
    }

    /// 8-128 printable ASCII characters without spaces: what every NAS and FreeRADIUS take as a shared secret.
    static func radiusSecret(_ value: String) throws -> String {
        guard (8...128).contains(value.unicodeScalars.count), value.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
            throw PlatformError.invalidInput(field: "radius_secret", reason: "must be 8-128 printable ASCII characters without spaces")
        }
        return value
    }

    static func apiUsername(_ value: String) throws -> String {
        try Validate.text(value, field: "api_username", max: 64)
    }

    /// Up to 128 characters without control characters; empty means none.
    static func apiPassword(_ value: String) throws -> String? {
        guard value.count <= 128 else { throw PlatformError.invalidInput(field: "api_password", reason: "must be at most 128 characters") }
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw PlatformError.invalidInput(field: "api_password", reason: "must not contain control characters")
        }
        return value.isEmpty ? nil : value
    }
}

extension RouterSettings {
    /// A new router from a create request: every required field given, the rest defaulted.
    init(creating input: RouterInput) throws {
        for (field, given) in [("name", input.name != nil), ("nas_ip", input.nasIP != nil), ("radius_secret", input.radiusSecret != nil),
                               ("api_username", input.apiUsername != nil)] where !given {
            throw PlatformError.unprocessable(field: field, code: "missing_field", reason: "is required")
        }
        let tls = input.apiTLS ?? false
        self.init(
            name: "", nasIP: "", radiusSecret: "", apiHost: nil,
            apiPort: tls ? RouterOSConfig.tlsPort : RouterOSConfig.plainPort, apiTLS: tls, apiTLSVerify: true, apiUsername: "",
            apiPassword: nil, coaPort: Self.defaultCoAPort, disconnectMethod: .radius, coaEnabled: false, location: nil,
            interimSeconds: Self.defaultInterimSeconds, status: .active
        )
        self = try merged(with: input)
    }
}
