import Foundation
import PareStore
import Testing
@testable import Pare

/// `pare sweep --shard`: shards partition the grid exactly, `auto` reads Slurm's and
/// Kubernetes' variables, bad specs are refused.
@Suite struct SweepShardTests {
    @Test func shardsPartitionTheGridExactly() throws {
        for total in [0, 1, 5, 12, 100] {
            for n in [1, 2, 3, 7, 8, 13] {
                let shards = try (0..<n).map { try SweepShard(index: $0, count: n).indices(of: total) }
                let all = shards.flatMap { $0 }
                #expect(all.sorted() == Array(0..<total), "total \(total), n \(n)")   // union = grid, no point twice
                #expect(Set(all).count == all.count)
                // Round-robin: shard sizes differ by at most one.
                #expect((shards.map(\.count).max() ?? 0) - (shards.map(\.count).min() ?? 0) <= 1)
                for (i, shard) in shards.enumerated() {
                    #expect(shard.allSatisfy { try! SweepShard(index: i, count: n).contains($0) && $0 % n == i })
                }
            }
        }
        // A hand case: 10 points in 4 shards.
        #expect(try SweepShard(index: 1, count: 4).indices(of: 10) == [1, 5, 9])
        #expect(try SweepShard(index: 3, count: 4).indices(of: 10) == [3, 7])
    }

    @Test func preparedShardsTogetherAreTheWholeSweep() throws {
        let grid = ["bits=2,3,4,8", "layers=fc1,fc2"]
        let whole = try Sweep.prepare(SweepTests.request("quant-weight", grid: grid)).points.map(\.label)
        #expect(whole.count == 8)
        var union: [String] = []
        for i in 0..<3 {
            var request = try SweepTests.request("quant-weight", grid: grid)
            request.shard = try SweepShard(index: i, count: 3)
            let prepared = try Sweep.prepare(request)
            #expect(prepared.gridSize == 8)
            #expect(prepared.points.map(\.label) == stride(from: i, to: 8, by: 3).map { whole[$0] })
            union += prepared.points.map(\.label)
        }
        #expect(union.sorted() == whole.sorted())
        // A bad value in another shard's point still fails every shard.
        var bad = try SweepTests.request("quant-weight", grid: ["bits=4,9"])
        bad.shard = try SweepShard(index: 0, count: 2)
        #expect(throws: PareError.self) { try Sweep.prepare(bad) }
    }

    @Test func explicitSpecs() throws {
        #expect(try SweepShard.parse("2/8", environment: [:]) == SweepShard(index: 2, count: 8))
        #expect(try SweepShard.parse("0/1", environment: [:]) == .whole)
        for bad in ["3/2", "2/2", "1/0", "-1/4", "x", "1/", "/4", "1/2/3", "1.5/4", ""] {
            #expect(throws: PareError.self, "\(bad)") { try SweepShard.parse(bad, environment: [:]) }
        }
        #expect(throws: PareError.self) { try SweepShard.parse("1/4", shardCount: 4, environment: [:]) }
    }

    @Test func autoReadsSlurm() throws {
        #expect(try SweepShard.parse("auto", environment: ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "8"])
                == SweepShard(index: 3, count: 8))
        // --array=1-8: task ids 1…8 are shards 0…7.
        let oneBased = ["SLURM_ARRAY_TASK_ID": "8", "SLURM_ARRAY_TASK_COUNT": "8", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "8"]
        #expect(try SweepShard.parse("auto", environment: oneBased) == SweepShard(index: 7, count: 8))
        // --array=0-14:2: 8 tasks, ids 0, 2, …, 14.
        let stepped = ["SLURM_ARRAY_TASK_ID": "6", "SLURM_ARRAY_TASK_COUNT": "8", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_STEP": "2"]
        #expect(try SweepShard.parse("auto", environment: stepped) == SweepShard(index: 3, count: 8))
        // Slurm wins over Kubernetes; a --shard-count that agrees is allowed.
        #expect(try SweepShard.parse("auto", shardCount: 8, environment: oneBased.merging(["JOB_COMPLETION_INDEX": "0"]) { a, _ in a })
                == SweepShard(index: 7, count: 8))
        for bad in [["SLURM_ARRAY_TASK_ID": "3"],                                               // no count
                    ["SLURM_ARRAY_TASK_ID": "8", "SLURM_ARRAY_TASK_COUNT": "8"],                  // 1-based without MIN
                    ["SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "8"],
                    ["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "8", "SLURM_ARRAY_TASK_MIN": "1"],
                    ["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "8", "SLURM_ARRAY_TASK_STEP": "2"]] {
            #expect(throws: PareError.self, "\(bad)") { try SweepShard.parse("auto", environment: bad) }
        }
        #expect(throws: PareError.self) {
            try SweepShard.parse("auto", shardCount: 4, environment: ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "8"])
        }
    }

    @Test func autoReadsKubernetesWithACount() throws {
        #expect(try SweepShard.parse("auto", shardCount: 5, environment: ["JOB_COMPLETION_INDEX": "4"]) == SweepShard(index: 4, count: 5))
        #expect(try SweepShard.parse("AUTO", shardCount: 5, environment: ["JOB_COMPLETION_INDEX": "0"]) == SweepShard(index: 0, count: 5))
        for (count, env) in [(nil, ["JOB_COMPLETION_INDEX": "1"]), (5, ["JOB_COMPLETION_INDEX": "5"]),
                             (0, ["JOB_COMPLETION_INDEX": "0"]), (5, [:]), (nil, [:])] as [(Int?, [String: String])] {
            #expect(throws: PareError.self, "\(env) \(String(describing: count))") {
                try SweepShard.parse("auto", shardCount: count, environment: env)
            }
        }
        do {
            _ = try SweepShard.parse("auto", environment: [:])
        } catch {
            #expect(String(describing: error).contains("SLURM_ARRAY_TASK_ID") && String(describing: error).contains("JOB_COMPLETION_INDEX"))
        }
    }
}
