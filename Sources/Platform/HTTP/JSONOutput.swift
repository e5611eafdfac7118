import Foundation
import Hummingbird
import NIOCore
import PostgresNIO

/// A JSON document written straight into bytes, for the hot list endpoints where `JSONEncoder`
/// (reflection, boxing, sorting keys) cost more than the database. Keys are written as given; callers
/// write them in sorted order to match the encoder's output elsewhere.
package struct JSONOutput: Sendable {
    package fileprivate(set) var bytes: [UInt8] = []
    /// Bit n set: the container at depth n already has a member, so the next one needs a comma.
    fileprivate var needsComma: UInt64 = 0
    fileprivate var depth = 0

    package init(capacity: Int = 4096) { bytes.reserveCapacity(capacity) }

    package mutating func object(_ body: (inout JSONOutput) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "{"))
        enter()
        body(&self)
        depth -= 1
        bytes.append(UInt8(ascii: "}"))
    }

    package mutating func array(_ body: (inout JSONOutput) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "["))
        enter()
        body(&self)
        depth -= 1
        bytes.append(UInt8(ascii: "]"))
    }

    /// Starts a member: writes `"key":`; the next value written is its value.
    package mutating func key(_ key: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma &= ~(1 << UInt64(depth))
    }

    package mutating func key(_ key: String) {
        separate()
        appendQuoted(key)
        bytes.append(UInt8(ascii: ":"))
        needsComma &= ~(1 << UInt64(depth))
    }

    package mutating func string(_ value: String?) {
        separate()
        guard let value else { return appendNull() }
        appendQuoted(value)
    }

    package mutating func int(_ value: Int64?) {
        separate()
        guard let value else { return appendNull() }
        bytes.append(contentsOf: String(value).utf8)
    }

    package mutating func int(_ value: Int) { int(Int64(value)) }

    package mutating func bool(_ value: Bool) {
        separate()
        if value { bytes.append(contentsOf: "true".utf8) } else { bytes.append(contentsOf: "false".utf8) }
    }

    /// `2026-11-27T17:51:53Z`, as `JSONEncoder`'s `.iso8601` writes it.
    package mutating func date(_ value: Date?) {
        separate()
        guard let value else { return appendNull() }
        bytes.append(UInt8(ascii: "\""))
        Self.appendISO8601(value, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// Text that is already JSON (a `jsonb` column read as text), copied as it is.
    package mutating func raw(_ json: String) {
        separate()
        bytes.append(contentsOf: json.utf8)
    }

    package mutating func null() {
        separate()
        appendNull()
    }

    private mutating func appendNull() { bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C]) }

    fileprivate mutating func enter() {
        depth += 1
        precondition(depth < 64, "JSON nested deeper than 63 levels")
        needsComma &= ~(1 << UInt64(depth))
    }

    fileprivate mutating func separate() {
        let bit: UInt64 = 1 << UInt64(depth)
        if needsComma & bit != 0 { bytes.append(UInt8(ascii: ",")) }
        needsComma |= bit
    }

    private mutating func appendQuoted(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        // Most text needs no escaping: copy it in one go.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: text.utf8)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 { appendEscapedByte(byte) }
        bytes.append(UInt8(ascii: "\""))
    }

    fileprivate mutating func appendEscapedByte(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
        case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
        case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
        case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
        case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
        case 0..<0x20:
            let hex = Array("0123456789abcdef".utf8)
            bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
        default: bytes.append(byte)
        }
    }

    /// Civil date and time in UTC from the Unix time (days-from-civil inverted), whole seconds.
    static func appendISO8601(_ date: Date, to bytes: inout [UInt8]) {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        var days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func digits(_ value: Int64, _ width: Int) {
            if width == 2, (0..<100).contains(value) {
                bytes.append(UInt8(ascii: "0") + UInt8(value / 10))
                bytes.append(UInt8(ascii: "0") + UInt8(value % 10))
                return
            }
            var text = Array(String(value).utf8)
            while text.count < width { text.insert(UInt8(ascii: "0"), at: 0) }
            bytes.append(contentsOf: text)
        }
        digits(year, 4)
        bytes.append(UInt8(ascii: "-"))
        digits(month, 2)
        bytes.append(UInt8(ascii: "-"))
        digits(day, 2)
        bytes.append(UInt8(ascii: "T"))
        digits(secondOfDay / 3600, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(secondOfDay / 60 % 60, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(secondOfDay % 60, 2)
        bytes.append(UInt8(ascii: "Z"))
    }
}

/// A value that writes itself as JSON (see `JSONOutput`).
package protocol JSONWritable: Sendable {
    func writeJSON(to output: inout JSONOutput)
}

/// A response whose body a `JSONWritable` writes directly.
package struct JSONBody<Value: JSONWritable>: ResponseGenerator {
    package var value: Value
    package var status: HTTPResponse.Status

    package init(_ value: Value, status: HTTPResponse.Status = .ok) {
        self.value = value
        self.status = status
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        var output = JSONOutput()
        value.writeJSON(to: &output)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: output.bytes))
        )
    }
}

