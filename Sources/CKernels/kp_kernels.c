// See include/kp_kernels.h for why these kernels are in C.
//
// Each kernel exists three times: AVX-512F (16 lanes, masked tails), AVX2+FMA (8 lanes, masked
// tails through vmaskmov) and generic C (plain loops the compiler may vectorise for the baseline
// ISA). All three compute the same formulas: exp by Cody-Waite reduction and a degree-6 polynomial
// (as the former Swift VectorExp, with minimax coefficients), erf by the rational approximation of
// Eigen and XLA.
#include "kp_kernels.h"

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

static inline long min_long(long a, long b) { return a < b ? a : b; }

// MARK: - Generic C

// Comparisons written so that NaN passes through the clamps.
static inline float exp_generic(float x) {
    x = x < KP_EXP_LO ? KP_EXP_LO : x;
    x = x > KP_EXP_HI ? KP_EXP_HI : x;
    float t = x * KP_LOG2E + KP_MAGIC;
    float n = t - KP_MAGIC;
    float r = x - n * KP_LN2_HI - n * KP_LN2_LO;
    float p = KP_C6;
    p = p * r + KP_C5;
    p = p * r + KP_C4;
    p = p * r + KP_C3;
    p = p * r + KP_C2;
    p = p * r + 1;
    p = p * r + 1;
    uint32_t bits;
    memcpy(&bits, &t, sizeof bits);
    bits = (bits - KP_MAGIC_BITS + 127u) << 23;  // 2^n as a float
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

static inline float erf_generic(float x) {
    x = x < -KP_ERF_CLAMP ? -KP_ERF_CLAMP : x;
    x = x > KP_ERF_CLAMP ? KP_ERF_CLAMP : x;
    float x2 = x * x;
    float p = KP_ERF_A13;
    p = p * x2 + KP_ERF_A11;
    p = p * x2 + KP_ERF_A9;
    p = p * x2 + KP_ERF_A7;
    p = p * x2 + KP_ERF_A5;
    p = p * x2 + KP_ERF_A3;
    p = p * x2 + KP_ERF_A1;
    float q = KP_ERF_B8;
    q = q * x2 + KP_ERF_B6;
    q = q * x2 + KP_ERF_B4;
    q = q * x2 + KP_ERF_B2;
    q = q * x2 + KP_ERF_B0;
    return x * p / q;
}

// x (N) <- exp(x - shift), returns the sum; 8 partial sums (as the vector variants keep lanes).
static float exp_shifted_sum_generic(float *x, long n, float shift) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        for (int k = 0; k < 8; k++) {
            float e = exp_generic(x[i + k] - shift);
            x[i + k] = e;
            acc[k] += e;
        }
    }
    for (; i < n; i++) {
        float e = exp_generic(x[i] - shift);
        x[i] = e;
        acc[0] += e;
    }
    return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

// s (rows, cols), stride ld -> same
static void softmax_rows_generic(float *s, long rows, long cols, long ld, int causal) {
    for (long r = 0; r < rows; r++) {
        float *row = s + r * ld;
        long n = causal ? min_long(cols, r + 1) : cols;
        float m = -INFINITY;
        for (long j = 0; j < n; j++) m = row[j] > m ? row[j] : m;
        float inv = 1 / exp_shifted_sum_generic(row, n, m);
        for (long j = 0; j < n; j++) row[j] *= inv;
        if (n < cols) memset(row + n, 0, (size_t)(cols - n) * sizeof(float));
    }
}

