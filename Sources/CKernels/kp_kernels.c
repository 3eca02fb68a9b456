// See include/kp_kernels.h for why these kernels are in C.
//
// Each kernel is written once, in kp_kernels_body.h, over a small vector vocabulary (V_LOAD,
// V_FMA, M_TAIL, ...), and compiled three times by including that file under three mappings of the
// vocabulary (as llama.cpp's GGML_F32_VEC mappings do): AVX-512F (16 lanes, masked tails), AVX2+FMA
// (8 lanes, masked tails through vmaskmov) and generic C (8 lanes as plain arrays the compiler may
// vectorise for the baseline ISA). The formulas: exp by Cody-Waite reduction and a degree-6
// polynomial (minimax coefficients), erf by the rational approximation of Eigen and XLA.
#include "kp_kernels.h"
#include "kp_kernels_private.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#define KP_X86 1
#include <immintrin.h>
#define KP_AVX512 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,fma")))
#define KP_AVX2 __attribute__((target("avx2,fma")))
#else
#define KP_X86 0
#endif

// MARK: - Constants

// exp: inputs are clamped so that 2^n stays a normal float (n in [-126, 127]).
#define KP_EXP_LO (-87.336544f)
#define KP_EXP_HI 88.37626f
#define KP_LOG2E 1.44269504f
// ln 2 split in a high part with trailing zero bits (n * hi is exact) and the remainder.
#define KP_LN2_HI 0.693145751953125f
#define KP_LN2_LO 1.428606765330187045e-06f
// 1.5 * 2^23: adding it rounds to an integer held in the low mantissa bits.
#define KP_MAGIC 12582912.0f
#define KP_MAGIC_BITS 0x4B400000u
// e^r ~ 1 + r + c2 r^2 + ... + c6 r^6 on [-ln2/2, ln2/2]: minimax for the relative error with
// c0 = c1 = 1 (a linear-programming fit on 8001 points), max relative error 4e-9 with these float
// coefficients against 1.7e-7 for the Taylor ones (1/2, 1/6, ..., 1/720) of the former Swift
// VectorExp, which made exp up to 3 ulp off; with these it is within 1.2 ulp.
#define KP_C6 1.3814320585e-03f
#define KP_C5 8.3688510658e-03f
#define KP_C4 4.1668401084e-02f
#define KP_C3 1.6666519524e-01f
#define KP_C2 4.9999993373e-01f

// erf(x) = x P(x^2) / Q(x^2) on [-4, 4] (erf is +-1 in float outside).
#define KP_ERF_CLAMP 4.0f
#define KP_ERF_A1 (-1.60960333262415e-02f)
#define KP_ERF_A3 (-2.95459980854025e-03f)
#define KP_ERF_A5 (-7.34990630326855e-04f)
#define KP_ERF_A7 (-5.69250639462346e-05f)
#define KP_ERF_A9 (-2.10102402082508e-06f)
#define KP_ERF_A11 2.77068142495902e-08f
#define KP_ERF_A13 (-2.72614225801306e-10f)
#define KP_ERF_B0 (-1.42647390514189e-02f)
#define KP_ERF_B2 (-7.37332916720468e-03f)
#define KP_ERF_B4 (-1.68282697438203e-03f)
#define KP_ERF_B6 (-2.13374055278905e-04f)
#define KP_ERF_B8 (-1.45660718464996e-05f)

#define KP_QUICK_GELU_SLOPE 1.702f
#define KP_SQRT1_2 0.70710678118654752f

// Row r's softmax length: all cols, or the first r + 1 when causal (row r sees columns 0...r).
static inline long softmax_length(long r, long cols, int causal) {
    return causal ? (cols < r + 1 ? cols : r + 1) : cols;
}

// MARK: - Generic C: 8 lanes as GCC/Clang vector types (split into SSE2 halves on baseline x86-64)

// These 32-byte vectors cross only static functions of this file, all compiled with the same
// flags, so the warning that their calling convention differs with and without AVX is moot.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wpsabi"

typedef float kp_lanes8 __attribute__((vector_size(32)));
typedef int32_t kp_mask8 __attribute__((vector_size(32)));
typedef uint32_t kp_bits8 __attribute__((vector_size(32)));

