import Platform
import Testing

@Suite struct SQLScriptTests {
    @Test func splitsAtTopLevelSemicolonsOnly() {
        let script = """
        -- a comment; with a semicolon
        CREATE TABLE a (x text DEFAULT 'a;b');
        /* block; comment */ CREATE TABLE "we;ird" (y int);
        DO $body$ BEGIN PERFORM 1; PERFORM 2; END $body$;
        CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;
        INSERT INTO a VALUES ('it''s; fine');
        """
        let statements = SQLScript.statements(script)
        #expect(statements.count == 5)
        #expect(statements[0] == "CREATE TABLE a (x text DEFAULT 'a;b')")
        #expect(statements[1].hasSuffix("CREATE TABLE \"we;ird\" (y int)"))
        #expect(statements[2] == "DO $body$ BEGIN PERFORM 1; PERFORM 2; END $body$")
        #expect(statements[3] == "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$")
        #expect(statements[4] == "INSERT INTO a VALUES ('it''s; fine')")
    }

    @Test func dropsEmptyStatementsAndTrailingComments() {
        #expect(SQLScript.statements(";;  -- nothing\n ; ").isEmpty)
        #expect(SQLScript.statements("SELECT 1 -- trailing") == ["SELECT 1"])
    }

    @Test func positionalParametersAreNotDollarQuotes() {
        #expect(SQLScript.statements("SELECT $1; SELECT 2") == ["SELECT $1", "SELECT 2"])
    }
}