// Round to nearest even at 8 significant bits; the upper half of the float's bits (finite x).
static inline uint16_t bf16_generic(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    return (uint16_t)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

// s (rows, cols), stride ld -> p (rows, cols) bf16, stride ldp
static void rows_to_bf16_generic(const float *s, long rows, long cols, long ld, uint16_t *p, long ldp) {
    for (long r = 0; r < rows; r++)
        for (long j = 0; j < cols; j++) p[r * ldp + j] = bf16_generic(s[r * ld + j]);
}

// s (rows, cols), stride ld -> p (rows, cols) bf16, stride ldp
static void softmax_rows_bf16_generic(float *s, long rows, long cols, long ld, int causal, uint16_t *p,
                                      long ldp) {
    softmax_rows_generic(s, rows, cols, ld, causal);
    rows_to_bf16_generic(s, rows, cols, ld, p, ldp);
}

// x (N) -> x (N)
static void quick_gelu_generic(float *x, long n) {
    for (long i = 0; i < n; i++) x[i] = x[i] / (1 + exp_generic(-KP_QUICK_GELU_SLOPE * x[i]));
}

// x (N) -> x (N)
static void gelu_generic(float *x, long n) {
    for (long i = 0; i < n; i++) {
        float h = 0.5f * x[i];
        x[i] = h + h * erf_generic(x[i] * KP_SQRT1_2);
    }
}

// x (rows, c) -> y (rows, c); y may alias x (each y[j] is written after its x[j] is read).
static void layer_norm_generic(const float *x, long rows, long c, const float *gamma,
                               const float *beta, float eps, float *y) {
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * c;
        float *yr = y + r * c;
        float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        long j = 0;
        for (; j + 8 <= c; j += 8)
            for (int k = 0; k < 8; k++) acc[k] += xr[j + k];
        for (; j < c; j++) acc[0] += xr[j];
        float mean = (((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))) / (float)c;
        float sq[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (j = 0; j + 8 <= c; j += 8)
            for (int k = 0; k < 8; k++) { float d = xr[j + k] - mean; sq[k] += d * d; }
        for (; j < c; j++) { float d = xr[j] - mean; sq[0] += d * d; }
        float var = (((sq[0] + sq[4]) + (sq[1] + sq[5])) + ((sq[2] + sq[6]) + (sq[3] + sq[7]))) / (float)c;
        float inv = 1 / sqrtf(var + eps);
        for (j = 0; j < c; j++) yr[j] = (xr[j] - mean) * inv * gamma[j] + beta[j];
    }
}

#if KP_X86

// MARK: - AVX-512F

KP_AVX512 static inline __mmask16 tail_mask16(long k) { return (__mmask16)((1u << k) - 1); }

KP_AVX512 static inline __m512 exp16(__m512 x) {
    // max/min return their second operand when either is NaN: NaN passes through.
    x = _mm512_min_ps(_mm512_set1_ps(KP_EXP_HI), _mm512_max_ps(_mm512_set1_ps(KP_EXP_LO), x));
    const __m512 magic = _mm512_set1_ps(KP_MAGIC);
    __m512 t = _mm512_fmadd_ps(x, _mm512_set1_ps(KP_LOG2E), magic);
    __m512 n = _mm512_sub_ps(t, magic);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(KP_LN2_HI), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(KP_LN2_LO), r);
    __m512 p = _mm512_set1_ps(KP_C6);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(KP_C5));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(KP_C4));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(KP_C3));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(KP_C2));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1));
    __m512i e = _mm512_sub_epi32(_mm512_castps_si512(t), _mm512_set1_epi32((int)(KP_MAGIC_BITS - 127u)));
    return _mm512_mul_ps(p, _mm512_castsi512_ps(_mm512_slli_epi32(e, 23)));
}

KP_AVX512 static inline __m512 erf16(__m512 x) {
    x = _mm512_min_ps(_mm512_set1_ps(KP_ERF_CLAMP), _mm512_max_ps(_mm512_set1_ps(-KP_ERF_CLAMP), x));
    __m512 x2 = _mm512_mul_ps(x, x);
    __m512 p = _mm512_set1_ps(KP_ERF_A13);
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(KP_ERF_A11));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(KP_ERF_A9));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(KP_ERF_A7));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(KP_ERF_A5));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(KP_ERF_A3));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(KP_ERF_A1));
    __m512 q = _mm512_set1_ps(KP_ERF_B8);
    q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(KP_ERF_B6));
    q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(KP_ERF_B4));
    q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(KP_ERF_B2));
    q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(KP_ERF_B0));
    return _mm512_div_ps(_mm512_mul_ps(x, p), q);
}

