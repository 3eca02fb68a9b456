// Batch-invariant fp32 products: see include/kp_fma_gemm.h for the contract (one fused
// multiply-add chain per output element, ascending k) that every function here keeps.
//
// Blocking (BLIS order): rows in blocks of at most KP_FMA_X_PACK_FLOATS floats of an x slice
// (kept in L2), then k in slices of at most KP_FMA_K_SLICE steps, then panels (the k slice of one
// panel, at most 24 KB, stays in L1 while the row block's microtiles pass over it), then 6-row
// microtiles. With a pack buffer, each row block's k slice of x is first copied into 6-row
// micro-panels (k-major: the 6 values of one k step side by side), so a microtile reads one
// contiguous stream instead of 6 rows 3-16 KB apart (strides of 4 KB multiples put the 6 rows in
// one L1 set, and the strided rows and the panel slice overflowed Zen 3's 32 KB L1); copying
// changes no value. A chain crossing k slices is stored into y after one slice as the float it is
// and reloaded as the next slice's accumulator: a float stored and reloaded is the same float, so
// the chain (its fused multiply-adds, in ascending k) is exactly the unblocked one; alpha
// multiplies only after the last slice. Without k slices a row block of K = 3072 was 12 rows, and
// each worker streamed all the weights from L3 for every 12 rows (6 flop per byte of weights).
#include "kp_fma_gemm.h"

#include <math.h>
#include <string.h>

#include "kp_kernels.h"
#include "kp_kernels_private.h"

#if defined(__x86_64__)
#define KP_X86 1
#include <immintrin.h>
#define KP_AVX2 __attribute__((target("avx2,fma")))
#else
#define KP_X86 0
#endif

#define KP_P KP_FMA_PANEL
// Rows per microtile: 6 rows x 2 vectors of 8 = 12 ymm accumulators, 2 for the panel's k step,
// 1 for the broadcast x value (15 of the 16 ymm registers).
#define KP_MR 6

#define KP_ALWAYS_INLINE __attribute__((always_inline))

static inline long min_long(long a, long b) { return a < b ? a : b; }

// Steps per k slice for a k-long chain: k split into ceil(k / KP_FMA_K_SLICE) near-equal slices
// (at least 1 step, also for k = 0).
static inline long k_block(long k) {
    const long slices = (k + KP_FMA_K_SLICE - 1) / KP_FMA_K_SLICE;
    return slices > 0 ? (k + slices - 1) / slices : 1;
}

// Rows per row block for k-step slices of x: a multiple of KP_MR, at least KP_MR, with rows x k
// at most KP_FMA_X_PACK_FLOATS (k <= KP_FMA_K_SLICE, so KP_MR rows always fit).
static inline long row_block(long k) {
    long rb = KP_FMA_X_PACK_FLOATS / (k > 0 ? k : 1) / KP_MR * KP_MR;
    return rb < KP_MR ? KP_MR : rb;
}

long kp_fma_gemm_row_block(long k) { return row_block(k_block(k)); }

// MARK: - Packing

long kp_fma_panel_floats(long n, long k) { return (n + KP_P - 1) / KP_P * KP_P * k; }

// w (n, k) stride ldw -> panels (ceil(n/16), k, 16)
void kp_fma_pack_rows(const float *w, long n, long k, long ldw, float *panels) {
    const long np = (n + KP_P - 1) / KP_P;
    for (long p = 0; p < np; p++) {
        float *dst = panels + p * KP_P * k;
        for (long j = 0; j < KP_P; j++) {
            const long col = p * KP_P + j;
            if (col < n) {
                const float *src = w + col * ldw;
                for (long kk = 0; kk < k; kk++) dst[kk * KP_P + j] = src[kk];
            } else {
                for (long kk = 0; kk < k; kk++) dst[kk * KP_P + j] = 0;
            }
        }
    }
}

