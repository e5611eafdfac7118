import Hummingbird
import Logging
import Platform
import PostgresNIO
import Prometheus

/// `/healthz` (the process answers), `/readyz` (Postgres and Redis answer), `/metrics` (Prometheus text).
struct SystemRoutes: Sendable {
    let database: Database
    let redis: RedisClient
    let metrics: PrometheusCollectorRegistry

    func register(on router: Router<AppRequestContext>) {
        router.get("healthz") { _, _ in Status(status: "ok") }
        router.get("readyz", use: ready)
        router.get("metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer()))
            )
        }
    }

    struct Status: ResponseEncodable {
        var status: String
        var checks: [String: String]?
    }

    @Sendable func ready(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Status> {
        var checks: [String: String] = [:]
        do {
            try await database.withPlatformConnection { connection in
                try await connection.query("SELECT 1", logger: context.logger)
            }
            checks["postgres"] = "ok"
        } catch {
            checks["postgres"] = "unavailable"
        }
        do {
            let reply = try await redis.send("PING")
            checks["redis"] = reply == .status("PONG") ? "ok" : "unexpected reply"
        } catch {
            checks["redis"] = "unavailable"
        }
        let ready = checks.values.allSatisfy { $0 == "ok" }
        return EditedResponse(status: ready ? .ok : .serviceUnavailable, response: Status(status: ready ? "ready" : "not_ready", checks: checks))
    }
}
