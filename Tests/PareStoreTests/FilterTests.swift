import Foundation
import Testing
import GRDB
@testable import PareStore

@Suite struct FilterGrammarTests {
    func parsed(_ s: String) throws -> String { try FilterParser.parse(s).description }

    func error(_ s: String) -> FilterError? {
        do { _ = try FilterParser.parse(s); return nil } catch { return error as? FilterError }
    }

    @Test func precedenceNotAndOr() throws {
        #expect(try parsed("metrics.a > 1 or metrics.b > 2 and not metrics.c > 3")
                == "(metrics.a > 1 or (metrics.b > 2 and (not metrics.c > 3)))")
        #expect(try parsed("not metrics.a > 1 and metrics.b > 2")
                == "((not metrics.a > 1) and metrics.b > 2)")
        #expect(try parsed("(metrics.a > 1 or metrics.b > 2) and metrics.c > 3")
                == "((metrics.a > 1 or metrics.b > 2) and metrics.c > 3)")
        #expect(try parsed("metrics.a > 1 AND metrics.b > 2 OR metrics.c > 3")
                == "((metrics.a > 1 and metrics.b > 2) or metrics.c > 3)")
        #expect(try parsed("not not run.id = 1") == "(not (not run.id = 1))")
    }

    @Test func operatorsFieldsAndLists() throws {
        #expect(try parsed("metrics.kl_to_base<=0.05") == "metrics.kl_to_base <= 0.05")
        #expect(try parsed("params.bits <> 4") == "params.bits != 4")
        #expect(try parsed("params.bits != 4") == "params.bits != 4")
        #expect(try parsed("params.bits in (2, 4, '8')") == "params.bits in (2, 4, '8')")
        #expect(try parsed("params.method not in ('none')") == "(not params.method in ('none'))")
        #expect(try parsed("attributes.status = 'failed'") == "run.status = 'failed'")
        #expect(try parsed("run.experiment = \"default\"") == "run.experiment = 'default'")
        #expect(try parsed("params.prune.amount >= .5") == "params.prune.amount >= .5")
        #expect(try parsed("metrics.weird-key.v2 > -1e-3") == "metrics.weird-key.v2 > -1e-3")
        #expect(try parsed("params.`odd key` = 'x'") == "params.odd key = 'x'")
        #expect(try parsed("params.per_channel = TRUE") == "params.per_channel = true")
    }

    @Test func quotedStringsWithEscapes() throws {
        guard case let .compare(_, _, a) = try FilterParser.parse("run.name = 'it''s'") else { Issue.record(); return }
        #expect(a.text == "it's")
        guard case let .compare(_, _, b) = try FilterParser.parse(#"run.name = "say ""hi"", ok""#) else { Issue.record(); return }
        #expect(b.text == #"say "hi", ok"#)
    }

    @Test func errorsPointAtTheColumn() {
        #expect(error("metrics.accuracy > ")?.description == "filter: expected a value (a number, a 'quoted string' or a field) after '>' at column 19")
        #expect(error("metrics.accuracy >")?.column == 19)
        #expect(error("metrics.accuracy > 0.9 and")?.description
                == "filter: expected a condition such as metrics.accuracy > 0.9 after 'and' at column 27")
        #expect(error("(metrics.a > 1")?.description
                == "filter: expected ')' to close the '(' of column 1 after '1' at column 15")
        #expect(error("accuracy > 0.9")?.column == 1)
        #expect(error("foo.bar = 1")?.description.contains("unknown field 'foo.bar'") == true)
        #expect(error("run.colour = 'red'")?.description.contains("unknown run attribute 'colour'") == true)
        #expect(error("metrics.accuracy = 'high'")?.column == 20)
        #expect(error("metrics.a 0.9")?.description == "filter: expected a comparison (=, !=, <, <=, >, >=, between, in, like) after 'metrics.a', found '0.9' at column 11")
        #expect(error("params.x in (1, 2")?.column == 18)
        #expect(error("params.x in ()")?.column == 14)
        #expect(error("run.name = 'open")?.description == "filter: unterminated string (missing closing ') at column 12")
        #expect(error("metrics.a > 1 metrics.b > 2")?.column == 15)
        #expect(error("")?.column == 1)
    }

    @Test func injectionIsAParseError() {
        #expect(error("'; DROP TABLE runs; --")?.column == 1)
        #expect(error("run.name = 'x'; DROP TABLE runs; --")?.description == "filter: unexpected character ';' at column 15")
        #expect(error("metrics.accuracy > 0.9; DELETE FROM metrics")?.column == 23)
        #expect(error("run.name = 'x' -- comment")?.column == 16)
        #expect(error("metrics.a > 1 /* x */")?.column == 15)
    }

    @Test func compiledSQLHoldsNoUserText() throws {
        let c = try #require(try CompiledFilter.compile("params.`x'; DROP TABLE runs; --` = 'y''; DROP TABLE runs; --' or run.name in ('a', \"b\")"))
        #expect(!c.sql.contains("DROP"))
        #expect(!c.sql.contains("'y"))
        #expect(c.arguments.values.contains("x'; DROP TABLE runs; --".databaseValue))
        #expect(try CompiledFilter.compile("   ") == nil)
        #expect(try CompiledFilter.compile(nil) == nil)
    }
}

