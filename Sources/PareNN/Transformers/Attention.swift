import Dispatch
import PareTensor

/// Scaled dot-product self-attention with separate q/k/v/o projections: multi-head, or
/// grouped-query when `kvHeads < heads` (query head h reads key/value head h / (heads/kvHeads),
/// as HF's `repeat_kv`), causal (decoders) or bidirectional (encoders), with RoPE or without.
public struct Attention: Sendable {
    public var query: Linear
    public var key: Linear
    public var value: Linear
    public var output: Linear
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public var causal: Bool

    public init(query: Linear, key: Linear, value: Linear, output: Linear,
                heads: Int, kvHeads: Int, headDim: Int, causal: Bool) {
        precondition(heads > 0 && kvHeads > 0 && heads % kvHeads == 0,
                     "attention: \(heads) query heads do not split into \(kvHeads) key/value groups")
        self.query = query
        self.key = key
        self.value = value
        self.output = output
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.causal = causal
    }

    var linears: [Linear] { [query, key, value, output] }

    mutating func mapLinears(_ transform: (Linear) throws -> Linear) rethrows {
        query = try transform(query)
        key = try transform(key)
        value = try transform(value)
        output = try transform(output)
    }

    /// Attention over `x` [rows, hidden].
    /// - `rotary`: the rotation of each row's position, applied to queries and keys.
    /// - `segments`: independent sequences packed in the rows (a query sees only keys of its own
    ///   segment — the block-diagonal attention mask of a padded batch); nil = one sequence.
    /// - `cache`: the layer's past keys/values; this call's keys/values are appended to it and
    ///   the queries (the newest positions) attend to all of them. Only with one segment.
    func callAsFunction(_ x: Tensor, rotary: RotaryTable?, segments: [Range<Int>]? = nil,
                        cache: inout LayerKVCache?, observer: LinearInputObserver?) -> Tensor {
        output(context(x, rotary: rotary, segments: segments, cache: &cache, observer: observer), observer: observer)
    }

    /// The heads' concatenated outputs [rows, heads·headDim]: the input of the output
    /// projection, where block-by-block calibration stops to compress it.
    func context(_ x: Tensor, rotary: RotaryTable?, segments: [Range<Int>]? = nil,
                 cache: inout LayerKVCache?, observer: LinearInputObserver?) -> Tensor {
        let rows = x.rows
        let qkv = siblingProjections([query, key, value], x, observer: observer)
        var q = qkv[0], k = qkv[1]
        let v = qkv[2]
        if let rotary {
            rotary.apply(to: &q, heads: heads)
            rotary.apply(to: &k, heads: kvHeads)
        }

        // Each task is one (query rows, key rows) block; with a cache the keys are the past plus now.
        let keys: [Float], values: [Float]
        let blocks: [(queries: Range<Int>, keys: Range<Int>)]
        if cache != nil {
            precondition(segments == nil, "attention: a KV cache holds one sequence")
            cache!.append(keys: k.data, values: v.data)
            keys = cache!.keys
            values = cache!.values
            blocks = [(0..<rows, 0..<cache!.length)]
        } else {
            keys = k.data
            values = v.data
            // Causal: cut each segment's queries into chunks that see only the keys up to their
            // own last row, so the masked upper triangle of the scores is mostly never computed
            // (half the attention work of a long window), and the chunks balance across cores.
            blocks = (segments ?? [0..<rows]).flatMap { segment -> [(queries: Range<Int>, keys: Range<Int>)] in
                guard causal, segment.count > attentionQueryChunk else { return [(segment, segment)] }
                return stride(from: segment.lowerBound, to: segment.upperBound, by: attentionQueryChunk).map { q0 in
                    let q1 = min(q0 + attentionQueryChunk, segment.upperBound)
                    return (q0..<q1, segment.lowerBound..<q1)
                }
            }
        }

        var context = Tensor(zeros: [rows, heads * headDim])
        let work = blocks.reduce(0) { $0 + $1.queries.count * $1.keys.count } * heads * headDim
        q.data.withUnsafeBufferPointer { qb in
            keys.withUnsafeBufferPointer { kb in
                values.withUnsafeBufferPointer { vb in
                    context.data.withUnsafeMutableBufferPointer { cb in
                        let job = AttentionJob(q: qb.baseAddress!, k: kb.baseAddress!, v: vb.baseAddress!,
                                               out: cb.baseAddress!, heads: heads, kvHeads: kvHeads,
                                               headDim: headDim, causal: causal)
                        let tasks = blocks.count * heads
                        let run: @Sendable (Int) -> Void = { t in
                            let block = blocks[t / job.heads]
                            job.run(head: t % job.heads, queries: block.queries, keys: block.keys)
                        }
                        // Tasks run on every core once they outweigh waking the threads: from a
                        // decode step over ~114 cached positions on (SmolLM2: 9 heads × 64 dims),
                        // since a quantized step's weights stream in well under a millisecond
                        // and the heads are then no longer a negligible share of it.
                        if work >= attentionParallelWork && tasks > 1 && gemmThreadCount > 1 {
                            DispatchQueue.concurrentPerform(iterations: tasks, execute: run)
                        } else {
                            for t in 0..<tasks { run(t) }
                        }
                    }
                }
            }
        }
        return context
    }
}

