import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Redis over a few NIO connections. Commands are encoded in Swift and replies parsed by hiredis' reader
/// on the connection's event loop: nothing blocks, and many requests share one connection (pipelined,
/// answered in order). Connections open on first use and reopen after a failure.
package final class RedisClient: Sendable, Service {
    package let config: RedisConfig
    private let logger: Logger
    private let group: any EventLoopGroup
    private let slots: [ChannelSlot]
    private let next = Atomic<Int>(0)
    private let isShutdown = Atomic<Bool>(false)

    package init(config: RedisConfig, logger: Logger, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.config = config
        self.logger = logger
        self.group = group
        self.slots = (0..<max(1, config.poolSize)).map { _ in ChannelSlot() }
    }

    /// Prefixes a key with the configured namespace.
    package func key(_ name: String) -> String { config.keyPrefix + name }

    /// Runs one command. An error reply from Redis is thrown as `RedisError.command`.
    @discardableResult
    package func send(_ arguments: String...) async throws -> RedisReply {
        try await send(arguments)
    }

    @discardableResult
    package func send(_ arguments: [String]) async throws -> RedisReply {
        let reply = try await pipeline([arguments])[0]
        if case .error(let message) = reply { throw RedisError.command(message) }
        return reply
    }

    /// Runs the commands in one round trip; replies come back in order, error replies as `.error` values.
    package func pipeline(_ commands: [[String]]) async throws -> [RedisReply] {
        guard !commands.isEmpty else { return [] }
        let channel = try await connection()
        let promise = channel.eventLoop.makePromise(of: [RedisReply].self)
        let timeout = channel.eventLoop.scheduleTask(in: .milliseconds(Int64(config.timeoutMilliseconds))) {
            // A reply that never comes leaves the stream unusable: closing fails every waiter.
            channel.close(promise: nil)
        }
        // A write that fails never reaches the handler (a channel closed meanwhile, as by `shutdown`): its
        // reply would never come, so it fails the reply too (a second failure of the reply is ignored).
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { error in promise.fail(RedisError.unavailable("\(error)")) }
        channel.writeAndFlush(RedisRequest(commands: commands, promise: promise), promise: written)
        defer { timeout.cancel() }
        return try await promise.futureResult.get()
    }

    /// Service: keeps the connections until shutdown, then closes them.
    package func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    package func shutdown() async {
        isShutdown.store(true, ordering: .relaxed)
        for slot in slots { await slot.close() }
    }

    /// A connected channel from the next slot, (re)connecting it when needed.
    private func connection() async throws -> any Channel {
        guard !isShutdown.load(ordering: .relaxed) else { throw RedisError.unavailable("client shut down") }
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue % slots.count
        do {
            return try await slots[index].channel(connect)
        } catch {
            logger.warning("redis connect failed", metadata: ["error": "\(error)"])
            throw error as? RedisError ?? RedisError.unavailable("\(error)")
        }
    }

    private func connect() -> EventLoopFuture<any Channel> {
        let config = self.config
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.milliseconds(Int64(config.timeoutMilliseconds)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RedisChannelHandler())
                }
            }
        return bootstrap.connect(host: config.host, port: config.port).flatMap { channel in
            var setup: [[String]] = []
            if let password = config.password { setup.append(["AUTH", password]) }
            if config.database != 0 { setup.append(["SELECT", String(config.database)]) }
            guard !setup.isEmpty else { return channel.eventLoop.makeSucceededFuture(channel) }
            let promise = channel.eventLoop.makePromise(of: [RedisReply].self)
            channel.writeAndFlush(RedisRequest(commands: setup, promise: promise), promise: nil)
            return promise.futureResult.flatMapThrowing { replies in
                if let failure = replies.first(where: { if case .error = $0 { true } else { false } }), case .error(let message) = failure {
                    channel.close(promise: nil)
                    throw RedisError.unavailable(message)
                }
                return channel
            }
        }.flatMapErrorThrowing { error in
            throw error as? RedisError ?? RedisError.unavailable("\(error)")
        }
    }
}