@Suite struct FilterQueryTests {
    /// Runs 1…5 with bits 2, 3, 4, 8, 32 and accuracy rising with bits.
    func bitsStore() throws -> Store {
        let store = try newStore("bits")
        for (i, bits) in [2, 3, 4, 8, 32].enumerated() {
            _ = try store.record(start(i < 4 ? "quant-weight" : "none", name: "run \(bits)",
                                       config: ["bits": .int(bits), "scope": .string(i % 2 == 0 ? "channel" : "tensor"),
                                                "amount": .double(Double(i) / 10)]),
                                 outcome(["accuracy": [0.5, 0.6, 0.7, 0.8, 0.9][i], "size_bytes": Double(1000 * bits)]))
        }
        return store
    }

    @Test func typedParamsCompareAsNumbers() throws {
        let store = try bitsStore()
        #expect(try ids(store, "params.bits < 8") == [1, 2, 3])  // 2, 3, 4 — not "32" < "8"
        #expect(try ids(store, "params.bits >= 8") == [4, 5])
        #expect(try ids(store, "params.bits = '4'") == [3])    // MLflow's quoted style still matches the number
        #expect(try ids(store, "params.bits = 4.0") == [3])
        #expect(try ids(store, "params.bits in (2, '32')") == [1, 5])
        #expect(try ids(store, "params.bits not in (2, 32)") == [2, 3, 4])
        #expect(try ids(store, "params.amount > 0.15") == [3, 4, 5])
        #expect(try ids(store, "params.scope = 'channel'") == [1, 3, 5])
        #expect(try ids(store, "params.scope > 3") == [])       // text is never a number
        #expect(try ids(store, "params.missing = 1") == [])     // unknown keys are not an error
    }

    @Test func booleansAndAttributes() throws {
        let store = try bitsStore()
        _ = try store.record(start("prune-magnitude", name: "g", config: ["global": .bool(true)]), outcome(["accuracy": 0.1]))
        #expect(try ids(store, "params.global = true") == [6])
        #expect(try ids(store, "params.global = 'true'") == [6])
        #expect(try ids(store, "params.global = 1") == [6])
        #expect(try ids(store, "run.method = 'none' or attributes.method = 'prune-magnitude'") == [5, 6])
        #expect(try ids(store, "run.id in (1, 3) or run.id > 5") == [1, 3, 6])
        #expect(try ids(store, "run.experiment = 'default' and run.status = 'finished'") == [1, 2, 3, 4, 5, 6])
        #expect(try ids(store, "params.method = 'quant-weight'") == [1, 2, 3, 4])
    }

    @Test func logicCombinations() throws {
        let store = try bitsStore()
        #expect(try ids(store, "metrics.accuracy > 0.65 and params.method = 'quant-weight'") == [3, 4])
        #expect(try ids(store, "metrics.accuracy < 0.55 or metrics.size_bytes >= 32000") == [1, 5])
        #expect(try ids(store, "not (metrics.accuracy < 0.55 or metrics.size_bytes >= 32000)") == [2, 3, 4])
        #expect(try ids(store, "not metrics.accuracy < 0.55 and params.scope = 'channel'") == [3, 5])
        #expect(try ids(store, "metrics.accuracy in (0.6, 0.7)") == [2, 3])
        #expect(try ids(store, "metrics.nonexistent > 0") == [])
    }

