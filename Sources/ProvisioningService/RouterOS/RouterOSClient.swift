import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// One router's API over one long-lived connection.
///
/// The connection opens (and logs in) on first use and is kept for every later command; commands are
/// tagged, so any number of them run at once on it. After the connection fails or closes, the next
/// command opens a new one. Commands are never retried here: an `add` that may or may not have reached
/// the router is the caller's to reconcile. Every error thrown is a `RouterOSError`.
package final class RouterOSClient: Sendable {
    package let config: RouterOSConfig
    private let logger: Logger
    private let group: any EventLoopGroup
    private let tlsContext: Result<NIOSSLContext, RouterOSError>?
    private let state = Mutex<State>(.idle)

    private enum State {
        case idle
        case connecting(EventLoopFuture<Connection>)
        case connected(Connection)
        case closed
    }

    /// A logged-in channel and its handler's verdict on it.
    private struct Connection: Sendable {
        var channel: any Channel
        var health: RouterOSConnectionHealth

        var isUsable: Bool { channel.isActive && !health.isBroken }
    }

    package init(config: RouterOSConfig, logger: Logger, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.config = config
        self.logger = logger
        self.group = group
        self.tlsContext = config.tls.map(Self.makeTLSContext)
    }

    /// Runs `command` (`/ppp/secret/print`) and returns its `!re` rows.
    ///
    /// `attributes` become `=key=value` words (`.proplist`, `.id` included); `queries` are query words
    /// (`?name=alice`, `?#|`), sent in order, a leading `?` added where missing.
    @discardableResult
    package func run(_ command: String, attributes: [String: String] = [:], queries: [String] = []) async throws -> [[String: String]] {
        try await execute(command, attributes: attributes, queries: queries).rows
    }

    /// Adds an item under `path` (`/ppp/secret`) and returns the id the router gave it (`*1A`).
    @discardableResult
    package func add(_ path: String, _ attributes: [String: String]) async throws -> String {
        guard let id = try await execute(path + "/add", attributes: attributes).ret else {
            throw RouterOSError.protocolViolation("add answered without an id")
        }
        return id
    }

    /// Runs `command` and returns the whole response: rows, the `!done` attributes, whether it said `!empty`.
    package func execute(
        _ command: String, attributes: [String: String] = [:], queries: [String] = [], timeout: Duration? = nil
    ) async throws -> RouterOSResponse {
        let words = try Self.words(command, attributes: attributes, queries: queries)
        let channel = try await connection()
        do {
            return try await Self.submit(words, on: channel, timeout: timeout ?? config.commandTimeout).get()
        } catch {
            throw error as? RouterOSError ?? .connectionFailed("\(error)")
        }
    }

    /// Closes the connection; later commands fail.
    package func close() async {
        let previous = state.withLock { state -> State in
            defer { state = .closed }
            return state
        }
        switch previous {
        case .connecting(let future): if let connection = try? await future.get() { try? await connection.channel.close() }
        case .connected(let connection): try? await connection.channel.close()
        case .idle, .closed: break
        }
    }

    /// The command sentence without its tag.
    static func words(_ command: String, attributes: [String: String], queries: [String]) throws(RouterOSError) -> [String] {
        guard command.hasPrefix("/"), command.count > 1 else {
            throw RouterOSError.invalidRequest("a command starts with '/'")
        }
        var words = [command]
        for (key, value) in attributes.sorted(by: { $0.key < $1.key }) {
            guard !key.isEmpty, !key.contains("=") else {
                throw RouterOSError.invalidRequest("an attribute name is empty or contains '='")
            }
            words.append("=\(key)=\(value)")
        }
        words += queries.map { $0.hasPrefix("?") ? $0 : "?" + $0 }
        return words
    }

    /// Hands a command to the connection's handler. The write promise covers a channel that closed before
    /// the handler saw the command, which would otherwise leave the response promise unanswered.
    private static func submit(_ words: [String], on channel: any Channel, timeout: Duration) -> EventLoopFuture<RouterOSResponse> {
        let response = channel.eventLoop.makePromise(of: RouterOSResponse.self)
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { error in
            response.fail(error as? RouterOSError ?? .connectionFailed("\(error)"))
        }
        channel.writeAndFlush(RouterOSRequest(words: words, timeout: TimeAmount(timeout), promise: response), promise: written)
        return response.futureResult
    }

    /// The open connection, opening (and logging in) when there is none.
    private func connection() async throws -> any Channel {
        let future = try state.withLock { state throws(RouterOSError) -> EventLoopFuture<Connection> in
            switch state {
            case .closed:
                throw RouterOSError.connectionFailed("client closed")
            case .connected(let connection) where connection.isUsable:
                return connection.channel.eventLoop.makeSucceededFuture(connection)
            case .connecting(let future):
                return future
            case .connected, .idle:
                let made = connect()
                state = .connecting(made)
                return made
            }
        }
        do {
            let connection = try await future.get()
            state.withLock { state in
                if case .connecting(let pending) = state, pending === future { state = .connected(connection) }
            }
            return connection.channel
        } catch {
            // Forget the failed attempt so the next command tries again.
            state.withLock { state in
                if case .connecting(let pending) = state, pending === future { state = .idle }
            }
            logger.warning("routeros connect failed", metadata: ["router": "\(config)", "error": "\(error)"])
            throw error as? RouterOSError ?? .connectionFailed("\(error)")
        }
    }

    private func connect() -> EventLoopFuture<Connection> {
        let config = self.config
        let health = RouterOSConnectionHealth()
        let tls: NIOSSLContext?
        switch tlsContext {
        case nil: tls = nil
        case .success(let context): tls = context
        case .failure(let error): return group.next().makeFailedFuture(error)
        }
        // SNI takes names only; for an address NIOSSL checks the certificate against the peer's IP.
        let serverHostname = (try? SocketAddress(ipAddress: config.host, port: 0)) == nil ? config.host : nil
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(config.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls { try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverHostname)) }
                    try pipeline.addHandler(ByteToMessageHandler(RouterOSSentenceDecoder()))
                    try pipeline.addHandler(RouterOSChannelHandler(health: health))
                }
            }
        return bootstrap.connect(host: config.host, port: config.port)
            .flatMapErrorThrowing { error in throw RouterOSError.connectionFailed("\(error)") }
            .flatMapThrowing { channel in
                // With nothing listening on a local port in the ephemeral range, TCP can connect a socket to
                // itself (simultaneous open): that is no router.
                if let local = channel.localAddress, local == channel.remoteAddress {
                    channel.close(promise: nil)
                    throw RouterOSError.connectionFailed("connection refused (no listener)")
                }
                return channel
            }
            .flatMap { channel in Self.logIn(on: channel, config: config) }
            .map { channel in Connection(channel: channel, health: health) }
    }

    /// The post-6.43 login: name and password in one `/login`. An older router answers with a
    /// challenge (`=ret=`) instead, for the MD5 login this client does not speak.
    private static func logIn(on channel: any Channel, config: RouterOSConfig) -> EventLoopFuture<any Channel> {
        let words = ["/login", "=name=\(config.username)", "=password=\(config.password)"]
        return submit(words, on: channel, timeout: config.commandTimeout)
            .flatMapThrowing { response -> any Channel in
                guard response.ret == nil else {
                    throw RouterOSError.loginFailed("router older than RouterOS 6.43 asked for the challenge login")
                }
                return channel
            }
            .flatMapErrorThrowing { error in
                channel.close(promise: nil)
                if case .trap(_, let message) = error as? RouterOSError { throw RouterOSError.loginFailed(message) }
                throw error
            }
    }

    private static func makeTLSContext(_ tls: RouterOSConfig.TLS) -> Result<NIOSSLContext, RouterOSError> {
        Result {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = tls.verifyCertificate ? .fullVerification : .none
            if let pem = tls.trustedRootsPEM {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)))
            }
            return try NIOSSLContext(configuration: configuration)
        }.mapError { error in .connectionFailed("cannot set up TLS: \(error)") }
    }
}
