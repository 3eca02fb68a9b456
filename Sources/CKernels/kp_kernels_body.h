// The kernels of kp_kernels.c, written once over a small vector vocabulary and compiled once per
// instruction set (as llama.cpp's GGML_F32_VEC mappings do): kp_kernels.c defines the vocabulary
// for one ISA, includes this file, undefines it, and repeats. Not a public header; included only
// by kp_kernels.c, several times (hence no include guard).
//
// The vocabulary (V: a vector of KP_LANES floats, M: a tail mask of its first k lanes):
//   KP_ISA(name)          name suffixed with the ISA (exp_avx512, ...)
//   KP_TARGET             the function attribute enabling the ISA (empty for generic)
//   KP_LANES              lanes per vector (a power of two)
//   V, M                  the vector and mask types
//   V_SET1(x) V_ZERO()    broadcast, zeros
//   V_LOAD(p) V_STORE(p, v)                              unaligned
//   M_TAIL(k)                                            the first k lanes (0 <= k < KP_LANES)
//   V_LOAD_TAIL(m, p) V_STORE_TAIL(p, m, v)              masked: other lanes read as 0 / untouched
//   V_LOAD_TAIL_OR(m, p, fill)                           masked load, other lanes = fill
//   V_KEEP(m, v)                                         lanes outside m set to 0
//   V_ADD V_SUB V_MUL V_DIV                              lane-wise
//   V_MIN(a, b) V_MAX(a, b)                              lane-wise; b when either is NaN (x86 rule)
//   V_FMA(a, b, c) = a b + c   V_FNMA(a, b, c) = c - a b
//   V_POW2_MAGIC(t)       2^n as floats, for t = n + KP_MAGIC (n held in the low mantissa bits)
//   V_SUM(v) V_MAX_LANE(v)                               horizontal sum / max, a float
//   S_SQRT(x)                                            square root of one float
//   V_STORE_BF16(p, v) V_STORE_BF16_TAIL(p, m, v)        rounded to bf16 (nearest even), stored
//
// Every function is single-threaded and takes counts > 0 (the entry points check).

// exp(x), clamped to [KP_EXP_LO, KP_EXP_HI]: Cody-Waite reduction and the degree-6 polynomial.
// The clamps put x second so that NaN passes through.
KP_TARGET static inline V KP_ISA(exp)(V x) {
    x = V_MIN(V_SET1(KP_EXP_HI), V_MAX(V_SET1(KP_EXP_LO), x));
    const V magic = V_SET1(KP_MAGIC);
    V t = V_FMA(x, V_SET1(KP_LOG2E), magic);
    V n = V_SUB(t, magic);
    V r = V_FNMA(n, V_SET1(KP_LN2_HI), x);
    r = V_FNMA(n, V_SET1(KP_LN2_LO), r);
    V p = V_SET1(KP_C6);
    p = V_FMA(p, r, V_SET1(KP_C5));
    p = V_FMA(p, r, V_SET1(KP_C4));
    p = V_FMA(p, r, V_SET1(KP_C3));
    p = V_FMA(p, r, V_SET1(KP_C2));
    p = V_FMA(p, r, V_SET1(1));
    p = V_FMA(p, r, V_SET1(1));
    return V_MUL(p, V_POW2_MAGIC(t));
}

