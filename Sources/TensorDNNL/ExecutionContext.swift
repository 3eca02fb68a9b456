import CDNNL

/// A stream with the buffers of one execution (x converted to bf16, oneDNN's scratchpad, the
/// attention operands), used by one `execute` at a time.
final class ExecutionContext: @unchecked Sendable {
    enum Slot: Int, CaseIterable {
        case activations, scratchpad
        /// Attention operands: the bf16 copy of qkv, the scores of a batched product, the bf16
        /// probabilities (DNNLBackend+Attention.swift).
        case attentionQKV, attentionScores, attentionProbabilities, attentionScratchpad
    }

    let engine: dnnl_engine_t
    let stream: dnnl_stream_t
    private var buffers: [UnsafeMutableRawPointer?] = Array(repeating: nil, count: Slot.allCases.count)
    private var capacities = [Int](repeating: 0, count: Slot.allCases.count)

    init(engine: dnnl_engine_t) throws(DNNLError) {
        self.engine = engine
        var stream: dnnl_stream_t? = nil
        try DNNL.check(
            dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "dnnl_stream_create",
            "a CPU stream")
        guard let stream else {
            throw .dnnl(call: "dnnl_stream_create", status: "null stream", problem: "a CPU stream")
        }
        self.stream = stream
    }

    deinit {
        for b in buffers { b?.deallocate() }
        dnnl_stream_destroy(stream)
    }

    /// The buffer in `slot`, at least `bytes` bytes, 64-byte aligned; grows only (contents not
    /// preserved on growth).
    func buffer(_ slot: Slot, bytes: Int) -> UnsafeMutableRawPointer {
        let i = slot.rawValue
        if let b = buffers[i], capacities[i] >= bytes { return b }
        buffers[i]?.deallocate()
        let size = max(bytes, 64)
        let fresh = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        buffers[i] = fresh
        capacities[i] = size
        return fresh
    }

    /// Executes `primitive` on this stream with memories wrapping the given buffers, and waits.
    func run(
        _ primitive: dnnl_primitive_t, _ arguments: [(Int32, dnnl_memory_desc_t, UnsafeMutableRawPointer)],
        problem: String
    ) throws(DNNLError) {
        var args: [dnnl_exec_arg_t] = []
        args.reserveCapacity(arguments.count)
        defer { for a in args { dnnl_memory_destroy(a.memory) } }
        for (index, descriptor, pointer) in arguments {
            var md = descriptor
            var memory: dnnl_memory_t? = nil
            try DNNL.check(dnnl_memory_create(&memory, &md, engine, pointer), "dnnl_memory_create", problem)
            args.append(dnnl_exec_arg_t(arg: index, memory: memory))
        }
        try DNNL.check(
            dnnl_primitive_execute(primitive, stream, Int32(args.count), &args), "dnnl_primitive_execute",
            problem)
        try DNNL.check(dnnl_stream_wait(stream), "dnnl_stream_wait", problem)
    }
}
