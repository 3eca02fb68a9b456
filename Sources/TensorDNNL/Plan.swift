import CDNNL

/// The primitives for one product shape: for bf16 operands the x f32 -> bf16 reorder, then the
/// matmul (fp32 operands go to the matmul as they are).
final class Plan: @unchecked Sendable {
    let rows: Int
    let n: Int
    let k: Int
    let operand: OperandType
    let sourceF32: dnnl_memory_desc_t
    /// x in the operand type, as the matmul reads it.
    let source: dnnl_memory_desc_t
    let bias: dnnl_memory_desc_t
    let destination: dnnl_memory_desc_t
    /// x f32 -> bf16; nil for fp32 operands.
    let toOperand: dnnl_primitive_t?
    let matmul: dnnl_primitive_t
    let reorderScratchpad: Scratchpad?
    let matmulScratchpad: Scratchpad?
    let implementation: String
    let problem: String

    init(
        engine: dnnl_engine_t, rows: Int, weights: PreparedWeights, bias: Bool, epilogue: Epilogue
    ) throws(DNNLError) {
        self.rows = rows
        n = weights.n
        k = weights.k
        operand = weights.operand
        problem = "matmul (\(rows), \(k)) x (\(k), \(n)) \(operand.rawValue)"
        let pd = try DNNLBackend.matmulDescriptor(
            engine: engine, operand: operand, rows: rows, n: n, k: k, weights: weights.layout,
            bias: bias, epilogue: epilogue)
        defer { dnnl_primitive_desc_destroy(pd) }
        implementation = DNNL.implementation(pd)
        matmulScratchpad = Scratchpad(pd)
        var matmul: dnnl_primitive_t? = nil
        try DNNL.check(dnnl_primitive_create(&matmul, pd), "dnnl_primitive_create", problem)
        guard let matmul else { throw .dnnl(call: "dnnl_primitive_create", status: "null primitive", problem: problem) }
        self.matmul = matmul

        let f32 = try DNNL.matrix(rows, k, dnnl_f32, dnnl_ab)
        let converted = try DNNL.matrix(rows, k, operand.dnnl, dnnl_ab)
        sourceF32 = f32
        source = converted
        self.bias = try DNNL.matrix(1, n, dnnl_f32, dnnl_ab)
        destination = try DNNL.matrix(rows, n, epilogue.outputsOperand ? operand.dnnl : dnnl_f32, dnnl_ab)
        guard operand == .bf16 else {
            toOperand = nil
            reorderScratchpad = nil
            return
        }
        do {
            let reorder = try DNNL.reorder(
                from: f32, to: converted, engine: engine, problem: "x (\(rows), \(k)) f32 -> bf16")
            toOperand = reorder.primitive
            reorderScratchpad = reorder.scratchpad
        } catch {
            dnnl_primitive_destroy(matmul)
            throw error
        }
    }

    deinit {
        dnnl_primitive_destroy(matmul)
        if let toOperand { dnnl_primitive_destroy(toOperand) }
    }
}

/// The plan cache's key: one product shape with its epilogue.
struct PlanKey: Hashable {
    let rows: Int
    let n: Int
    let k: Int
    let bias: Bool
    let epilogue: Epilogue
}
