import Crypto
import Foundation

/// The configured 256-bit data key.
package struct DataKey: Sendable {
    /// Raw bytes: `SymmetricKey` is not `Sendable`, so one is made per use (cheap).
    let bytes: [UInt8]

    /// Base64 of exactly 32 bytes (surrounding white space ignored).
    package init(base64: String) throws {
        guard let data = Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32 else {
            throw ConfigProblem("must be the base64 of 32 random bytes (openssl rand -base64 32)")
        }
        self.bytes = Array(data)
    }

    /// A key for one `purpose` (HMAC-SHA-256 of the purpose under the data key): a purpose's key reveals
    /// nothing of the data key or of another purpose's key.
    package func derivedKey(purpose: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Data("uplink key: \(purpose)".utf8), using: SymmetricKey(data: bytes)))
    }
}

/// Encrypts small secrets that must be recoverable (a PPPoE password: CHAP needs the clear text) with
/// AES-256-GCM. Stored form: version byte `1`, 12-byte nonce, ciphertext, 16-byte tag. The context
/// (for example the tenant) is authenticated data, so a value copied to another tenant does not open.
package struct SecretBox: Sendable {
    static let version: UInt8 = 1
    let keyBytes: [UInt8]
    var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    package init(key: DataKey) { self.keyBytes = key.bytes }

    package func seal(_ plaintext: String, context: String) throws -> [UInt8] {
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: key, authenticating: Data(context.utf8))
        guard let combined = box.combined else { throw SecretBoxError.cannotSeal }
        return [Self.version] + Array(combined)
    }

    package func open(_ sealed: [UInt8], context: String) throws -> String {
        guard sealed.count > 1 + 12 + 16, sealed[0] == Self.version else { throw SecretBoxError.cannotOpen }
        let box = try AES.GCM.SealedBox(combined: Data(sealed[1...]))
        let plaintext = try AES.GCM.open(box, using: key, authenticating: Data(context.utf8))
        return String(decoding: plaintext, as: UTF8.self)
    }
}

extension SecretBox {
    /// The authenticated context of a customer's sealed password: the customers module seals it, the
    /// provisioning workers open it to write `Cleartext-Password`.
    package static func customerPasswordContext(tenantID: Int64) -> String { "customer-password:t\(tenantID)" }

    /// A keyed fingerprint (HMAC-SHA-256 under a key derived from the data key for `purpose`) to find a
    /// secret by its value without storing or indexing it in clear (voucher codes).
    package func fingerprint(_ value: String, purpose: String) -> [UInt8] {
        let derived = HMAC<SHA256>.authenticationCode(for: Data("uplink fingerprint: \(purpose)".utf8), using: key)
        return Array(HMAC<SHA256>.authenticationCode(for: Data(value.utf8), using: SymmetricKey(data: Data(derived))))
    }
}

package enum SecretBoxError: Error {
    case cannotSeal, cannotOpen
}