static inline kp_lanes8 g_set1(float x) { return (kp_lanes8){0} + x; }
static inline kp_lanes8 g_load(const float *p) {
    kp_lanes8 v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void g_store(float *p, kp_lanes8 v) { memcpy(p, &v, sizeof v); }
static inline kp_lanes8 g_load_tail_or(long k, const float *p, float fill) {
    kp_lanes8 v = g_set1(fill);
    memcpy(&v, p, (size_t)k * sizeof(float));
    return v;
}
static inline kp_lanes8 g_load_tail(long k, const float *p) { return g_load_tail_or(k, p, 0); }
static inline void g_store_tail(float *p, long k, kp_lanes8 v) { memcpy(p, &v, (size_t)k * sizeof(float)); }
// Lanes i < k of v, the others 0.
static inline kp_lanes8 g_keep(long k, kp_lanes8 v) {
    const kp_mask8 lane = {0, 1, 2, 3, 4, 5, 6, 7};
    return (kp_lanes8)((kp_mask8)v & (lane < (int32_t)k));
}
static inline kp_lanes8 g_select(kp_mask8 m, kp_lanes8 a, kp_lanes8 b) {
    return (kp_lanes8)(((kp_mask8)a & m) | ((kp_mask8)b & ~m));
}
static inline kp_lanes8 g_add(kp_lanes8 a, kp_lanes8 b) { return a + b; }
static inline kp_lanes8 g_sub(kp_lanes8 a, kp_lanes8 b) { return a - b; }
static inline kp_lanes8 g_mul(kp_lanes8 a, kp_lanes8 b) { return a * b; }
static inline kp_lanes8 g_div(kp_lanes8 a, kp_lanes8 b) { return a / b; }
// As x86's minps / maxps: b when either is NaN.
static inline kp_lanes8 g_min(kp_lanes8 a, kp_lanes8 b) { return g_select(a < b, a, b); }
static inline kp_lanes8 g_max(kp_lanes8 a, kp_lanes8 b) { return g_select(a > b, a, b); }
static inline kp_lanes8 g_fma(kp_lanes8 a, kp_lanes8 b, kp_lanes8 c) { return a * b + c; }
static inline kp_lanes8 g_fnma(kp_lanes8 a, kp_lanes8 b, kp_lanes8 c) { return c - a * b; }
static inline kp_lanes8 g_pow2_magic(kp_lanes8 t) {
    return (kp_lanes8)(((kp_bits8)t - (KP_MAGIC_BITS - 127u)) << 23);
}

static inline float g_sum(kp_lanes8 v) {
    return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

static inline float g_max_lane(kp_lanes8 v) {
    float m = v[0];
    for (int i = 1; i < 8; i++) m = v[i] > m ? v[i] : m;
    return m;
}

// Round to nearest even at 8 significant bits; the upper half of the float's bits (finite x).
static inline uint16_t bf16_round(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    return (uint16_t)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

static inline void g_store_bf16_tail(uint16_t *p, long k, kp_lanes8 v) {
    for (long i = 0; i < k; i++) p[i] = bf16_round(v[i]);
}

#define KP_ISA(name) name##_generic
#define KP_TARGET
#define KP_LANES 8
#define V kp_lanes8
#define M long
#define V_SET1 g_set1
#define V_ZERO() g_set1(0)
#define V_LOAD g_load
#define V_STORE g_store
#define M_TAIL(k) (k)
#define V_LOAD_TAIL g_load_tail
#define V_STORE_TAIL g_store_tail
#define V_LOAD_TAIL_OR g_load_tail_or
#define V_KEEP g_keep
#define V_ADD g_add
#define V_SUB g_sub
#define V_MUL g_mul
#define V_DIV g_div
#define V_MIN g_min
#define V_MAX g_max
#define V_FMA g_fma
#define V_FNMA g_fnma
#define V_POW2_MAGIC g_pow2_magic
#define V_SUM g_sum
#define V_MAX_LANE g_max_lane
#define S_SQRT sqrtf
#define V_STORE_BF16(p, v) g_store_bf16_tail(p, 8, v)
#define V_STORE_BF16_TAIL g_store_bf16_tail
#include "kp_kernels_body.h"
#include "kp_kernels_unmap.h"

#pragma clang diagnostic pop

#if KP_X86

// MARK: - AVX-512F: 16 lanes, masked tails

// sqrt of one float without libm's errno path (also used by the AVX2 variant).
KP_AVX2 static inline float sqrt1(float x) { return _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(x))); }

KP_AVX512 static inline __mmask16 tail_mask16(long k) { return (__mmask16)((1u << k) - 1); }

KP_AVX512 static inline __m512 pow2_magic16(__m512 t) {
    __m512i e = _mm512_sub_epi32(_mm512_castps_si512(t), _mm512_set1_epi32((int)(KP_MAGIC_BITS - 127u)));
    return _mm512_castsi512_ps(_mm512_slli_epi32(e, 23));
}

// 16 finite floats -> bf16, round to nearest even (as bf16_round).
KP_AVX512 static inline __m256i bf16x16(__m512 v) {
    __m512i bits = _mm512_castps_si512(v);
    __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
    __m512i rounded = _mm512_add_epi32(bits, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7FFF)));
    return _mm512_cvtepi32_epi16(_mm512_srli_epi32(rounded, 16));
}

