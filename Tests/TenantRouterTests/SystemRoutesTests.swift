import Foundation
import HTTPTypes
import Hummingbird
import Platform
import TenantRouter
import TestSupport
import WebPanel
import Testing

@Suite struct SystemRoutesTests {
    @Test func healthReadinessAndMetrics() async throws {
        try await TestApp.with { test in
            try await test.http { api in
                #expect(try await api.get("/healthz").json["status"] as? String == "ok")
                let ready = try await api.get("/readyz")
                #expect(ready.status == .ok)
                #expect(ready.json["checks"] as? [String: String] == ["postgres": "ok", "redis": "ok"])
                let metrics = try await api.get("/metrics")
                #expect(metrics.status == .ok)
                #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            }
        }
    }

    @Test func readinessFailsWhenRedisIsDown() async throws {
        try await TestApp.with(configure: { $0.redis.port = 1 }) { test in
            try await test.http { api in
                let ready = try await api.get("/readyz")
                #expect(ready.status == .serviceUnavailable)
                #expect((ready.json["checks"] as? [String: String])?["redis"] == "unavailable")
                // Sign-in needs Redis: a clear 503, never a 500.
                let login = try await api.post("/api/v1/auth/login", json: ["username": "x-user", "password": "whatever"])
                #expect(login.status == .serviceUnavailable)
                #expect(login.errorCode == "redis_unavailable")
            }
        }
    }

    @Test func unknownRoutesAndMethodsUseTheErrorShape() async throws {
        try await TestApp.with { test in
            try await test.http { api in
                let missing = try await api.get("/api/v1/nothing-here")
                #expect(missing.status == .notFound)
                #expect(missing.errorCode == "not_found")
                #expect(missing.headers[HTTPField.Name("X-Request-Id")!] != nil)
                let given = try await api.request(.get, "/healthz", headers: ["X-Request-Id": "client-chosen-id-1"])
                #expect(given.headers[HTTPField.Name("X-Request-Id")!] == "client-chosen-id-1")
            }
        }
    }

    @Test func theOpenAPIDocumentMatchesTheRouter() async throws {
        try await TestApp.with { test in
            func operations(_ router: Router<AppRequestContext>) -> Set<String> {
                Set(router.routes.map { route in
                    "\(route.method.rawValue) /" + route.path.description
                        .split(separator: "/")
                        .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
                        .joined(separator: "/")
                })
            }
            // The panel's HTML pages are not part of the API.
            let panel = Router(context: AppRequestContext.self)
            test.app.panel.register(on: panel)
            let panelOperations = operations(panel)
            #expect(panelOperations.count > 10)
            let routed = operations(test.app.buildRouter()).subtracting(panelOperations)
            let documented = Set(OpenAPIDocument.operations.map { "\($0.method) \($0.path)" })
            #expect(routed.subtracting(documented).isEmpty, "undocumented: \(routed.subtracting(documented).sorted())")
            #expect(documented.subtracting(routed).isEmpty, "documented but missing: \(documented.subtracting(routed).sorted())")

            try await test.http { api in
                let document = try await api.get("/api/v1/openapi.json")
                #expect(document.json["openapi"] as? String == "3.1.0")
                let paths = try #require(document.json["paths"] as? [String: [String: Any]])
                let served = Set(paths.flatMap { path, methods in methods.keys.map { "\($0.uppercased()) \(path)" } })
                #expect(served == documented)
            }
        }
    }
}
