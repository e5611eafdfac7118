import Foundation

/// CSV exports (RFC 4180, CRLF line ends) that are safe to open in a spreadsheet.
package enum CSV {
    /// A cell: quoted when needed; a value a spreadsheet would treat as a formula gets a leading `'`.
    package static func cell(_ value: String) -> String {
        var text = value
        if let first = text.first, "=+-@\t\r".contains(first) { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// One line of cells, ended by CRLF.
    package static func line(_ cells: [String]) -> String {
        cells.map(cell).joined(separator: ",") + "\r\n"
    }
}
