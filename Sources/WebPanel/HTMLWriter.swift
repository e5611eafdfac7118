/// HTML written straight into bytes, every text escaped: for the rows of the longest lists (the customers
/// list: up to 200 rows of a dozen cells), where walking a template per cell cost more than the query.
struct HTMLWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 16_384) { bytes.reserveCapacity(capacity) }

    /// Markup as written in the code (never a value).
    mutating func raw(_ markup: StaticString) {
        markup.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// A value: `&`, `<`, `>`, `"` and `'` escaped, so it is safe in text and in quoted attributes.
    mutating func text(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            var start = 0
            for index in 0..<utf8.count {
                let replacement: StaticString
                switch utf8[index] {
                case UInt8(ascii: "&"): replacement = "&amp;"
                case UInt8(ascii: "<"): replacement = "&lt;"
                case UInt8(ascii: ">"): replacement = "&gt;"
                case UInt8(ascii: "\""): replacement = "&quot;"
                case UInt8(ascii: "'"): replacement = "&#39;"
                default: continue
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                raw(replacement)
                start = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<utf8.count]))
        }
    }

    mutating func text(_ value: Any?) {
        switch value {
        case nil: break
        case let string as String: text(string)
        case let number as Int: text(String(number))
        case let other?: text("\(other)")
        }
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }
}
