import Dispatch

/// Splits `count` items into at most `workers` contiguous ranges and runs them concurrently.
/// With one worker (or few items) it runs inline: no thread hop for tiny work.
@inline(__always)
public func parallelRanges(
    _ count: Int, workers: Int, minimumPerWorker: Int = 1,
    _ body: (Int, Range<Int>) -> Void
) {
    let w = max(1, min(workers, count / max(1, minimumPerWorker)))
    if w <= 1 {
        if count > 0 { body(0, 0..<count) }
        return
    }
    // The ranges are disjoint, so workers never touch the same rows: the closure's pointer
    // captures are safe to share although Swift cannot prove it.
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let work = body
        DispatchQueue.concurrentPerform(iterations: w) { i in
            let lo = count * i / w
            let hi = count * (i + 1) / w
            if hi > lo { work(i, lo..<hi) }
        }
    }
}
