// Runtime binding to OpenBLAS.
//
// OpenBLAS picks its kernels in a load-time constructor, reading OPENBLAS_CORETYPE then. Version
// 0.3.21 (Debian 12) does not know recent CPUs (AMD Zen 4 is reported as "Prescott") and falls back
// to SSE3 kernels that run sgemm about 8x slower. Linking the library would run that constructor
// before any of our code, so instead kp_blas_load() chooses a core type from CPUID, sets the
// variable (unless the user already set it) and only then dlopens the library.
#ifndef KP_BLAS_H
#define KP_BLAS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Loads OpenBLAS once (thread-safe; later calls return the first result).
/// Returns 0 on success; otherwise writes a message to `err` and returns -1.
int kp_blas_load(char *err, size_t err_len);

/// The core type this CPU should use, from CPUID ("Cooperlake", "SkylakeX", "Haswell"), or NULL
/// when OpenBLAS' own detection should be trusted.
const char *kp_blas_suggested_coretype(void);

/// Where the OPENBLAS_CORETYPE value in force came from: "user", "keypoints" or "openblas".
const char *kp_blas_coretype_source(void);

/// The path or soname that was loaded.
const char *kp_blas_library_name(void);

/// OpenBLAS' own reports (valid after a successful load).
const char *kp_blas_corename(void);
const char *kp_blas_config(void);
int kp_blas_get_threads(void);
void kp_blas_set_threads(int n);

/// C = alpha * op(A) * op(B) + beta * C, row-major (cblas_sgemm with CblasRowMajor).
/// trans_a / trans_b: 0 = no transpose, 1 = transpose.
void kp_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha,
              const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);

/// Whether the loaded library exports LAPACK's dsygvd (Debian's libopenblas0 does).
int kp_has_dsygvd(void);

/// LAPACK dsygvd (itype 1, eigenvectors, upper triangle): solves A x = lambda B x for symmetric A
/// and symmetric positive definite B, both n x n. The matrices are symmetric, so row- and
/// column-major are the same input. On return `w` holds the n eigenvalues in ascending order and
/// `a` the eigenvectors, B-orthonormal: eigenvector j is a[j*n ..< (j+1)*n] (column j in LAPACK's
/// column-major layout = row j in row-major). `b` is overwritten by its Cholesky factor.
/// Returns LAPACK's info (0 = success), -1000 if the library has no dsygvd, -1001 if out of memory.
int kp_dsygvd(int n, double *a, double *b, double *w);

/// CPU feature probes used for reporting and backend choice.
int kp_cpu_has_avx512_bf16(void);
int kp_cpu_has_amx_bf16(void);

#ifdef __cplusplus
}
#endif

#endif
