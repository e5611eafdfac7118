import Crypto
import Foundation
import Logging
import Platform
import PostgresNIO

/// The first result of a money-moving request, per login and `Idempotency-Key`, in the tenant's
/// `idempotency_keys`. The key is claimed inside the request's own transaction: a concurrent request with the
/// same key waits on the claim, then finds it taken and answers the stored result; a request whose work
/// failed leaves no claim, so it can be retried.
struct IdempotencyStore: Sendable {
    let logger: Logger

    /// What a request is, for telling a replay from another request under the same key: the operation and
    /// the body in a canonical form (keys sorted, no insignificant white space), so a client that serialises
    /// the same JSON again in another key order is still recognised.
    static func requestHash(operation: String, body: Data) -> Data {
        var hasher = SHA256()
        hasher.update(data: Data(operation.utf8))
        hasher.update(data: Data([0]))
        if let object = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]),
           let canonical = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed]) {
            hasher.update(data: canonical)
        } else {
            hasher.update(data: body)
        }
        return Data(hasher.finalize())
    }

    enum Claim {
        case claimed
        case replay(status: Int, body: [UInt8])
    }

    func claim(userID: Int64, key: String, operatorID: Int64, hash: Data, on connection: PostgresConnection) async throws -> Claim {
        let claimed = try await connection.returnsRow(
            """
            INSERT INTO idempotency_keys (user_id, key, operator_id, request_hash) VALUES (\(userID), \(key), \(operatorID), \(hash))
            ON CONFLICT (user_id, key) DO NOTHING RETURNING 1
            """,
            logger: logger
        )
        if claimed { return .claimed }
        let rows = try await connection.query(
            "SELECT request_hash, status, response FROM idempotency_keys WHERE user_id = \(userID) AND key = \(key)", logger: logger
        )
        for try await (storedHash, status, response) in rows.decode((Data, Int?, Data?).self) {
            guard storedHash == hash else {
                throw PlatformError.unprocessable(field: "Idempotency-Key", code: "idempotency_key_reused",
                                                  reason: "was used for a different request")
            }
            guard let status, let response else {
                throw PlatformError.conflict(code: "request_in_progress", message: "a request with this Idempotency-Key is still running")
            }
            return .replay(status: status, body: Array(response))
        }
        throw PlatformError.conflict(code: "request_in_progress", message: "a request with this Idempotency-Key is still running")
    }

    func store(userID: Int64, key: String, status: Int, body: [UInt8], on connection: PostgresConnection) async throws {
        try await connection.query(
            "UPDATE idempotency_keys SET status = \(status), response = \(Data(body)) WHERE user_id = \(userID) AND key = \(key)",
            logger: logger
        )
    }
}
