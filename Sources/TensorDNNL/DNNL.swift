import CDNNL

/// Thin Swift helpers over oneDNN 2.6's C API (dnnl.h): status checks and 2-D memory descriptors.
enum DNNL {
    /// `DNNL_MEMORY_ALLOCATE`: let oneDNN allocate the buffer (the C macro is a cast, not importable).
    static var allocate: UnsafeMutableRawPointer? { UnsafeMutableRawPointer(bitPattern: -1) }

    static func check(_ status: dnnl_status_t, _ call: String, _ problem: @autoclosure () -> String) throws(DNNLError) {
        guard status != dnnl_success else { return }
        throw .dnnl(call: call, status: name(of: status), problem: problem())
    }

    static func name(of status: dnnl_status_t) -> String {
        switch status {
        case dnnl_out_of_memory: return "out_of_memory"
        case dnnl_invalid_arguments: return "invalid_arguments"
        case dnnl_unimplemented: return "unimplemented"
        case dnnl_runtime_error: return "runtime_error"
        case dnnl_not_required: return "not_required"
        default: return "status \(status.rawValue)"
        }
    }

    /// A (rows, cols) matrix descriptor in a named layout (`dnnl_ab` row-major, `dnnl_ba`
    /// column-major, `dnnl_format_tag_any` to let a primitive choose).
    static func matrix(_ rows: Int, _ cols: Int, _ type: dnnl_data_type_t, _ tag: dnnl_format_tag_t)
        throws(DNNLError) -> dnnl_memory_desc_t
    {
        var md = dnnl_memory_desc_t()
        let dims: [dnnl_dim_t] = [dnnl_dim_t(rows), dnnl_dim_t(cols)]
        try check(
            dnnl_memory_desc_init_by_tag(&md, 2, dims, type, tag), "dnnl_memory_desc_init_by_tag",
            "a \(rows)x\(cols) matrix")
        return md
    }

    /// A (rows, cols) row-major matrix whose rows are `rowStride` elements apart.
    static func matrix(_ rows: Int, _ cols: Int, _ type: dnnl_data_type_t, rowStride: Int)
        throws(DNNLError) -> dnnl_memory_desc_t
    {
        try tensor([rows, cols], type, strides: [rowStride, 1])
    }

    /// A (rows, cols) matrix with arbitrary element strides, e.g. (1, ld) for a transposed view.
    static func strided(_ rows: Int, _ cols: Int, _ type: dnnl_data_type_t, strides: (Int, Int))
        throws(DNNLError) -> dnnl_memory_desc_t
    {
        try tensor([rows, cols], type, strides: [strides.0, strides.1])
    }

    /// A tensor of any rank with arbitrary element strides (e.g. the heads of one image's qkv:
    /// dims (H, T, D), strides (D, 3C, 1)).
    static func tensor(_ dims: [Int], _ type: dnnl_data_type_t, strides: [Int]) throws(DNNLError) -> dnnl_memory_desc_t
    {
        precondition(dims.count == strides.count, "DNNL.tensor: \(dims.count) dims, \(strides.count) strides")
        var md = dnnl_memory_desc_t()
        let d = dims.map { dnnl_dim_t($0) }
        let s = strides.map { dnnl_dim_t($0) }
        try check(
            dnnl_memory_desc_init_by_strides(&md, Int32(d.count), d, type, s), "dnnl_memory_desc_init_by_strides",
            "a \(dims.map(String.init).joined(separator: "x")) tensor with strides \(strides)")
        return md
    }

    /// A primitive made with a user-managed scratchpad, with that scratchpad's size.
    struct Made {
        let primitive: dnnl_primitive_t
        let scratchpad: Scratchpad?
        let implementation: String
    }

