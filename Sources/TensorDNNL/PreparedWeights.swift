import CDNNL
import Tensor

/// One layer's weights in the operand type (bf16 or f32), in the matmul's preferred layout (prepacked
/// panels, so no product packs W again); owns the oneDNN buffer.
final class PreparedWeights: @unchecked Sendable {
    /// The fp32 weights, held so their storage (the cache key) stays allocated.
    let source: [Float]
    let operand: OperandType
    let n: Int
    let k: Int
    let layout: dnnl_memory_desc_t
    let bytes: Int
    let data: UnsafeMutableRawPointer
    private let memory: dnnl_memory_t

    // W (N, K) f32 row-major, i.e. (K, N) column-major -> (K, N) operand type in oneDNN's layout
    init(_ layer: Linear, operand: OperandType, engine: dnnl_engine_t, stream: dnnl_stream_t) throws(DNNLError) {
        n = layer.outFeatures
        k = layer.inFeatures
        source = layer.weight
        self.operand = operand
        let problem = "weights (\(n), \(k)) f32 -> \(operand.rawValue)"
        let pd = try DNNLBackend.matmulDescriptor(
            engine: engine, operand: operand, rows: DNNLBackend.layoutProbeRows, n: n, k: k,
            weights: nil, bias: false, epilogue: .none)
        defer { dnnl_primitive_desc_destroy(pd) }
        guard let chosen = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0) else {
            throw .dnnl(call: "dnnl_primitive_desc_query_md", status: "no weights descriptor", problem: problem)
        }
        var layout = chosen.pointee
        self.layout = layout
        bytes = dnnl_memory_desc_get_size(&layout)
        var memory: dnnl_memory_t? = nil
        try DNNL.check(dnnl_memory_create(&memory, &layout, engine, DNNL.allocate), "dnnl_memory_create", problem)
        guard let memory else { throw .dnnl(call: "dnnl_memory_create", status: "null memory", problem: problem) }
        self.memory = memory
        var handle: UnsafeMutableRawPointer? = nil
        try DNNL.check(dnnl_memory_get_data_handle(memory, &handle), "dnnl_memory_get_data_handle", problem)
        guard let handle else {
            throw .dnnl(call: "dnnl_memory_get_data_handle", status: "null handle", problem: problem)
        }
        data = handle

        // This reorder runs once, under the backend's lock, so oneDNN's default (library-managed)
        // scratchpad is safe for it.
        var fp32 = try DNNL.matrix(k, n, dnnl_f32, dnnl_ba)
        var reorderPD: dnnl_primitive_desc_t? = nil
        try DNNL.check(
            dnnl_reorder_primitive_desc_create(&reorderPD, &fp32, engine, &layout, engine, nil),
            "dnnl_reorder_primitive_desc_create", problem)
        defer { dnnl_primitive_desc_destroy(reorderPD) }
        var reorder: dnnl_primitive_t? = nil
        try DNNL.check(dnnl_primitive_create(&reorder, reorderPD), "dnnl_primitive_create", problem)
        defer { dnnl_primitive_destroy(reorder) }
        var input: dnnl_memory_t? = nil
        try layer.weight.withUnsafeBufferPointer { (w) throws(DNNLError) in
            try DNNL.check(
                dnnl_memory_create(&input, &fp32, engine, UnsafeMutableRawPointer(mutating: w.baseAddress)),
                "dnnl_memory_create", problem)
            defer { dnnl_memory_destroy(input) }
            var args = [
                dnnl_exec_arg_t(arg: DNNL.Arg.from, memory: input), dnnl_exec_arg_t(arg: DNNL.Arg.to, memory: memory),
            ]
            try DNNL.check(dnnl_primitive_execute(reorder, stream, 2, &args), "dnnl_primitive_execute", problem)
            try DNNL.check(dnnl_stream_wait(stream), "dnnl_stream_wait", problem)
        }
    }

    deinit { dnnl_memory_destroy(memory) }
}

/// The weight cache's key: the identity of a `Linear`'s weight storage with its shape.
struct WeightKey: Hashable {
    let address: UInt
    let n: Int
    let k: Int
}
