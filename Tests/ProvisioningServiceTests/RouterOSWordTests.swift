import NIOCore
import NIOEmbedded
import ProvisioningService
import Testing

@Suite struct RouterOSWordTests {
    /// Every length class boundary and its encoding, as the API defines them.
    static let boundaries: [(length: UInt32, bytes: [UInt8])] = [
        (0, [0x00]),
        (0x7F, [0x7F]),
        (0x80, [0x80, 0x80]),
        (0x3FFF, [0xBF, 0xFF]),
        (0x4000, [0xC0, 0x40, 0x00]),
        (0x1F_FFFF, [0xDF, 0xFF, 0xFF]),
        (0x20_0000, [0xE0, 0x20, 0x00, 0x00]),
        (0xFFF_FFFF, [0xEF, 0xFF, 0xFF, 0xFF]),
        (0x1000_0000, [0xF0, 0x10, 0x00, 0x00, 0x00]),
        (0xFFFF_FFFF, [0xF0, 0xFF, 0xFF, 0xFF, 0xFF]),
    ]

    @Test(arguments: boundaries.indices)
    func lengthPrefixesAtEveryClassBoundary(_ index: Int) throws {
        let (length, bytes) = Self.boundaries[index]
        var buffer = ByteBuffer()
        RouterOSWord.writeLength(length, into: &buffer)
        #expect(Array(buffer.readableBytesView) == bytes)
        #expect(RouterOSWord.prefixSize(forLength: length) == bytes.count)
        #expect(try RouterOSWord.peekLength(in: buffer, at: buffer.readerIndex) == .complete(length: Int(length), prefixSize: bytes.count))
        // One byte short of the prefix is not yet a length.
        let short = ByteBuffer(bytes: bytes.dropLast())
        #expect(try RouterOSWord.peekLength(in: short, at: short.readerIndex) == .incomplete)
    }

    @Test(arguments: [1, 0x7F, 0x80, 0x3FFF, 0x4000, 0x1F_FFFF, 0x20_0000])
    func wordsOfEveryBoundaryLengthRoundTrip(_ length: Int) throws {
        let word = String(repeating: "w", count: length)
        var buffer = ByteBuffer()
        try RouterOSSentence(["/x", word]).write(into: &buffer)
        // "/x" with its prefix, the word with its prefix, the terminator.
        #expect(buffer.readableBytes == 3 + RouterOSWord.prefixSize(forLength: UInt32(length)) + length + 1)
        let sentence = try RouterOSSentence.read(from: &buffer, maximumWordLength: .max)
        #expect(sentence?.words == ["/x", word])
        #expect(buffer.readableBytes == 0)
    }

    @Test func anEmptyWordWouldEndTheSentenceSoItIsRefused() {
        var buffer = ByteBuffer()
        #expect(throws: RouterOSError.self) { try RouterOSSentence(["/ppp/secret/print", "", "=name=x"]).write(into: &buffer) }
        // The zero-length word on its own is the terminator.
        var terminator = ByteBuffer()
        try? RouterOSWord.write("", into: &terminator)
        #expect(Array(terminator.readableBytesView) == [0])
    }

