// Batch-invariant fp32 matrix products: every output element is ONE fused-multiply-add chain in
// ascending k, so its bits depend only on its own row of x, its own column of W and its initial
// value, never on the other rows or columns computed with it, on how the work is split between
// threads, on buffer alignment, or on the instruction-set variant.
//
// The contract (what the naive kp_fma_gemm_reference computes, and what every variant must
// reproduce bit for bit):
//
//     init = accumulate ? (bias ? y[r][j] + bias[j] : y[r][j])   (one rounded float add)
//                       : (bias ? bias[j] : +0.0f)
//     acc  = init
//     for kk in 0 ..< k:  acc = fmaf(x[r][kk], w[j][kk], acc)     (one rounding per step)
//     y[r][j] = acc * alpha                                      (exact when alpha == 1)
//
// The weights are prepacked once into panels of KP_FMA_PANEL output columns, k-major
// (panel p holds w[16p + j][kk] at p * 16 * k + kk * 16 + j, columns past n zero), so the
// microkernel reads 16 columns of one k step as two contiguous 8-lane vectors. x is row-major with
// stride ldx (so the same kernel serves q·kᵀ and P·v of attention with their strided operands);
// given a pack buffer, the kernel copies each row block's k slice of x into 6-row micro-panels
// before using it (a copy: no bit changes).
//
// Variants: AVX2+FMA (a 6 x 16 microkernel: 12 ymm accumulators, x values broadcast), and generic
// C using fmaf() explicitly (never relying on contraction). There is no AVX-512 variant (the
// development host has no AVX-512 to test one on): AVX-512 CPUs run the AVX2 one. Both give the
// same bits by the contract above. Every function is single-threaded; callers split rows or
// panels between threads (InvariantBackend.swift), which cannot change any bit.
#ifndef KP_FMA_GEMM_H
#define KP_FMA_GEMM_H

#ifdef __cplusplus
extern "C" {
#endif

/// Output columns per packed panel.
#define KP_FMA_PANEL 16

/// Most k steps per slice of the chains (kp_fma_gemm.c: a chain longer than this is run in
/// near-equal slices, its partial sum stored in y between them, which leaves its bits unchanged):
/// a panel's slice, 384 x 64 bytes, stays in Zen 3's 32 KB L1.
#define KP_FMA_K_SLICE 384

/// Floats of the x pack buffer of kp_fma_gemm (192 KB: a row block's slice of x, kept in Zen 3's
/// 512 KB L2 with a panel slice). Rows per row block: kp_fma_gemm_row_block.
#define KP_FMA_X_PACK_FLOATS (48L * 1024L)

/// Rows per row block of kp_fma_gemm for chains of k steps (a multiple of 6): callers that split
/// many rows between threads split them in chunks of this many rows, each packed once.
long kp_fma_gemm_row_block(long k);

/// Floats of the panels of an (n, k) operand: ceil(n / 16) * 16 * k.
long kp_fma_panel_floats(long n, long k);

/// w (n, k), row stride ldw (row j = output column j, PyTorch's Linear layout; or the keys of
/// attention) -> panels (ceil(n / 16) panels of (k, 16)), zero-padded past n.
void kp_fma_pack_rows(const float *w, long n, long k, long ldw, float *panels);

/// b (k, n), row stride ldb (column j = output column j; the values of attention)
/// -> panels (ceil(n / 16) panels of (k, 16)), zero-padded past n.
void kp_fma_pack_cols(const float *b, long k, long n, long ldb, float *panels);

/// y (rows, n) with row stride ldy, columns of panels [panel_lo, panel_hi) only
///   <- the contract above, with x (rows, k) row stride ldx and the panels of w (n, k).
/// bias: n floats or NULL; accumulate: y's current values are the chains' initial values.
/// x_pack: KP_FMA_X_PACK_FLOATS floats of scratch (64-byte aligned is best; one per concurrent
/// call), or NULL to read x in place (attention's per-head products).
void kp_fma_gemm(const float *x, long rows, long k, long ldx, const float *panels, long n, long panel_lo,
                 long panel_hi, const float *bias, int accumulate, float alpha, float *y, long ldy, float *x_pack);

/// The naive reference of kp_fma_gemm (llm.c style), for tests: the contract as plain scalar
/// loops with fmaf, on the unpacked w (n, k) with row stride ldw, all n columns.
void kp_fma_gemm_reference(const float *x, long rows, long k, long ldx, const float *w, long n, long ldw,
                           const float *bias, int accumulate, float alpha, float *y, long ldy);

/// The variant kp_fma_gemm runs on the calling thread: "avx2" (also on AVX-512 CPUs, and when
/// kp_kernels_force_isa forced avx512) or "generic".
const char *kp_fma_gemm_isa(void);

#ifdef __cplusplus
}
#endif

#endif