#define KP_ISA(name) name##_avx512
#define KP_TARGET KP_AVX512
#define KP_LANES 16
#define V __m512
#define M __mmask16
#define V_SET1 _mm512_set1_ps
#define V_ZERO _mm512_setzero_ps
#define V_LOAD _mm512_loadu_ps
#define V_STORE _mm512_storeu_ps
#define M_TAIL tail_mask16
#define V_LOAD_TAIL _mm512_maskz_loadu_ps
#define V_STORE_TAIL _mm512_mask_storeu_ps
#define V_LOAD_TAIL_OR(m, p, fill) _mm512_mask_loadu_ps(_mm512_set1_ps(fill), m, p)
#define V_KEEP _mm512_maskz_mov_ps
#define V_ADD _mm512_add_ps
#define V_SUB _mm512_sub_ps
#define V_MUL _mm512_mul_ps
#define V_DIV _mm512_div_ps
#define V_MIN _mm512_min_ps
#define V_MAX _mm512_max_ps
#define V_FMA _mm512_fmadd_ps
#define V_FNMA _mm512_fnmadd_ps
#define V_POW2_MAGIC pow2_magic16
#define V_SUM _mm512_reduce_add_ps
#define V_MAX_LANE _mm512_reduce_max_ps
#define S_SQRT sqrt1
#define V_STORE_BF16(p, v) _mm256_storeu_si256((__m256i *)(p), bf16x16(v))
#define V_STORE_BF16_TAIL(p, m, v) _mm256_mask_storeu_epi16(p, m, bf16x16(v))
#include "kp_kernels_body.h"
#include "kp_kernels_unmap.h"

// MARK: - AVX2 + FMA: 8 lanes, masked tails through vmaskmov

// Lanes [8 - k, 16 - k) of this table: the first k lanes set (vmaskmov uses the sign bits).
static const int32_t tail_mask8_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

KP_AVX2 static inline __m256i tail_mask8(long k) {
    return _mm256_loadu_si256((const __m256i *)(tail_mask8_table + 8 - k));
}

KP_AVX2 static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

KP_AVX2 static inline float hmax8(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

KP_AVX2 static inline __m256 pow2_magic8(__m256 t) {
    __m256i e = _mm256_sub_epi32(_mm256_castps_si256(t), _mm256_set1_epi32((int)(KP_MAGIC_BITS - 127u)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
}

// 8 finite floats -> bf16, round to nearest even (as bf16_round); the rounded values fit 16 bits,
// so the saturating pack is exact.
KP_AVX2 static inline __m128i bf16x8(__m256 v) {
    __m256i bits = _mm256_castps_si256(v);
    __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(1));
    __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(bits, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7FFF))), 16);
    return _mm_packus_epi32(_mm256_castsi256_si128(rounded), _mm256_extracti128_si256(rounded, 1));
}

// The first k lanes of v (k = the set lanes of the tail mask m) as bf16.
KP_AVX2 static inline void store_bf16x8_tail(uint16_t *p, __m256i m, __m256 v) {
    uint16_t lanes[8];
    _mm_storeu_si128((__m128i *)lanes, bf16x8(v));
    memcpy(p, lanes, (size_t)__builtin_popcount((unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(m))) * sizeof(uint16_t));
}

#define KP_ISA(name) name##_avx2
#define KP_TARGET KP_AVX2
#define KP_LANES 8
#define V __m256
#define M __m256i
#define V_SET1 _mm256_set1_ps
#define V_ZERO _mm256_setzero_ps
#define V_LOAD _mm256_loadu_ps
#define V_STORE _mm256_storeu_ps
#define M_TAIL tail_mask8
#define V_LOAD_TAIL(m, p) _mm256_maskload_ps(p, m)
#define V_STORE_TAIL _mm256_maskstore_ps
#define V_LOAD_TAIL_OR(m, p, fill) \
    _mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m))
