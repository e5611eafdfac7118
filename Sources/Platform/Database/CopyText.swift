import Foundation
import NIOCore

/// Rows in PostgreSQL's `COPY … FROM STDIN` text format: tab-separated fields, `\N` for NULL, backslash,
/// tab, newline and carriage return escaped, one row per line.
package struct CopyText: Sendable {
    package private(set) var buffer: ByteBuffer
    private var fieldsInRow = 0

    package init(capacity: Int = 64 * 1024) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    package mutating func text(_ value: String?) {
        separate()
        guard let value else { return null() }
        let utf8 = value.utf8
        if !utf8.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            buffer.writeString(value)
            return
        }
        for byte in utf8 {
            switch byte {
            case 0x5C: buffer.writeBytes([0x5C, 0x5C])
            case 0x09: buffer.writeBytes([0x5C, UInt8(ascii: "t")])
            case 0x0A: buffer.writeBytes([0x5C, UInt8(ascii: "n")])
            case 0x0D: buffer.writeBytes([0x5C, UInt8(ascii: "r")])
            default: buffer.writeInteger(byte)
            }
        }
    }

    package mutating func int(_ value: Int64?) {
        separate()
        guard let value else { return null() }
        buffer.writeString(String(value))
    }

    package mutating func int(_ value: Int) { int(Int64(value)) }

    package mutating func bool(_ value: Bool) {
        separate()
        buffer.writeString(value ? "t" : "f")
    }

    /// A `timestamptz` as UTC ISO 8601.
    package mutating func timestamp(_ value: Date?) {
        separate()
        guard let value else { return null() }
        var bytes: [UInt8] = []
        JSONOutput.appendISO8601(value, to: &bytes)
        buffer.writeBytes(bytes)
    }

    /// A `bytea` in hex (`\x…`, its backslash escaped).
    package mutating func bytes(_ value: Data?) {
        separate()
        guard let value else { return null() }
        buffer.writeBytes([0x5C, 0x5C, UInt8(ascii: "x")])
        let digits = Array("0123456789abcdef".utf8)
        for byte in value {
            buffer.writeInteger(digits[Int(byte >> 4)])
            buffer.writeInteger(digits[Int(byte & 0x0F)])
        }
    }

    package mutating func endRow() {
        buffer.writeInteger(UInt8(0x0A))
        fieldsInRow = 0
    }

    /// Takes the rows written so far (to send), leaving the writer empty.
    package mutating func take() -> ByteBuffer {
        let taken = buffer
        buffer = ByteBufferAllocator().buffer(capacity: taken.capacity)
        return taken
    }

    private mutating func null() { buffer.writeBytes([0x5C, UInt8(ascii: "N")]) }

    private mutating func separate() {
        if fieldsInRow > 0 { buffer.writeInteger(UInt8(0x09)) }
        fieldsInRow += 1
    }
}