/// Reads a row's columns in order, each decoded as the type asked for (faster than by name).
package struct RowReader<Row: Sequence<PostgresCell>> {
    private var iterator: Row.Iterator

    /// A row of either path: the pool's `PostgresRow` or the read path's `WireRow`.
    package init(_ row: Row) { iterator = row.makeIterator() }

    package mutating func next<Value: PostgresDecodable>(_ type: Value.Type = Value.self) throws -> Value {
        guard let cell = iterator.next() else { throw PlatformError.internalError("row has fewer columns than read") }
        return try cell.decode(Value.self, context: .default)
    }
}

/// How a result column becomes a JSON value when rows are written straight from the wire.
package enum JSONColumn: Sendable {
    /// `text` (or anything cast to text): a JSON string.
    case text
    /// `int2`, `int4`, `int8`: a JSON number.
    case integer
    /// `timestamptz`: a string `YYYY-MM-DDTHH:MM:SSZ`.
    case timestamp
    /// `json`, or `jsonb` cast to text: copied as it is.
    case json
}

/// One member of a JSON object written from a row: a column, or a nested object of columns.
package indirect enum JSONField: Sendable {
    case column(StaticString, sql: String, JSONColumn)
    case object(StaticString, [JSONField])
    /// `true` when the column's integer is one of the writer's `members`, else `false`; `null` when the
    /// writer has no members to ask (a flag kept outside the database, such as a customer being online).
    case member(StaticString, sql: String)

    /// The SQL select list of these fields, in the order they are read.
    package static func selectList(_ fields: [JSONField]) -> String {
        fields.map { field in
            switch field {
            case .column(_, let sql, _), .member(_, let sql): sql
            case .object(_, let inner): selectList(inner)
            }
        }.joined(separator: ", ")
    }
}

extension JSONOutput {
    package mutating func raw(_ json: [UInt8]) {
        separate()
        bytes.append(contentsOf: json)
    }

    /// Writes one row as a JSON object shaped by `fields` (keys as given, values from the columns in order),
    /// straight from the row's binary cells: no Swift value is made for any column.
    package mutating func row(_ row: some Sequence<PostgresCell>, _ fields: [JSONField], skipping leading: Int = 0, members: Set<Int64>? = nil) throws {
        var cells = row.makeIterator()
        for _ in 0..<leading { _ = cells.next() }
        try object(fields, &cells, members)
    }

    private mutating func object<Cells: IteratorProtocol<PostgresCell>>(_ fields: [JSONField], _ cells: inout Cells, _ members: Set<Int64>?) throws {
        separate()
        bytes.append(UInt8(ascii: "{"))
        enter()
        defer {
            depth -= 1
            bytes.append(UInt8(ascii: "}"))
        }
        for field in fields {
            switch field {
            case .object(let name, let inner):
                key(name)
                try object(inner, &cells, members)
            case .column(let name, _, let kind):
                key(name)
                guard let cell = cells.next() else { throw PlatformError.internalError("row has fewer columns than fields") }
                try value(cell, kind)
            case .member(let name, _):
                key(name)
                guard let cell = cells.next() else { throw PlatformError.internalError("row has fewer columns than fields") }
                guard let members else { null(); continue }
                guard var buffer = cell.bytes, buffer.readableBytes == 8, let number = buffer.readInteger(as: Int64.self) else {
                    throw PlatformError.internalError("a member column is a bigint")
                }
                bool(members.contains(number))
            }
        }
    }

    private mutating func value(_ cell: PostgresCell, _ kind: JSONColumn) throws {
        guard var buffer = cell.bytes else { return null() }
        guard cell.format == .binary else { throw PlatformError.internalError("expected a binary column") }
        switch kind {
        case .text:
            separate()
            bytes.append(UInt8(ascii: "\""))
            buffer.readableBytesView.withContiguousStorageIfAvailable { appendEscaped($0) } ?? appendEscaped(Array(buffer.readableBytesView))
            bytes.append(UInt8(ascii: "\""))
        case .json:
            if cell.dataType == .jsonb { buffer.moveReaderIndex(forwardBy: 1) }  // jsonb's version byte
            separate()
            bytes.append(contentsOf: buffer.readableBytesView)
        case .integer:
            let number: Int64? = switch buffer.readableBytes {
            case 8: buffer.readInteger(as: Int64.self)
            case 4: buffer.readInteger(as: Int32.self).map(Int64.init)
            case 2: buffer.readInteger(as: Int16.self).map(Int64.init)
            default: nil
            }
            guard let number else { throw PlatformError.internalError("unexpected integer width") }
            int(number)
        case .timestamp:
            guard buffer.readableBytes == 8, let micros = buffer.readInteger(as: Int64.self) else {
                throw PlatformError.internalError("unexpected timestamp width")
            }
            // Microseconds since 2000-01-01 UTC; whole seconds, rounded down like the encoder's dates.
            let seconds = Int64((Double(micros) / 1_000_000).rounded(.down)) + 946_684_800
            date(Date(timeIntervalSince1970: Double(seconds)))
        }
    }

    private mutating func appendEscaped(_ text: UnsafeBufferPointer<UInt8>) {
        if !text.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: text)
            return
        }
        for byte in text { appendEscapedByte(byte) }
    }

    private mutating func appendEscaped(_ text: [UInt8]) {
        text.withUnsafeBufferPointer { appendEscaped($0) }
    }
}
