import CDNNL

/// Thin Swift helpers over oneDNN 2.6's C API (dnnl.h): status checks and 2-D memory descriptors.
enum DNNL {
    /// `DNNL_MEMORY_ALLOCATE`: let oneDNN allocate the buffer (the C macro is a cast, not importable).
    static var allocate: UnsafeMutableRawPointer? { UnsafeMutableRawPointer(bitPattern: -1) }

    static func check(_ status: dnnl_status_t, _ call: String, _ problem: @autoclosure () -> String) throws(BF16Error) {
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
        throws(BF16Error) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        let dims: [dnnl_dim_t] = [dnnl_dim_t(rows), dnnl_dim_t(cols)]
        try check(dnnl_memory_desc_init_by_tag(&md, 2, dims, type, tag), "dnnl_memory_desc_init_by_tag",
                  "a \(rows)x\(cols) matrix")
        return md
    }

    /// A (rows, cols) row-major matrix whose rows are `rowStride` elements apart.
    static func matrix(_ rows: Int, _ cols: Int, _ type: dnnl_data_type_t, rowStride: Int)
        throws(BF16Error) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        let dims: [dnnl_dim_t] = [dnnl_dim_t(rows), dnnl_dim_t(cols)]
        let strides: [dnnl_dim_t] = [dnnl_dim_t(rowStride), 1]
        try check(dnnl_memory_desc_init_by_strides(&md, 2, dims, type, strides), "dnnl_memory_desc_init_by_strides",
                  "a \(rows)x\(cols) matrix with row stride \(rowStride)")
        return md
    }

    /// The implementation oneDNN chose for a primitive descriptor, e.g. "brg:avx512_core_bf16".
    static func implementation(_ pd: dnnl_primitive_desc_t) -> String {
        var name: UnsafePointer<CChar>? = nil
        let status = withUnsafeMutablePointer(to: &name) { dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, $0) }
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