    @Test func injectionIsInertOrRejected() throws {
        let store = try bitsStore()
        let before = try store.fingerprint()
        #expect(throws: FilterError.self) { try store.runs(filter: "'; DROP TABLE runs; --") }
        #expect(throws: FilterError.self) { try store.runs(filter: "run.name = ''; DROP TABLE runs; --") }
        #expect(throws: FilterError.self) { try store.leaderboard(metric: "accuracy", filter: "1 = 1; DELETE FROM runs") }
        #expect(try ids(store, "run.name = 'x''; DROP TABLE runs; --'") == [])
        #expect(try ids(store, "params.`bits'; DROP TABLE runs; --` = 1 or run.name = \"run 2\"\" OR 1=1 --\"") == [])
        #expect(try ids(store, "metrics.`accuracy' OR 1=1 --` > 0") == [])
        #expect(try store.exportTable(filter: "run.name in ('a''); DROP TABLE params; --')").rows.isEmpty)
        #expect(try store.fingerprint() == before)
    }
}

@Suite struct FilterGrammarAdditionsTests {
    func parsed(_ s: String) throws -> String { try FilterParser.parse(s).description }

    func error(_ s: String) -> FilterError? {
        do { _ = try FilterParser.parse(s); return nil } catch { return error as? FilterError }
    }

    @Test func betweenLikeAndArithmetic() throws {
        #expect(try parsed("metrics.a between 1 and 2") == "(metrics.a >= 1 and metrics.a <= 2)")
        #expect(try parsed("metrics.a not between 1 and 2 and params.b = 1")
                == "((not (metrics.a >= 1 and metrics.a <= 2)) and params.b = 1)")
        #expect(try parsed("params.method like 'prune-%'") == "params.method like 'prune-%'")
        #expect(try parsed("run.name not ilike '%Base%'") == "(not run.name ilike '%Base%')")
        #expect(try parsed("metrics.a + metrics.b * 2 > 1") == "(metrics.a + (metrics.b * 2)) > 1")
        #expect(try parsed("metrics.a - metrics.b - metrics.c > 1") == "((metrics.a - metrics.b) - metrics.c) > 1")
        #expect(try parsed("metrics.a / metrics.b * 2 > 1") == "((metrics.a / metrics.b) * 2) > 1")
        #expect(try parsed("(metrics.a + metrics.b) * 2 > 1") == "((metrics.a + metrics.b) * 2) > 1")
        #expect(try parsed("-metrics.a < -0.5") == "(-metrics.a) < -0.5")
        #expect(try parsed("metrics.a -0.5 > 0") == "(metrics.a - 0.5) > 0")
        #expect(try parsed("metrics.a - -1 > 0") == "(metrics.a - -1) > 0")
        #expect(try parsed("metrics.accuracy - base.accuracy > -0.01") == "(metrics.accuracy - base.accuracy) > -0.01")
        #expect(try parsed("0.9 < metrics.accuracy") == "metrics.accuracy > 0.9")
        #expect(try parsed("metrics.a > metrics.b") == "metrics.a > metrics.b")
        #expect(try parsed("((metrics.a - 1) > 0 or (metrics.b) < 2)") == "((metrics.a - 1) > 0 or metrics.b < 2)")
        #expect(try parsed("metrics.a - metrics.b between -1 and 1") == "((metrics.a - metrics.b) >= -1 and (metrics.a - metrics.b) <= 1)")
        #expect(try FilterParser.parseDetailed("size_bytes <= 5 and accuracy > 0.9", bareNamesAreMetrics: true).expr.description
                == "(metrics.size_bytes <= 5 and metrics.accuracy > 0.9)")
    }

    @Test func errorsPointAtTheColumn() {
        #expect(error("metrics.a + 'x' > 1")?.column == 13)
        #expect(error("run.name + 1 > 2")?.description.hasPrefix("filter: run.name is text; arithmetic needs numbers") == true)
        #expect(error("1 = 1")?.description == "filter: a condition must name a field, e.g. metrics.accuracy > 0.9 at column 1")
        #expect(error("metrics.a like 'x'")?.column == 1)
        #expect(error("params.a like 3")?.column == 15)
        #expect(error("metrics.a between 1")?.description == "filter: expected 'and' between the two bounds after '1' at column 20")
        #expect(error("metrics.a * > 1")?.column == 13)
        #expect(error("(metrics.a - 1 > 0")?.column == 19)
        #expect(error("metrics.a - metrics.b in (1)")?.column == 1)
        #expect(error("metrics.a not 3")?.column == 15)
        #expect(error("metrics.a > 1 -- x")?.description == "filter: SQL comments are not part of a filter at column 15")
    }
}

