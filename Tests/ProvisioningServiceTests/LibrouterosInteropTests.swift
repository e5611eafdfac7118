import Foundation
import TestSupport
import Testing

/// librouteros, an independent client, against the simulator: if both sides agree only with each
/// other's mistakes, this is where it shows. The test command installs librouteros
/// (`infra/install-deps.sh`); without it this test fails rather than passing quietly.
@Suite struct LibrouterosInteropTests {
    struct Outcome: Decodable {
        var badLogin: String?
        var unauthenticated: String?
        var added: [String]
        var rows: [[String: String]]
        var selected: [[String: String]]
        var either: [String]
        var notBob: [String]
        var duplicate: String?
        var resource: [String: String]
    }

    /// Logs in wrongly and rightly, adds, prints with and without queries, hits a duplicate.
    static let script = #"""
        import json, sys
        import librouteros
        from librouteros.api import Api
        from librouteros.exceptions import FatalError, TrapError
        from librouteros.protocol import ApiProtocol, cast_to_api
        from librouteros.query import Key

        port = int(sys.argv[1])
        result = {}

        def text(row):
            return {key: cast_to_api(value) for key, value in row.items()}

        try:
            librouteros.connect("127.0.0.1", "admin", "wrong", port=port)
            result["bad_login"] = None
        except TrapError as error:
            result["bad_login"] = error.message

        raw = Api(protocol=ApiProtocol(transport=librouteros.create_transport("127.0.0.1", port=port, saddr=None, timeout=5), encoding="utf-8"))
        try:
            tuple(raw("/ppp/secret/print"))
            result["unauthenticated"] = None
        except FatalError as error:
            result["unauthenticated"] = str(error)

        api = librouteros.connect("127.0.0.1", "admin", "s3cret", port=port, encoding="utf-8")
        secrets = api.path("ppp", "secret")
        result["added"] = [
            secrets.add(name="alice", password="pw", profile="default"),
            secrets.add(name="bob", password="pw2", disabled=True, comment="caf\u00e9 \u2713"),
        ]
        result["rows"] = [text(row) for row in secrets]
        name = Key("name")
        result["selected"] = [text(row) for row in secrets.select(Key(".id"), name).where(name == "bob")]
        result["either"] = sorted(row["name"] for row in secrets.select(name).where(name.In("alice", "bob")))
        result["not_bob"] = [row["name"] for row in secrets.select(name).where(name != "bob")]
        try:
            secrets.add(name="alice")
            result["duplicate"] = None
        except TrapError as error:
            result["duplicate"] = error.message
        result["resource"] = text(next(iter(api.path("system", "resource"))))
        api.close()
        print(json.dumps(result))
        """#

    struct Run {
        var status: Int32
        var output: Data
        var errors: String
    }

    /// Runs `python3` with `arguments` (spawned without the test process's descriptors).
    static func python(_ arguments: [String]) async throws -> Run {
        let result = try await TestProcess.run("/usr/bin/env", ["python3"] + arguments)
        return Run(status: result.status, output: Data(result.stdout.utf8), errors: result.stderr)
    }

    @Test func librouterosLogsInAddsAndPrintsAgainstTheSimulator() async throws {
        let probe = try await Self.python(["-c", "import librouteros"])
        guard probe.status == 0 else {
            Issue.record("""
                librouteros is not importable by python3 (exit \(probe.status)): \(probe.errors)
                Install it with `python3 -m pip install librouteros`; `make test` does so through infra/install-deps.sh.
                """)
            return
        }
        try await RouterOSSimulator.with(password: "s3cret") { router async throws in
            let run = try await Self.python(["-c", Self.script, String(router.port)])
            try #require(run.status == 0, "librouteros script failed: \(run.errors)")
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            let outcome = try decoder.decode(Outcome.self, from: run.output)

            #expect(outcome.badLogin == "invalid user name or password (6)")
            #expect(outcome.unauthenticated == "not logged in")
            #expect(outcome.added == ["*1", "*2"])
            #expect(outcome.rows.map { $0["name"] } == ["alice", "bob"])
            #expect(outcome.rows.last?["comment"] == "café ✓")
            #expect(outcome.rows.last?["disabled"] == "yes")
            #expect(outcome.rows.first?["disabled"] == "no")
            #expect(outcome.selected == [[".id": "*2", "name": "bob"]])
            #expect(outcome.either == ["alice", "bob"])
            #expect(outcome.notBob == ["alice"])
            #expect(outcome.duplicate == "failure: already have such name")
            #expect(outcome.resource["version"] == "7.16")
            #expect(outcome.resource["board-name"] == "CHR")
            // What librouteros wrote is what the router holds.
            #expect(router.rows("/ppp/secret").last?["disabled"] == "true")
            #expect(router.rows("/ppp/secret").last?["comment"] == "café ✓")
        }
    }
}
