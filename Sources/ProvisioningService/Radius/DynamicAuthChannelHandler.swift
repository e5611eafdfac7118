import Logging
import NIOCore

/// One Disconnect- or CoA-Request for the handler: what to send where, how patiently, and where the
/// authenticated answer goes. The identifier is the handler's to assign.
struct DynamicAuthExchange {
    var request: RadiusPacket
    var destination: SocketAddress
    var secret: String
    var timeout: TimeAmount
    var tries: Int
    var promise: EventLoopPromise<RadiusPacket>
}

/// Runs every exchange of one UDP socket. Lives on its event loop only.
///
/// Identifiers are allocated per destination (address and port), so up to 256 requests to one NAS and
/// any number across NASes are in flight at once; further requests to a NAS with all 256 taken wait for
/// one to free. An answer is matched by its source and identifier and must authenticate against the
/// request it answers. One that does not — a wrong secret, a missing Message-Authenticator, a late answer
/// to an earlier holder of the identifier, a forgery — is dropped, and the request keeps waiting for a
/// valid one; if none comes, it fails with `badAuthenticator` rather than `timeout`. A request that gets
/// no answer within its timeout is sent again, the same octets with the same identifier (RFC 5080 §2.2.1),
/// until its tries run out.
final class DynamicAuthChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundIn = DynamicAuthExchange
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private struct Key: Hashable {
        var destination: SocketAddress
        var identifier: UInt8
    }

    private struct InFlight {
        var exchange: DynamicAuthExchange
        /// Tells this exchange from a later one holding the same key, for callbacks that arrive late.
        var serial: UInt64
        var octets: [UInt8]
        var triesLeft: Int
        var timer: Scheduled<Void>?
        var rejectedAnswers = 0

        var requestAuthenticator: [UInt8] { Array(octets[4..<RadiusPacket.headerLength]) }
    }

    /// Identifier bookkeeping for one NAS.
    private struct Destination {
        /// Where the search for a free identifier starts; it moves on with every allocation, so a
        /// released identifier is the last to be reused while the NAS stays busy. (A late answer to a
        /// reused identifier fails authentication against the new request and is dropped in any case.)
        var nextIdentifier = UInt8.random(in: 0...UInt8.max)
        var inUse = Set<UInt8>()
        var waiting = CircularBuffer<DynamicAuthExchange>()

        mutating func allocate() -> UInt8? {
            guard inUse.count <= Int(UInt8.max) else { return nil }
            var candidate = nextIdentifier
            while inUse.contains(candidate) { candidate &+= 1 }
            inUse.insert(candidate)
            nextIdentifier = candidate &+ 1
            return candidate
        }
    }

    private let logger: Logger
    private var inFlight: [Key: InFlight] = [:]
    private var destinations: [SocketAddress: Destination] = [:]
    private var nextSerial: UInt64 = 0
    private var isClosed = false

    init(logger: Logger) {
        self.logger = logger
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        promise?.succeed(())
        guard !isClosed else {
            exchange.promise.fail(RadiusError.unreachable("the RADIUS client is shut down"))
            return
        }
        var destination = destinations[exchange.destination, default: Destination()]
        let identifier = destination.allocate()
        if identifier == nil { destination.waiting.append(exchange) }
        destinations[exchange.destination] = destination
        if let identifier { start(exchange, identifier: identifier, context: context) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let octets = Array(envelope.data.readableBytesView)
        guard octets.count >= RadiusPacket.headerLength else { return }
        let key = Key(destination: envelope.remoteAddress, identifier: octets[1])
        guard var entry = inFlight[key] else {
            logger.debug("radius answer matches no request", metadata: ["nas": "\(envelope.remoteAddress)", "radius.id": "\(octets[1])"])
            return
        }
        let verification = RadiusPacket.verifyResponse(octets, requestAuthenticator: entry.requestAuthenticator, secret: entry.exchange.secret)
        guard verification.isValid, let response = try? RadiusPacket(decoding: octets) else {
            entry.rejectedAnswers += 1
            inFlight[key] = entry
            logger.warning("radius answer failed authentication", metadata: [
                "nas": "\(envelope.remoteAddress)", "radius.id": "\(octets[1])", "radius.verification": "\(verification)",
            ])
            return
        }
        finish(key, .success(response), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failAll()
    }

    /// A datagram socket stays usable after a failed read (an ICMP error surfacing, say): note it and go on.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("radius socket error", metadata: ["error": "\(error)"])
    }

    // MARK: Exchanges

    private func start(_ exchange: DynamicAuthExchange, identifier: UInt8, context: ChannelHandlerContext) {
        let key = Key(destination: exchange.destination, identifier: identifier)
        var request = exchange.request
        request.identifier = identifier
        let octets: [UInt8]
        do {
            octets = try request.signedRequest(secret: exchange.secret)
        } catch {
            exchange.promise.fail(error)
            release(key, context: context)
            return
        }
        nextSerial &+= 1
        inFlight[key] = InFlight(exchange: exchange, serial: nextSerial, octets: octets, triesLeft: max(exchange.tries, 1))
        transmit(key, context: context)
    }

    private func transmit(_ key: Key, context: ChannelHandlerContext) {
        guard var entry = inFlight[key] else { return }
        entry.triesLeft -= 1
        let serial = entry.serial
        let loop = context.eventLoop.assumeIsolated()
        entry.timer = loop.scheduleTask(in: entry.exchange.timeout) { [self] in
            timedOut(key, serial: serial, context: context)
        }
        inFlight[key] = entry
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenFailure { [self] error in
            guard inFlight[key]?.serial == serial else { return }
            finish(key, .failure(.unreachable("\(error)")), context: context)
        }
        let datagram = AddressedEnvelope(remoteAddress: key.destination, data: context.channel.allocator.buffer(bytes: entry.octets))
        context.writeAndFlush(wrapOutboundOut(datagram), promise: written)
    }

    private func timedOut(_ key: Key, serial: UInt64, context: ChannelHandlerContext) {
        guard let entry = inFlight[key], entry.serial == serial else { return }
        guard entry.triesLeft > 0 else {
            finish(key, .failure(entry.rejectedAnswers > 0 ? .badAuthenticator : .timeout), context: context)
            return
        }
        logger.debug("radius request sent again", metadata: [
            "nas": "\(key.destination)", "radius.id": "\(key.identifier)", "radius.tries_left": "\(entry.triesLeft)",
        ])
        transmit(key, context: context)
    }

    private func finish(_ key: Key, _ result: Result<RadiusPacket, RadiusError>, context: ChannelHandlerContext) {
        guard let entry = inFlight.removeValue(forKey: key) else { return }
        entry.timer?.cancel()
        entry.exchange.promise.completeWith(result.mapError { $0 as any Error })
        release(key, context: context)
    }

    /// Frees the identifier and starts the next request waiting for one. A NAS with nothing in flight is
    /// forgotten, so the table does not grow with every NAS ever addressed.
    private func release(_ key: Key, context: ChannelHandlerContext) {
        guard var destination = destinations[key.destination] else { return }
        destination.inUse.remove(key.identifier)
        if destination.inUse.isEmpty, destination.waiting.isEmpty {
            destinations[key.destination] = nil
            return
        }
        guard !destination.waiting.isEmpty, let identifier = destination.allocate() else {
            destinations[key.destination] = destination
            return
        }
        let next = destination.waiting.removeFirst()
        destinations[key.destination] = destination
        start(next, identifier: identifier, context: context)
    }

    private func failAll() {
        isClosed = true
        let exchanges = inFlight.values.map(\.exchange) + destinations.values.flatMap(\.waiting)
        for entry in inFlight.values { entry.timer?.cancel() }
        inFlight = [:]
        destinations = [:]
        for exchange in exchanges { exchange.promise.fail(RadiusError.unreachable("the RADIUS client is shut down")) }
    }
}
