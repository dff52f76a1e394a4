import PareTensor

/// A transformer's Linear leaf: the MLP's `LinearLayer` (any weight encoding, optional bias),
/// whose `name` is the Hugging Face module path, e.g. `model.layers.3.self_attn.q_proj`.
public typealias Linear = LinearLayer

/// Watches the input of Linear layers during one forward pass: calibration-based compression
/// (GPTQ, Wanda, SmoothQuant, static activation ranges) asks for "the inputs of these Linear
/// layers" this way instead of walking an architecture.
/// `observe(path, input)` is called on the forward pass's own thread, before the layer runs,
/// with the layer's input as [rows, inFeatures] (rows = tokens in the pass).
public struct LinearInputObserver {
    /// The paths to watch; nil watches every Linear.
    public var paths: Set<String>?
    public var observe: (_ path: String, _ input: Tensor) -> Void

    public init(paths: Set<String>? = nil, observe: @escaping (_ path: String, _ input: Tensor) -> Void) {
        self.paths = paths
        self.observe = observe
    }

    @inline(__always)
    func notify(_ path: String, _ input: Tensor) {
        if paths == nil || paths!.contains(path) { observe(path, input) }
    }
}

/// Collects the inputs of chosen Linear layers over one or more forward passes, rows stacked in
/// call order per path: `let capture = LinearInputCapture(paths: [...]); model.logits(tokens:…,
/// observer: capture.observer)`, then `capture.inputs(of:)`.
public final class LinearInputCapture {
    public private(set) var captured: [String: [Tensor]] = [:]
    public let paths: Set<String>?

    public init(paths: Set<String>? = nil) { self.paths = paths }

    public var observer: LinearInputObserver {
        LinearInputObserver(paths: paths) { [self] path, input in captured[path, default: []].append(input) }
    }

    /// Every row seen at `path`, [rows, inFeatures], or nil if the path never ran.
    public func inputs(of path: String) -> Tensor? {
        guard let parts = captured[path], let first = parts.first else { return nil }
        if parts.count == 1 { return first }
        var data: [Float] = []
        data.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for p in parts { data += p.data }
        return Tensor(shape: [data.count / first.columns, first.columns], data: data)
    }
}

extension LinearLayer {
    /// The layer's output for `x` [rows, inFeatures], telling `observer` the input first.
    public func callAsFunction(_ x: Tensor, observer: LinearInputObserver?) -> Tensor {
        observer?.notify(name, x)
        var y = weight.forward(x)
        if let bias {
            let n = outFeatures, rows = x.rows
            y.data.withUnsafeMutableBufferPointer { yp in
                bias.withUnsafeBufferPointer { bp in
                    VectorKernels.addRows(yp.baseAddress!, bp.baseAddress!, rows: rows, dim: n)
                }
            }
        }
        return y
    }
}

/// A model (or block) whose Linear leaves can be listed and replaced by path: compression
/// replaces weights in place by their Hugging Face path.
public protocol LinearContainer {
    /// Every Linear leaf in forward order.
    var linears: [Linear] { get }
    /// Replaces every Linear leaf by `transform(leaf)`, in forward order. The transform must
    /// keep each layer's shape unless the caller also reshapes its neighbours.
    mutating func mapLinears(_ transform: (Linear) throws -> Linear) rethrows
}

extension LinearContainer {
    /// Every Linear leaf's path, in forward order.
    public var linearPaths: [String] { linears.map(\.name) }

    /// The Linear at `path`, or nil.
    public func linear(at path: String) -> Linear? { linears.first { $0.name == path } }

    /// Puts `replacement` at `path` (its own `name` is set to `path`); it must map the same
    /// number of features in and out.
    public mutating func setLinear(_ replacement: Linear, at path: String) throws {
        guard let old = linear(at: path) else { throw TransformerError.unknownLinear(path: path) }
        guard old.inFeatures == replacement.inFeatures, old.outFeatures == replacement.outFeatures else {
            throw TransformerError.replacementShape(path: path, expected: [old.outFeatures, old.inFeatures],
                                                    found: [replacement.outFeatures, replacement.inFeatures])
        }
        var named = replacement
        named.name = path
        mapLinears { $0.name == path ? named : $0 }
    }
}

extension LinearContainer {
    /// The Linear paths matching a glob (`model.layers.*.mlp.*`, `*.q_proj`): `*` matches any
    /// run of characters, dots included, `?` any one character; no wildcard means the exact path.
    public func linearPaths(matching pattern: String) -> [String] {
        linearPaths.filter { globMatches(pattern, $0) }
    }
}

/// fnmatch-style matching without special treatment of the separator: `*` any run of
/// characters (dots included), `?` any one character. `layers=` patterns use it.
public func globMatches(_ pattern: String, _ text: String) -> Bool {
    let p = Array(pattern.utf8), t = Array(text.utf8)
    var pi = 0, ti = 0, starP = -1, starT = 0
    while ti < t.count {
        if pi < p.count && (p[pi] == UInt8(ascii: "?") || p[pi] == t[ti]) {
            pi += 1; ti += 1
        } else if pi < p.count && p[pi] == UInt8(ascii: "*") {
            starP = pi; starT = ti; pi += 1
        } else if starP >= 0 {   // let the last star swallow one more character
            pi = starP + 1; starT += 1; ti = starT
        } else {
            return false
        }
    }
    while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
    return pi == p.count
}
