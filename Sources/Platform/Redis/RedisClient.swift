import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization

/// A small pool of hiredis connections. Blocking calls run only on a dedicated `NIOThreadPool` sized to the
/// pool, so they never block an event loop or the cooperative thread pool.
package final class RedisClient: Sendable, Service {
    package let config: RedisConfig
    private let threadPool: NIOThreadPool
    private let state: Mutex<PoolState>
    private let logger: Logger

    private struct PoolState: ~Copyable {
        var idle: [RedisConnection] = []
        var open = 0
        var waiters: [CheckedContinuation<RedisConnection?, Never>] = []
        var isShutdown = false
    }

    package init(config: RedisConfig, logger: Logger) {
        self.config = config
        self.threadPool = NIOThreadPool(numberOfThreads: config.poolSize)
        self.threadPool.start()
        self.state = Mutex(PoolState())
        self.logger = logger
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
        let connection = try await checkOut()
        do {
            let replies = try await threadPool.runIfActive { try connection.pipeline(commands) }
            checkIn(connection)
            return replies
        } catch {
            discard()
            throw error
        }
    }

    /// Service: keeps the pool alive until shutdown, then closes connections and stops the threads.
    package func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    package func shutdown() async {
        let waiters = state.withLock { state -> [CheckedContinuation<RedisConnection?, Never>] in
            state.isShutdown = true
            state.idle.removeAll()
            let waiters = state.waiters
            state.waiters.removeAll()
            return waiters
        }
        waiters.forEach { $0.resume(returning: nil) }
        try? await threadPool.shutdownGracefully()
    }

    private enum CheckOut {
        case use(RedisConnection)
        case create
        case wait
        case closed
    }

    private func checkOut() async throws -> RedisConnection {
        let decision = state.withLock { state -> CheckOut in
            if state.isShutdown { return .closed }
            if let connection = state.idle.popLast() { return .use(connection) }
            if state.open < config.poolSize {
                state.open += 1
                return .create
            }
            return .wait
        }
        switch decision {
        case .use(let connection):
            return connection
        case .closed:
            throw RedisError.unavailable("client shut down")
        case .create:
            return try await connect()
        case .wait:
            let handedOver = await withCheckedContinuation { continuation in
                let immediate = state.withLock { state -> CheckOut? in
                    if state.isShutdown { return .closed }
                    if let connection = state.idle.popLast() { return .use(connection) }
                    if state.open < config.poolSize {
                        state.open += 1
                        return .create
                    }
                    state.waiters.append(continuation)
                    return nil
                }
                switch immediate {
                case .use(let connection): continuation.resume(returning: connection)
                case .create, .wait: continuation.resume(returning: nil)
                case .closed: continuation.resume(returning: nil)
                case .none: break
                }
            }
            if let handedOver { return handedOver }
            // Woken without a connection: a slot was freed for us (or the pool is shutting down).
            let isShutdown = state.withLock { $0.isShutdown }
            if isShutdown { throw RedisError.unavailable("client shut down") }
            return try await connect()
        }
    }

    /// Opens a connection for a slot already counted in `open`; gives the slot back on failure.
    private func connect() async throws -> RedisConnection {
        do {
            let config = self.config
            return try await threadPool.runIfActive { try RedisConnection(config: config) }
        } catch {
            discard()
            logger.warning("redis connect failed", metadata: ["error": "\(error)"])
            throw error as? RedisError ?? RedisError.unavailable("\(error)")
        }
    }

    private func checkIn(_ connection: RedisConnection) {
        let waiter = state.withLock { state -> CheckedContinuation<RedisConnection?, Never>? in
            if connection.isBroken || state.isShutdown {
                state.open -= 1
                if !state.waiters.isEmpty, !state.isShutdown {
                    state.open += 1
                    return state.waiters.removeFirst()
                }
                return nil
            }
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.idle.append(connection)
            return nil
        }
        guard let waiter else { return }
        waiter.resume(returning: connection.isBroken ? nil : connection)
    }

    /// Drops a connection that failed; a waiter, if any, gets its slot to open a fresh one.
    private func discard() {
        let waiter = state.withLock { state -> CheckedContinuation<RedisConnection?, Never>? in
            state.open -= 1
            if !state.waiters.isEmpty, !state.isShutdown {
                state.open += 1
                return state.waiters.removeFirst()
            }
            return nil
        }
        waiter?.resume(returning: nil)
    }
}
