import NIOCore

/// One API sentence: words ended by a zero-length word.
///
/// The first word is a command (`/ppp/secret/print`) or a reply (`!re`, `!done` …). The others are
/// attribute words (`=name=alice`), API attribute words (`.tag=7`, `.proplist` travels as `=.proplist=`)
/// and query words (`?name=alice`, `?#|`). Words are text: they are written and read as UTF-8.
package struct RouterOSSentence: Sendable, Hashable {
    package var words: [String]

    package init(_ words: [String]) {
        self.words = words
    }

    /// The command or reply word.
    package var head: String? { words.first }

    /// The `.tag=` API attribute, if any.
    package var tag: String? {
        words.dropFirst().first { $0.hasPrefix(".tag=") }.map { String($0.dropFirst(5)) }
    }

    /// The `=key=value` words as a dictionary; a later duplicate key wins. `=key` alone has an empty value.
    package var attributes: [String: String] {
        var attributes: [String: String] = [:]
        for word in words.dropFirst() {
            if let (key, value) = Self.attribute(word) { attributes[key] = value }
        }
        return attributes
    }

    /// The `?…` query words, in order.
    package var queries: [String] { words.dropFirst().filter { $0.hasPrefix("?") } }

    /// Splits `=key=value` at the second `=`: the value may itself contain `=`.
    package static func attribute(_ word: String) -> (key: String, value: String)? {
        guard word.hasPrefix("=") else { return nil }
        let body = word.dropFirst()
        guard let separator = body.firstIndex(of: "=") else { return (String(body), "") }
        return (String(body[..<separator]), String(body[body.index(after: separator)...]))
    }

    /// Appends every word, then the zero-length word that ends the sentence. An empty word would end
    /// it early, so it is refused; on any error nothing is appended.
    package func write(into buffer: inout ByteBuffer) throws(RouterOSError) {
        let start = buffer.writerIndex
        do throws(RouterOSError) {
            for word in words {
                guard !word.isEmpty else { throw RouterOSError.invalidRequest("an empty word inside a sentence") }
                try RouterOSWord.write(word, into: &buffer)
            }
        } catch {
            buffer.moveWriterIndex(to: start)
            throw error
        }
        buffer.writeInteger(UInt8(0))
    }

    /// Reads one whole sentence, or nothing (and consumes nothing) while it is still incomplete.
    ///
    /// A word longer than `maximumWordLength` is a protocol violation: a peer cannot make us buffer
    /// gigabytes by announcing a huge length.
    package static func read(from buffer: inout ByteBuffer, maximumWordLength: Int) throws(RouterOSError) -> RouterOSSentence? {
        var index = buffer.readerIndex
        var ranges: [Range<Int>] = []
        while true {
            switch try RouterOSWord.peekLength(in: buffer, at: index) {
            case .incomplete:
                return nil
            case .complete(length: 0, let prefixSize):
                index += prefixSize
                var words: [String] = []
                words.reserveCapacity(ranges.count)
                for range in ranges {
                    words.append(buffer.getString(at: range.lowerBound, length: range.count) ?? "")
                }
                buffer.moveReaderIndex(to: index)
                return RouterOSSentence(words)
            case .complete(let length, let prefixSize):
                guard length <= maximumWordLength else {
                    throw RouterOSError.protocolViolation("a word of \(length) bytes exceeds the \(maximumWordLength)-byte limit")
                }
                let start = index + prefixSize
                guard buffer.writerIndex - start >= length else { return nil }
                ranges.append(start..<start + length)
                index = start + length
            }
        }
    }
}