#define V_KEEP(m, v) _mm256_and_ps(v, _mm256_castsi256_ps(m))
#define V_ADD _mm256_add_ps
#define V_SUB _mm256_sub_ps
#define V_MUL _mm256_mul_ps
#define V_DIV _mm256_div_ps
#define V_MIN _mm256_min_ps
#define V_MAX _mm256_max_ps
#define V_FMA _mm256_fmadd_ps
#define V_FNMA _mm256_fnmadd_ps
#define V_POW2_MAGIC pow2_magic8
#define V_SUM hsum8
#define V_MAX_LANE hmax8
#define S_SQRT sqrt1
#define V_STORE_BF16(p, v) _mm_storeu_si128((__m128i *)(p), bf16x8(v))
#define V_STORE_BF16_TAIL store_bf16x8_tail
#include "kp_kernels_body.h"
#include "kp_kernels_unmap.h"

#endif  // KP_X86

// MARK: - Dispatch

typedef struct {
    const char *name;
    float (*exp_shifted_sum)(float *, long, float);
    void (*softmax_rows)(float *, long, long, long, int);
    void (*softmax_rows_bf16)(float *, long, long, long, int, uint16_t *, long);
    void (*quick_gelu)(float *, long);
    void (*gelu)(float *, long);
    void (*layer_norm)(const float *, long, long, const float *, const float *, float, float *);
} kp_variant;

static const kp_variant variants[4] = {
    [KP_ISA_GENERIC] = {"generic", exp_shifted_sum_generic, softmax_rows_generic, softmax_rows_bf16_generic,
                        quick_gelu_generic,
                        gelu_generic, layer_norm_generic},
#if KP_X86
    [KP_ISA_AVX2] = {"avx2", exp_shifted_sum_avx2, softmax_rows_avx2, softmax_rows_bf16_avx2, quick_gelu_avx2, gelu_avx2,
                     layer_norm_avx2},
    [KP_ISA_AVX512] = {"avx512", exp_shifted_sum_avx512, softmax_rows_avx512, softmax_rows_bf16_avx512,
                       quick_gelu_avx512,
                       gelu_avx512, layer_norm_avx512},
#endif
};

/// Whether this CPU (and OS: __builtin_cpu_supports checks XCR0) runs a variant.
static int cpu_runs(int isa) {
    switch (isa) {
    case KP_ISA_GENERIC:
        return 1;
#if KP_X86
    case KP_ISA_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case KP_ISA_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("fma");
#endif
    default:
        return 0;
    }
}

static pthread_once_t resolve_once = PTHREAD_ONCE_INIT;
static _Atomic(const kp_variant *) resolved;  // the CPU's best, set once by do_resolve
static _Thread_local int forced_isa;          // KP_ISA_AUTO unless this thread forced a variant

static void do_resolve(void) {
    int isa = cpu_runs(KP_ISA_AVX512) ? KP_ISA_AVX512 : cpu_runs(KP_ISA_AVX2) ? KP_ISA_AVX2 : KP_ISA_GENERIC;
    atomic_store_explicit(&resolved, &variants[isa], memory_order_release);
}

static inline const kp_variant *current(void) {
    if (forced_isa != KP_ISA_AUTO) return &variants[forced_isa];
    const kp_variant *v = atomic_load_explicit(&resolved, memory_order_acquire);
    if (v) return v;
    pthread_once(&resolve_once, do_resolve);
    return atomic_load_explicit(&resolved, memory_order_acquire);
}

const char *kp_kernels_isa(void) { return current()->name; }

int kp_kernels_isa_id(void) { return (int)(current() - variants); }

void kp_kernels_force_isa(int isa) {
    if (isa == KP_ISA_AUTO || (isa >= KP_ISA_GENERIC && isa <= KP_ISA_AVX512 && cpu_runs(isa)))
        forced_isa = isa;
}

// MARK: - Entry points

float kp_exp_shifted_sum(float *x, long n, float shift) {
    if (n <= 0) return 0;
    return current()->exp_shifted_sum(x, n, shift);
}

void kp_softmax_rows(float *s, long rows, long cols, long ld, int causal) {
    if (rows <= 0 || cols <= 0) return;
    current()->softmax_rows(s, rows, cols, ld, causal);
}

void kp_softmax_rows_bf16(float *s, long rows, long cols, long ld, int causal, uint16_t *p, long ldp) {
    if (rows <= 0 || cols <= 0) return;
    current()->softmax_rows_bf16(s, rows, cols, ld, causal, p, ldp);
}

void kp_quick_gelu(float *x, long n) {
    if (n > 0) current()->quick_gelu(x, n);
}

void kp_gelu(float *x, long n) {
    if (n > 0) current()->gelu(x, n);
}

void kp_layer_norm(const float *x, long rows, long c, const float *gamma, const float *beta,
                   float eps, float *y) {
    if (rows > 0 && c > 0) current()->layer_norm(x, rows, c, gamma, beta, eps, y);
}
