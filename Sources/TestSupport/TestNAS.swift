import Crypto
import NIOCore
import NIOPosix
import ProvisioningService
import Synchronization

/// A NAS's dynamic authorization listener (RFC 5176) for tests, on 127.0.0.1 UDP.
///
/// It checks each request's Request Authenticator and Message-Authenticator against its secret, records
/// every request it receives, and answers Disconnect- and CoA-Requests as `behaviour` says: ACK by default,
/// NAK 503 for sessions it does not know (once `knownSessions` is set), a given NAK, silence, late
/// answers, or answers with a broken authenticator. A request that fails either check is recorded and
/// dropped, as a NAS drops it. Answers carry a Response Authenticator and Message-Authenticator unless a
/// fault says otherwise. Safe to use from any task; `behaviour` and `knownSessions` can change while it runs.
package final class TestNAS: Sendable {
    /// What the NAS says to a request that passed its checks.
    package enum Answer: Sendable, Equatable {
        /// ACK, or NAK 503 when `knownSessions` is set and does not hold the request's Acct-Session-Id.
        case ack
        case nak(RadiusErrorCause)
        /// No answer at all.
        case silent
    }

    /// Ways to spoil an answer.
    package enum ResponseFault: Sendable, Equatable {
        case none
        /// A Response Authenticator that does not match (the Message-Authenticator is right).
        case badResponseAuthenticator
        /// A Message-Authenticator that does not match (the Response Authenticator is right over it).
        case badMessageAuthenticator
        /// No Message-Authenticator, as an unpatched NAS answers (the Response Authenticator is right).
        case missingMessageAuthenticator
        /// A correctly signed answer of the other kind: CoA-ACK to a Disconnect-Request and the reverse.
        case wrongCode
    }

    package struct Behaviour: Sendable {
        package var answer = Answer.ack
        /// This many requests that passed the checks (retransmissions included) go unanswered first.
        package var ignoreFirst = 0
        /// Every answer waits this long, plus a random time up to `jitter`, so answers overtake each other.
        package var delay = Duration.zero
        package var jitter = Duration.zero
        /// Sent as Reply-Message with every answer.
        package var replyMessage: String?
        package var responseFault = ResponseFault.none
        /// Drop requests without a Message-Authenticator (RFC 5176 makes it optional; Blast-RADIUS makes it needed).
        package var requireMessageAuthenticator = true

        package init() {}
    }

    /// One datagram the NAS received.
    package struct ReceivedRequest: Sendable {
        package var packet: RadiusPacket
        package var octets: [UInt8]
        package var verification: RadiusVerification
        package var sourcePort: Int
        /// The code of the answer sent; `nil` when it was dropped.
        package var answer: RadiusCode?

        package var code: RadiusCode { packet.code }
        package var identifier: UInt8 { packet.identifier }
        package var attributes: [RadiusPacket.Attribute] { packet.attributes }
    }

    fileprivate struct State {
        var behaviour = Behaviour()
        var knownSessions: Set<String>?
        var received: [ReceivedRequest] = []
        var ignored = 0
        var channel: (any Channel)?
    }

    package let secret: String
    package let port: Int
    private let shared: SharedState

    private init(secret: String, port: Int, channel: any Channel, shared: SharedState) {
        self.secret = secret
        self.port = port
        self.shared = shared
        shared.state.withLock { $0.channel = channel }
    }

    /// Starts listening on 127.0.0.1:`port` (0: any free port; see `port`).
    package static func start(secret: String = "s3cret", port: Int = 0) async throws -> TestNAS {
        let shared = SharedState()
        let responder = Responder(secret: secret, shared: shared)
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.so_rcvbuf), value: 1 << 20)
            .channelOption(.datagramVectorReadMessageCount, value: 16)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: RadiusPacket.maximumLength * 16))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Listener(responder: responder))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        guard let bound = channel.localAddress?.port else {
            try? await channel.close()
            throw TestFailure("the test NAS has no local port")
        }
        return TestNAS(secret: secret, port: bound, channel: channel, shared: shared)
    }

    /// Runs `body` with a started NAS and stops it afterwards, whether `body` throws or not.
    package static func with<Result>(secret: String = "s3cret", _ body: (TestNAS) async throws -> Result) async throws -> Result {
        let nas = try await start(secret: secret)
        do {
            let result = try await body(nas)
            await nas.stop()
            return result
        } catch {
            await nas.stop()
            throw error
        }
    }

    package func stop() async {
        let channel = shared.state.withLock { state -> (any Channel)? in
            defer { state.channel = nil }
            return state.channel
        }
        try? await channel?.close()
    }

    /// Where a client reaches this NAS; its own secret unless another is given.
    package func target(secret: String? = nil) -> DynamicAuthTarget {
        DynamicAuthTarget(host: "127.0.0.1", port: port, secret: secret ?? self.secret)
    }

    package var behaviour: Behaviour {
        get { shared.state.withLock { $0.behaviour } }
        set { shared.state.withLock { $0.behaviour = newValue } }
    }

    /// `nil` (the default): every session exists. Otherwise the Acct-Session-Ids of the sessions that do;
    /// a request for any other gets NAK 503 (Session Context Not Found).
    package var knownSessions: Set<String>? {
        get { shared.state.withLock { $0.knownSessions } }
        set { shared.state.withLock { $0.knownSessions = newValue } }
    }

    /// Every request received, in order, retransmissions and dropped ones included.
    package var received: [ReceivedRequest] { shared.state.withLock { $0.received } }
}