/// Below this many multiply-adds per score product (query rows × keys × heads × head width)
/// attention stays on the calling thread.
let attentionParallelWork = 1 << 16

/// Query rows per causal attention task in a long window: small enough that little of the
/// masked triangle is computed, large enough that each chunk's products stay GEMM-shaped.
let attentionQueryChunk = 64

/// The pointers and sizes of one attention call, shared read-only by the worker threads; each
/// task writes only its own head's columns of its own query rows.
private struct AttentionJob: @unchecked Sendable {
    let q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>
    let out: UnsafeMutablePointer<Float>
    let heads: Int, kvHeads: Int, headDim: Int, causal: Bool

    /// softmax(q_h·k_gᵀ/√d + mask)·v_g for one head h (g its key/value group) and one block.
    func run(head h: Int, queries: Range<Int>, keys: Range<Int>) {
        let g = h / (heads / kvHeads)
        let m = queries.count, n = keys.count
        guard m > 0, n > 0 else { return }
        // The scores on the stack when they fit (a decode step's row), so a step allocates nothing here.
        withUnsafeTemporaryAllocation(of: Float.self, capacity: m * n) { buffer in
            attend(scores: buffer.baseAddress!, head: h, group: g, queries: queries, keys: keys)
        }
    }

    private func attend(scores: UnsafeMutablePointer<Float>, head h: Int, group g: Int,
                        queries: Range<Int>, keys: Range<Int>) {
        let d = headDim, qWidth = heads * d, kvWidth = kvHeads * d
        let m = queries.count, n = keys.count
        // Queries are the newest m of the n positions: query i sees keys 0 ... i + (n − m).
        let offset = n - m
        let scale = 1 / Float(d).squareRoot()
        sgemm(.no, .yes, m: m, n: n, k: d, alpha: scale,
              a: q + queries.lowerBound * qWidth + h * d, lda: qWidth,
              b: k + keys.lowerBound * kvWidth + g * d, ldb: kvWidth,
              c: scores, ldc: n)
        for i in 0..<m {
            let row = scores + i * n
            let visible = causal ? min(n, i + offset + 1) : n
            VectorKernels.softmax(row, count: visible)
            if visible < n { (row + visible).update(repeating: 0, count: n - visible) }
        }
        sgemm(.no, .no, m: m, n: d, k: n,
              a: scores, lda: n,
              b: v + keys.lowerBound * kvWidth + g * d, ldb: kvWidth,
              c: out + queries.lowerBound * qWidth + h * d, ldc: qWidth)
    }
}