// b (k, n) stride ldb -> panels (ceil(n/16), k, 16)
void kp_fma_pack_cols(const float *b, long k, long n, long ldb, float *panels) {
    const long np = (n + KP_P - 1) / KP_P;
    for (long p = 0; p < np; p++) {
        const long c0 = p * KP_P;
        const long nc = min_long(KP_P, n - c0);
        for (long kk = 0; kk < k; kk++) {
            float *dst = panels + p * KP_P * k + kk * KP_P;
            memcpy(dst, b + kk * ldb + c0, (size_t)nc * sizeof(float));
            if (nc < KP_P) memset(dst + nc, 0, (size_t)(KP_P - nc) * sizeof(float));
        }
    }
}

// MARK: - The contract's initial value

// The chain's initial value for y's current value `old` and bias value `b` (bias_present: b is
// real): y + b or y when accumulating, else b or +0. No "+ 0" is ever added: it would turn -0
// into +0.
static inline float chain_init(float old, float b, int bias_present, int accumulate) {
    if (accumulate) return bias_present ? old + b : old;
    return bias_present ? b : 0.0f;
}

// MARK: - Naive reference

// x (rows, k), w (n, k) -> y (rows, n)
void kp_fma_gemm_reference(const float *x, long rows, long k, long ldx, const float *w, long n, long ldw,
                           const float *bias, int accumulate, float alpha, float *y, long ldy) {
    for (long r = 0; r < rows; r++) {
        for (long j = 0; j < n; j++) {
            float acc = chain_init(accumulate ? y[r * ldy + j] : 0.0f, bias ? bias[j] : 0.0f, bias != NULL, accumulate);
            for (long kk = 0; kk < k; kk++) acc = fmaf(x[r * ldx + kk], w[j * ldw + kk], acc);
            y[r * ldy + j] = acc * alpha;
        }
    }
}

// MARK: - Generic C

// The chains of a k slice: `first` starts them at the contract's initial value, else they continue
// from the partial sums stored in y; `last` finishes them (times alpha), else stores the partial
// sums as they are.
typedef struct {
    int first;
    int last;
} chain_slice;

// x (mr, k) row stride rs, k stride ks, one panel slice (k, 16) -> y (mr, nc) stride ldy; bias: nc
// floats or NULL.
static inline KP_ALWAYS_INLINE void tile_generic(const int mr, const float *x, long rs, long ks, long k,
                                                 const float *panel, long nc, const float *bias, int accumulate,
                                                 float alpha, float *y, long ldy, chain_slice slice) {
    float acc[KP_MR][KP_P];
    for (int r = 0; r < mr; r++) {
        for (long j = 0; j < KP_P; j++) {
            if (j >= nc) {
                acc[r][j] = 0.0f;
            } else if (!slice.first) {
                acc[r][j] = y[r * ldy + j];
            } else {
                acc[r][j] = chain_init(accumulate ? y[r * ldy + j] : 0.0f, bias ? bias[j] : 0.0f, bias != NULL,
                                       accumulate);
            }
        }
    }
    for (long kk = 0; kk < k; kk++) {
        const float *wk = panel + kk * KP_P;
        for (int r = 0; r < mr; r++) {
            const float xv = x[r * rs + kk * ks];
            for (int j = 0; j < KP_P; j++) acc[r][j] = fmaf(xv, wk[j], acc[r][j]);
        }
    }
    for (int r = 0; r < mr; r++)
        for (long j = 0; j < nc; j++) y[r * ldy + j] = slice.last ? acc[r][j] * alpha : acc[r][j];
}

// x (mr, k) with row stride rs and k stride ks (x in place: ldx, 1; packed: 1, KP_MR), one panel
// slice (k, 16) -> y (mr, nc) stride ldy: one microtile of `mr` rows.
typedef void (*tile_fn)(int mr, const float *x, long rs, long ks, long k, const float *panel, long nc,
                        const float *bias, int accumulate, float alpha, float *y, long ldy, chain_slice slice);

