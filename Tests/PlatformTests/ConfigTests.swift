import Foundation
import Platform
import Testing

@Suite struct ConfigTests {
    static let key = "UPLINK_DATA_KEY"
    static let keyValue = Data(repeating: 7, count: 32).base64EncodedString()

    @Test func defaultsNeedOnlyTheDataKey() throws {
        let config = try AppConfig.load(from: [Self.key: Self.keyValue])
        #expect(config.http.port == 8080)
        #expect(config.database.port == 55432)
        #expect(config.auth.argon2.memoryKiB == 19 * 1024)
        #expect(config.auth.maxFailedLogins == 10)
    }

    @Test func listsEveryProblemAtOnce() {
        let environment = [
            "UPLINK_DATABASE_URL": "mysql://x",
            "UPLINK_REDIS_URL": "redis://host:6379/99",
            "UPLINK_HTTP_PORT": "99999",
            "UPLINK_LOG_LEVEL": "loud",
            "UPLINK_EVENT_LOOPS": "0",
        ]
        do {
            _ = try AppConfig.load(from: environment)
            Issue.record("expected a configuration error")
        } catch let error as ConfigError {
            #expect(error.problems.count == 6)
            #expect(error.problems.contains { $0.hasPrefix("UPLINK_DATA_KEY") })
            #expect(error.problems.contains { $0.hasPrefix("UPLINK_HTTP_PORT") })
            #expect(error.problems.contains { $0.hasPrefix("UPLINK_DATABASE_URL") })
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func dataKeyMustBe32Bytes() throws {
        #expect(throws: ConfigError.self) { try AppConfig.load(from: [Self.key: Data(count: 16).base64EncodedString()]) }
        #expect(throws: ConfigError.self) { try AppConfig.load(from: [Self.key: "not base64!"]) }
        #expect(throws: ConfigError.self) { try AppConfig.load(from: ["UPLINK_DATA_KEY_FILE": "/nonexistent/key"]) }
    }

    @Test func parsesURLs() throws {
        let database = try DatabaseConfig(url: "postgres://app:secret@db.local:6543/billing")
        #expect(database.host == "db.local" && database.port == 6543 && database.username == "app")
        #expect(database.password == "secret" && database.database == "billing")
        let redis = try RedisConfig(url: "redis://:pw@cache:7000/3")
        #expect(redis.host == "cache" && redis.port == 7000 && redis.password == "pw" && redis.database == 3)
    }
}

@Suite struct JSONLogLineTests {
    @Test func escapesEverythingJSONRequires() throws {
        var line = ""
        JSONLogHandler.appendQuoted("a\"b\\c\nd\u{1}é ঢাকা", to: &line)
        #expect(line == #""a\"b\\c\nd\u0001é ঢাকা""#)
        let decoded = try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed]) as? String
        #expect(decoded == "a\"b\\c\nd\u{1}é ঢাকা")
    }
}