KP_AVX512 static float exp_shifted_sum_avx512(float *x, long n, float shift) {
    const __m512 s = _mm512_set1_ps(shift);
    __m512 acc = _mm512_setzero_ps();
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(x + i), s));
        _mm512_storeu_ps(x + i, e);
        acc = _mm512_add_ps(acc, e);
    }
    if (i < n) {
        __mmask16 m = tail_mask16(n - i);
        __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), s));
        _mm512_mask_storeu_ps(x + i, m, e);
        acc = _mm512_mask_add_ps(acc, m, acc, e);
    }
    return _mm512_reduce_add_ps(acc);
}

// row (n) -> max over its n > 0 entries
KP_AVX512 static inline float row_max_avx512(const float *row, long n) {
    __m512 vmax = _mm512_set1_ps(-INFINITY);
    long j = 0;
    for (; j + 16 <= n; j += 16) vmax = _mm512_max_ps(vmax, _mm512_loadu_ps(row + j));
    if (j < n) {
        __mmask16 m = tail_mask16(n - j);
        vmax = _mm512_mask_max_ps(vmax, m, vmax, _mm512_maskz_loadu_ps(m, row + j));
    }
    return _mm512_reduce_max_ps(vmax);
}

// s (rows, cols), stride ld -> same
KP_AVX512 static void softmax_rows_avx512(float *s, long rows, long cols, long ld, int causal) {
    for (long r = 0; r < rows; r++) {
        float *row = s + r * ld;
        long n = causal ? min_long(cols, r + 1) : cols;
        if (n <= 0) continue;
        const __m512 inv = _mm512_set1_ps(1 / exp_shifted_sum_avx512(row, n, row_max_avx512(row, n)));
        long j;
        for (j = 0; j + 16 <= n; j += 16) _mm512_storeu_ps(row + j, _mm512_mul_ps(_mm512_loadu_ps(row + j), inv));
        if (j < n) {
            __mmask16 m = tail_mask16(n - j);
            _mm512_mask_storeu_ps(row + j, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, row + j), inv));
        }
        if (n < cols) memset(row + n, 0, (size_t)(cols - n) * sizeof(float));
    }
}

// 16 finite floats -> bf16, round to nearest even (as bf16_generic).
KP_AVX512 static inline __m256i bf16x16(__m512 v) {
    __m512i bits = _mm512_castps_si512(v);
    __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
    __m512i rounded = _mm512_add_epi32(bits, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7FFF)));
    return _mm512_cvtepi32_epi16(_mm512_srli_epi32(rounded, 16));
}

// s (rows, cols), stride ld -> p (rows, cols) bf16, stride ldp; the scaling pass writes p directly.
KP_AVX512 static void softmax_rows_bf16_avx512(float *s, long rows, long cols, long ld, int causal,
                                               uint16_t *p, long ldp) {
    for (long r = 0; r < rows; r++) {
        float *row = s + r * ld;
        uint16_t *out = p + r * ldp;
        long n = causal ? min_long(cols, r + 1) : cols;
        const __m512 inv = _mm512_set1_ps(1 / exp_shifted_sum_avx512(row, n, row_max_avx512(row, n)));
        long j;
        for (j = 0; j + 16 <= n; j += 16)
            _mm256_storeu_si256((__m256i *)(out + j), bf16x16(_mm512_mul_ps(_mm512_loadu_ps(row + j), inv)));
        if (j < n) {
            __mmask16 m = tail_mask16(n - j);
            _mm256_mask_storeu_epi16(out + j, m, bf16x16(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, row + j), inv)));
        }
        if (n < cols) memset(out + n, 0, (size_t)(cols - n) * sizeof(uint16_t));
    }
}

