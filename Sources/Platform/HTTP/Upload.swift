import Foundation
import Hummingbird
import NIOCore

/// A file sent as the request body (`text/csv`, …) or as a part of `multipart/form-data`: its bytes, the
/// declared charset and the file name when the form gave one.
package struct Upload: Sendable {
    package var bytes: [UInt8]
    /// Lower-cased `charset` of the body or the part, when declared.
    package var charset: String?
    package var fileName: String?

    package init(bytes: [UInt8], charset: String?, fileName: String?) {
        self.bytes = bytes
        self.charset = charset
        self.fileName = fileName
    }
}

extension Request {
    /// The uploaded file, at most `limit` bytes (413 beyond). A multipart form's part named `file` (or its
    /// first part with a file name) is the file.
    package func upload(limit: Int) async throws -> Upload {
        let body: ByteBuffer
        do { body = try await self.body.collect(upTo: limit) } catch is NIOTooManyBytesError {
            throw PlatformError.payloadTooLarge(limitBytes: limit)
        }
        let contentType = headers[.contentType] ?? ""
        let media = MediaTypeText(contentType)
        let bytes = Array(body.readableBytesView)
        guard media.type == "multipart/form-data" else {
            return Upload(bytes: bytes, charset: media.parameters["charset"], fileName: nil)
        }
        guard let boundary = media.parameters["boundary"], !boundary.isEmpty else {
            throw PlatformError.invalidInput(field: "body", reason: "a multipart form needs a boundary")
        }
        let parts = Multipart.parts(bytes, boundary: boundary)
        guard let part = parts.first(where: { $0.name == "file" }) ?? parts.first(where: { $0.fileName != nil }) else {
            throw PlatformError.invalidInput(field: "file", reason: "the form has no file part")
        }
        return Upload(bytes: part.body, charset: part.contentType.map(MediaTypeText.init)?.parameters["charset"], fileName: part.fileName)
    }
}

/// `type/subtype; key=value; …`, the type and keys lower-cased, quotes removed from values.
package struct MediaTypeText {
    package var type: String
    package var parameters: [String: String] = [:]

    package init(_ text: String) {
        let pieces = text.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        type = pieces.first?.lowercased() ?? ""
        for piece in pieces.dropFirst() {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            let key = piece[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var value = piece[piece.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            parameters[key] = key == "charset" ? value.lowercased() : value
        }
    }
}

/// The parts of a `multipart/form-data` body (RFC 7578): each part's headers and bytes.
package enum Multipart {
    package struct Part {
        package var name: String?
        package var fileName: String?
        package var contentType: String?
        package var body: [UInt8]
    }

    package static func parts(_ bytes: [UInt8], boundary: String) -> [Part] {
        let delimiter = Array("--\(boundary)".utf8)
        var parts: [Part] = []
        var positions: [Int] = []
        var index = 0
        while let found = find(delimiter, in: bytes, from: index) {
            positions.append(found)
            index = found + delimiter.count
        }
        for (start, end) in zip(positions, positions.dropFirst()) {
            var from = start + delimiter.count
            // The line end after the delimiter.
            if from + 1 < bytes.count, bytes[from] == 0x0D, bytes[from + 1] == 0x0A { from += 2 } else if from < bytes.count, bytes[from] == 0x0A { from += 1 }
            guard let headerEnd = find([0x0D, 0x0A, 0x0D, 0x0A], in: bytes, from: from), headerEnd < end else { continue }
            var bodyEnd = end
            // The CRLF before the next delimiter belongs to it.
            if bodyEnd >= 2, bytes[bodyEnd - 2] == 0x0D, bytes[bodyEnd - 1] == 0x0A { bodyEnd -= 2 }
            let headerText = String(decoding: bytes[from..<headerEnd], as: UTF8.self)
            var part = Part(body: Array(bytes[(headerEnd + 4)..<max(headerEnd + 4, bodyEnd)]))
            for line in headerText.split(separator: "\r\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                if name == "content-disposition" {
                    let disposition = MediaTypeText(value)
                    part.name = disposition.parameters["name"]
                    part.fileName = disposition.parameters["filename"]
                } else if name == "content-type" {
                    part.contentType = value
                }
            }
            parts.append(part)
        }
        return parts
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        let first = needle[0]
        var index = start
        while index <= haystack.count - needle.count {
            if haystack[index] == first, haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
