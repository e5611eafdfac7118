import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Sends RFC 5176 Disconnect- and CoA-Requests to NASes and returns their authenticated answers.
///
/// One UDP socket per address family, bound on first use and shared by every request to every NAS.
/// Each request carries a Message-Authenticator, and an answer counts only with a valid Response
/// Authenticator and Message-Authenticator (Blast-RADIUS, CVE-2024-3596). A request unanswered after
/// `timeout` is sent again unchanged, `tries` times in all. Retries are safe: a NAS answers a duplicate
/// it recognises (same identifier and source) as it answered the first, and one it does not recognise
/// finds no session to disconnect (NAK 503) or sets the same authorization again. A request carrying an
/// Event-Timestamp should not be retried this way (a repeat needs a fresh timestamp, so a new identifier);
/// pass `tries: 1` for those. Every error thrown is a `RadiusError`.
package final class DynamicAuthClient: Sendable, Service {
    /// How long one try waits for an answer.
    package let timeout: Duration
    /// How many times a request is sent before giving up.
    package let tries: Int
    private let logger: Logger
    private let group: any EventLoopGroup
    private let state = Mutex(State())

    private enum Family: Hashable {
        case ipv4
        case ipv6
    }

    private struct State {
        var channels: [Family: EventLoopFuture<any Channel>] = [:]
        var isShutdown = false
    }

    package init(
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger,
        timeout: Duration = .seconds(1), tries: Int = 3
    ) {
        self.group = group
        self.logger = logger
        self.timeout = timeout
        self.tries = max(tries, 1)
    }

    /// Asks the NAS to end `session` (Disconnect-Request), with any further attributes after the session's.
    package func disconnect(
        _ target: DynamicAuthTarget, session: SessionIdentity, attributes: [RadiusPacket.Attribute] = []
    ) async throws(RadiusError) -> DynamicAuthResult {
        try await dynamicAuthorization(.disconnectRequest, target, session: session, attributes: attributes)
    }

    /// Asks the NAS to change `session`'s authorization (CoA-Request) to `attributes`
    /// (`[.vendor(14988, 8, "10M/20M")]`: a new Mikrotik-Rate-Limit).
    package func changeOfAuthorization(
        _ target: DynamicAuthTarget, session: SessionIdentity, attributes: [RadiusPacket.Attribute]
    ) async throws(RadiusError) -> DynamicAuthResult {
        try await dynamicAuthorization(.coaRequest, target, session: session, attributes: attributes)
    }

    /// Sends one Accounting-, Disconnect- or CoA-Request made of `attributes` and returns the first
    /// authenticated answer, whatever its code. The identifier and both authenticators are filled in here.
    package func send(_ code: RadiusCode, attributes: [RadiusPacket.Attribute], to target: DynamicAuthTarget) async throws(RadiusError) -> RadiusPacket {
        guard code.hasComputedRequestAuthenticator else {
            throw RadiusError.invalidRequest("\(code) cannot be sent by this client")
        }
        guard !target.secret.isEmpty else { throw RadiusError.invalidRequest("the shared secret is empty") }
        guard (1...Int(UInt16.max)).contains(target.port), let destination = try? SocketAddress(ipAddress: target.host, port: target.port) else {
            throw RadiusError.invalidRequest("the NAS address is not an IP address and port")
        }
        let request = RadiusPacket(code: code, attributes: attributes)
        // Found out here, before an identifier is taken, rather than on the event loop.
        _ = try request.signedRequest(secret: target.secret)

        let channel = try await channel(for: destination)
        let answer = channel.eventLoop.makePromise(of: RadiusPacket.self)
        let written = channel.eventLoop.makePromise(of: Void.self)
        // The write fails without reaching the handler when the channel has already closed.
        written.futureResult.whenFailure { error in answer.fail(RadiusError.unreachable("\(error)")) }
        let exchange = DynamicAuthExchange(
            request: request, destination: destination, secret: target.secret,
            timeout: TimeAmount(timeout), tries: tries, promise: answer
        )
        channel.writeAndFlush(exchange, promise: written)
        do {
            return try await answer.futureResult.get()
        } catch {
            throw error as? RadiusError ?? .unreachable("\(error)")
        }
    }

    /// Service: keeps the sockets until shutdown, then closes them.
    package func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Closes the sockets; requests waiting for answers fail with `unreachable`, later ones too.
    package func shutdown() async {
        let channels = state.withLock { state -> [EventLoopFuture<any Channel>] in
            state.isShutdown = true
            defer { state.channels = [:] }
            return Array(state.channels.values)
        }
        for channel in channels {
            try? await channel.get().close()
        }
    }

    private func dynamicAuthorization(
        _ code: RadiusCode, _ target: DynamicAuthTarget, session: SessionIdentity, attributes: [RadiusPacket.Attribute]
    ) async throws(RadiusError) -> DynamicAuthResult {
        let request = try session.attributes() + attributes
        let started = ContinuousClock.now
        let response = try await send(code, attributes: request, to: target)
        guard let result = DynamicAuthResult(response: response, to: code) else {
            throw RadiusError.unexpectedResponse(code: response.code.rawValue)
        }
        logger.debug("radius dynamic authorization answered", metadata: [
            "nas": "\(target)", "radius.request": "\(code)", "radius.result": "\(result)",
            "elapsed": "\(ContinuousClock.now - started)",
        ])
        return result
    }

    /// The socket for `destination`'s address family, bound on first use.
    private func channel(for destination: SocketAddress) async throws(RadiusError) -> any Channel {
        let family: Family = destination.protocol == .inet6 ? .ipv6 : .ipv4
        let future = try state.withLock { state throws(RadiusError) -> EventLoopFuture<any Channel> in
            guard !state.isShutdown else { throw RadiusError.unreachable("the RADIUS client is shut down") }
            if let existing = state.channels[family] { return existing }
            let made = bind(family)
            state.channels[family] = made
            return made
        }
        do {
            return try await future.get()
        } catch {
            // Forget the failed bind so the next request tries again.
            state.withLock { state in
                if let pending = state.channels[family], pending === future { state.channels[family] = nil }
            }
            logger.warning("radius socket bind failed", metadata: ["error": "\(error)"])
            throw RadiusError.unreachable("cannot open a UDP socket: \(error)")
        }
    }

    /// Datagrams taken per read system call (`recvmmsg`).
    private static let datagramsPerRead = 16

    private func bind(_ family: Family) -> EventLoopFuture<any Channel> {
        let logger = self.logger
        return DatagramBootstrap(group: group)
            // Room for a burst of answers (a mass disconnect); the kernel caps it at net.core.rmem_max.
            .channelOption(.socketOption(.so_rcvbuf), value: 1 << 20)
            .channelOption(.datagramVectorReadMessageCount, value: Self.datagramsPerRead)
            // NIO's default 2048-octet datagrams would cut off the larger packets RADIUS allows.
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: RadiusPacket.maximumLength * Self.datagramsPerRead))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DynamicAuthChannelHandler(logger: logger))
                }
            }
            .bind(host: family == .ipv6 ? "::" : "0.0.0.0", port: 0)
    }
}
