import Crypto
import Foundation
import NIOCore
import ProvisioningService
import Testing

/// Our framing against librouteros' (Vectors/make_vectors.py wrote the JSON with its encoder).
@Suite struct RouterOSVectorTests {
    struct Vectors: Decodable {
        struct Length: Decodable {
            var length: UInt32
            var hex: String?
            var unsupported: String?
        }

        struct Word: Decodable {
            var length: Int
            var prefixHex: String
            var encodedSize: Int
            var sha256: String
            var hex: String?
        }

        struct Sentence: Decodable {
            var words: [String]
            var hex: String
        }

        var generator: String
        var wordPattern: String
        var lengths: [Length]
        var words: [Word]
        var sentences: [Sentence]
    }

    static func load() throws -> Vectors {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/routeros_vectors.json")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Vectors.self, from: Data(contentsOf: url))
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    static func bytes(_ hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return bytes
    }

    @Test func theVectorsCoverEveryLengthClass() throws {
        let vectors = try Self.load()
        #expect(vectors.generator.hasPrefix("librouteros"))
        let encodedSizes = Set(vectors.lengths.compactMap { $0.hex.map { $0.count / 2 } })
        #expect(encodedSizes == [1, 2, 3, 4])
        #expect(vectors.words.count >= 8)
        #expect(vectors.sentences.count >= 10)
    }

    @Test func lengthPrefixesMatchLibrouteros() throws {
        for vector in try Self.load().lengths {
            var buffer = ByteBuffer()
            RouterOSWord.writeLength(vector.length, into: &buffer)
            guard let expected = vector.hex else {
                // librouteros stops at the four-byte class; ours goes on with the five-byte 0xF0 form.
                #expect(vector.length >= 0x1000_0000)
                #expect(buffer.getInteger(at: 0, as: UInt8.self) == 0xF0)
                continue
            }
            #expect(Self.hex(buffer.readableBytesView) == expected, "length \(vector.length)")
            let theirs = ByteBuffer(bytes: Self.bytes(expected))
            #expect(try RouterOSWord.peekLength(in: theirs, at: 0) == .complete(length: Int(vector.length), prefixSize: expected.count / 2))
        }
    }

    @Test func wordsMatchLibrouterosByteForByte() throws {
        let vectors = try Self.load()
        let pattern = Array(vectors.wordPattern.utf8)
        for vector in vectors.words {
            let word = String(decoding: (0..<vector.length).map { pattern[$0 % pattern.count] }, as: UTF8.self)
            var buffer = ByteBuffer()
            try RouterOSWord.write(word, into: &buffer)
            let ours = Array(buffer.readableBytesView)
            #expect(ours.count == vector.encodedSize, "word of \(vector.length) bytes")
            #expect(Self.hex(ours.prefix(vector.prefixHex.count / 2)) == vector.prefixHex)
            #expect(Self.hex(SHA256.hash(data: ours)) == vector.sha256, "word of \(vector.length) bytes")
            if let hex = vector.hex { #expect(Self.hex(ours) == hex) }
            // And back: their bytes (ours, now known identical) followed by the end of the sentence.
            // The zero-length word is itself the end: it reads as an empty sentence.
            buffer.writeInteger(UInt8(0))
            let expected = word.isEmpty ? [] : [word]
            #expect(try RouterOSSentence.read(from: &buffer, maximumWordLength: .max)?.words == expected)
        }
    }

    @Test func sentencesMatchLibrouterosBothWays() throws {
        for vector in try Self.load().sentences {
            var buffer = ByteBuffer()
            try RouterOSSentence(vector.words).write(into: &buffer)
            #expect(Self.hex(buffer.readableBytesView) == vector.hex, "\(vector.words)")
            var theirs = ByteBuffer(bytes: Self.bytes(vector.hex))
            #expect(try RouterOSSentence.read(from: &theirs, maximumWordLength: .max)?.words == vector.words)
            #expect(theirs.readableBytes == 0)
        }
    }
}
