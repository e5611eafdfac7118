import Foundation

/// A minimal Office Open XML workbook (`.xlsx`): sheets of text and number cells, written as a ZIP archive
/// of stored (uncompressed) parts. Enough for reports a spreadsheet opens; no styles or formulas, and a
/// text cell is always text (a value like `=1+1` is shown, never run).
package enum XLSX {
    package enum Cell: Sendable, Equatable {
        case text(String)
        case number(Double)
    }

    package struct Sheet: Sendable {
        package var name: String
        package var rows: [[Cell]]

        package init(name: String, rows: [[Cell]]) {
            self.name = name
            self.rows = rows
        }
    }

    package static func workbook(_ sheets: [Sheet]) -> [UInt8] {
        var zip = ZipWriter()
        zip.add("[Content_Types].xml", Array("""
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
            <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
            <Default Extension="xml" ContentType="application/xml"/>\
            <Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
            \(sheets.indices.map { "<Override PartName=\"/xl/worksheets/sheet\($0 + 1).xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>" }.joined())\
            </Types>
            """.utf8))
        zip.add("_rels/.rels", Array("""
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
            <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>\
            </Relationships>
            """.utf8))
        zip.add("xl/workbook.xml", Array("""
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
            xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>\
            \(sheets.enumerated().map { "<sheet name=\"\(escape(sheetName($0.element.name)))\" sheetId=\"\($0.offset + 1)\" r:id=\"rId\($0.offset + 1)\"/>" }.joined())\
            </sheets></workbook>
            """.utf8))
        zip.add("xl/_rels/workbook.xml.rels", Array("""
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
            \(sheets.indices.map { "<Relationship Id=\"rId\($0 + 1)\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet\($0 + 1).xml\"/>" }.joined())\
            </Relationships>
            """.utf8))
        for (index, sheet) in sheets.enumerated() {
            zip.add("xl/worksheets/sheet\(index + 1).xml", worksheet(sheet.rows))
        }
        return zip.finish()
    }

    static func worksheet(_ rows: [[Cell]]) -> [UInt8] {
        var out = Array("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>".utf8)
        out.reserveCapacity(rows.count * 256)
        for (r, row) in rows.enumerated() {
            out.append(contentsOf: "<row r=\"\(r + 1)\">".utf8)
            for (c, cell) in row.enumerated() {
                let reference = column(c) + String(r + 1)
                switch cell {
                case .text(let text):
                    out.append(contentsOf: "<c r=\"\(reference)\" t=\"inlineStr\"><is><t xml:space=\"preserve\">".utf8)
                    out.append(contentsOf: escape(text).utf8)
                    out.append(contentsOf: "</t></is></c>".utf8)
                case .number(let value):
                    let text = value.isFinite ? (value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)) : "0"
                    out.append(contentsOf: "<c r=\"\(reference)\"><v>\(text)</v></c>".utf8)
                }
            }
            out.append(contentsOf: "</row>".utf8)
        }
        out.append(contentsOf: "</sheetData></worksheet>".utf8)
        return out
    }

    /// `A`, `B`, … `Z`, `AA`, … for a zero-based column index.
    static func column(_ index: Int) -> String {
        var index = index + 1
        var name = ""
        while index > 0 {
            let remainder = (index - 1) % 26
            name = String(UnicodeScalar(UInt8(65 + remainder))) + name
            index = (index - 1) / 26
        }
        return name
    }

    /// XML text: the five special characters escaped, characters XML 1.0 does not allow dropped.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                let value = scalar.value
                if value < 0x20 || (0xFFFE...0xFFFF).contains(value) { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Sheet names: at most 31 characters, none of `[]:*?/\`.
    static func sheetName(_ name: String) -> String {
        let cleaned = String(name.filter { !"[]:*?/\\".contains($0) }.prefix(31))
        return cleaned.isEmpty ? "Sheet" : cleaned
    }
}

/// A ZIP archive of stored entries (no compression, no ZIP64: parts under 4 GiB).
struct ZipWriter {
    private var bytes: [UInt8] = []
    private var central: [UInt8] = []
    private var count = 0

    mutating func add(_ name: String, _ data: [UInt8]) {
        let nameBytes = Array(name.utf8)
        let crc = CRC32.checksum(data)
        let offset = UInt32(bytes.count)
        // Local file header.
        append32(&bytes, 0x0403_4B50)
        append16(&bytes, 20); append16(&bytes, 0x0800); append16(&bytes, 0)
        append16(&bytes, 0); append16(&bytes, 0x21)  // 1980-01-01 00:00
        append32(&bytes, crc); append32(&bytes, UInt32(data.count)); append32(&bytes, UInt32(data.count))
        append16(&bytes, UInt16(nameBytes.count)); append16(&bytes, 0)
        bytes += nameBytes
        bytes += data
        // Its central directory entry.
        append32(&central, 0x0201_4B50)
        append16(&central, 20); append16(&central, 20); append16(&central, 0x0800); append16(&central, 0)
        append16(&central, 0); append16(&central, 0x21)
        append32(&central, crc); append32(&central, UInt32(data.count)); append32(&central, UInt32(data.count))
        append16(&central, UInt16(nameBytes.count)); append16(&central, 0); append16(&central, 0)
        append16(&central, 0); append16(&central, 0); append32(&central, 0)
        append32(&central, offset)
        central += nameBytes
        count += 1
    }

    mutating func finish() -> [UInt8] {
        let offset = UInt32(bytes.count)
        var out = bytes + central
        append32(&out, 0x0605_4B50)
        append16(&out, 0); append16(&out, 0)
        append16(&out, UInt16(count)); append16(&out, UInt16(count))
        append32(&out, UInt32(central.count)); append32(&out, offset)
        append16(&out, 0)
        return out
    }

    private func append16(_ out: inout [UInt8], _ value: UInt16) {
        out.append(UInt8(value & 0xFF)); out.append(UInt8(value >> 8))
    }

    private func append32(_ out: inout [UInt8], _ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8((value >> UInt32(shift)) & 0xFF)) }
    }
}

/// CRC-32 (IEEE 802.3, as ZIP uses it).
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 != 0 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    static func checksum(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