// erf(x) = x P(x^2) / Q(x^2) on [-4, 4] (+-1 outside, in float).
KP_TARGET static inline V KP_ISA(erf)(V x) {
    x = V_MIN(V_SET1(KP_ERF_CLAMP), V_MAX(V_SET1(-KP_ERF_CLAMP), x));
    V x2 = V_MUL(x, x);
    V p = V_SET1(KP_ERF_A13);
    p = V_FMA(p, x2, V_SET1(KP_ERF_A11));
    p = V_FMA(p, x2, V_SET1(KP_ERF_A9));
    p = V_FMA(p, x2, V_SET1(KP_ERF_A7));
    p = V_FMA(p, x2, V_SET1(KP_ERF_A5));
    p = V_FMA(p, x2, V_SET1(KP_ERF_A3));
    p = V_FMA(p, x2, V_SET1(KP_ERF_A1));
    V q = V_SET1(KP_ERF_B8);
    q = V_FMA(q, x2, V_SET1(KP_ERF_B6));
    q = V_FMA(q, x2, V_SET1(KP_ERF_B4));
    q = V_FMA(q, x2, V_SET1(KP_ERF_B2));
    q = V_FMA(q, x2, V_SET1(KP_ERF_B0));
    return V_DIV(V_MUL(x, p), q);
}

// x (N) <- exp(x - shift), returns the sum (KP_LANES partial sums, then a horizontal sum).
KP_TARGET static float KP_ISA(exp_shifted_sum)(float *x, long n, float shift) {
    const V s = V_SET1(shift);
    V acc = V_ZERO();
    long i = 0;
    for (; i + KP_LANES <= n; i += KP_LANES) {
        V e = KP_ISA(exp)(V_SUB(V_LOAD(x + i), s));
        V_STORE(x + i, e);
        acc = V_ADD(acc, e);
    }
    if (i < n) {
        M m = M_TAIL(n - i);
        V e = KP_ISA(exp)(V_SUB(V_LOAD_TAIL(m, x + i), s));
        V_STORE_TAIL(x + i, m, e);
        acc = V_ADD(acc, V_KEEP(m, e));
    }
    return V_SUM(acc);
}

// row (n) -> the max of its n > 0 entries
KP_TARGET static inline float KP_ISA(row_max)(const float *row, long n) {
    V vmax = V_SET1(-INFINITY);
    long j = 0;
    for (; j + KP_LANES <= n; j += KP_LANES) vmax = V_MAX(vmax, V_LOAD(row + j));
    if (j < n) vmax = V_MAX(vmax, V_LOAD_TAIL_OR(M_TAIL(n - j), row + j, -INFINITY));
    return V_MAX_LANE(vmax);
}

// s (rows, cols), stride ld -> s in place, or with p -> p (rows, cols) bf16, stride ldp (s is then
// scratch): the scaling pass writes the output directly. Inlined into the two kernels below, where
// p is a constant (NULL or not), so the choice costs no branch.
KP_TARGET static inline void KP_ISA(softmax_rows_to)(float *s, long rows, long cols, long ld, int causal,
                                                    uint16_t *p, long ldp) {
    for (long r = 0; r < rows; r++) {
        float *row = s + r * ld;
        uint16_t *out = p ? p + r * ldp : NULL;
        long n = softmax_length(r, cols, causal);
        const V inv = V_SET1(1 / KP_ISA(exp_shifted_sum)(row, n, KP_ISA(row_max)(row, n)));
        long j;
        for (j = 0; j + KP_LANES <= n; j += KP_LANES) {
            V y = V_MUL(V_LOAD(row + j), inv);
            if (out) V_STORE_BF16(out + j, y); else V_STORE(row + j, y);
        }
        if (j < n) {
            M m = M_TAIL(n - j);
            V y = V_MUL(V_LOAD_TAIL(m, row + j), inv);
            if (out) V_STORE_BF16_TAIL(out + j, m, y); else V_STORE_TAIL(row + j, m, y);
        }
        if (n < cols) {
            if (out) memset(out + n, 0, (size_t)(cols - n) * sizeof(uint16_t));
            else memset(row + n, 0, (size_t)(cols - n) * sizeof(float));
        }
    }
}

// s (rows, cols), stride ld -> same
KP_TARGET static void KP_ISA(softmax_rows)(float *s, long rows, long cols, long ld, int causal) {
    KP_ISA(softmax_rows_to)(s, rows, cols, ld, causal, NULL, 0);
}

