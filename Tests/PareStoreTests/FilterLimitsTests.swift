import Foundation
import Testing
@testable import PareStore

/// Long and deep filters: a flat chain compiles to a balanced tree SQLite can parse; past the
/// documented limits, one sentence naming the limit — never "parser stack overflow" and SQL.
@Suite struct FilterLimitsTests {
    static func chain(_ n: Int, _ join: String = "and") -> String {
        (0..<n).map { "metrics.accuracy > \(Double($0 % 9) / 10)" }.joined(separator: " \(join) ")
    }

    @Test(arguments: [100, 4_500]) func longChainsRun(conditions: Int) throws {
        let store = try newStore("chain")
        _ = try store.record(start(), outcome(["accuracy": 0.95]))
        _ = try store.record(start(), outcome(["accuracy": 0.5]))
        #expect(try store.runs(filter: Self.chain(conditions)).rows.count == 1)
        #expect(try store.runs(filter: Self.chain(conditions, "or")).rows.count == 2)
        #expect(try store.leaderboard(metric: "accuracy", filter: Self.chain(conditions)).rows.count == 1)
    }

    @Test func compiledChainsNestLogarithmically() throws {
        let compiled = try #require(try CompiledFilter.compile(Self.chain(1_024)))
        var depth = 0, deepest = 0
        for c in compiled.sql {
            if c == "(" { depth += 1; deepest = max(deepest, depth) } else if c == ")" { depth -= 1 }
        }
        #expect(deepest < 20, "nesting \(deepest)")
    }

    @Test func pastTheLimitsOneSentence() throws {
        #expect(throws: FilterError.self) { try FilterParser.parse(Self.chain(FilterParser.maxConditions + 1)) }
        do {
            _ = try FilterParser.parse(Self.chain(FilterParser.maxConditions + 1))
        } catch let error as FilterError {
            #expect(error.message.contains("at most 10,000 conditions"), "\(error)")
        }
        let deep = String(repeating: "(", count: 40) + "metrics.accuracy > 0" + String(repeating: ")", count: 40)
        #expect(throws: FilterError.self) { try FilterParser.parse(deep) }
        #expect((try? FilterParser.parse(String(repeating: "not ", count: 40) + "metrics.a > 0")) == nil)
        // Within the limits both work.
        _ = try FilterParser.parse(String(repeating: "(", count: 20) + "metrics.accuracy > 0" + String(repeating: ")", count: 20))
        #expect(throws: FilterError.self) { try FilterParser.parse("metrics.accuracy > 1e999") }
    }
}
