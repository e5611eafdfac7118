import Foundation
import Hummingbird
import NIOCore
import Platform

extension Decimal {
    /// No fraction of a poisha left.
    fileprivate var isWholeMinorUnit: Bool {
        var value = self, rounded = Decimal()
        NSDecimalRound(&rounded, &value, 0, .plain)
        return rounded == self
    }
}

/// A submitted form: `application/x-www-form-urlencoded` fields, or the fields and the file of a
/// `multipart/form-data` form. A field may repeat (the ids of a bulk action).
struct PanelForm: Sendable {
    private(set) var fields: [(name: String, value: String)] = []
    var file: Upload?

    static let limit = 1 << 20
    static let uploadLimit = 50 << 20

    init(fields: [(name: String, value: String)] = [], file: Upload? = nil) {
        self.fields = fields
        self.file = file
    }

    static func read(_ request: Request) async throws -> PanelForm {
        let media = MediaTypeText(request.headers[.contentType] ?? "")
        if media.type == "multipart/form-data" {
            let body: ByteBuffer
            do { body = try await request.body.collect(upTo: uploadLimit) } catch is NIOTooManyBytesError {
                throw PlatformError.payloadTooLarge(limitBytes: uploadLimit)
            }
            guard let boundary = media.parameters["boundary"], !boundary.isEmpty else {
                throw PlatformError.invalidInput(field: "body", reason: "a multipart form needs a boundary")
            }
            var form = PanelForm()
            for part in Multipart.parts(Array(body.readableBytesView), boundary: boundary) {
                if part.fileName != nil {
                    if form.file == nil, !part.body.isEmpty {
                        form.file = Upload(bytes: part.body, charset: nil, fileName: part.fileName)
                    }
                } else if let name = part.name {
                    form.fields.append((name, String(decoding: part.body, as: UTF8.self)))
                }
            }
            return form
        }
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: limit) } catch is NIOTooManyBytesError {
            throw PlatformError.payloadTooLarge(limitBytes: limit)
        }
        return PanelForm(fields: decode(String(decoding: body.readableBytesView, as: UTF8.self)))
    }

    /// `a=1&b=x+y&c=%E0%A6%95` → pairs, `+` as space, percent escapes as UTF-8.
    static func decode(_ text: String) -> [(name: String, value: String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func unescape(_ part: Substring) -> String {
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (unescape(parts[0]), parts.count > 1 ? unescape(parts[1]) : "")
        }
    }

    /// The field's first value, trimmed; nil when absent or blank.
    subscript(_ name: String) -> String? {
        guard let value = fields.first(where: { $0.name == name })?.value.trimmingCharacters(in: .whitespacesAndNewlines),
              !value.isEmpty else { return nil }
        return value
    }

    func all(_ name: String) -> [String] { fields.filter { $0.name == name }.map(\.value) }

    func has(_ name: String) -> Bool { fields.contains { $0.name == name } }

    /// Every field as given (trimmed), for refilling a form after an error.
    var values: [String: String] {
        var values: [String: String] = [:]
        for (name, value) in fields where values[name] == nil { values[name] = value.trimmingCharacters(in: .whitespacesAndNewlines) }
        return values
    }

    func int64(_ name: String) throws -> Int64? {
        guard let text = self[name] else { return nil }
        guard let value = Int64(text) else { throw PlatformError.invalidInput(field: name, reason: "must be a whole number") }
        return value
    }

    /// An amount in taka as typed (`1,250.50`), in minor units (poisha); nil when blank.
    func amount(_ name: String) throws -> Int64? {
        guard let text = self[name]?.replacingOccurrences(of: ",", with: "") else { return nil }
        guard let value = Decimal(string: text), value >= 0, value < 1_000_000_000, (value * 100).isWholeMinorUnit else {
            throw PlatformError.invalidInput(field: name, reason: "must be an amount in taka, at most two decimals")
        }
        return NSDecimalNumber(decimal: value * 100).int64Value
    }

    func int(_ name: String) throws -> Int? {
        try int64(name).map { Int($0) }
    }
}
