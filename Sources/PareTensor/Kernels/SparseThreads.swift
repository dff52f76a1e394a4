import Dispatch

/// Runs independent pieces of a kernel (sparse and quantized GEMV rows) on every core.
enum SparseThreads {
    static func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            let box = UnsafeSendableBox(body)
            DispatchQueue.concurrentPerform(iterations: count) { box.value($0) }
        }
    }
}

/// Carries a non-Sendable closure into `concurrentPerform`, whose iterations touch disjoint memory.
private struct UnsafeSendableBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
