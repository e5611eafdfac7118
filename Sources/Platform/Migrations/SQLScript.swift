import Foundation

/// Splits a SQL script into statements. Postgres' extended protocol runs one statement at a time, so a
/// migration file is cut at top-level semicolons: not inside quotes, identifiers, comments or dollar quotes.
package enum SQLScript {
    package static func statements(_ script: String) -> [String] {
        let chars = Array(script.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var index = 0
        var hasContent = false

        func flush() {
            let text = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
            if hasContent, !text.isEmpty { statements.append(text) }
            current = String.UnicodeScalarView()
            hasContent = false
        }

        func peek(_ offset: Int) -> Unicode.Scalar? {
            index + offset < chars.count ? chars[index + offset] : nil
        }

        while index < chars.count {
            let c = chars[index]
            if c == "-", peek(1) == "-" {
                // Line comment: dropped.
                while index < chars.count, chars[index] != "\n" { index += 1 }
                continue
            }
            if c == "/", peek(1) == "*" {
                var depth = 0
                repeat {
                    if chars[index] == "/", peek(1) == "*" { depth += 1; index += 2; continue }
                    if chars[index] == "*", peek(1) == "/" { depth -= 1; index += 2; continue }
                    index += 1
                } while index < chars.count && depth > 0
                current.append(" ")
                continue
            }
            if c == "'" || c == "\"" {
                current.append(c)
                index += 1
                while index < chars.count {
                    let d = chars[index]
                    current.append(d)
                    index += 1
                    if d == c {
                        if index < chars.count, chars[index] == c { current.append(c); index += 1; continue }
                        break
                    }
                }
                hasContent = true
                continue
            }
            if c == "$", let tag = dollarTag(chars, at: index) {
                let tagScalars = Array(tag.unicodeScalars)
                current.append(contentsOf: tagScalars)
                index += tagScalars.count
                while index < chars.count {
                    if chars[index] == "$", Array(chars[index..<min(chars.count, index + tagScalars.count)]) == tagScalars {
                        current.append(contentsOf: tagScalars)
                        index += tagScalars.count
                        break
                    }
                    current.append(chars[index])
                    index += 1
                }
                hasContent = true
                continue
            }
            if c == ";" {
                flush()
                index += 1
                continue
            }
            if !c.properties.isWhitespace { hasContent = true }
            current.append(c)
            index += 1
        }
        flush()
        return statements
    }

    /// `$$` or `$tag$` starting at `start`, if that is what stands there.
    private static func dollarTag(_ chars: [Unicode.Scalar], at start: Int) -> String? {
        var end = start + 1
        while end < chars.count {
            let c = chars[end]
            if c == "$" { return String(String.UnicodeScalarView(chars[start...end])) }
            guard c == "_" || c.properties.isAlphabetic || (end > start + 1 && ("0"..."9").contains(c)) else { return nil }
            end += 1
        }
        return nil
    }
}