// s (rows, cols), stride ld -> p (rows, cols) bf16, stride ldp
KP_TARGET static void KP_ISA(softmax_rows_bf16)(float *s, long rows, long cols, long ld, int causal,
                                               uint16_t *p, long ldp) {
    KP_ISA(softmax_rows_to)(s, rows, cols, ld, causal, p, ldp);
}

// x (N) -> x (N): x * sigmoid(1.702 x) = x / (1 + exp(-1.702 x))
KP_TARGET static inline V KP_ISA(quick_gelu_lanes)(V v) {
    return V_DIV(v, V_ADD(V_SET1(1), KP_ISA(exp)(V_MUL(V_SET1(-KP_QUICK_GELU_SLOPE), v))));
}

// x (N) -> x (N): h + h erf(x / sqrt 2), h = x / 2
KP_TARGET static inline V KP_ISA(gelu_lanes)(V v) {
    V h = V_MUL(V_SET1(0.5f), v);
    return V_FMA(h, KP_ISA(erf)(V_MUL(v, V_SET1(KP_SQRT1_2))), h);
}

// x (N) -> f(x) (N), KP_LANES at a time. Inlined where f is a constant, so f is inlined too.
KP_TARGET static inline void KP_ISA(map_lanes)(float *x, long n, V (*f)(V)) {
    long i = 0;
    for (; i + KP_LANES <= n; i += KP_LANES) V_STORE(x + i, f(V_LOAD(x + i)));
    if (i < n) {
        M m = M_TAIL(n - i);
        V_STORE_TAIL(x + i, m, f(V_LOAD_TAIL(m, x + i)));
    }
}

// x (N) -> x (N)
KP_TARGET static void KP_ISA(quick_gelu)(float *x, long n) { KP_ISA(map_lanes)(x, n, KP_ISA(quick_gelu_lanes)); }

// x (N) -> x (N)
KP_TARGET static void KP_ISA(gelu)(float *x, long n) { KP_ISA(map_lanes)(x, n, KP_ISA(gelu_lanes)); }

// x (rows, c) -> y (rows, c); y may alias x (each y[j] is written after its x[j] is read).
KP_TARGET static void KP_ISA(layer_norm)(const float *x, long rows, long c, const float *gamma,
                                        const float *beta, float eps, float *y) {
    const long body = c & ~(long)(KP_LANES - 1);
    const int has_tail = body < c;
    const M tail = M_TAIL(c - body);
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * c;
        float *yr = y + r * c;
        V acc = V_ZERO();
        for (long j = 0; j < body; j += KP_LANES) acc = V_ADD(acc, V_LOAD(xr + j));
        if (has_tail) acc = V_ADD(acc, V_LOAD_TAIL(tail, xr + body));
        const V mean = V_SET1(V_SUM(acc) / (float)c);
        acc = V_ZERO();
        for (long j = 0; j < body; j += KP_LANES) {
            V d = V_SUB(V_LOAD(xr + j), mean);
            acc = V_FMA(d, d, acc);
        }
        if (has_tail) {
            V d = V_KEEP(tail, V_SUB(V_LOAD_TAIL(tail, xr + body), mean));
            acc = V_FMA(d, d, acc);
        }
        const float var = V_SUM(acc) / (float)c;
        const V inv = V_SET1(1 / S_SQRT(var + eps));
        for (long j = 0; j < body; j += KP_LANES) {
            V d = V_MUL(V_SUB(V_LOAD(xr + j), mean), inv);
            V_STORE(yr + j, V_FMA(d, V_LOAD(gamma + j), V_LOAD(beta + j)));
        }
        if (has_tail) {
            V d = V_MUL(V_SUB(V_LOAD_TAIL(tail, xr + body), mean), inv);
            V_STORE_TAIL(yr + body, tail, V_FMA(d, V_LOAD_TAIL(tail, gamma + body), V_LOAD_TAIL(tail, beta + body)));
        }
    }
}