/// The NAS's state, held by the NAS object and by its listener.
private final class SharedState: Sendable {
    let state = Mutex(TestNAS.State())
}

/// Decides and signs answers.
private struct Responder: Sendable {
    let secret: String
    let shared: SharedState

    /// The answer's octets and how long to hold it, or `nil` to drop the request.
    func answer(_ octets: [UInt8], from sourcePort: Int) -> (octets: [UInt8], delay: Duration)? {
        guard let request = try? RadiusPacket(decoding: octets) else { return nil }
        let verification = RadiusPacket.verifyRequest(octets, secret: secret)
        return shared.state.withLock { state -> (octets: [UInt8], delay: Duration)? in
            let index = state.received.count
            state.received.append(TestNAS.ReceivedRequest(
                packet: request, octets: octets, verification: verification, sourcePort: sourcePort, answer: nil
            ))
            let behaviour = state.behaviour
            guard verification.authenticatorValid,
                  verification.messageAuthenticator == .valid
                      || (verification.messageAuthenticator == .missing && !behaviour.requireMessageAuthenticator),
                  let codes = request.code.dynamicAuthAnswers
            else { return nil }
            guard state.ignored >= behaviour.ignoreFirst else {
                state.ignored += 1
                return nil
            }
            var cause: RadiusErrorCause?
            switch behaviour.answer {
            case .silent: return nil
            case .nak(let given): cause = given
            case .ack:
                if let known = state.knownSessions, !known.contains(request.acctSessionID ?? "") { cause = .sessionContextNotFound }
            }
            var code = cause == nil ? codes.ack : codes.nak
            if behaviour.responseFault == .wrongCode {
                code = code == .disconnectACK ? .coaACK : .disconnectACK
            }
            var attributes: [RadiusPacket.Attribute] = []
            if let cause { attributes.append(.errorCause(cause)) }
            if let message = behaviour.replyMessage { attributes.append(.replyMessage(message)) }
            let response = RadiusPacket(code: code, identifier: request.identifier, attributes: attributes)
            guard let signed = try? sign(response, to: request.authenticator, fault: behaviour.responseFault) else { return nil }
            state.received[index].answer = code
            return (signed, behaviour.delay + Self.random(upTo: behaviour.jitter))
        }
    }

    private func sign(_ response: RadiusPacket, to requestAuthenticator: [UInt8], fault: TestNAS.ResponseFault) throws -> [UInt8] {
        switch fault {
        case .none, .wrongCode:
            return try response.signedResponse(to: requestAuthenticator, secret: secret)
        case .badResponseAuthenticator:
            var octets = try response.signedResponse(to: requestAuthenticator, secret: secret)
            octets[4] ^= 0x01
            return octets
        case .badMessageAuthenticator:
            // Message-Authenticator first, as the signer puts it; spoil its value, then re-sign the rest.
            var octets = try response.signedResponse(to: requestAuthenticator, secret: secret)
            octets[RadiusPacket.headerLength + 2] ^= 0x01
            return resigned(octets, requestAuthenticator: requestAuthenticator)
        case .missingMessageAuthenticator:
            var unsigned = response
            unsigned.authenticator = requestAuthenticator
            return resigned(try unsigned.encoded(), requestAuthenticator: requestAuthenticator)
        }
    }

    /// `octets` with a Response Authenticator computed over them as they are (RFC 2866 §3).
    private func resigned(_ octets: [UInt8], requestAuthenticator: [UInt8]) -> [UInt8] {
        var octets = octets
        octets.replaceSubrange(4..<RadiusPacket.headerLength, with: requestAuthenticator)
        octets.replaceSubrange(4..<RadiusPacket.headerLength, with: Array(Insecure.MD5.hash(data: octets + Array(secret.utf8))))
        return octets
    }

    private static func random(upTo limit: Duration) -> Duration {
        let microseconds = limit.components.seconds * 1_000_000 + limit.components.attoseconds / 1_000_000_000_000
        return microseconds > 0 ? .microseconds(Int64.random(in: 0...microseconds)) : .zero
    }
}

/// Hands each datagram to the responder and sends its answer, at once or after the delay.
private final class Listener: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let responder: Responder

    init(responder: Responder) {
        self.responder = responder
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let answer = responder.answer(Array(envelope.data.readableBytesView), from: envelope.remoteAddress.port ?? 0) else { return }
        let datagram = AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: context.channel.allocator.buffer(bytes: answer.octets))
        guard answer.delay > .zero else {
            context.writeAndFlush(wrapOutboundOut(datagram), promise: nil)
            return
        }
        context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(answer.delay)) { [self] in
            context.writeAndFlush(wrapOutboundOut(datagram), promise: nil)
        }
    }

    /// A failed read on a datagram socket does not end the listener.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {}
}
