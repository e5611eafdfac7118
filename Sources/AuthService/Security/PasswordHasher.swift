import CArgon2
import NIOPosix
import Platform
import Synchronization

/// Argon2id (RFC 9106) through libargon2, producing and checking PHC-encoded strings.
/// Hashing is slow by design (~100 ms), so it runs on a dedicated pool of `threads` threads:
/// never on an event loop, and never more hashes at once than the pool has threads.
package final class PasswordHasher: Sendable {
    private let parameters: AuthConfig.Argon2Parameters
    private let threadPool: NIOThreadPool
    private let hashes = Atomic<Int>(0)
    /// A hash of a random password, verified when the user does not exist so that both answers take as long.
    /// Made on first use, on the hashing pool.
    private let decoy = Mutex<String?>(nil)

    package init(parameters: AuthConfig.Argon2Parameters) {
        self.parameters = parameters
        self.threadPool = NIOThreadPool(numberOfThreads: parameters.threads)
        self.threadPool.start()
    }

    /// How many Argon2 computations this hasher has run (hash or verify); lets tests prove throttling skips it.
    package var computations: Int { hashes.load(ordering: .relaxed) }

    package func hash(_ password: String) async throws -> String {
        hashes.add(1, ordering: .relaxed)
        let parameters = self.parameters
        return try await threadPool.runIfActive { try Self.hashBlocking(password, parameters: parameters) }
    }

    /// True when `password` matches `encoded`. A malformed hash never matches.
    package func verify(_ password: String, against encoded: String) async throws -> Bool {
        hashes.add(1, ordering: .relaxed)
        return try await threadPool.runIfActive {
            let bytes = Array(password.utf8)
            return encoded.withCString { encodedPointer in
                bytes.withUnsafeBytes { raw in
                    argon2id_verify(encodedPointer, raw.baseAddress, raw.count) == ARGON2_OK.rawValue
                }
            }
        }
    }

    /// Spends the same effort as checking a real password, for an unknown username.
    package func verifyDecoy(_ password: String) async throws {
        if let decoy = decoy.withLock({ $0 }) {
            _ = try await verify(password, against: decoy)
            return
        }
        // The first time, making the decoy costs what a verification costs.
        hashes.add(1, ordering: .relaxed)
        let parameters = self.parameters
        let made = try await threadPool.runIfActive { try Self.hashBlocking(Secrets.token(prefix: ""), parameters: parameters) }
        decoy.withLock { $0 = $0 ?? made }
    }

    package func shutdown() async {
        try? await threadPool.shutdownGracefully()
    }

    private static func hashBlocking(_ password: String, parameters: AuthConfig.Argon2Parameters) throws -> String {
        let salt = Secrets.randomBytes(16)
        let hashLength = 32
        let encodedLength = argon2_encodedlen(
            UInt32(parameters.iterations), UInt32(parameters.memoryKiB), 1, UInt32(salt.count), UInt32(hashLength), Argon2_id
        )
        var encoded = [CChar](repeating: 0, count: encodedLength + 1)
        let bytes = Array(password.utf8)
        let status = bytes.withUnsafeBytes { raw in
            salt.withUnsafeBytes { saltRaw in
                argon2id_hash_encoded(
                    UInt32(parameters.iterations), UInt32(parameters.memoryKiB), 1,
                    raw.baseAddress, raw.count, saltRaw.baseAddress, saltRaw.count,
                    hashLength, &encoded, encoded.count
                )
            }
        }
        guard status == ARGON2_OK.rawValue else { throw PlatformError.internalError("argon2 failed: \(status)") }
        return String(decoding: encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
