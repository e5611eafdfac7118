import CHiredis
import Glibc

/// One blocking hiredis connection. Used by one thread at a time: the pool hands it out exclusively and
/// every call runs on the pool's dedicated thread pool, never on an event loop.
final class RedisConnection: @unchecked Sendable {
    // SAFETY: the context is touched only by the thread that checked the connection out of `RedisClient`'s
    // pool; the pool's lock orders check-out and check-in, so no two threads ever use it at once.
    private let context: UnsafeMutablePointer<redisContext>
    private(set) var isBroken = false

    init(config: RedisConfig) throws {
        let timeout = timeval(tv_sec: config.timeoutMilliseconds / 1000, tv_usec: (config.timeoutMilliseconds % 1000) * 1000)
        guard let context = redisConnectWithTimeout(config.host, Int32(config.port), timeout) else {
            throw RedisError.unavailable("cannot allocate a Redis context")
        }
        if context.pointee.err != 0 {
            let reason = Self.errorText(context)
            redisFree(context)
            throw RedisError.unavailable(reason)
        }
        redisSetTimeout(context, timeout)
        self.context = context
        if let password = config.password {
            _ = try run(["AUTH", password])
        }
        if config.database != 0 {
            _ = try run(["SELECT", String(config.database)])
        }
    }

    deinit { redisFree(context) }

    /// Sends one command and waits for its reply. A Redis error reply is returned as `.error`, not thrown.
    func run(_ arguments: [String]) throws -> RedisReply {
        try pipeline([arguments])[0]
    }

    /// Sends all commands in one write, then reads the replies in order: one round trip.
    func pipeline(_ commands: [[String]]) throws -> [RedisReply] {
        guard !isBroken else { throw RedisError.unavailable("connection closed") }
        for command in commands {
            try append(command)
        }
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            var raw: UnsafeMutableRawPointer?
            guard redisGetReply(context, &raw) == REDIS_OK, let raw else {
                isBroken = true
                throw RedisError.unavailable(Self.errorText(context))
            }
            let reply = raw.assumingMemoryBound(to: redisReply.self)
            defer { freeReplyObject(raw) }
            replies.append(Self.convert(reply))
        }
        return replies
    }

    private func append(_ arguments: [String]) throws {
        let buffers = arguments.map { Array($0.utf8) }
        var lengths = buffers.map { $0.count }
        // hiredis copies the arguments into its output buffer, so the pointers need to live only for this call.
        let pointers = buffers.map { bytes -> UnsafeMutablePointer<CChar> in
            let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: max(bytes.count, 1))
            bytes.withUnsafeBufferPointer { source in
                source.withMemoryRebound(to: CChar.self) { chars in
                    if let base = chars.baseAddress { pointer.initialize(from: base, count: bytes.count) }
                }
            }
            return pointer
        }
        defer { pointers.forEach { $0.deallocate() } }
        var argv: [UnsafePointer<CChar>?] = pointers.map { UnsafePointer($0) }
        let status = argv.withUnsafeMutableBufferPointer { argvBuffer in
            lengths.withUnsafeMutableBufferPointer { lengthBuffer in
                redisAppendCommandArgv(context, Int32(arguments.count), argvBuffer.baseAddress, lengthBuffer.baseAddress)
            }
        }
        guard status == REDIS_OK else {
            isBroken = true
            throw RedisError.unavailable(Self.errorText(context))
        }
    }

    private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let value = reply.pointee
        switch value.type {
        case REDIS_REPLY_STRING:
            return .bulk(bytes(value.str, value.len))
        case REDIS_REPLY_STATUS:
            return .status(String(decoding: bytes(value.str, value.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: bytes(value.str, value.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(value.integer))
        case REDIS_REPLY_ARRAY:
            var items: [RedisReply] = []
            items.reserveCapacity(value.elements)
            for index in 0..<value.elements {
                if let element = value.element[index] { items.append(convert(element)) } else { items.append(.null) }
            }
            return .array(items)
        default:
            return .null
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ count: Int) -> [UInt8] {
        guard let pointer, count > 0 else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: count) { Array(UnsafeBufferPointer(start: $0, count: count)) }
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
