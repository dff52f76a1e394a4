import Dispatch
import PareTensor

/// Several Linear layers reading the same input (q/k/v; gate/up), run side by side when the
/// input is only a few rows. A decode step's products are matrix-vector products too small for
/// `sgemm` to split across threads, and memory-bound, so running siblings on separate cores
/// is what uses the second core's bandwidth. Larger inputs run one after another: `sgemm`
/// already threads each of them. Whatever the weights' encoding, each layer runs its own forward.
func siblingProjections(_ layers: [Linear], _ x: Tensor, observer: LinearInputObserver?) -> [Tensor] {
    // The observer sees every input on this thread, in order, before any layer runs.
    if let observer { for l in layers { observer.notify(l.name, x) } }
    let n = layers.count
    guard n > 1, x.rows <= siblingParallelRows, gemmThreadCount > 1 else {
        return layers.map { $0(x, observer: nil) }
    }
    let results = UnsafeMutablePointer<Tensor>.allocate(capacity: n)
    defer { results.deallocate() }
    let out = SendablePointer(results)
    DispatchQueue.concurrentPerform(iterations: n) { i in
        (out.pointer + i).initialize(to: layers[i](x, observer: nil))
    }
    return (0..<n).map { (results + $0).move() }
}

/// Inputs of at most this many rows run their sibling projections concurrently.
let siblingParallelRows = 8

private struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Tensor>
    init(_ pointer: UnsafeMutablePointer<Tensor>) { self.pointer = pointer }
}
