import CDNNL

/// The primitives for one product shape: x f32 -> bf16 reorder, then the matmul.
final class Plan: @unchecked Sendable {
    let rows: Int
    let n: Int
    let k: Int
    let sourceF32: dnnl_memory_desc_t
    let source: dnnl_memory_desc_t
    let bias: dnnl_memory_desc_t
    let destination: dnnl_memory_desc_t
    let toBF16: dnnl_primitive_t
    let matmul: dnnl_primitive_t
    let reorderScratchpad: Scratchpad?
    let matmulScratchpad: Scratchpad?
    let implementation: String
    let problem: String

    init(engine: dnnl_engine_t, rows: Int, weights: PreparedWeights, bias: Bool, epilogue: Epilogue) throws(DNNLError) {
        self.rows = rows
        n = weights.n
        k = weights.k
        problem = "matmul (\(rows), \(k)) x (\(k), \(n))"
        let pd = try DNNLBackend.matmulDescriptor(
            engine: engine, rows: rows, n: n, k: k, weights: weights.layout,
            bias: bias, epilogue: epilogue)
        defer { dnnl_primitive_desc_destroy(pd) }
        implementation = DNNL.implementation(pd)
        matmulScratchpad = Scratchpad(pd)
        var matmul: dnnl_primitive_t? = nil
        try DNNL.check(dnnl_primitive_create(&matmul, pd), "dnnl_primitive_create", problem)
        guard let matmul else { throw .dnnl(call: "dnnl_primitive_create", status: "null primitive", problem: problem) }
        self.matmul = matmul

        var f32 = try DNNL.matrix(rows, k, dnnl_f32, dnnl_ab)
        var bf16 = try DNNL.matrix(rows, k, dnnl_bf16, dnnl_ab)
        sourceF32 = f32
        source = bf16
        self.bias = try DNNL.matrix(1, n, dnnl_f32, dnnl_ab)
        destination = try DNNL.matrix(rows, n, epilogue.outputsBF16 ? dnnl_bf16 : dnnl_f32, dnnl_ab)
        var reorder: dnnl_primitive_t? = nil
        var pad: Scratchpad? = nil
        do {
            let what = "x (\(rows), \(k)) f32 -> bf16"
            let attr = try DNNL.userScratchpadAttribute(what)
            defer { dnnl_primitive_attr_destroy(attr) }
            var reorderPD: dnnl_primitive_desc_t? = nil
            try DNNL.check(
                dnnl_reorder_primitive_desc_create(&reorderPD, &f32, engine, &bf16, engine, attr),
                "dnnl_reorder_primitive_desc_create", what)
            defer { dnnl_primitive_desc_destroy(reorderPD) }
            if let reorderPD { pad = Scratchpad(reorderPD) }
            try DNNL.check(dnnl_primitive_create(&reorder, reorderPD), "dnnl_primitive_create", what)
        } catch {
            dnnl_primitive_destroy(matmul)
            throw error
        }
        guard let reorder else {
            dnnl_primitive_destroy(matmul)
            throw .dnnl(call: "dnnl_primitive_create", status: "null primitive", problem: problem)
        }
        toBF16 = reorder
        reorderScratchpad = pad
    }

    deinit {
        dnnl_primitive_destroy(matmul)
        dnnl_primitive_destroy(toBF16)
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
