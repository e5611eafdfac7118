import NIOCore

/// The RouterOS API's word framing: every word is its byte length, then its bytes.
///
/// The length takes one to five bytes, and the first byte's high bits say how many:
///
/// | length              | bytes | first byte   | encoding                  |
/// |---------------------|-------|--------------|---------------------------|
/// | < 0x80              | 1     | `0xxxxxxx`   | length                    |
/// | < 0x4000            | 2     | `10xxxxxx`   | length \| 0x8000          |
/// | < 0x20_0000         | 3     | `110xxxxx`   | length \| 0xC0_0000       |
/// | < 0x1000_0000       | 4     | `1110xxxx`   | length \| 0xE000_0000     |
/// | ≤ 0xFFFF_FFFF       | 5     | `0xF0`       | 0xF0, then length         |
///
/// All big-endian. A first byte of 0xF8–0xFF is a control byte the API reserves and never sends in
/// a reply, and 0xF1–0xF7 prefix nothing: a peer sending either is not speaking this protocol.
package enum RouterOSWord {
    /// Outcome of reading a length prefix without consuming anything.
    package enum Prefix: Equatable, Sendable {
        /// Fewer bytes are readable than the prefix needs.
        case incomplete
        /// The word is `length` bytes long and its bytes start `prefixSize` bytes after the prefix began.
        case complete(length: Int, prefixSize: Int)
    }

    /// How many bytes the prefix of a word of `length` bytes takes.
    package static func prefixSize(forLength length: UInt32) -> Int {
        switch length {
        case ..<0x80: 1
        case ..<0x4000: 2
        case ..<0x20_0000: 3
        case ..<0x1000_0000: 4
        default: 5
        }
    }

    /// Appends the length prefix for a word of `length` bytes.
    package static func writeLength(_ length: UInt32, into buffer: inout ByteBuffer) {
        switch length {
        case ..<0x80:
            buffer.writeInteger(UInt8(length))
        case ..<0x4000:
            buffer.writeInteger(UInt16(length | 0x8000))
        case ..<0x20_0000:
            let value = length | 0xC0_0000
            buffer.writeInteger(UInt8(truncatingIfNeeded: value >> 16))
            buffer.writeInteger(UInt16(truncatingIfNeeded: value))
        case ..<0x1000_0000:
            buffer.writeInteger(length | 0xE000_0000)
        default:
            buffer.writeInteger(UInt8(0xF0))
            buffer.writeInteger(length)
        }
    }

    /// Appends one word: its length prefix, then its UTF-8 bytes.
    package static func write(_ word: String, into buffer: inout ByteBuffer) throws(RouterOSError) {
        let bytes = word.utf8
        guard let length = UInt32(exactly: bytes.count) else {
            throw RouterOSError.invalidRequest("a word of \(bytes.count) bytes is longer than the API allows")
        }
        writeLength(length, into: &buffer)
        buffer.writeBytes(bytes)
    }

    /// Reads the length prefix at `index` without moving the reader index.
    package static func peekLength(in buffer: ByteBuffer, at index: Int) throws(RouterOSError) -> Prefix {
        guard let first = buffer.getInteger(at: index, as: UInt8.self) else { return .incomplete }
        let size: Int
        var length: UInt32
        switch first {
        case 0x00..<0x80: return .complete(length: Int(first), prefixSize: 1)
        case 0x80..<0xC0: size = 2; length = UInt32(first & 0x3F)
        case 0xC0..<0xE0: size = 3; length = UInt32(first & 0x1F)
        case 0xE0..<0xF0: size = 4; length = UInt32(first & 0x0F)
        case 0xF0: size = 5; length = 0
        case 0xF1..<0xF8:
            throw RouterOSError.protocolViolation("byte 0x\(String(first, radix: 16)) is not a length prefix")
        default:
            throw RouterOSError.protocolViolation("control byte 0x\(String(first, radix: 16)) where a word was expected")
        }
        guard let rest = buffer.getBytes(at: index + 1, length: size - 1) else { return .incomplete }
        for byte in rest { length = length << 8 | UInt32(byte) }
        return .complete(length: Int(length), prefixSize: size)
    }
}
