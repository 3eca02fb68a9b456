import CDNNL
import Synchronization

extension DNNLBackend {
    /// The backend's caches and pools, behind its lock.
    struct State: ~Copyable {
        var weights: [WeightKey: PreparedWeights] = [:]
        var plans: [PlanKey: Plan] = [:]
        var attentionPlans: [AttentionKey: AttentionPlan] = [:]
        /// Idle streams with their scratch buffers, one per concurrent `execute`.
        var contexts: [ExecutionContext] = []
        var notices: [String] = []

        /// Records a notice once (the caller holds the lock; `recordNotice` takes it).
        mutating func note(_ notice: String) {
            if !notices.contains(notice) { notices.append(notice) }
        }

        /// An idle context, or a new one when all are in use.
        mutating func takeContext(engine: dnnl_engine_t) throws(DNNLError) -> ExecutionContext {
            if let idle = contexts.popLast() { return idle }
            return try ExecutionContext(engine: engine)
        }
    }

    /// The oneDNN engine and everything made on it, behind one lock; owned by a backend and the
    /// copies `profiled(by:)` makes of it.
    final class Core: @unchecked Sendable {
        let engine: dnnl_engine_t
        let state = Mutex(State())

        init(engine: dnnl_engine_t) { self.engine = engine }

        deinit {
            // Primitives and memories first, then the engine they were made on.
            state.withLock { $0 = State() }
            dnnl_engine_destroy(engine)
        }
    }
}
