import KeypointsSupport
import Synchronization

/// Where the time of forward passes goes, by operation class: what `keypoints bench --profile`
/// prints.
///
/// A backend made with a profiler (`LinearBackend.profiled(by:)`) reports every operation to it;
/// without one (the default) each operation costs one nil check. Measuring:
/// - an operation called from the forward pass (a product, LayerNorm, an activation) is timed on
///   the calling thread, wall clock, including its own threads;
/// - a composite operation (attention; a bf16 product with its conversion; the fused bf16 MLP)
///   is timed as a whole, wall clock, and its parts report their time on the worker threads that
///   run them. The wall time is then shared among the parts in proportion to their thread time
///   (scaled down when the workers together were busy longer than the wall time); wall time
///   the parts do not account for goes to the composite's own class.
/// Time no operation reports (patch extraction, embeddings, copies) is what the caller's total
/// leaves: `Operation.other`.
///
/// One profiled forward pass at a time (the composite in progress is the profiler's state).
public final class Profiler: Sendable {
    /// The operation classes of a transformer forward pass.
    public enum Operation: String, CaseIterable, Sendable, Codable {
        /// x · Wᵀ + b of every `Linear` (in bf16 including the fused MLP activation).
        case linearProducts = "linear_products"
        /// q · kᵀ and P · v of the attention tiles.
        case attentionProducts = "attention_products"
        /// The attention softmax (in bf16 including its rounding to bf16).
        case softmax
        case layerNorm = "layer_norm"
        /// The MLP activation where it runs on its own (fp32).
        case activation
        /// Precision conversions and reorders (f32 -> bf16 of activations and of q, k, v).
        case conversions
        /// Everything else: the caller's total minus the classes above.
        case other
    }

    /// Accumulated seconds and FLOPs per operation class.
    public struct Totals: Sendable {
        public var seconds: [Operation: Double] = [:]
        public var flops: [Operation: Double] = [:]
    }

    private struct State {
        var totals = Totals()
        /// The composite operation being timed, if any: its parts' thread seconds and FLOPs.
        var composite: Totals?
    }

    private let state = Mutex(State())

    public init() {}

    /// What has been measured since `init` or `reset()`.
    public var totals: Totals { state.withLock { $0.totals } }

    /// Forgets every measurement.
    public func reset() { state.withLock { $0 = State() } }

    /// Runs `body`, charging its time to `operation` (and `flops` to its FLOP count): wall time,
    /// or inside a composite operation thread time as one of its parts.
    public func measure<Result>(_ operation: Operation, flops: Double = 0, _ body: () throws -> Result) rethrows
        -> Result
    {
        let start = Stopwatch.now()
        let result = try body()
        record(operation, seconds: Stopwatch.now() - start, flops: flops)
        return result
    }

    /// Charges `seconds` (measured by the caller, on its thread) and `flops` to `operation`, as
    /// `measure` does; for code that cannot run in a closure.
    public func record(_ operation: Operation, seconds: Double, flops: Double = 0) {
        state.withLock { s in
            if s.composite != nil {
                s.composite!.seconds[operation, default: 0] += seconds
                s.composite!.flops[operation, default: 0] += flops
            } else {
                s.totals.seconds[operation, default: 0] += seconds
                s.totals.flops[operation, default: 0] += flops
            }
        }
    }

    /// Runs `body`, a composite operation whose parts call `measure` (from any thread), and
    /// shares its wall time among them (see the type's documentation); the time they do not
    /// account for goes to `remainder`. Inside another composite, `body` simply runs as part of it.
    public func measureComposite<Result>(remainder: Operation, _ body: () throws -> Result) rethrows -> Result {
        let outermost = state.withLock { s -> Bool in
            guard s.composite == nil else { return false }
            s.composite = Totals()
            return true
        }
        guard outermost else { return try body() }
        let start = Stopwatch.now()
        let result: Result
        do { result = try body() } catch {
            state.withLock { $0.composite = nil }
            throw error
        }
        let wall = Stopwatch.now() - start
        state.withLock { s in
            guard let parts = s.composite else { return }
            s.composite = nil
            let busy = parts.seconds.values.reduce(0, +)
            let scale = busy > wall ? wall / busy : 1
            var attributed = 0.0
            for (operation, seconds) in parts.seconds {
                s.totals.seconds[operation, default: 0] += seconds * scale
                attributed += seconds * scale
            }
            s.totals.seconds[remainder, default: 0] += max(0, wall - attributed)
            for (operation, flops) in parts.flops { s.totals.flops[operation, default: 0] += flops }
        }
        return result
    }
}

extension Optional where Wrapped == Profiler {
    /// `Profiler.measure` when there is a profiler, else just `body`: one nil check.
    @inline(__always)
    public func measure<Result>(_ operation: Profiler.Operation, flops: Double = 0, _ body: () throws -> Result)
        rethrows -> Result
    {
        guard let profiler = self else { return try body() }
        return try profiler.measure(operation, flops: flops, body)
    }

    /// `Profiler.measureComposite` when there is a profiler, else just `body`: one nil check.
    @inline(__always)
    public func measureComposite<Result>(remainder: Profiler.Operation, _ body: () throws -> Result) rethrows
        -> Result
    {
        guard let profiler = self else { return try body() }
        return try profiler.measureComposite(remainder: remainder, body)
    }
}