// x (N) -> x (N)
KP_AVX512 static void quick_gelu_avx512(float *x, long n) {
    const __m512 one = _mm512_set1_ps(1), slope = _mm512_set1_ps(-KP_QUICK_GELU_SLOPE);
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        _mm512_storeu_ps(x + i, _mm512_div_ps(v, _mm512_add_ps(one, exp16(_mm512_mul_ps(slope, v)))));
    }
    if (i < n) {
        __mmask16 m = tail_mask16(n - i);
        __m512 v = _mm512_maskz_loadu_ps(m, x + i);
        _mm512_mask_storeu_ps(x + i, m, _mm512_div_ps(v, _mm512_add_ps(one, exp16(_mm512_mul_ps(slope, v)))));
    }
}

// x (N) -> x (N)
KP_AVX512 static void gelu_avx512(float *x, long n) {
    const __m512 half = _mm512_set1_ps(0.5f), k = _mm512_set1_ps(KP_SQRT1_2);
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i), h = _mm512_mul_ps(half, v);
        _mm512_storeu_ps(x + i, _mm512_fmadd_ps(h, erf16(_mm512_mul_ps(v, k)), h));
    }
    if (i < n) {
        __mmask16 m = tail_mask16(n - i);
        __m512 v = _mm512_maskz_loadu_ps(m, x + i), h = _mm512_mul_ps(half, v);
        _mm512_mask_storeu_ps(x + i, m, _mm512_fmadd_ps(h, erf16(_mm512_mul_ps(v, k)), h));
    }
}

// x (rows, c) -> y (rows, c); y may alias x.
KP_AVX512 static void layer_norm_avx512(const float *x, long rows, long c, const float *gamma,
                                        const float *beta, float eps, float *y) {
    const long body = c & ~15L;
    const __mmask16 tail = tail_mask16(c - body);
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * c;
        float *yr = y + r * c;
        __m512 acc = _mm512_setzero_ps();
        for (long j = 0; j < body; j += 16) acc = _mm512_add_ps(acc, _mm512_loadu_ps(xr + j));
        if (tail) acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(tail, xr + body));
        const __m512 mean = _mm512_set1_ps(_mm512_reduce_add_ps(acc) / (float)c);
        acc = _mm512_setzero_ps();
        for (long j = 0; j < body; j += 16) {
            __m512 d = _mm512_sub_ps(_mm512_loadu_ps(xr + j), mean);
            acc = _mm512_fmadd_ps(d, d, acc);
        }
        if (tail) {
            __m512 d = _mm512_maskz_sub_ps(tail, _mm512_maskz_loadu_ps(tail, xr + body), mean);
            acc = _mm512_fmadd_ps(d, d, acc);
        }
        float var = _mm512_reduce_add_ps(acc) / (float)c;
        const __m512 inv = _mm512_set1_ps(1 / _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(var + eps))));
        for (long j = 0; j < body; j += 16) {
            __m512 d = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(xr + j), mean), inv);
            _mm512_storeu_ps(yr + j, _mm512_fmadd_ps(d, _mm512_loadu_ps(gamma + j), _mm512_loadu_ps(beta + j)));
        }
        if (tail) {
            __m512 d = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, xr + body), mean), inv);
            __m512 g = _mm512_maskz_loadu_ps(tail, gamma + body), b = _mm512_maskz_loadu_ps(tail, beta + body);
            _mm512_mask_storeu_ps(yr + body, tail, _mm512_fmadd_ps(d, g, b));
        }
    }
}

// MARK: - AVX2 + FMA

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

