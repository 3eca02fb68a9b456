// fp32 elementwise and row-wise kernels of the transformer (softmax, QuickGELU, GELU, LayerNorm).
//
// Swift compiles the package for baseline x86-64 (SSE2) and a dependency may not pass
// unsafeFlags, so these kernels live in C with per-function target attributes: an AVX-512F
// variant (16 lanes, masked tails), an AVX2+FMA variant (8 lanes) and a generic C variant. The
// best variant the CPU runs is chosen once, at the first call. Every function is single-threaded;
// callers split work between threads (Kernels.swift uses parallelRanges).
#ifndef KP_KERNELS_H
#define KP_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Variant numbers for kp_kernels_force_isa.
enum {
    KP_ISA_AUTO = 0,
    KP_ISA_GENERIC = 1,
    KP_ISA_AVX2 = 2,
    KP_ISA_AVX512 = 3,
};

/// x (N) <- exp(x - shift); returns the sum of the results.
/// exp: Cody-Waite reduction and a degree-6 polynomial, within 1.2 ulp of exp on [-87, 88];
/// inputs are clamped to [-87.34, 88.38] (no overflow to inf, no denormal results).
float kp_exp_shifted_sum(float *x, long n, float shift);

/// s (rows, cols) with row stride ld <- softmax of each row over its first n(r) entries, where
/// n(r) = cols, or min(cols, r + 1) when causal (row r sees columns 0...r); entries n(r) ..< cols
/// become 0; columns cols ..< ld are not touched.
void kp_softmax_rows(float *s, long rows, long cols, long ld, int causal);

/// p (rows, cols) with row stride ldp <- softmax of each row of s as in kp_softmax_rows, rounded to
/// bf16 (round to nearest even; the upper halves of the float bit patterns). s is scratch: its
/// contents afterwards are unspecified. For the bf16 attention products: the probabilities feed
/// a bf16 matmul directly, with no separate conversion pass.
void kp_softmax_rows_bf16(float *s, long rows, long cols, long ld, int causal, uint16_t *p, long ldp);

/// x (N) <- x * sigmoid(1.702 x): OpenAI CLIP's QuickGELU.
void kp_quick_gelu(float *x, long n);

/// x (N) <- 0.5 x (1 + erf(x / sqrt 2)): exact GELU; erf is the rational approximation of Eigen
/// and XLA, within 5e-7 absolute in float.
void kp_gelu(float *x, long n);

/// y (rows, c) <- (x - mean) / sqrt(var + eps) * gamma + beta per row, two passes for mean and
/// variance; y may alias x.
void kp_layer_norm(const float *x, long rows, long c, const float *gamma, const float *beta,
                   float eps, float *y);

/// The variant the calling thread runs: "avx512", "avx2" or "generic".
const char *kp_kernels_isa(void);

/// Forces the calling thread (only it: the setting is thread-local) to a variant, for tests;
/// KP_ISA_AUTO returns to the CPU's best. A variant the CPU cannot run is ignored (the previous
/// setting stays); check kp_kernels_isa() afterwards.
void kp_kernels_force_isa(int isa);

#ifdef __cplusplus
}
#endif

#endif