    /// An attribute set to `dnnl_scratchpad_mode_user` (see DNNLBackend: the library-managed
    /// scratchpad of oneDNN 2.6.3 is not safe when threads share a primitive). The caller destroys
    /// it (`dnnl_primitive_attr_destroy`).
    static func userScratchpadAttribute(_ problem: String) throws(DNNLError) -> dnnl_primitive_attr_t? {
        var attr: dnnl_primitive_attr_t? = nil
        try check(dnnl_primitive_attr_create(&attr), "dnnl_primitive_attr_create", problem)
        do {
            try check(
                dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user),
                "dnnl_primitive_attr_set_scratchpad_mode", problem)
        } catch {
            dnnl_primitive_attr_destroy(attr)
            throw error
        }
        return attr
    }

    private static func make(_ pd: dnnl_primitive_desc_t?, _ problem: String) throws(DNNLError) -> Made {
        guard let pd else {
            throw .dnnl(call: "dnnl_primitive_desc_create", status: "null descriptor", problem: problem)
        }
        defer { dnnl_primitive_desc_destroy(pd) }
        var primitive: dnnl_primitive_t? = nil
        try check(dnnl_primitive_create(&primitive, pd), "dnnl_primitive_create", problem)
        guard let primitive else {
            throw .dnnl(call: "dnnl_primitive_create", status: "null primitive", problem: problem)
        }
        return Made(primitive: primitive, scratchpad: Scratchpad(pd), implementation: implementation(pd))
    }

    /// A reorder (type conversion and/or layout change) between two descriptors of one shape.
    static func reorder(
        from source: dnnl_memory_desc_t, to destination: dnnl_memory_desc_t, engine: dnnl_engine_t,
        problem: String
    ) throws(DNNLError) -> Made {
        let attr = try userScratchpadAttribute(problem)
        defer { dnnl_primitive_attr_destroy(attr) }
        var from = source
        var to = destination
        var pd: dnnl_primitive_desc_t? = nil
        try check(
            dnnl_reorder_primitive_desc_create(&pd, &from, engine, &to, engine, attr),
            "dnnl_reorder_primitive_desc_create", problem)
        return try make(pd, problem)
    }

    /// dst = outputScale · src · weights (no bias), with the given layouts.
    static func matmul(
        src: dnnl_memory_desc_t, weights: dnnl_memory_desc_t, dst: dnnl_memory_desc_t,
        outputScale: Float?, engine: dnnl_engine_t, problem: String
    ) throws(DNNLError) -> Made {
        var s = src
        var w = weights
        var d = dst
        var desc = dnnl_matmul_desc_t()
        try check(dnnl_matmul_desc_init(&desc, &s, &w, nil, &d), "dnnl_matmul_desc_init", problem)
        let attr = try userScratchpadAttribute(problem)
        defer { dnnl_primitive_attr_destroy(attr) }
        if var scale = outputScale {
            try check(
                dnnl_primitive_attr_set_output_scales(attr, 1, 0, &scale), "dnnl_primitive_attr_set_output_scales",
                problem)
        }
        var pd: dnnl_primitive_desc_t? = nil
        try check(dnnl_primitive_desc_create(&pd, &desc, attr, engine, nil), "dnnl_primitive_desc_create", problem)
        return try make(pd, problem)
    }

    /// The implementation oneDNN chose for a primitive descriptor, e.g. "brg:avx512_core_bf16".
    static func implementation(_ pd: dnnl_primitive_desc_t) -> String {
        var name: UnsafePointer<CChar>? = nil
        let status = withUnsafeMutablePointer(to: &name) {
            dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, $0)
        }
        guard status == dnnl_success, let name else { return "unknown" }
        return String(cString: name)
    }

    /// oneDNN's version, e.g. "2.6.3".
    static var version: String {
        guard let v = dnnl_version() else { return "unknown" }
        return "\(v.pointee.major).\(v.pointee.minor).\(v.pointee.patch)"
    }

    /// The instruction set oneDNN dispatches to on this CPU.
    static var effectiveISA: String {
        switch dnnl_get_effective_cpu_isa() {
        case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx"
        case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16"
        case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni"
        case dnnl_cpu_isa_avx512_core: return "avx512_core"
        case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni"
        case dnnl_cpu_isa_avx2: return "avx2"
        case let other: return "isa 0x\(String(other.rawValue, radix: 16))"
        }
    }
}

extension DNNL {
    /// DNNL_ARG_* (dnnl_types.h); the C macros alias one another, so they are spelled out here.
    enum Arg {
        static let src: Int32 = 1  // DNNL_ARG_SRC = DNNL_ARG_SRC_0
        static let from: Int32 = 1  // DNNL_ARG_FROM = DNNL_ARG_SRC_0
        static let dst: Int32 = 17  // DNNL_ARG_DST = DNNL_ARG_DST_0
        static let to: Int32 = 17  // DNNL_ARG_TO = DNNL_ARG_DST_0
        static let weights: Int32 = 33  // DNNL_ARG_WEIGHTS = DNNL_ARG_WEIGHTS_0
        static let bias: Int32 = 41  // DNNL_ARG_BIAS
        static let scratchpad: Int32 = 80  // DNNL_ARG_SCRATCHPAD
    }
}
