import NIOCore

/// Turns the byte stream into sentences, however the bytes are split across reads.
///
/// Bytes stay in the decoder's buffer until a whole sentence is there; a malformed length prefix
/// throws `RouterOSError.protocolViolation`, which reaches the next handler's `errorCaught`.
package struct RouterOSSentenceDecoder: ByteToMessageDecoder {
    package typealias InboundOut = RouterOSSentence

    /// 16 MiB: far beyond any real reply word, small enough that a bad length cannot exhaust memory.
    package static let defaultMaximumWordLength = 16 << 20

    private let maximumWordLength: Int

    package init(maximumWordLength: Int = Self.defaultMaximumWordLength) {
        self.maximumWordLength = maximumWordLength
    }

    package mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let sentence = try RouterOSSentence.read(from: &buffer, maximumWordLength: maximumWordLength) else {
            return .needMoreData
        }
        context.fireChannelRead(wrapInboundOut(sentence))
        return .continue
    }

    package mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A sentence cut off by the close is dropped: the waiters fail with "connection closed".
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }
}

/// Writes sentences as bytes; used by the simulator, whose replies need no per-request bookkeeping.
package struct RouterOSSentenceEncoder: MessageToByteEncoder {
    package typealias OutboundIn = RouterOSSentence

    package init() {}

    package func encode(data: RouterOSSentence, out: inout ByteBuffer) throws {
        try data.write(into: &out)
    }
}
