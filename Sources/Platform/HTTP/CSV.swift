import Foundation

/// CSV exports (RFC 4180, CRLF line ends) that are safe to open in a spreadsheet.
package enum CSV {
    /// A cell: quoted when needed; a value a spreadsheet would treat as a formula gets a leading `'`.
    /// Looked at as bytes: `"\r\n"` is one `Character`, equal to neither `"\r"` nor `"\n"`.
    package static func cell(_ value: String) -> String {
        var text = value
        if let first = text.utf8.first, Array("=+-@\t\r".utf8).contains(first) { text = "'" + text }
        guard text.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// One line of cells, ended by CRLF.
    package static func line(_ cells: [String]) -> String {
        cells.map(cell).joined(separator: ",") + "\r\n"
    }

    /// The same line as `line`, appended as UTF-8 bytes (for large exports: no string per cell).
    package static func append(_ cells: [String], to out: inout [UInt8]) {
        for (index, text) in cells.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            let utf8 = text.utf8
            guard let first = utf8.first else { continue }
            let neutralise = first == UInt8(ascii: "=") || first == UInt8(ascii: "+") || first == UInt8(ascii: "-") || first == UInt8(ascii: "@")
                || first == 0x09 || first == 0x0D
            let quote = utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
            if quote { out.append(UInt8(ascii: "\"")) }
            if neutralise { out.append(UInt8(ascii: "'")) }
            if quote {
                for byte in utf8 {
                    out.append(byte)
                    if byte == UInt8(ascii: "\"") { out.append(byte) }
                }
                out.append(UInt8(ascii: "\""))
            } else {
                out.append(contentsOf: utf8)
            }
        }
        out.append(0x0D)
        out.append(0x0A)
    }
}

extension CSV {
    /// One record of a CSV file: the line it starts on (1-based; a quoted cell may span lines) and its cells,
    /// each nil when its bytes are not valid in the file's encoding.
    package struct Record: Sendable {
        package var line: Int
        package var cells: [String?]
    }

    /// Why a file cannot be read at all.
    package enum ReadError: Error, Sendable, Equatable {
        /// A quoted cell is still open at the end of the file.
        case unterminatedQuote(line: Int)
        /// A cell is longer than the reader's limit.
        case cellTooLong(line: Int)
    }

    /// Text encodings an upload may declare.
    package enum Encoding: Sendable {
        case utf8
        case windows1252
    }

    /// Reads RFC 4180 CSV: `,`-separated, `"`-quoted cells with `""` for a quote, quoted cells may hold
    /// separators and line breaks; lines end in CRLF, LF or CR; a UTF-8 byte-order mark is skipped; empty
    /// lines are skipped. Cells are decoded one by one, so one badly encoded cell fails only its record.
    package static func read(_ bytes: [UInt8], encoding: Encoding = .utf8, maxCellBytes: Int = 65_536) throws(ReadError) -> [Record] {
        var records: [Record] = []
        var index = 0
        let count = bytes.count
        if encoding == .utf8, count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
        var line = 1
        var cells: [String?] = []
        var cell: [UInt8] = []
        var recordLine = 1
        var quoted = false
        var atCellStart = true
        var recordHasContent = false

        func decode(_ cell: [UInt8]) -> String? {
            switch encoding {
            case .utf8: String(validating: cell, as: UTF8.self)
            case .windows1252: String(data: Data(cell), encoding: .windowsCP1252)
            }
        }
        func endRecord() {
            cells.append(decode(cell))
            cell.removeAll(keepingCapacity: true)
            if recordHasContent || cells.count > 1 { records.append(Record(line: recordLine, cells: cells)) }
            cells = []
            atCellStart = true
            recordHasContent = false
        }

        while index < count {
            let byte = bytes[index]
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < count, bytes[index + 1] == UInt8(ascii: "\"") {
                        cell.append(byte)
                        index += 2
                        continue
                    }
                    quoted = false
                    index += 1
                    continue
                }
                if byte == 0x0A || (byte == 0x0D && !(index + 1 < count && bytes[index + 1] == 0x0A)) { line += 1 }
                cell.append(byte)
                if cell.count > maxCellBytes { throw .cellTooLong(line: recordLine) }
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "\"") where atCellStart:
                quoted = true
                atCellStart = false
                recordHasContent = true
                index += 1
            case UInt8(ascii: ","):
                cells.append(decode(cell))
                cell.removeAll(keepingCapacity: true)
                atCellStart = true
                recordHasContent = true
                index += 1
            case 0x0D, 0x0A:
                endRecord()
                index += (byte == 0x0D && index + 1 < count && bytes[index + 1] == 0x0A) ? 2 : 1
                line += 1
                recordLine = line
            default:
                cell.append(byte)
                if cell.count > maxCellBytes { throw .cellTooLong(line: recordLine) }
                atCellStart = false
                recordHasContent = true
                index += 1
            }
        }
        if quoted { throw .unterminatedQuote(line: recordLine) }
        if recordHasContent || !cell.isEmpty || !cells.isEmpty { endRecord() }
        return records
    }
}
