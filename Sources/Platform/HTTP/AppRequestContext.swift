import Foundation
import Hummingbird
import NIOCore

/// The request context every route of every service sees: who is calling, with what rights, from where.
package struct AppRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// Set by the authentication middleware; nil on public routes.
    package var principal: Principal?
    package var requestID: String
    package var clientIP: String

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.principal = nil
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
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: context.maxUploadSize)
        } catch is NIOTooManyBytesError {
            throw PlatformError.payloadTooLarge(limitBytes: context.maxUploadSize)
        }
        do {
            return try AppJSON.decoder.decode(type, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw PlatformError.invalidInput(field: Self.fieldName(of: error), reason: Self.reason(of: error))
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

extension Request {
    /// Decodes a JSON body for a partial update: the typed value plus the names of the members that were
    /// given as `null` (to clear them), top level and one level down (`address.road`). Absent members are
    /// left alone; a member set to `null` is cleared.
    package func decodePatch<T: Decodable>(as type: T.Type, context: AppRequestContext) async throws -> (value: T, nulls: Set<String>) {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: context.maxUploadSize)
        } catch is NIOTooManyBytesError {
            throw PlatformError.payloadTooLarge(limitBytes: context.maxUploadSize)
        }
        let data = Data(buffer.readableBytesView)
        let value: T
        do {
            value = try AppJSON.decoder.decode(type, from: data)
        } catch let error as DecodingError {
            throw PlatformError.invalidInput(field: Self.fieldName(of: error), reason: Self.reason(of: error))
        }
        var nulls: Set<String> = []
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            for (key, member) in object {
                if member is NSNull { nulls.insert(key) }
                if let nested = member as? [String: Any] {
                    for (inner, innerMember) in nested where innerMember is NSNull { nulls.insert("\(key).\(inner)") }
                }
            }
        }
        return (value, nulls)
    }
}
