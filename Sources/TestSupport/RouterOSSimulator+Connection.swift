import NIOCore
import ProvisioningService

extension RouterOSSimulator {
    /// One accepted connection: sentences in, the simulator's answers out. Lives on its event loop only.
    final class Connection: ChannelInboundHandler {
        typealias InboundIn = RouterOSSentence
        typealias OutboundOut = ByteBuffer

        private let simulator: RouterOSSimulator
        private var session = Session()

        init(simulator: RouterOSSimulator) {
            self.simulator = simulator
        }

        func channelActive(context: ChannelHandlerContext) {
            guard simulator.register(context.channel) else { return context.close(promise: nil) }
            context.fireChannelActive()
        }

        func channelInactive(context: ChannelHandlerContext) {
            simulator.unregister(context.channel)
            context.fireChannelInactive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let sentence = unwrapInboundIn(data)
            guard !sentence.words.isEmpty else { return }
            let answer = simulator.answer(sentence, session: &session)
            var buffer = context.channel.allocator.buffer(capacity: 64)
            for reply in answer.sentences { try? reply.write(into: &buffer) }
            if let raw = answer.raw { buffer.writeBytes(raw) }
            let bytes = buffer
            let send = { [self] in
                let written = context.writeAndFlush(wrapOutboundOut(bytes))
                if answer.close { written.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
            }
            if answer.delay == .zero {
                send()
            } else {
                context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(answer.delay)) { send() }
            }
        }

        /// A client that breaks the framing gets what RouterOS gives it: a closed connection.
        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