// x (mr, kc) row stride ldx -> pack (kc, KP_MR): row i of step kk at kk * KP_MR + i (rows past mr
// are not written, and no tile of mr rows reads them).
static inline KP_ALWAYS_INLINE void pack_microtile(const int mr, const float *x, long ldx, long kc, float *pack) {
    for (long kk = 0; kk < kc; kk++)
        for (int i = 0; i < mr; i++) pack[kk * KP_MR + i] = x[i * ldx + kk];
}

// x (rows, kc) row stride ldx -> pack: ceil(rows / KP_MR) micro-panels (kc, KP_MR), one after the
// other (the one of rows r ... r + 5 at r * kc).
static void pack_row_block(const float *x, long rows, long ldx, long kc, float *pack) {
    for (long r = 0; r < rows; r += KP_MR) {
        const float *src = x + r * ldx;
        float *dst = pack + r * kc;
        switch (min_long(KP_MR, rows - r)) {
        case 6: pack_microtile(6, src, ldx, kc, dst); break;
        case 5: pack_microtile(5, src, ldx, kc, dst); break;
        case 4: pack_microtile(4, src, ldx, kc, dst); break;
        case 3: pack_microtile(3, src, ldx, kc, dst); break;
        case 2: pack_microtile(2, src, ldx, kc, dst); break;
        default: pack_microtile(1, src, ldx, kc, dst); break;
        }
    }
}

// x (rows, k), panels [panel_lo, panel_hi) -> y (rows, those columns), microtile by microtile:
// row blocks of row_block(kb) rows, then k slices of kb steps (the last one shorter; the row
// block's slice of x packed into `pack` unless it is NULL), then panels, then KP_MR-row
// microtiles (the last one of a row block shorter). Every element's slices run in ascending k,
// each continuing the chain the previous one stored. Inlined into each variant with its tile
// function, so the call is direct.
static inline KP_ALWAYS_INLINE void for_each_tile(const float *x, long rows, long k, long ldx, const float *panels,
                                                  long n, long panel_lo, long panel_hi, const float *bias,
                                                  int accumulate, float alpha, float *y, long ldy, float *pack,
                                                  tile_fn tile) {
    const long kb = k_block(k);
    const long rb = row_block(kb);
    for (long r0 = 0; r0 < rows; r0 += rb) {
        const long r1 = min_long(rows, r0 + rb);
        long k0 = 0;
        do {
            const long kc = min_long(kb, k - k0);
            const chain_slice slice = {k0 == 0, k0 + kc >= k};
            if (pack) pack_row_block(x + r0 * ldx + k0, r1 - r0, ldx, kc, pack);
            for (long p = panel_lo; p < panel_hi; p++) {
                const long c0 = p * KP_P;
                const long nc = min_long(KP_P, n - c0);
                const float *panel = panels + p * KP_P * k + k0 * KP_P;
                const float *b = bias ? bias + c0 : NULL;
                for (long r = r0; r < r1; r += KP_MR) {
                    const int mr = (int)min_long(KP_MR, r1 - r);
                    if (pack) {
                        tile(mr, pack + (r - r0) * kc, 1, KP_MR, kc, panel, nc, b, accumulate, alpha,
                             y + r * ldy + c0, ldy, slice);
                    } else {
                        tile(mr, x + r * ldx + k0, ldx, 1, kc, panel, nc, b, accumulate, alpha, y + r * ldy + c0,
                             ldy, slice);
                    }
                }
            }
            k0 += kc;
        } while (k0 < k);
    }
}

// x (mr, k), one panel -> y (mr, nc), any mr in 1 ... KP_MR
static void tile_generic_rows(int mr, const float *x, long rs, long ks, long k, const float *panel, long nc,
                              const float *bias, int accumulate, float alpha, float *y, long ldy, chain_slice slice) {
    tile_generic(mr, x, rs, ks, k, panel, nc, bias, accumulate, alpha, y, ldy, slice);
}