KP_AVX2 static inline __m256 exp8(__m256 x) {
    x = _mm256_min_ps(_mm256_set1_ps(KP_EXP_HI), _mm256_max_ps(_mm256_set1_ps(KP_EXP_LO), x));
    const __m256 magic = _mm256_set1_ps(KP_MAGIC);
    __m256 t = _mm256_fmadd_ps(x, _mm256_set1_ps(KP_LOG2E), magic);
    __m256 n = _mm256_sub_ps(t, magic);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(KP_LN2_HI), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(KP_LN2_LO), r);
    __m256 p = _mm256_set1_ps(KP_C6);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(KP_C5));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(KP_C4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(KP_C3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(KP_C2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1));
    __m256i e = _mm256_sub_epi32(_mm256_castps_si256(t), _mm256_set1_epi32((int)(KP_MAGIC_BITS - 127u)));
    return _mm256_mul_ps(p, _mm256_castsi256_ps(_mm256_slli_epi32(e, 23)));
}

KP_AVX2 static inline __m256 erf8(__m256 x) {
    x = _mm256_min_ps(_mm256_set1_ps(KP_ERF_CLAMP), _mm256_max_ps(_mm256_set1_ps(-KP_ERF_CLAMP), x));
    __m256 x2 = _mm256_mul_ps(x, x);
    __m256 p = _mm256_set1_ps(KP_ERF_A13);
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(KP_ERF_A11));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(KP_ERF_A9));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(KP_ERF_A7));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(KP_ERF_A5));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(KP_ERF_A3));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(KP_ERF_A1));
    __m256 q = _mm256_set1_ps(KP_ERF_B8);
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(KP_ERF_B6));
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(KP_ERF_B4));
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(KP_ERF_B2));
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(KP_ERF_B0));
    return _mm256_div_ps(_mm256_mul_ps(x, p), q);
}

KP_AVX2 static float exp_shifted_sum_avx2(float *x, long n, float shift) {
    const __m256 s = _mm256_set1_ps(shift);
    __m256 acc = _mm256_setzero_ps();
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), s));
        _mm256_storeu_ps(x + i, e);
        acc = _mm256_add_ps(acc, e);
    }
    if (i < n) {
        __m256i m = tail_mask8(n - i);
        __m256 e = exp8(_mm256_sub_ps(_mm256_maskload_ps(x + i, m), s));
        _mm256_maskstore_ps(x + i, m, e);
        acc = _mm256_add_ps(acc, _mm256_and_ps(e, _mm256_castsi256_ps(m)));
    }
    return hsum8(acc);
}

// s (rows, cols), stride ld -> same
KP_AVX2 static void softmax_rows_avx2(float *s, long rows, long cols, long ld, int causal) {
    const __m256 minus_inf = _mm256_set1_ps(-INFINITY);
    for (long r = 0; r < rows; r++) {
        float *row = s + r * ld;
        long n = causal ? min_long(cols, r + 1) : cols;
        if (n <= 0) continue;
        __m256 vmax = minus_inf;
        long j = 0;
        for (; j + 8 <= n; j += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(row + j));
        if (j < n) {
            __m256i m = tail_mask8(n - j);
            __m256 v = _mm256_blendv_ps(minus_inf, _mm256_maskload_ps(row + j, m), _mm256_castsi256_ps(m));
            vmax = _mm256_max_ps(vmax, v);
        }
        float mx = hmax8(vmax);
        const __m256 inv = _mm256_set1_ps(1 / exp_shifted_sum_avx2(row, n, mx));
        for (j = 0; j + 8 <= n; j += 8) _mm256_storeu_ps(row + j, _mm256_mul_ps(_mm256_loadu_ps(row + j), inv));
        if (j < n) {
            __m256i m = tail_mask8(n - j);
            _mm256_maskstore_ps(row + j, m, _mm256_mul_ps(_mm256_maskload_ps(row + j, m), inv));
        }
        if (n < cols) memset(row + n, 0, (size_t)(cols - n) * sizeof(float));
    }
}

