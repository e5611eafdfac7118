import NIOCore
import NIOPosix

/// Loopback ports nothing holds right now, for servers a test starts (bound, read, closed: another process
/// could take one in between, which on a test machine does not happen in practice).
package enum TestPorts {
    package static func freeUDP() async throws -> Int {
        try await port(of: DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get())
    }

    package static func freeTCP() async throws -> Int {
        try await port(of: ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get())
    }

    private static func port(of channel: any Channel) async throws -> Int {
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        guard port > 0 else { throw TestFailure("no free port") }
        return port
    }
}