    @Test func bytesArrivingOneAtATimeMakeWholeSentences() throws {
        let sentences = [
            RouterOSSentence(["!re", "=.id=*1", "=name=alice", "=comment=" + String(repeating: "é", count: 300), ".tag=9"]),
            RouterOSSentence(["!done", ".tag=9"]),
            RouterOSSentence(["!re", "=data=" + String(repeating: "z", count: 20_000), ".tag=10"]),
            RouterOSSentence(["!done", "=ret=*2", ".tag=10"]),
        ]
        var stream = ByteBuffer()
        for sentence in sentences { try sentence.write(into: &stream) }
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RouterOSSentenceDecoder()))
        var decoded: [RouterOSSentence] = []
        for byte in stream.readableBytesView {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
            while let sentence = try channel.readInbound(as: RouterOSSentence.self) { decoded.append(sentence) }
            // Nothing is delivered before its last byte.
            #expect(decoded.count <= sentences.count)
        }
        #expect(decoded == sentences)
        _ = try channel.finish()
    }

    @Test func severalSentencesInOneReadAllArrive() throws {
        var stream = ByteBuffer()
        for index in 0..<5 { try RouterOSSentence(["!re", "=n=\(index)"]).write(into: &stream) }
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RouterOSSentenceDecoder()))
        try channel.writeInbound(stream)
        var values: [String] = []
        while let sentence = try channel.readInbound(as: RouterOSSentence.self) { values.append(sentence.attributes["n"] ?? "") }
        #expect(values == ["0", "1", "2", "3", "4"])
        _ = try channel.finish()
    }

    @Test(arguments: 0xF8...0xFF)
    func controlBytesAreProtocolViolations(_ byte: Int) throws {
        var atStart = ByteBuffer(bytes: [UInt8(byte)])
        #expect(throws: RouterOSError.self) { try RouterOSSentence.read(from: &atStart, maximumWordLength: .max) }
        // After a whole word, where the next length should be.
        var afterWord = ByteBuffer(bytes: [0x03, 0x21, 0x72, 0x65, UInt8(byte)])
        #expect(throws: RouterOSError.self) { try RouterOSSentence.read(from: &afterWord, maximumWordLength: .max) }
    }

    @Test func aControlByteOnTheWireReachesTheHandlerAsAnError() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RouterOSSentenceDecoder()))
        let error = #expect(throws: RouterOSError.self) {
            try channel.writeInbound(ByteBuffer(bytes: [0x03, 0x21, 0x72, 0x65, 0xFF]))
        }
        if case .protocolViolation(let reason)? = error {
            #expect(reason.contains("0xff"))
        } else {
            Issue.record("expected a protocol violation, got \(String(describing: error))")
        }
        _ = try? channel.finish()
    }

    @Test(arguments: 0xF1...0xF7)
    func undefinedPrefixBytesAreProtocolViolations(_ byte: Int) {
        var buffer = ByteBuffer(bytes: [UInt8(byte), 0, 0, 0, 1, 0x61])
        #expect(throws: RouterOSError.self) { try RouterOSSentence.read(from: &buffer, maximumWordLength: .max) }
    }

    @Test func aWordLongerThanTheLimitIsRefusedBeforeItIsBuffered() {
        var buffer = ByteBuffer()
        RouterOSWord.writeLength(0x1000_0000, into: &buffer)
        #expect(throws: RouterOSError.self) { try RouterOSSentence.read(from: &buffer, maximumWordLength: 16 << 20) }
    }

    @Test func incompleteSentencesConsumeNothing() throws {
        var full = ByteBuffer()
        try RouterOSSentence(["!done", "=ret=*1"]).write(into: &full)
        for cut in 0..<full.readableBytes {
            var partial = full.getSlice(at: full.readerIndex, length: cut) ?? ByteBuffer()
            #expect(try RouterOSSentence.read(from: &partial, maximumWordLength: .max) == nil)
            #expect(partial.readableBytes == cut)
        }
    }

    @Test func attributesSplitAtTheSecondEqualsSign() {
        let sentence = RouterOSSentence(["!re", "=.id=*4", "=password=a=b=c", "=comment=", "=flag", ".tag=12", "?name=x"])
        #expect(sentence.attributes == [".id": "*4", "password": "a=b=c", "comment": "", "flag": ""])
        #expect(sentence.tag == "12")
        #expect(sentence.queries == ["?name=x"])
    }

    @Test func replyWordsAreClassified() throws {
        #expect(try RouterOSReply(RouterOSSentence(["!re", "=a=1"])) == .row(["a": "1"]))
        #expect(try RouterOSReply(RouterOSSentence(["!done", "=ret=*1"])) == .done(["ret": "*1"]))
        #expect(try RouterOSReply(RouterOSSentence(["!empty", ".tag=3"])) == .empty)
        #expect(try RouterOSReply(RouterOSSentence(["!trap", "=category=1", "=message=bad"])) == .trap(category: 1, message: "bad"))
        #expect(try RouterOSReply(RouterOSSentence(["!trap", "=message=bad"])) == .trap(category: nil, message: "bad"))
        #expect(try RouterOSReply(RouterOSSentence(["!fatal", "not logged in"])) == .fatal("not logged in"))
        #expect(throws: RouterOSError.self) { try RouterOSReply(RouterOSSentence(["!bogus"])) }
    }
}