// x (rows, k), panels [panel_lo, panel_hi) -> y (rows, those columns)
static void gemm_generic(const float *x, long rows, long k, long ldx, const float *panels, long n, long panel_lo,
                         long panel_hi, const float *bias, int accumulate, float alpha, float *y, long ldy,
                         float *pack) {
    for_each_tile(x, rows, k, ldx, panels, n, panel_lo, panel_hi, bias, accumulate, alpha, y, ldy, pack,
                  tile_generic_rows);
}

// MARK: - AVX2 + FMA

#if KP_X86

// The first `count` lanes (count may be <= 0 or >= 8).
KP_AVX2 static inline __m256i lanes_below(long count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(count < 0 ? 0 : count > 8 ? 8 : count)),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// x (mr, k) row stride rs, k stride ks, one panel slice (k, 16) -> y (mr, nc) stride ldy; bias: nc
// floats or NULL.
// mr is a constant at every call (the switch in gemm_avx2), so the accumulators stay in registers.
KP_AVX2 static inline KP_ALWAYS_INLINE void tile_avx2(const int mr, const float *x, long rs, long ks, long k,
                                                      const float *panel, long nc, const float *bias, int accumulate,
                                                      float alpha, float *y, long ldy, chain_slice slice) {
    const int full = nc == KP_P;
    const __m256i m0 = lanes_below(nc);
    const __m256i m1 = lanes_below(nc - 8);
    __m256 b0 = _mm256_setzero_ps();
    __m256 b1 = _mm256_setzero_ps();
    if (bias && slice.first) {
        b0 = full ? _mm256_loadu_ps(bias) : _mm256_maskload_ps(bias, m0);
        b1 = full ? _mm256_loadu_ps(bias + 8) : _mm256_maskload_ps(bias + 8, m1);
    }
    __m256 a0[KP_MR];
    __m256 a1[KP_MR];
    for (int r = 0; r < mr; r++) {
        if (accumulate || !slice.first) {
            const float *yr = y + r * ldy;
            const __m256 y0 = full ? _mm256_loadu_ps(yr) : _mm256_maskload_ps(yr, m0);
            const __m256 y1 = full ? _mm256_loadu_ps(yr + 8) : _mm256_maskload_ps(yr + 8, m1);
            a0[r] = bias && slice.first ? _mm256_add_ps(y0, b0) : y0;
            a1[r] = bias && slice.first ? _mm256_add_ps(y1, b1) : y1;
        } else {
            a0[r] = b0;
            a1[r] = b1;
        }
    }
#define KP_STEP(kk)                                                        \
    do {                                                                   \
        const __m256 w0 = _mm256_loadu_ps(panel + (kk) * KP_P);            \
        const __m256 w1 = _mm256_loadu_ps(panel + (kk) * KP_P + 8);        \
        for (int r = 0; r < mr; r++) {                                     \
            const __m256 xv = _mm256_broadcast_ss(x + r * rs + (kk) * ks); \
            a0[r] = _mm256_fmadd_ps(xv, w0, a0[r]);                        \
            a1[r] = _mm256_fmadd_ps(xv, w1, a1[r]);                        \
        }                                                                  \
    } while (0)
    // Four k steps per iteration (fewer loop instructions among the 12 fused multiply-adds of a
    // step: in an L1-resident loop on Zen 3, 76-84 -> 88-93 GFLOP/s per core), then the rest; each
    // accumulator still takes its steps in ascending k.
    long kk = 0;
    for (; kk + 4 <= k; kk += 4) {
        KP_STEP(kk);
        KP_STEP(kk + 1);
        KP_STEP(kk + 2);
        KP_STEP(kk + 3);
    }
    for (; kk < k; kk++) KP_STEP(kk);
#undef KP_STEP
    if (slice.last) {
        const __m256 s = _mm256_set1_ps(alpha);
        for (int r = 0; r < mr; r++) {
            a0[r] = _mm256_mul_ps(a0[r], s);
            a1[r] = _mm256_mul_ps(a1[r], s);
        }
    }
    for (int r = 0; r < mr; r++) {
        float *yr = y + r * ldy;
        if (full) {
            _mm256_storeu_ps(yr, a0[r]);
            _mm256_storeu_ps(yr + 8, a1[r]);
        } else {
            _mm256_maskstore_ps(yr, m0, a0[r]);
            _mm256_maskstore_ps(yr + 8, m1, a1[r]);
        }
    }
}

