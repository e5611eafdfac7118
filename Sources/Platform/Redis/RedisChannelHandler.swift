import CHiredis
import NIOCore

/// One request on a Redis connection: commands sent in one write, and the promise of their replies.
struct RedisRequest {
    var commands: [[String]]
    var promise: EventLoopPromise<[RedisReply]>
}

/// Encodes commands as RESP arrays and parses replies with hiredis' `redisReader`. Requests are pipelined:
/// many may be in flight on one connection, answered in order. Lives on its channel's event loop only.
final class RedisChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var expected: Int
        var replies: [RedisReply]
        var promise: EventLoopPromise<[RedisReply]>
    }

    private let reader: UnsafeMutablePointer<redisReader>
    private var pending = CircularBuffer<Pending>()

    init() {
        self.reader = redisReaderCreate()
    }

    deinit { redisReaderFree(reader) }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        var buffer = context.channel.allocator.buffer(capacity: 64 * request.commands.count)
        for command in request.commands { Self.encode(command, into: &buffer) }
        pending.append(Pending(expected: request.commands.count, replies: [], promise: request.promise))
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let fed = buffer.withUnsafeReadableBytes { bytes in
            redisReaderFeed(reader, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count)
        }
        guard fed == REDIS_OK else { return fail(context: context, RedisError.protocolViolation) }
        while true {
            var raw: UnsafeMutableRawPointer?
            guard redisReaderGetReply(reader, &raw) == REDIS_OK else { return fail(context: context, RedisError.protocolViolation) }
            guard let raw else { return }
            let reply = RedisReply(raw.assumingMemoryBound(to: redisReply.self))
            freeReplyObject(raw)
            guard !pending.isEmpty else { return fail(context: context, RedisError.protocolViolation) }
            pending[pending.startIndex].replies.append(reply)
            if pending[pending.startIndex].replies.count == pending[pending.startIndex].expected {
                let done = pending.removeFirst()
                done.promise.succeed(done.replies)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisError.unavailable("connection closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context: context, RedisError.unavailable("\(error)"))
    }

    /// A broken stream cannot be resynchronised: fail everything waiting and close.
    private func fail(context: ChannelHandlerContext, _ error: RedisError) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: RedisError) {
        while let request = pending.popFirst() { request.promise.fail(error) }
    }

    /// `*<n>\r\n` then `$<len>\r\n<bytes>\r\n` per argument: binary-safe.
    static func encode(_ command: [String], into buffer: inout ByteBuffer) {
        buffer.writeString("*\(command.count)\r\n")
        for argument in command {
            let bytes = argument.utf8
            buffer.writeString("$\(bytes.count)\r\n")
            buffer.writeBytes(bytes)
            buffer.writeString("\r\n")
        }
    }
}

extension RedisReply {
    /// Copies a hiredis reply (and its elements) into a Swift value.
    init(_ reply: UnsafeMutablePointer<redisReply>) {
        let value = reply.pointee
        func bytes() -> [UInt8] {
            guard let pointer = value.str, value.len > 0 else { return [] }
            return pointer.withMemoryRebound(to: UInt8.self, capacity: value.len) { Array(UnsafeBufferPointer(start: $0, count: value.len)) }
        }
        switch value.type {
        case REDIS_REPLY_STRING: self = .bulk(bytes())
        case REDIS_REPLY_STATUS: self = .status(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_ERROR: self = .error(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_INTEGER: self = .integer(Int64(value.integer))
        case REDIS_REPLY_ARRAY:
            var items: [RedisReply] = []
            items.reserveCapacity(value.elements)
            for index in 0..<value.elements {
                items.append(value.element[index].map(RedisReply.init) ?? .null)
            }
            self = .array(items)
        default: self = .null
        }
    }
}
