import AuthService
import Platform
import Testing

@Suite struct PasswordHasherTests {
    @Test func hashesWithArgon2idAtOWASPMinimumAndVerifies() async throws {
        let hasher = PasswordHasher(parameters: .init(memoryKiB: 19 * 1024, iterations: 2, threads: 1))
        let encoded = try await hasher.hash("pässwörd ১২৩")
        #expect(encoded.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
        #expect(try await hasher.verify("pässwörd ১২৩", against: encoded))
        #expect(try await !hasher.verify("pässwörd 123", against: encoded))
        // Same password, new salt: a different string.
        #expect(try await hasher.hash("pässwörd ১২৩") != encoded)
        await hasher.shutdown()
    }

    @Test func malformedHashesNeverMatch() async throws {
        let hasher = PasswordHasher(parameters: .init(memoryKiB: 1024, iterations: 1, threads: 1))
        for bad in ["", "$argon2id$", "plain-text", "$argon2i$v=19$m=1024,t=1,p=1$AAAA$AAAA"] {
            #expect(try await !hasher.verify("anything", against: bad))
        }
        await hasher.shutdown()
    }

    @Test func countsEveryComputation() async throws {
        let hasher = PasswordHasher(parameters: .init(memoryKiB: 1024, iterations: 1, threads: 1))
        let before = hasher.computations
        let encoded = try await hasher.hash("x-password")
        _ = try await hasher.verify("x-password", against: encoded)
        try await hasher.verifyDecoy("y")
        #expect(hasher.computations - before == 3)
        await hasher.shutdown()
    }
}
