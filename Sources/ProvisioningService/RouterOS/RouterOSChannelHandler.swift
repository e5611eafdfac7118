import NIOCore
import Synchronization

/// One command for a connection: its words without a tag, how long to wait, and where the answer goes.
struct RouterOSRequest {
    var words: [String]
    var timeout: TimeAmount
    var promise: EventLoopPromise<RouterOSResponse>
}

/// Whether a connection can take more commands. Its handler marks it broken before failing anything,
/// so a caller woken by that failure never picks the dying connection again, even while a TLS close
/// is still under way and the channel still reads as active.
final class RouterOSConnectionHealth: Sendable {
    private let broken = Atomic<Bool>(false)

    var isBroken: Bool { broken.load(ordering: .acquiring) }

    func markBroken() { broken.store(true, ordering: .releasing) }
}

/// Tags every command and routes the replies back by tag, so any number of commands share one
/// connection and finish in whatever order the router answers them. Lives on its event loop only.
///
/// A command that times out is forgotten and the router is asked to `/cancel` it; its late replies are
/// ignored. When nothing at all arrived since that command went out, the router (or the path to it)
/// is taken to be gone and the connection is closed, so the next command opens a fresh one.
final class RouterOSChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = RouterOSSentence
    typealias OutboundIn = RouterOSRequest
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var promise: EventLoopPromise<RouterOSResponse>
        var timeout: Scheduled<Void>?
        var response = RouterOSResponse()
        var trap: RouterOSError?
    }

    private let health: RouterOSConnectionHealth
    private var pending: [UInt64: Pending] = [:]
    private var nextTag: UInt64 = 1
    private var sentencesRead: UInt64 = 0
    /// Set once the connection is unusable; later writes fail at once with it.
    private var failure: RouterOSError?

    init(health: RouterOSConnectionHealth) {
        self.health = health
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let failure {
            request.promise.fail(failure)
            promise?.fail(failure)
            return
        }
        let tag = nextTag
        nextTag += 1
        var buffer = context.channel.allocator.buffer(capacity: 64)
        do {
            try RouterOSSentence(request.words + [".tag=\(tag)"]).write(into: &buffer)
        } catch {
            request.promise.fail(error)
            promise?.fail(error)
            return
        }
        let readsAtSend = sentencesRead
        let timeout = context.eventLoop.assumeIsolated().scheduleTask(in: request.timeout) { [self] in
            timedOut(tag: tag, readsAtSend: readsAtSend, context: context)
        }
        pending[tag] = Pending(promise: request.promise, timeout: timeout)
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let sentence = unwrapInboundIn(data)
        sentencesRead &+= 1
        guard !sentence.words.isEmpty else { return }
        let reply: RouterOSReply
        do {
            reply = try RouterOSReply(sentence)
        } catch {
            return fail(context: context, error)
        }
        if case .fatal(let reason) = reply { return fail(context: context, .fatal(reason)) }
        // Untagged, or the late answer to a command that already timed out.
        guard let tag = sentence.tag.flatMap({ UInt64($0) }), pending[tag] != nil else { return }
        switch reply {
        case .row(let row):
            pending[tag]?.response.rows.append(row)
        case .empty:
            pending[tag]?.response.saidEmpty = true
        case .trap(let category, let message):
            if pending[tag]?.trap == nil { pending[tag]?.trap = .trap(category: category, message: message) }
        case .done(let attributes):
            guard var entry = pending.removeValue(forKey: tag) else { return }
            entry.timeout?.cancel()
            if let trap = entry.trap {
                entry.promise.fail(trap)
            } else {
                entry.response.done = attributes
                entry.promise.succeed(entry.response)
            }
        case .fatal:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(.connectionFailed("connection closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context: context, error as? RouterOSError ?? .connectionFailed("\(error)"))
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failAll(.connectionFailed("connection closed"))
    }

    private func timedOut(tag: UInt64, readsAtSend: UInt64, context: ChannelHandlerContext) {
        guard let entry = pending.removeValue(forKey: tag) else { return }
        guard sentencesRead != readsAtSend else {
            fail(context: context, .connectionFailed("the router stopped answering"))
            entry.promise.fail(RouterOSError.timeout)
            return
        }
        entry.promise.fail(RouterOSError.timeout)
        // The router is alive but slow on this command: stop it there, keep the connection.
        var buffer = context.channel.allocator.buffer(capacity: 32)
        let cancelTag = nextTag
        nextTag += 1
        guard (try? RouterOSSentence(["/cancel", "=tag=\(tag)", ".tag=\(cancelTag)"]).write(into: &buffer)) != nil else { return }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    /// A broken stream cannot be resynchronised: fail everything waiting and close.
    private func fail(context: ChannelHandlerContext, _ error: RouterOSError) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: RouterOSError) {
        health.markBroken()
        if failure == nil { failure = error }
        let waiting = pending
        pending = [:]
        for entry in waiting.values {
            entry.timeout?.cancel()
            entry.promise.fail(error)
        }
    }
}
