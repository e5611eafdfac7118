import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// One `RouterOSClient` — one open connection — per router, shared by every worker that talks to it.
///
/// Routers are told apart by host, port and user. When a router's other settings change (a new
/// password, TLS turned on), its client is replaced and the old connection closed.
package final class RouterOSPool: Sendable, Service {
    /// What identifies a router's connection.
    package struct Key: Hashable, Sendable {
        package var host: String
        package var port: Int
        package var username: String

        package init(_ config: RouterOSConfig) {
            self.host = config.host
            self.port = config.port
            self.username = config.username
        }
    }

    private struct State {
        var clients: [Key: RouterOSClient] = [:]
        var isShutdown = false
    }

    private let logger: Logger
    private let group: any EventLoopGroup
    private let state = Mutex(State())

    package init(logger: Logger, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.logger = logger
        self.group = group
    }

    /// The client for `config`'s router, created on first use.
    package func client(for config: RouterOSConfig) async throws -> RouterOSClient {
        let key = Key(config)
        let (client, replaced) = try state.withLock { state throws(RouterOSError) -> (RouterOSClient, RouterOSClient?) in
            guard !state.isShutdown else { throw RouterOSError.connectionFailed("router pool shut down") }
            let existing = state.clients[key]
            if let existing, existing.config == config { return (existing, nil) }
            let made = RouterOSClient(config: config, logger: logger, group: group)
            state.clients[key] = made
            return (made, existing)
        }
        await replaced?.close()
        return client
    }

    /// Runs one command on `config`'s router and returns its `!re` rows.
    @discardableResult
    package func run(
        _ command: String, on config: RouterOSConfig, attributes: [String: String] = [:], queries: [String] = []
    ) async throws -> [[String: String]] {
        try await client(for: config).run(command, attributes: attributes, queries: queries)
    }

    /// Closes and forgets a router's connection (the router was deleted or moved).
    package func remove(_ config: RouterOSConfig) async {
        let removed = state.withLock { $0.clients.removeValue(forKey: Key(config)) }
        await removed?.close()
    }

    /// How many routers have a client.
    package var count: Int { state.withLock { $0.clients.count } }

    /// Service: keeps the connections until shutdown, then closes them.
    package func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    package func shutdown() async {
        let clients = state.withLock { state -> [RouterOSClient] in
            state.isShutdown = true
            defer { state.clients = [:] }
            return Array(state.clients.values)
        }
        for client in clients { await client.close() }
    }
}
