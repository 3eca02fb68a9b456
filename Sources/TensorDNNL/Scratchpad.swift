import CDNNL

/// The scratchpad a primitive needs from its caller (user scratchpad mode), if any.
struct Scratchpad {
    let descriptor: dnnl_memory_desc_t
    let bytes: Int

    /// nil when the primitive needs none.
    init?(_ pd: dnnl_primitive_desc_t) {
        guard let md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0) else { return nil }
        var descriptor = md.pointee
        let bytes = dnnl_memory_desc_get_size(&descriptor)
        guard bytes > 0 else { return nil }
        self.descriptor = descriptor
        self.bytes = bytes
    }
}