@Suite struct FilterAdditionsQueryTests {
    /// Runs 1…5 with bits 2, 3, 4, 8, 32 (accuracy 0.5…0.9, size 1000 × bits); 5 is the `none` base.
    func store() throws -> Store { try FilterQueryTests().bitsStore() }

    @Test func betweenAndLike() throws {
        let store = try store()
        #expect(try ids(store, "params.bits between 3 and 8") == [2, 3, 4])
        #expect(try ids(store, "params.bits not between 3 and 8") == [1, 5])
        #expect(try ids(store, "metrics.accuracy between 0.6 and 0.7") == [2, 3])
        #expect(try ids(store, "run.name like 'run 3%'") == [2, 5])
        #expect(try ids(store, "run.name like 'RUN%'") == [])
        #expect(try ids(store, "run.name ilike 'RUN%'") == [1, 2, 3, 4, 5])
        #expect(try ids(store, "run.name like 'run _'") == [1, 2, 3, 4])
        #expect(try ids(store, "params.scope like 'chan%'") == [1, 3, 5])
        #expect(try ids(store, "params.scope not like 'chan%'") == [2, 4])
        #expect(try ids(store, "params.bits like '3%'") == [2, 5])   // a number matches by its text
        #expect(try ids(store, "run.name like 'run *'") == [])       // GLOB characters are literal
        #expect(try ids(store, "run.name like '*'") == [])
    }

    @Test func arithmeticAndBase() throws {
        let store = try store()
        #expect(try ids(store, "metrics.size_bytes / 1000 = params.bits") == [1, 2, 3, 4, 5])
        #expect(try ids(store, "metrics.accuracy * 10 - params.bits > 2") == [1, 2, 3])
        #expect(try ids(store, "metrics.accuracy * (10 - params.bits) > 2") == [1, 2, 3])
        #expect(try ids(store, "params.bits / 4 = 0.5") == [1])          // never integer division
        #expect(try ids(store, "metrics.accuracy / (params.bits - 4) > 0") == [4, 5])  // x / 0 matches nothing
        #expect(try ids(store, "not metrics.missing + 1 > 0") == [1, 2, 3, 4, 5])
        #expect(try ids(store, "params.scope + 1 > 0") == [])           // a text param is no number
        // Run 5 (`none`) is every run's base (all share the test base model).
        #expect(try ids(store, "metrics.accuracy - base.accuracy > -0.12") == [4, 5])
        #expect(try ids(store, "base.accuracy = 0.9") == [1, 2, 3, 4, 5])
        #expect(try ids(store, "base.size_bytes / metrics.size_bytes >= 4") == [1, 2, 3, 4])
        _ = try store.record(start("none", name: "later base"), outcome(["accuracy": 0.95]))
        #expect(try ids(store, "metrics.accuracy - base.accuracy > -0.12") == [5, 6])
    }

    @Test func injectionIsInertOrRejected() throws {
        let store = try store()
        let before = try store.fingerprint()
        #expect(try ids(store, "run.name like '%''; DROP TABLE runs; --'") == [])
        #expect(try ids(store, "params.`x'); DROP TABLE runs; --` between 1 and 2") == [])
        #expect(try ids(store, "metrics.accuracy - base.`accuracy'; DELETE FROM metrics; --` > 0") == [])
        #expect(throws: FilterError.self) { try store.runs(filter: "metrics.a - 1 > 0; DROP TABLE runs") }
        #expect(throws: FilterError.self) { try store.runs(filter: "metrics.a > 1 /* */") }
        #expect(throws: FilterError.self) { try store.runs(filter: "metrics.a > 1 -- comment") }
        let c = try #require(try CompiledFilter.compile("run.name like 'x''; DROP TABLE runs' or metrics.a * 2 > 1"))
        #expect(!c.sql.contains("DROP") && !c.sql.contains("'x"))
        #expect(try store.fingerprint() == before)
    }
}
