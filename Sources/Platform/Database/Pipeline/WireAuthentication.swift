import Crypto
import Foundation

/// The client side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as Postgres uses it: no channel binding, and the
/// user name taken from the start-up message (the SCRAM user field is left empty).
package struct SCRAMClient {
    private let password: String
    private let clientNonce: String
    private var clientFirstBare: String
    private var expectedServerSignature: [UInt8] = []

    /// `user` stays empty for Postgres (it uses the start-up message's); `nonce` is random but for tests.
    package init(password: String, user: String = "", nonce: String? = nil) {
        self.password = password
        self.clientNonce = nonce ?? Data((0..<18).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        self.clientFirstBare = "n=\(user),r=\(clientNonce)"
    }

    package static let mechanism = "SCRAM-SHA-256"

    /// `client-first-message`: no channel binding (`n,,`).
    package var firstMessage: [UInt8] { Array("n,,\(clientFirstBare)".utf8) }

    /// Answers `server-first-message` with `client-final-message` (the proof).
    package mutating func finalMessage(serverFirst: [UInt8]) throws -> [UInt8] {
        let serverFirst = String(decoding: serverFirst, as: UTF8.self)
        var attributes: [Character: String] = [:]
        for part in serverFirst.split(separator: ",") where part.count >= 2 && part.dropFirst().first == "=" {
            attributes[part.first!] = String(part.dropFirst(2))
        }
        guard let nonce = attributes["r"], nonce.hasPrefix(clientNonce), nonce.count > clientNonce.count,
              let saltText = attributes["s"], let salt = Data(base64Encoded: saltText),
              let iterationsText = attributes["i"], let iterations = Int(iterationsText), (1...10_000_000).contains(iterations)
        else { throw WireError.authentication("malformed SCRAM server-first-message") }

        let salted = Self.saltedPassword(Array(password.utf8), salt: Array(salt), iterations: iterations)
        let clientKey = Self.hmac(salted, "Client Key")
        let storedKey = Array(SHA256.hash(data: clientKey))
        let withoutProof = "c=biws,r=\(nonce)"
        let authMessage = "\(clientFirstBare),\(serverFirst),\(withoutProof)"
        let signature = Self.hmac(storedKey, authMessage)
        let proof = zip(clientKey, signature).map { $0 ^ $1 }
        expectedServerSignature = Self.hmac(Self.hmac(salted, "Server Key"), authMessage)
        return Array("\(withoutProof),p=\(Data(proof).base64EncodedString())".utf8)
    }

    /// Checks `server-final-message`: the server proves it knew the password too.
    package func verify(serverFinal: [UInt8]) throws {
        let text = String(decoding: serverFinal, as: UTF8.self)
        guard text.hasPrefix("v="), let signature = Data(base64Encoded: String(text.dropFirst(2))),
              !expectedServerSignature.isEmpty, Array(signature) == expectedServerSignature
        else { throw WireError.authentication("the server's SCRAM signature does not match") }
    }

    /// `Hi()` of RFC 5802: PBKDF2 with HMAC-SHA-256, one block.
    static func saltedPassword(_ password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        let key = SymmetricKey(data: password)
        var block = Array(HMAC<SHA256>.authenticationCode(for: salt + [0, 0, 0, 1], using: key))
        var result = block
        for _ in 1..<iterations {
            block = Array(HMAC<SHA256>.authenticationCode(for: block, using: key))
            for index in result.indices { result[index] ^= block[index] }
        }
        return result
    }

    private static func hmac(_ key: [UInt8], _ message: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: SymmetricKey(data: key)))
    }
}

/// Postgres' `md5` password method: `md5` + md5(md5(password + user) + salt), in hex.
package enum MD5Password {
    package static func response(user: String, password: String, salt: [UInt8]) -> String {
        let inner = hex(Insecure.MD5.hash(data: Array((password + user).utf8)))
        return "md5" + hex(Insecure.MD5.hash(data: Array(inner.utf8) + salt))
    }

    private static func hex(_ digest: Insecure.MD5.Digest) -> String {
        digest.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }
}
