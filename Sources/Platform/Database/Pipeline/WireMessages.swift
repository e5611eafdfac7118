import NIOCore
import PostgresNIO

/// The parts of Postgres' frontend/backend protocol (3.0) that the pipelined read path speaks: start-up and
/// authentication, then the extended query messages. Every message but the start-up one is a type byte and
/// an `Int32` length that counts itself.
enum WireFrontend {
    /// The start-up message: protocol 3.0 and the session's parameters.
    static func startup(user: String, database: String, into buffer: inout ByteBuffer) {
        let start = buffer.writerIndex
        buffer.writeInteger(Int32(0))
        buffer.writeInteger(Int32(196_608))
        for (key, value) in [("user", user), ("database", database), ("application_name", "uplink-read"), ("client_encoding", "UTF8")] {
            buffer.writeCString(key)
            buffer.writeCString(value)
        }
        buffer.writeInteger(UInt8(0))
        buffer.setInteger(Int32(buffer.writerIndex - start), at: start)
    }

    static func message(_ type: Character, into buffer: inout ByteBuffer, _ body: (inout ByteBuffer) -> Void = { _ in }) {
        buffer.writeInteger(type.asciiValue!)
        let lengthAt = buffer.writerIndex
        buffer.writeInteger(Int32(0))
        body(&buffer)
        buffer.setInteger(Int32(buffer.writerIndex - lengthAt), at: lengthAt)
    }

    /// `Parse`: a named statement with its parameters' types.
    static func parse(name: String, sql: String, types: [UInt32], into buffer: inout ByteBuffer) {
        message("P", into: &buffer) { buffer in
            buffer.writeCString(name)
            buffer.writeCString(sql)
            buffer.writeInteger(Int16(types.count))
            for type in types { buffer.writeInteger(type) }
        }
    }

    /// `Bind` of the unnamed portal, every parameter and every result column in binary format.
    static func bind(statement: String, bindings: WireBindings, into buffer: inout ByteBuffer) {
        message("B", into: &buffer) { buffer in
            buffer.writeCString("")
            buffer.writeCString(statement)
            buffer.writeInteger(Int16(1))
            buffer.writeInteger(Int16(1))
            buffer.writeInteger(Int16(bindings.count))
            var values = bindings.values
            buffer.writeBuffer(&values)
            buffer.writeInteger(Int16(1))
            buffer.writeInteger(Int16(1))
        }
    }

    /// `Describe` of the unnamed portal (its columns, in the formats they were bound with), then `Execute` of all its rows.
    static func describeAndExecute(into buffer: inout ByteBuffer) {
        message("D", into: &buffer) { buffer in
            buffer.writeInteger(UInt8(ascii: "P"))
            buffer.writeCString("")
        }
        message("E", into: &buffer) { buffer in
            buffer.writeCString("")
            buffer.writeInteger(Int32(0))
        }
    }
}

/// Parameters of one statement, encoded as they go on the wire (binary format).
package struct WireBindings: Sendable {
    /// The parameters' type OIDs, for `Parse`.
    private(set) var types: [UInt32] = []
    /// Each parameter as `Int32` length (-1: NULL) and bytes.
    private(set) var values = ByteBuffer()

    package init() {}

    var count: Int { types.count }

    package mutating func append(_ value: Int64) {
        types.append(20)
        values.writeInteger(Int32(8))
        values.writeInteger(value)
    }

    package mutating func append(_ value: Int) { append(Int64(value)) }

    package mutating func append(_ value: String) {
        types.append(25)
        let lengthAt = values.writerIndex
        values.writeInteger(Int32(0))
        let written = values.writeString(value)
        values.setInteger(Int32(written), at: lengthAt)
    }

    package mutating func append(_ value: String?) {
        guard let value else {
            types.append(25)
            values.writeInteger(Int32(-1))
            return
        }
        append(value)
    }
}

/// One backend message: its type byte and its body.
struct WireFrame {
    var type: UInt8
    var body: ByteBuffer
}

/// Splits the byte stream into backend messages.
struct WireFrameDecoder: NIOSingleStepByteToMessageDecoder {
    typealias InboundOut = WireFrame

    mutating func decode(buffer: inout ByteBuffer) throws -> WireFrame? {
        let start = buffer.readerIndex
        guard let type = buffer.getInteger(at: start, as: UInt8.self),
              let length = buffer.getInteger(at: start + 1, as: Int32.self) else { return nil }
        // A row of the widest page is far below this; anything larger is a broken stream.
        guard length >= 4, length <= 256 << 20 else { throw WireError.protocolViolation("message length \(length)") }
        guard buffer.readableBytes >= 1 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 5)
        return WireFrame(type: type, body: buffer.readSlice(length: Int(length) - 4)!)
    }

    mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> WireFrame? {
        try decode(buffer: &buffer)
    }
}

/// A column of a result, from `RowDescription`.
package struct WireColumn: Sendable {
    package var name: String
    package var dataType: PostgresDataType
    package var format: PostgresFormat
}

/// The rows of one statement: its columns and each `DataRow`'s body, undecoded.
package struct WireResult: Sendable {
    package var columns: [WireColumn] = []
    package var rows: [WireRow] = []
    package var commandTag = ""
}

/// One row: a sequence of `PostgresCell`s read straight from the `DataRow` body, so the same decoders and
/// writers serve rows from either path.
package struct WireRow: Sendable, Sequence {
    let body: ByteBuffer
    let columns: [WireColumn]

    package struct Iterator: IteratorProtocol {
        var body: ByteBuffer
        let columns: [WireColumn]
        var index = 0

        package mutating func next() -> PostgresCell? {
            guard index < columns.count, let length = body.readInteger(as: Int32.self) else { return nil }
            defer { index += 1 }
            let column = columns[index]
            let bytes = length < 0 ? nil : body.readSlice(length: Int(length))
            return PostgresCell(bytes: bytes, dataType: column.dataType, format: column.format, columnName: column.name, columnIndex: index)
        }
    }

    package func makeIterator() -> Iterator {
        var body = self.body
        _ = body.readInteger(as: Int16.self)
        return Iterator(body: body, columns: columns)
    }

    /// Every cell, for random access by position.
    package var cells: [PostgresCell] { Array(self) }
}

/// What can go wrong on the pipelined path, before it is translated into a `DatabaseError`.
package enum WireError: Error, Sendable, Equatable {
    /// An `ErrorResponse`: its SQLSTATE, constraint and message.
    case server(sqlState: String, constraint: String?, message: String)
    case connectionClosed
    /// No answer within the request timeout; the connection was closed.
    case timedOut
    case protocolViolation(String)
    case authentication(String)
    case shutDown

    /// The fields of an `ErrorResponse` body: a type byte and a string each, then a zero byte.
    static func server(fields body: ByteBuffer) -> WireError {
        var body = body
        var fields: [UInt8: String] = [:]
        while let type = body.readInteger(as: UInt8.self), type != 0, let value = body.readNullTerminatedString() {
            fields[type] = value
        }
        return .server(
            sqlState: fields[UInt8(ascii: "C")] ?? "XX000", constraint: fields[UInt8(ascii: "n")],
            message: fields[UInt8(ascii: "M")] ?? "error"
        )
    }
}

extension ByteBuffer {
    /// A zero-terminated string, as the protocol writes names and SQL.
    mutating func writeCString(_ string: String) {
        _ = writeNullTerminatedString(string)
    }
}
