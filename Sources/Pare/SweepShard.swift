/// One machine's share of a sweep (`pare sweep --shard I/N`): the grid points whose index in the
/// cartesian product (first axis outermost, as `Sweep.points` orders them) is I modulo N.
///
/// I is 0-based (0 ≤ I < N), as Kubernetes' JOB_COMPLETION_INDEX is and as a Slurm array
/// `--array=0-(N-1)` numbers its tasks. Round-robin rather than contiguous blocks: a grid sorted
/// by a cost-driving setting (rank, bits, amount) gives every shard a similar mix of cheap and
/// dear points. No coordinator is needed: every shard expands the same grid the same way.
public struct SweepShard: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    /// The whole grid (one shard of one).
    public static let whole = SweepShard(checkedIndex: 0, count: 1)

    public init(index: Int, count: Int) throws {
        guard count >= 1 else {
            throw PareError("--shard \(index)/\(count) has no shards; N must be at least 1 (e.g. --shard 0/4).")
        }
        guard index >= 0 && index < count else {
            throw PareError("--shard \(index)/\(count) is out of range; I is 0-based, so 0 ≤ I < \(count) (e.g. --shard 0/\(count)).")
        }
        self.init(checkedIndex: index, count: count)
    }

    private init(checkedIndex: Int, count: Int) {
        self.index = checkedIndex
        self.count = count
    }

    public var description: String { "\(index)/\(count)" }

    /// Whether the point at this grid index is this shard's.
    public func contains(_ pointIndex: Int) -> Bool { pointIndex % count == index }

    /// The indices of this shard's points among `total`, ascending.
    public func indices(of total: Int) -> [Int] { Array(stride(from: index, to: total, by: count)) }

    /// `--shard I/N` or `--shard auto`. `auto` reads, in this order:
    /// - Slurm (an array job): SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, offset by
    ///   SLURM_ARRAY_TASK_MIN (an array `--array=1-8` is shards 0…7) and divided by
    ///   SLURM_ARRAY_TASK_STEP when the array has one (`--array=0-14:2`).
    /// - Kubernetes (an Indexed Job): JOB_COMPLETION_INDEX, with the count from `shardCount`
    ///   (`--shard-count`, the Job's `completions`): Kubernetes sets no variable with the count.
    /// `shardCount` given beside Slurm's variables must agree with SLURM_ARRAY_TASK_COUNT.
    public static func parse(_ text: String, shardCount: Int? = nil, environment: [String: String]) throws -> SweepShard {
        let spec = text.trimmingCharacters(in: .whitespaces)
        if spec.lowercased() != "auto" {
            if shardCount != nil {
                throw PareError("--shard-count goes with --shard auto only; --shard \(spec) already says how many shards there are.")
            }
            let parts = spec.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
                throw PareError("--shard expects I/N with whole numbers, 0 ≤ I < N (e.g. --shard 0/4), or auto; got '\(text)'.")
            }
            return try SweepShard(index: i, count: n)
        }
        if let count = shardCount, count < 1 {
            throw PareError("--shard-count \(count) has no shards; give the number of shards, at least 1.")
        }
        if let idText = environment["SLURM_ARRAY_TASK_ID"] {
            let id = try number(idText, "SLURM_ARRAY_TASK_ID")
            guard let countText = environment["SLURM_ARRAY_TASK_COUNT"] else {
                throw PareError("--shard auto found SLURM_ARRAY_TASK_ID but not SLURM_ARRAY_TASK_COUNT; give --shard I/N instead.")
            }
            let count = try number(countText, "SLURM_ARRAY_TASK_COUNT")
            let min = try environment["SLURM_ARRAY_TASK_MIN"].map { try number($0, "SLURM_ARRAY_TASK_MIN") } ?? 0
            let step = try environment["SLURM_ARRAY_TASK_STEP"].map { try number($0, "SLURM_ARRAY_TASK_STEP") } ?? 1
            guard step >= 1, id >= min, (id - min) % step == 0 else {
                throw PareError("--shard auto: Slurm task \(id) is not on its array's grid (min \(min), step \(step)); give --shard I/N instead.")
            }
            if let given = shardCount, given != count {
                throw PareError("--shard-count \(given) disagrees with SLURM_ARRAY_TASK_COUNT=\(count); drop --shard-count.")
            }
            let index = (id - min) / step
            guard index < count else {
                throw PareError("--shard auto: Slurm task \(id) is shard \(index), beyond SLURM_ARRAY_TASK_COUNT=\(count) (an array with gaps such as --array=1,5,7 cannot be sharded automatically); give --shard I/N instead.")
            }
            return try SweepShard(index: index, count: count)
        }
        if let indexText = environment["JOB_COMPLETION_INDEX"] {
            let index = try number(indexText, "JOB_COMPLETION_INDEX")
            guard let count = shardCount else {
                throw PareError("--shard auto found JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) but Kubernetes sets no shard count; add --shard-count with the Job's completions.")
            }
            return try SweepShard(index: index, count: count)
        }
        throw PareError("--shard auto found neither SLURM_ARRAY_TASK_ID (a Slurm array job) nor JOB_COMPLETION_INDEX (a Kubernetes Indexed Job); give --shard I/N instead.")
    }

    private static func number(_ text: String, _ name: String) throws -> Int {
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value >= 0 else {
            throw PareError("--shard auto: \(name)='\(text)' is not a whole number ≥ 0.")
        }
        return value
    }
}
