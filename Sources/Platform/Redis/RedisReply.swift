/// One RESP2 reply.
package enum RedisReply: Sendable, Hashable {
    case status(String)
    case error(String)
    case integer(Int64)
    case bulk([UInt8])
    case null
    case array([RedisReply])

    /// Bulk or status text; nil for null and other kinds.
    package var string: String? {
        switch self {
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let text): text
        default: nil
        }
    }

    package var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .bulk(let bytes): Int64(String(decoding: bytes, as: UTF8.self))
        default: nil
        }
    }

    package var array: [RedisReply]? {
        if case .array(let items) = self { return items }
        return nil
    }

    package var isNull: Bool { self == .null }
}

/// Redis failures. A reply of kind error is thrown as `.command`; losing the server is `.unavailable`.
package enum RedisError: ServiceError, Equatable {
    case unavailable(String)
    case command(String)
    case protocolViolation

    package var code: String {
        switch self {
        case .unavailable: "redis_unavailable"
        case .command, .protocolViolation: "internal_error"
        }
    }

    package var message: String {
        switch self {
        case .unavailable: "the session store is unavailable, try again shortly"
        case .command, .protocolViolation: "internal error"
        }
    }

    package var kind: ErrorKind {
        switch self {
        case .unavailable: .unavailable
        case .command, .protocolViolation: .internal
        }
    }
}
