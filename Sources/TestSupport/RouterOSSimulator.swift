import NIOCore
import NIOPosix
import NIOSSL
import ProvisioningService
import Synchronization

/// A MikroTik router's API for tests, on 127.0.0.1: the same framing, login and tags as RouterOS, and
/// in-memory menus (`/ppp/secret`, `/queue/simple`, `/ip/firewall/address-list` …) with `print`
/// (queries, `.proplist`, `count-only`), `add`, `set` and `remove`.
///
/// Tests read and change the menus directly (`rows(_:)`, `addActive(…)`) and switch faults on and off
/// while it runs (`faults`, `dropConnections()`, `stopListening()`). Safe to use from any task.
package final class RouterOSSimulator: Sendable {
    /// Answers matching commands with `!trap message` instead of running them.
    package struct ForcedTrap: Sendable {
        /// Commands starting with this (`/queue/simple`); `nil` means every command but `/login`.
        package var pathPrefix: String?
        package var message: String

        package init(pathPrefix: String? = nil, message: String) {
            self.pathPrefix = pathPrefix
            self.message = message
        }

        func applies(to command: String) -> Bool {
            guard let pathPrefix else { return command != "/login" }
            return command.hasPrefix(pathPrefix)
        }
    }

    /// Faults a test switches on and off while the simulator runs.
    package struct Faults: Sendable {
        /// Every reply waits this long.
        package var replyDelay: Duration = .zero
        /// Each reply waits a further random time up to this, so replies overtake each other.
        package var replyJitter: Duration = .zero
        /// New connections are closed as soon as they are accepted.
        package var closeOnAccept = false
        /// Each connection answers this many sentences (the login included), then closes on the next.
        package var closeAfterSentences: Int?
        package var trap: ForcedTrap?
        /// After login, every command is answered with these bytes instead (say, a control byte).
        package var rawReply: [UInt8]?

        package init() {}
    }

    /// What one connection has done so far.
    struct Session {
        var loggedIn = false
        var handled = 0
    }

    /// What to send back for one sentence.
    struct Answer {
        var sentences: [RouterOSSentence] = []
        var raw: [UInt8]?
        var close = false
        var delay: Duration = .zero
    }

    private struct State {
        var tables: Tables
        var faults = Faults()
        var port: Int
        var listener: (any Channel)?
        var connections: [ObjectIdentifier: any Channel] = [:]
        var accepted = 0
        var received: [RouterOSSentence] = []
    }

    package let username: String
    package let password: String
    /// Whether this simulator says `!empty` for commands without rows, as RouterOS 7.18 and later do.
    package let saysEmpty: Bool
    private let tlsContext: NIOSSLContext?
    private let startedAt = ContinuousClock.now
    private let state: Mutex<State>

    private init(username: String, password: String, version: String, saysEmpty: Bool, tls: Bool, port: Int) throws {
        self.username = username
        self.password = password
        self.saysEmpty = saysEmpty
        self.tlsContext = tls ? try Self.makeTLSContext() : nil
        self.state = Mutex(State(tables: Tables(version: version), port: port))
    }

    /// Starts listening on 127.0.0.1:`port` (0: any free port; see `port`). With `tls`, it speaks
    /// api-ssl with `certificatePEM`.
    package static func start(
        username: String = "admin", password: String = "", version: String = "7.16",
        saysEmpty: Bool = false, tls: Bool = false, port: Int = 0
    ) async throws -> RouterOSSimulator {
        let simulator = try RouterOSSimulator(
            username: username, password: password, version: version, saysEmpty: saysEmpty, tls: tls, port: port
        )
        try await simulator.startListening()
        return simulator
    }

    /// Runs `body` with a started simulator and stops it afterwards, whether `body` throws or not.
    package static func with<Result>(
        username: String = "admin", password: String = "", version: String = "7.16",
        saysEmpty: Bool = false, tls: Bool = false,
        _ body: (RouterOSSimulator) async throws -> Result
    ) async throws -> Result {
        let simulator = try await start(username: username, password: password, version: version, saysEmpty: saysEmpty, tls: tls)
        do {
            let result = try await body(simulator)
            await simulator.stop()
            return result
        } catch {
            await simulator.stop()
            throw error
        }
    }

    /// The bound port; it stays the same across `stopListening()` and `startListening()`.
    package var port: Int { state.withLock { $0.port } }

    /// A client configuration for this simulator, its own credentials unless others are given.
    package func clientConfig(
        username: String? = nil, password: String? = nil, tls: RouterOSConfig.TLS? = nil,
        commandTimeout: Duration = .seconds(5)
    ) -> RouterOSConfig {
        RouterOSConfig(
            host: "127.0.0.1", port: port, username: username ?? self.username, password: password ?? self.password,
            tls: tls ?? (tlsContext == nil ? nil : RouterOSConfig.TLS(verifyCertificate: false)),
            connectTimeout: .seconds(2), commandTimeout: commandTimeout
        )
    }

    // MARK: Faults and connections

    package var faults: Faults {
        get { state.withLock { $0.faults } }
        set { state.withLock { $0.faults = newValue } }
    }

    /// Connections accepted so far (including ones closed by `closeOnAccept`).
    package var acceptedConnections: Int { state.withLock { $0.accepted } }

    package var openConnections: Int { state.withLock { $0.connections.count } }

    /// Every non-empty sentence received, in order, across connections.
    package var receivedSentences: [RouterOSSentence] { state.withLock { $0.received } }

    /// Closes every open connection, as a router reboot or a cable pull would.
    package func dropConnections() async {
        let channels = state.withLock { Array($0.connections.values) }
        for channel in channels { try? await channel.close() }
    }

    /// Stops accepting connections (new ones are refused) and closes the open ones.
    package func stopListening() async {
        let listener = state.withLock { state -> (any Channel)? in
            defer { state.listener = nil }
            return state.listener
        }
        try? await listener?.close()
        await dropConnections()
    }

    /// Listens again, on the same port.
    package func startListening() async throws {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tlsContext { try pipeline.addHandler(NIOSSLServerHandler(context: tlsContext)) }
                    try pipeline.addHandler(ByteToMessageHandler(RouterOSSentenceDecoder()))
                    try pipeline.addHandler(Connection(simulator: self))
                }
            }
        // Listening again on the same port: a parallel test's socket may hold it for a moment; wait for it.
        var attempt = 0
        let listener: any Channel
        while true {
            do {
                listener = try await bootstrap.bind(host: "127.0.0.1", port: port).get()
                break
            } catch {
                attempt += 1
                guard port != 0, attempt < 100 else { throw error }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        state.withLock { state in
            state.listener = listener
            state.port = listener.localAddress?.port ?? state.port
        }
    }

    /// Stops listening and closes everything.
    package func stop() async {
        await stopListening()
    }

    // MARK: Menus

    /// The rows of a menu (`/queue/simple`), ids in `.id`.
    package func rows(_ path: String) -> [[String: String]] {
        state.withLock { $0.tables.rows(path) }
    }

    /// Adds a row as the router itself would (no uniqueness check, no defaults); returns its id.
    @discardableResult
    package func insert(_ path: String, _ attributes: [String: String]) -> String {
        state.withLock { $0.tables.insert(path, attributes) }
    }

    /// Merges `attributes` into a row (any row of a singleton menu); false when there is no such row.
    @discardableResult
    package func update(_ path: String, id: String? = nil, _ attributes: [String: String]) -> Bool {
        state.withLock { $0.tables.update(path, id: id, attributes) }
    }

    package func removeAll(_ path: String) {
        state.withLock { $0.tables.removeAll(path) }
    }

    /// A PPP session as the router lists it in `/ppp/active`; returns its id.
    @discardableResult
    package func addActive(
        name: String, address: String, callerID: String = "00:11:22:33:44:55", service: String = "pppoe"
    ) -> String {
        insert("/ppp/active", [
            "name": name, "address": address, "caller-id": callerID, "service": service,
            "uptime": "1m", "encoding": "", "session-id": "0x81\(String(name.utf8.count, radix: 16))", "radius": "false",
        ])
    }

    /// A hotspot session as the router lists it in `/ip/hotspot/active`; returns its id.
    @discardableResult
    package func addHotspotActive(user: String, address: String, macAddress: String = "00:11:22:33:44:66") -> String {
        insert("/ip/hotspot/active", [
            "user": user, "address": address, "mac-address": macAddress, "server": "hotspot1", "uptime": "1m", "login-by": "http-chap",
        ])
    }

    // MARK: Answering

    func register(_ channel: any Channel) -> Bool {
        state.withLock { state in
            state.accepted += 1
            guard !state.faults.closeOnAccept else { return false }
            state.connections[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    func unregister(_ channel: any Channel) {
        _ = state.withLock { $0.connections.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Runs one sentence against the menus, faults applied.
    func answer(_ sentence: RouterOSSentence, session: inout Session) -> Answer {
        let uptime = Self.uptime(ContinuousClock.now - startedAt)
        return state.withLock { state in
            state.received.append(sentence)
            let faults = state.faults
            if let limit = faults.closeAfterSentences, session.handled >= limit { return Answer(close: true) }
            session.handled += 1
            var answer = Answer(delay: faults.replyDelay + Self.random(upTo: faults.replyJitter))
            let command = sentence.head ?? ""
            let replies: [RouterOSSentence]
            if let trap = faults.trap, trap.applies(to: command) {
                replies = Replies.trap(trap.message)
            } else if command == "/login" {
                let attributes = sentence.attributes
                session.loggedIn = attributes["name"] == username && attributes["password", default: ""] == password
                replies = session.loggedIn ? [Replies.done()] : Replies.trap("invalid user name or password (6)")
            } else if !session.loggedIn {
                answer.sentences = [RouterOSSentence(["!fatal", "not logged in"])]
                answer.close = true
                return answer
            } else if let raw = faults.rawReply {
                answer.raw = raw
                return answer
            } else if command == "/quit" {
                answer.sentences = [RouterOSSentence(["!fatal", "session terminated on request"])]
                answer.close = true
                return answer
            } else if command == "/cancel" {
                replies = [Replies.done()]
            } else {
                if command == "/system/resource/print" { _ = state.tables.update("/system/resource", id: nil, ["uptime": uptime]) }
                replies = state.tables.execute(sentence, saysEmpty: saysEmpty)
            }
            let tag = sentence.tag.map { [".tag=\($0)"] } ?? []
            answer.sentences = replies.map { RouterOSSentence($0.words + tag) }
            return answer
        }
    }

    private static func random(upTo limit: Duration) -> Duration {
        let microseconds = limit.components.seconds * 1_000_000 + limit.components.attoseconds / 1_000_000_000_000
        return microseconds > 0 ? .microseconds(Int64.random(in: 0...microseconds)) : .zero
    }

    /// RouterOS's uptime format: `3d4h5m6s`, from the largest non-zero unit down.
    package static func uptime(_ elapsed: Duration) -> String {
        var seconds = Int(elapsed.components.seconds)
        var text = ""
        for (unit, size) in [("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60)] where seconds >= size || !text.isEmpty {
            text += "\(seconds / size)\(unit)"
            seconds %= size
        }
        return text + "\(seconds)s"
    }
}
