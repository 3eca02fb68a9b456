import CDNNL

extension BF16Backend {
    /// The backend's caches and pools, behind its lock.
    struct State: ~Copyable {
        var weights: [WeightKey: PreparedWeights] = [:]
        var plans: [PlanKey: Plan] = [:]
        var attentionPlans: [AttentionKey: AttentionPlan] = [:]
        /// Idle streams with their bf16 scratch, one per concurrent `execute`.
        var contexts: [ExecutionContext] = []
        var notices: [String] = []

        /// An idle context, or a new one when all are in use.
        mutating func takeContext(engine: dnnl_engine_t) throws(BF16Error) -> ExecutionContext {
            if let idle = contexts.popLast() { return idle }
            return try ExecutionContext(engine: engine)
        }
    }
}
