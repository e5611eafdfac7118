import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The request context every route of every service sees: who is calling, with what rights, from where.
package struct AppRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// Set by the authentication middleware; nil on public routes.
    package var principal: Principal?
    package var requestID: String
    package var clientIP: String
    /// The panel's admin viewing as a reseller: that reseller's name (the principal is then its scope).
    package var viewingAs: String?

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.principal = nil
        self.viewingAs = nil
        self.requestID = ""
        self.clientIP = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    package var requestDecoder: JSONDecoder { AppJSON.decoder }
    package var responseEncoder: JSONEncoder { AppJSON.encoder }
    package var maxUploadSize: Int { 1024 * 1024 }

    /// The caller, or 401.
    package func requirePrincipal() throws -> Principal {
        guard let principal else { throw PlatformError.unauthenticated }
        return principal
    }

    /// The caller when it holds `permission`, else 403 (401 when nobody is signed in).
    package func require(_ permission: Permission) throws -> Principal {
        let principal = try requirePrincipal()
        guard principal.permissions.contains(permission) else {
            throw PlatformError.forbidden("this credential lacks the \(permission.rawValue) scope")
        }
        return principal
    }

    /// The caller when it is the platform admin, else 403.
    package func requireAdmin() throws -> Principal {
        let principal = try requirePrincipal()
        guard principal.isAdmin else { throw PlatformError.forbidden("only the platform admin may do this") }
        return principal
    }
}

/// JSON as the API speaks it: ISO 8601 dates, sorted keys for stable output.
package enum AppJSON {
    package static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    package static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}

extension Request {
    /// Decodes a JSON body, turning malformed JSON or wrong types into a 400 naming the offending field,
    /// and a body over the context's limit into a 413.
    package func decodeBody<T: Decodable>(as type: T.Type, context: AppRequestContext) async throws -> T {
        try Self.decode(type, from: try await collectJSON(context: context))
    }

    /// The body's bytes, at most the context's limit (413 beyond it).
    fileprivate func collectJSON(context: AppRequestContext) async throws -> Data {
        do {
            return Data(try await body.collect(upTo: context.maxUploadSize).readableBytesView)
        } catch is NIOTooManyBytesError {
            throw PlatformError.payloadTooLarge(limitBytes: context.maxUploadSize)
        }
    }

    fileprivate static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        do {
            return try AppJSON.decoder.decode(type, from: data)
        } catch let error as DecodingError {
            throw PlatformError.invalidInput(field: fieldName(of: error), reason: reason(of: error))
        }
    }

    fileprivate static func fieldName(of error: DecodingError) -> String {
        let path: [any CodingKey]
        switch error {
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): path = context.codingPath
        @unknown default: path = []
        }
        let name = path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        return name.isEmpty ? "body" : name
    }

    fileprivate static func reason(of error: DecodingError) -> String {
        switch error {
        case .keyNotFound: "is required"
        case .typeMismatch(let type, _): "must be of type \(type)"
        case .valueNotFound: "must not be null"
        case .dataCorrupted: "is not valid JSON or has an invalid value"
        @unknown default: "is invalid"
        }
    }
}

extension Parameters {
    /// A positive integer path parameter; anything else is a 404 (there is no such object).
    package func requireID(_ name: String) throws -> Int64 {
        guard let text = get(name), let value = Int64(text), value > 0 else {
            throw PlatformError.notFound("object")
        }
        return value
    }
}

/// A request body for a create or a partial update: the typed members, plus the names of the members
/// given as `null` (to clear them), which decoding alone cannot tell from absent ones.
package protocol PartialInput: Decodable {
    var nulls: Set<String> { get set }
}

extension Request {
    /// Decodes a `PartialInput` and records its `null` members, top level and one level down
    /// (`address.road`). `emptyBody`: the value of a request without a body (actions that need no input).
    package func decodeInput<T: PartialInput>(_ type: T.Type, context: AppRequestContext, emptyBody: T? = nil) async throws -> T {
        let data = try await collectJSON(context: context)
        if data.isEmpty, let emptyBody { return emptyBody }
        return try T.decodePartial(from: data)
    }
}

extension PartialInput {
    /// Decodes a JSON object and records its `null` members, top level and one level down (`address.road`):
    /// how a partial update says "clear this". Bodies built in Swift (the panel's edit forms) use it too.
    package static func decodePartial(from data: Data) throws -> Self {
        var value = try Request.decode(Self.self, from: data)
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            for (key, member) in object {
                if member is NSNull { value.nulls.insert(key) }
                if let nested = member as? [String: Any] {
                    for (inner, innerMember) in nested where innerMember is NSNull { value.nulls.insert("\(key).\(inner)") }
                }
            }
        }
        return value
    }
}

extension Request {
    /// Decodes a JSON body and also returns its bytes (what an idempotency key's request hash covers).
    /// An empty body decodes as `{}`.
    package func decodeBodyAndBytes<T: Decodable>(as type: T.Type, context: AppRequestContext) async throws -> (T, Data) {
        let data = try await collectJSON(context: context)
        return (try Self.decode(type, from: data.isEmpty ? Data("{}".utf8) : data), data)
    }

    /// The `Idempotency-Key` header: 1–200 visible ASCII characters. Money-moving requests require one.
    package func idempotencyKey() throws -> String {
        guard let name = HTTPField.Name("Idempotency-Key"), let key = headers[name], !key.isEmpty else {
            throw PlatformError.invalidInput(field: "Idempotency-Key", reason: "header is required for requests that move money")
        }
        guard key.utf8.count <= 200, key.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw PlatformError.invalidInput(field: "Idempotency-Key", reason: "must be 1 to 200 visible ASCII characters")
        }
        return key
    }
}

/// A body already serialised (JSON by SQL, or stored with an idempotency key; a CSV export), sent as it is.
package struct RawJSONResponse: ResponseGenerator {
    package var status: HTTPResponse.Status
    package var bytes: [UInt8]
    /// True when the body is the stored first result of an idempotent request (`Idempotent-Replayed: true`).
    package var replayed: Bool
    package var contentType: String
    /// `Content-Disposition` for a download.
    package var attachmentName: String?

    package init(
        status: HTTPResponse.Status = .ok, bytes: [UInt8], replayed: Bool = false,
        contentType: String = "application/json; charset=utf-8", attachmentName: String? = nil
    ) {
        self.status = status
        self.bytes = bytes
        self.replayed = replayed
        self.contentType = contentType
        self.attachmentName = attachmentName
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: contentType]
        if let attachmentName { headers[.contentDisposition] = "attachment; filename=\"\(attachmentName)\"" }
        if replayed, let name = HTTPField.Name("Idempotent-Replayed") { headers[name] = "true" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
