import Foundation
import PareStore
import Testing
@testable import Pare

/// `pare sweep` as a library: grid parsing, expansion, validation, resume.
@Suite struct SweepTests {
    @Test func gridParsing() throws {
        let axes = try Sweep.parseGrid(["amount=0.5,0.7,0.9", "layers=fc1,fc2", "pair=fc1,fc2|fc3"])
        #expect(axes == [GridAxis(key: "amount", values: ["0.5", "0.7", "0.9"]),
                         GridAxis(key: "layers", values: ["fc1", "fc2"]),
                         GridAxis(key: "pair", values: ["fc1,fc2", "fc3"])])
        for bad in [["amount"], ["=1"], ["amount="], ["amount=0.5,,0.7"], ["amount=0.5,0.5"], ["a=1", "a=2"]] {
            #expect(throws: PareError.self, "\(bad)") { try Sweep.parseGrid(bad) }
        }
    }

    @Test func cartesianProduct() throws {
        let points = try Sweep.points(grid: [GridAxis(key: "amount", values: ["0.5", "0.7", "0.9"]),
                                             GridAxis(key: "layers", values: ["fc1", "fc2"])],
                                      fixed: ["scope": "layer"])
        #expect(points.count == 6)
        #expect(points[0] == ["amount": "0.5", "layers": "fc1", "scope": "layer"])
        #expect(points[1] == ["amount": "0.5", "layers": "fc2", "scope": "layer"])
        #expect(points[5] == ["amount": "0.9", "layers": "fc2", "scope": "layer"])
        #expect(throws: PareError.self) { try Sweep.points(grid: [GridAxis(key: "amount", values: ["1"])], fixed: ["amount": "2"]) }
    }

    static func request(_ method: String, grid: [String], test: String = Fixtures.digitsTest) throws -> SweepRequest {
        SweepRequest(base: RecordRequest(modelPath: Fixtures.teacher, testPath: test, method: method, measureSpeed: false),
                     grid: try Sweep.parseGrid(grid))
    }

    @Test func everyPointIsCheckedFirst() throws {
        for grid in [["amount=0.5,1.5"], ["amout=0.5"], ["layers=fc1,fc9"]] {
            #expect(throws: PareError.self, "\(grid)") { try Sweep.prepare(Self.request("prune-magnitude", grid: grid)) }
        }
        #expect(throws: PareError.self) { try Sweep.prepare(Self.request("prune-magnitude+quant-weight", grid: ["quant.bits=4,9"])) }
    }

    @Test func resumeSkipsFinishedIdentities() throws {
        let store = try Store(path: Fixtures.scratch().appending(path: "pare.sqlite").path, create: true)
        let prepared = try Sweep.prepare(Self.request("quant-weight", grid: ["bits=4,8"]))
        let first = try Sweep.run(prepared, store: store)
        #expect(first.map(\.status) == [.recorded, .recorded])
        #expect(try store.runs(filter: nil, limit: nil).rows.count == 2)

        // Again: nothing new.
        let second = try Sweep.run(prepared, store: store)
        #expect(second.map(\.status) == [.skipped, .skipped])
        #expect(second.map(\.runID) == first.map(\.runID))
        #expect(try store.runs(filter: nil, limit: nil).rows.count == 2)

        // The same settings on other data are another identity.
        let otherData = try Sweep.prepare(Self.request("quant-weight", grid: ["bits=4"], test: Fixtures.digitsTrain))
        #expect(try Sweep.alreadyRecorded(otherData, in: store).isEmpty)
        // A different seed too; a different run name is not.
        var seeded = try Self.request("quant-weight", grid: ["bits=4"])
        seeded.base.seed = 1
        #expect(try Sweep.alreadyRecorded(try Sweep.prepare(seeded), in: store).isEmpty)
        var named = try Self.request("quant-weight", grid: ["bits=4"])
        named.base.name = "again"
        #expect(try Sweep.alreadyRecorded(try Sweep.prepare(named), in: store).count == 1)

        // The table: one row per point with its grid value and metrics.
        let table = try Sweep.table(second, grid: prepared.request.grid, store: store)
        #expect(table.columns.prefix(3) == ["run", "status", "bits"])
        #expect(table.column("bits") == [.text("4"), .text("8")])
        #expect(table.column("accuracy")!.allSatisfy { ($0.doubleValue ?? 0) > 0.9 })
    }

    @Test func pipelineSweepResumesByTheWholeChain() throws {
        let store = try Store(path: Fixtures.scratch().appending(path: "pare.sqlite").path, create: true)
        let prepared = try Sweep.prepare(Self.request("prune-magnitude+quant-weight", grid: ["prune.amount=0.5,0.7"]))
        let first = try Sweep.run(prepared, store: store)
        #expect(first.map(\.stageIDs.count) == [2, 2])
        // The final stages share quant-weight's settings; only stage 1's amount tells them apart.
        let again = try Sweep.run(prepared, store: store)
        #expect(again.map(\.status) == [.skipped, .skipped])
        #expect(again.map(\.runID) == first.map(\.runID))
    }
}