// x (mr, k) packed (rs 1, ks KP_MR) or in place (ks 1), one panel -> y (mr, nc): tile_avx2 with mr
// and the packed strides constants in each case.
#define KP_TILE_CASES(RS, KS)                                                                             \
    switch (mr) {                                                                                          \
    case 6: tile_avx2(6, x, RS, KS, k, panel, nc, bias, accumulate, alpha, y, ldy, slice); break;          \
    case 5: tile_avx2(5, x, RS, KS, k, panel, nc, bias, accumulate, alpha, y, ldy, slice); break;          \
    case 4: tile_avx2(4, x, RS, KS, k, panel, nc, bias, accumulate, alpha, y, ldy, slice); break;          \
    case 3: tile_avx2(3, x, RS, KS, k, panel, nc, bias, accumulate, alpha, y, ldy, slice); break;          \
    case 2: tile_avx2(2, x, RS, KS, k, panel, nc, bias, accumulate, alpha, y, ldy, slice); break;          \
    default: tile_avx2(1, x, RS, KS, k, panel, nc, bias, accumulate, alpha, y, ldy, slice); break;         \
    }
KP_AVX2 static void tile_avx2_rows(int mr, const float *x, long rs, long ks, long k, const float *panel, long nc,
                                   const float *bias, int accumulate, float alpha, float *y, long ldy,
                                   chain_slice slice) {
    if (ks == KP_MR && rs == 1) {
        KP_TILE_CASES(1, KP_MR)
    } else {
        KP_TILE_CASES(rs, 1)
    }
}
#undef KP_TILE_CASES

// x (rows, k), panels [panel_lo, panel_hi) -> y (rows, those columns)
KP_AVX2 static void gemm_avx2(const float *x, long rows, long k, long ldx, const float *panels, long n, long panel_lo,
                              long panel_hi, const float *bias, int accumulate, float alpha, float *y, long ldy,
                              float *pack) {
    for_each_tile(x, rows, k, ldx, panels, n, panel_lo, panel_hi, bias, accumulate, alpha, y, ldy, pack,
                  tile_avx2_rows);
}

#endif  // KP_X86

// MARK: - Dispatch

// AVX-512 CPUs (and a thread forced to avx512) run the AVX2 variant: there is no AVX-512 one.
static inline int runs_avx2(void) { return KP_X86 && kp_kernels_isa_id() >= KP_ISA_AVX2; }

const char *kp_fma_gemm_isa(void) { return runs_avx2() ? "avx2" : "generic"; }

// x (rows, k), panels of w (n, k) -> y (rows, columns of panels [panel_lo, panel_hi))
void kp_fma_gemm(const float *x, long rows, long k, long ldx, const float *panels, long n, long panel_lo,
                 long panel_hi, const float *bias, int accumulate, float alpha, float *y, long ldy, float *x_pack) {
    if (rows <= 0 || n <= 0 || k < 0 || panel_lo >= panel_hi) return;
#if KP_X86
    if (runs_avx2()) {
        gemm_avx2(x, rows, k, ldx, panels, n, panel_lo, panel_hi, bias, accumulate, alpha, y, ldy, x_pack);
        return;
    }
#endif
    gemm_generic(x, rows, k, ldx, panels, n, panel_lo, panel_hi, bias, accumulate, alpha, y, ldy, x_pack);
}