// x (N) -> x (N)
KP_AVX2 static void quick_gelu_avx2(float *x, long n) {
    const __m256 one = _mm256_set1_ps(1), slope = _mm256_set1_ps(-KP_QUICK_GELU_SLOPE);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        _mm256_storeu_ps(x + i, _mm256_div_ps(v, _mm256_add_ps(one, exp8(_mm256_mul_ps(slope, v)))));
    }
    if (i < n) {
        __m256i m = tail_mask8(n - i);
        __m256 v = _mm256_maskload_ps(x + i, m);
        _mm256_maskstore_ps(x + i, m, _mm256_div_ps(v, _mm256_add_ps(one, exp8(_mm256_mul_ps(slope, v)))));
    }
}

// x (N) -> x (N)
KP_AVX2 static void gelu_avx2(float *x, long n) {
    const __m256 half = _mm256_set1_ps(0.5f), k = _mm256_set1_ps(KP_SQRT1_2);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i), h = _mm256_mul_ps(half, v);
        _mm256_storeu_ps(x + i, _mm256_fmadd_ps(h, erf8(_mm256_mul_ps(v, k)), h));
    }
    if (i < n) {
        __m256i m = tail_mask8(n - i);
        __m256 v = _mm256_maskload_ps(x + i, m), h = _mm256_mul_ps(half, v);
        _mm256_maskstore_ps(x + i, m, _mm256_fmadd_ps(h, erf8(_mm256_mul_ps(v, k)), h));
    }
}

// x (rows, c) -> y (rows, c); y may alias x.
KP_AVX2 static void layer_norm_avx2(const float *x, long rows, long c, const float *gamma,
                                    const float *beta, float eps, float *y) {
    const long body = c & ~7L;
    const __m256i tail = tail_mask8(c - body);
    const int has_tail = body < c;
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * c;
        float *yr = y + r * c;
        __m256 acc = _mm256_setzero_ps();
        for (long j = 0; j < body; j += 8) acc = _mm256_add_ps(acc, _mm256_loadu_ps(xr + j));
        if (has_tail) acc = _mm256_add_ps(acc, _mm256_maskload_ps(xr + body, tail));
        const __m256 mean = _mm256_set1_ps(hsum8(acc) / (float)c);
        acc = _mm256_setzero_ps();
        for (long j = 0; j < body; j += 8) {
            __m256 d = _mm256_sub_ps(_mm256_loadu_ps(xr + j), mean);
            acc = _mm256_fmadd_ps(d, d, acc);
        }
        if (has_tail) {
            __m256 d = _mm256_and_ps(_mm256_sub_ps(_mm256_maskload_ps(xr + body, tail), mean),
                                     _mm256_castsi256_ps(tail));
            acc = _mm256_fmadd_ps(d, d, acc);
        }
        float var = hsum8(acc) / (float)c;
        const __m256 inv = _mm256_set1_ps(1 / _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(var + eps))));
        for (long j = 0; j < body; j += 8) {
            __m256 d = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xr + j), mean), inv);
            _mm256_storeu_ps(yr + j, _mm256_fmadd_ps(d, _mm256_loadu_ps(gamma + j), _mm256_loadu_ps(beta + j)));
        }
        if (has_tail) {
            __m256 d = _mm256_mul_ps(_mm256_sub_ps(_mm256_maskload_ps(xr + body, tail), mean), inv);
            __m256 g = _mm256_maskload_ps(gamma + body, tail), b = _mm256_maskload_ps(beta + body, tail);
            _mm256_maskstore_ps(yr + body, tail, _mm256_fmadd_ps(d, g, b));
        }
    }
}

// s (rows, cols), stride ld -> p (rows, cols) bf16, stride ldp (the bf16 backend needs AVX-512,
// so this variant only has to be right: the AVX2 softmax, then a scalar conversion).
KP_AVX2 static void softmax_rows_bf16_avx2(float *s, long rows, long cols, long ld, int causal, uint16_t *p,
                                           long ldp) {
    softmax_rows_avx2(s, rows, cols, ld, causal);
    rows_to_bf16_generic(s, rows, cols, ld, p, ldp);
}

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
