import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A few Postgres connections for hot reads, each request pipelined: its statements and one `Sync` go out
/// in one write and come back in one reply, so a tenant-scoped read costs one round trip (the driver of the
/// main pool waits for each statement's answer before sending the next, four round trips for the same
/// read). Many requests share a connection, answered in order; each goes to the connection with the fewest
/// in flight. Connections open on first use and reopen after a failure.
package final class ReadPipeline: Sendable {
    private let config: DatabaseConfig
    private let logger: Logger
    private let group: any EventLoopGroup
    private let slots: [Slot]
    private let isShutdown = Atomic<Bool>(false)
    private let requestTimeout: TimeAmount

    private final class Slot: Sendable {
        let connection = ChannelSlot()
        let inFlight = Atomic<Int>(0)
    }

    /// `requestTimeout`: a request not answered by then fails, and its connection is closed (a reply that
    /// never comes would leave the stream unusable); the requests behind it on that connection fail too.
    package init(
        config: DatabaseConfig, logger: Logger, requestTimeout: TimeAmount = .seconds(30),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.config = config
        self.requestTimeout = requestTimeout
        self.logger = logger
        self.group = group
        self.slots = (0..<max(1, config.readConnections)).map { _ in Slot() }
    }

    /// Runs the statements in one implicit transaction and returns their results in order. A failing
    /// statement fails the request, and Postgres rolls back everything it did.
    package func run(_ calls: [WireCall]) async throws -> [WireResult] {
        let slot = slots.min { $0.inFlight.load(ordering: .relaxed) < $1.inFlight.load(ordering: .relaxed) }!
        slot.inFlight.add(1, ordering: .relaxed)
        defer { slot.inFlight.subtract(1, ordering: .relaxed) }
        let channel = try await connection(slot)
        let promise = channel.eventLoop.makePromise(of: [WireResult].self)
        // A write that fails never reaches the handler (a channel closed meanwhile): it fails the reply too.
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { _ in promise.fail(WireError.connectionClosed) }
        let deadline = channel.eventLoop.scheduleTask(in: requestTimeout) {
            promise.fail(WireError.timedOut)
            channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        channel.writeAndFlush(WireRequest(calls: calls, promise: promise), promise: written)
        return try await promise.futureResult.get()
    }

    /// Closes every connection; later requests fail.
    package func shutdown() async {
        isShutdown.store(true, ordering: .relaxed)
        for slot in slots { await slot.connection.close() }
    }

    private func connection(_ slot: Slot) async throws -> any Channel {
        guard !isShutdown.load(ordering: .relaxed) else { throw WireError.shutDown }
        do {
            return try await slot.connection.channel(connect)
        } catch {
            logger.warning("postgres read connection failed", metadata: ["error": "\(error)"])
            throw error
        }
    }

    private func connect() -> EventLoopFuture<any Channel> {
        let config = self.config
        let eventLoop = group.next()
        let started = eventLoop.makePromise(of: Void.self)
        // A server that accepts but never finishes the start-up must not hold requests forever.
        let deadline = eventLoop.scheduleTask(in: .seconds(10)) { started.fail(WireError.connectionClosed) }
        started.futureResult.whenComplete { _ in deadline.cancel() }
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        WireChannelHandler(user: config.username, database: config.database, password: config.password, started: started)
                    )
                }
            }
        let connected: EventLoopFuture<any Channel>
        if let socketPath = config.socketPath {
            connected = bootstrap.connect(unixDomainSocketPath: socketPath)
        } else {
            connected = bootstrap.channelOption(.socketOption(.tcp_nodelay), value: 1).connect(host: config.host, port: config.port)
        }
        return connected.flatMap { channel in
            started.futureResult.map { channel }.flatMapErrorThrowing { error in
                channel.close(promise: nil)
                throw error
            }
        }.flatMapErrorThrowing { error in
            started.fail(error)  // a connect that failed never started the handler
            throw error as? WireError ?? WireError.connectionClosed
        }
    }
}
