import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Platform
import ServiceLifecycle
import TenantRouter

/// One test's world: its own database (copied from the migrated template), its own Redis key prefix,
/// a manual clock, and the whole application built from them.
package struct TestApp: Sendable {
    package let app: UplinkApplication
    package let clock: ManualWallClock
    package let databaseName: String

    /// Builds the app on a fresh database, runs `body` with the Postgres pool running, then drops the database.
    package static func with<T: Sendable>(
        configure: (inout AppConfig) -> Void = { _ in },
        logHandler: (@Sendable (String) -> any LogHandler)? = nil,
        _ body: (TestApp) async throws -> T
    ) async throws -> T {
        let name = try await TestDatabases.shared.makeDatabase()
        var config = try TestDatabases.baseConfig()
        config.database.database = name
        config.redis.keyPrefix = "test:\(name):"
        configure(&config)
        let clock = ManualWallClock(Date())
        var logger = logHandler.map { Logger(label: "uplink.test", factory: $0) } ?? Logger(label: "uplink.test")
        logger.logLevel = logHandler != nil ? .trace
            : ProcessInfo.processInfo.environment["UPLINK_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        let app = try UplinkApplication(config: config, logger: logger, clock: clock)
        let testApp = TestApp(app: app, clock: clock, databaseName: name)
        do {
            let result = try await app.withRunningDatabase { try await body(testApp) }
            await app.shutdown()
            await TestDatabases.shared.dropDatabase(name)
            return result
        } catch {
            await app.shutdown()
            await TestDatabases.shared.dropDatabase(name)
            throw error
        }
    }

    /// Runs `body` while the provisioning worker role (outbox relay and one queue worker) runs in this process.
    package func withProvisioning<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        let (services, workerRedis) = app.provisioningServices()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for service in services { group.addTask { try await service.run() } }
            do {
                let result = try await body()
                group.cancelAll()
                await workerRedis.shutdown()
                try await group.waitForAll()
                return result
            } catch {
                group.cancelAll()
                await workerRedis.shutdown()
                throw error
            }
        }
    }

    /// Runs `body` with an HTTP client that goes through the real router and middleware.
    package func http<T: Sendable>(_ body: @escaping @Sendable (APIClient) async throws -> T) async throws -> T {
        let application = Application(router: app.buildRouter(), logger: app.logger)
        return try await application.test(.router) { client in
            try await body(APIClient(client: client))
        }
    }
}

/// A small JSON client over HummingbirdTesting.
package struct APIClient: Sendable {
    let client: any TestClientProtocol

    package struct Reply: Sendable {
        package var status: HTTPResponse.Status
        package var headers: HTTPFields
        package var body: Data

        /// The body as a JSON object (empty when it is not one).
        package var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        }

        /// `error.code` of an error reply.
        package var errorCode: String? {
            (json["error"] as? [String: Any])?["code"] as? String
        }

        /// `error.details.field` of an error reply.
        package var errorField: String? {
            ((json["error"] as? [String: Any])?["details"] as? [String: Any])?["field"] as? String
        }

        package var text: String { String(decoding: body, as: UTF8.self) }
    }

    package func request(
        _ method: HTTPRequest.Method, _ path: String, token: String? = nil, json: Any? = nil, rawBody: String? = nil,
        headers extra: [String: String] = [:]
    ) async throws -> Reply {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        for (name, value) in extra {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        var body: ByteBuffer?
        if let json {
            headers[.contentType] = "application/json"
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
        } else if let rawBody {
            headers[.contentType] = "application/json"
            body = ByteBuffer(string: rawBody)
        }
        return try await client.execute(uri: path, method: method, headers: headers, body: body) { response in
            Reply(status: response.status, headers: response.headers, body: Data(response.body.readableBytesView))
        }
    }

    package func get(_ path: String, token: String? = nil) async throws -> Reply {
        try await request(.get, path, token: token)
    }

    /// A POST of raw bytes with the given content type (a file upload).
    package func upload(_ path: String, token: String?, bytes: [UInt8], contentType: String = "text/csv") async throws -> Reply {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        headers[.contentType] = contentType
        return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(bytes: bytes)) { response in
            Reply(status: response.status, headers: response.headers, body: Data(response.body.readableBytesView))
        }
    }

    package func post(_ path: String, token: String? = nil, json: Any? = nil) async throws -> Reply {
        try await request(.post, path, token: token, json: json)
    }

    /// A money-moving POST with an `Idempotency-Key` (a fresh one unless given).
    package func postMoney(_ path: String, token: String?, json: Any?, key: String = UUID().uuidString) async throws -> Reply {
        try await request(.post, path, token: token, json: json, headers: ["Idempotency-Key": key])
    }

    /// Signs in and returns the session token (fails the test helper if the login does not answer 200).
    package func login(_ username: String, _ password: String) async throws -> String {
        let reply = try await post("/api/v1/auth/login", json: ["username": username, "password": password])
        guard reply.status == .ok, let token = reply.json["token"] as? String else {
            throw TestFailure("login \(username) answered \(reply.status.code): \(reply.text)")
        }
        return token
    }
}

package struct TestFailure: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}
