// See include/kp_blas.h for why OpenBLAS is loaded at run time.
#define _GNU_SOURCE
#include "kp_blas.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

// cblas enum values (cblas.h): RowMajor = 101, NoTrans = 111, Trans = 112.
typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *,
                         int, float, float *, int);
typedef void (*set_threads_fn)(int);
typedef int (*get_threads_fn)(void);
typedef char *(*get_string_fn)(void);
// LAPACK's Fortran ABI (OpenBLAS bundles reference LAPACK built with gfortran): every argument by
// pointer, then one hidden length per character argument.
typedef void (*dsygvd_fn)(const int *itype, const char *jobz, const char *uplo, const int *n, double *a,
                          const int *lda, double *b, const int *ldb, double *w, double *work,
                          const int *lwork, int *iwork, const int *liwork, int *info, size_t jobz_len,
                          size_t uplo_len);

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int load_status = -1;
static char load_error[512];
static const char *library_name = "";
static const char *coretype_source = "openblas";
static sgemm_fn p_sgemm;
static set_threads_fn p_set_threads;
static get_threads_fn p_get_threads;
static get_string_fn p_corename;
static get_string_fn p_config;
static dsygvd_fn p_dsygvd;

#if defined(__x86_64__) || defined(__i386__)
static unsigned long long xgetbv0(void) {
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

typedef struct {
    int avx2, fma, avx512, avx512_bf16, amx_bf16;
} cpu_features;

static cpu_features probe(void) {
    cpu_features f = {0, 0, 0, 0, 0};
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
    int osxsave = (c >> 27) & 1;
    f.fma = (c >> 12) & 1;
    if (!osxsave) return f;
    unsigned long long xcr0 = xgetbv0();
    int ymm_os = (xcr0 & 0x6) == 0x6;
    int zmm_os = (xcr0 & 0xe6) == 0xe6;
    int amx_os = (xcr0 & 0x60000) == 0x60000;
    if (__get_cpuid_max(0, NULL) < 7) return f;
    __cpuid_count(7, 0, a, b, c, d);
    f.avx2 = ymm_os && ((b >> 5) & 1);
    int avx512f = (b >> 16) & 1, avx512dq = (b >> 17) & 1, avx512cd = (b >> 28) & 1;
    int avx512bw = (b >> 30) & 1, avx512vl = (b >> 31) & 1;
    f.avx512 = zmm_os && avx512f && avx512dq && avx512cd && avx512bw && avx512vl;
    f.amx_bf16 = amx_os && ((d >> 22) & 1);
    __cpuid_count(7, 1, a, b, c, d);
    f.avx512_bf16 = f.avx512 && ((a >> 5) & 1);
    return f;
}
#endif

const char *kp_blas_suggested_coretype(void) {
#if defined(__x86_64__)
    cpu_features f = probe();
    if (f.avx512 && f.avx512_bf16) return "Cooperlake";
    if (f.avx512) return "SkylakeX";
    if (f.avx2 && f.fma) return "Haswell";
#endif
    return NULL;
}

// kp_cpu_has_FEATURE(): 1 when CPUID (and the OS, for the register state) reports FEATURE.
#if defined(__x86_64__)
#define KP_CPU_HAS(feature) \
    int kp_cpu_has_##feature(void) { return probe().feature; }
#else
#define KP_CPU_HAS(feature) \
    int kp_cpu_has_##feature(void) { return 0; }
#endif
KP_CPU_HAS(avx512_bf16)
KP_CPU_HAS(amx_bf16)

static void do_load(void) {
    const char *user = getenv("OPENBLAS_CORETYPE");
    if (user && *user) {
        coretype_source = "user";
    } else {
        const char *suggested = kp_blas_suggested_coretype();
        if (suggested) {
            setenv("OPENBLAS_CORETYPE", suggested, 1);
            coretype_source = "keypoints";
        }
    }
    const char *override = getenv("KEYPOINTS_BLAS_LIBRARY");
    const char *candidates[] = {override, "libopenblas.so.0", "libopenblas.so", "libopenblasp.so.0"};
    void *handle = NULL;
    char tried[256] = "";
    for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
        if (!candidates[i] || !*candidates[i]) continue;
        handle = dlopen(candidates[i], RTLD_NOW | RTLD_LOCAL);
        if (handle) { library_name = candidates[i]; break; }
        strncat(tried, candidates[i], sizeof(tried) - strlen(tried) - 1);
        strncat(tried, " ", sizeof(tried) - strlen(tried) - 1);
    }
    if (!handle) {
        snprintf(load_error, sizeof(load_error),
                 "cannot load OpenBLAS (tried %s): install it with 'apt-get install libopenblas-dev' "
                 "or set KEYPOINTS_BLAS_LIBRARY to its path", tried);
        return;
    }
    p_sgemm = (sgemm_fn)dlsym(handle, "cblas_sgemm");
    p_set_threads = (set_threads_fn)dlsym(handle, "openblas_set_num_threads");
    p_get_threads = (get_threads_fn)dlsym(handle, "openblas_get_num_threads");
    p_corename = (get_string_fn)dlsym(handle, "openblas_get_corename");
    p_config = (get_string_fn)dlsym(handle, "openblas_get_config");
    p_dsygvd = (dsygvd_fn)dlsym(handle, "dsygvd_");
    if (!p_sgemm) {
        snprintf(load_error, sizeof(load_error), "%s has no symbol cblas_sgemm", library_name);
        return;
    }
    load_status = 0;
}

int kp_blas_load(char *err, size_t err_len) {
    pthread_once(&load_once, do_load);
    if (load_status != 0 && err && err_len) snprintf(err, err_len, "%s", load_error);
    return load_status;
}

const char *kp_blas_coretype_source(void) { return coretype_source; }
const char *kp_blas_library_name(void) { return library_name; }
const char *kp_blas_corename(void) { return p_corename ? p_corename() : "unknown"; }
const char *kp_blas_config(void) { return p_config ? p_config() : "unknown"; }
int kp_blas_get_threads(void) { return p_get_threads ? p_get_threads() : 1; }
void kp_blas_set_threads(int n) { if (p_set_threads) p_set_threads(n); }

void kp_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha,
              const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
    p_sgemm(101, trans_a ? 112 : 111, trans_b ? 112 : 111, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

int kp_has_dsygvd(void) { return p_dsygvd != NULL; }

int kp_dsygvd(int n, double *a, double *b, double *w) {
    if (!p_dsygvd) return -1000;
    const int itype = 1, lda = n > 0 ? n : 1;
    int info = 0, lwork = -1, liwork = -1, iwork_query = 0;
    double work_query = 0;
    p_dsygvd(&itype, "V", "U", &n, a, &lda, b, &lda, w, &work_query, &lwork, &iwork_query, &liwork, &info, 1, 1);
    if (info != 0) return info;
    lwork = (int)work_query;
    liwork = iwork_query;
    double *work = malloc(sizeof(double) * (size_t)(lwork > 1 ? lwork : 1));
    int *iwork = malloc(sizeof(int) * (size_t)(liwork > 1 ? liwork : 1));
    if (!work || !iwork) { free(work); free(iwork); return -1001; }
    p_dsygvd(&itype, "V", "U", &n, a, &lda, b, &lda, w, work, &lwork, iwork, &liwork, &info, 1, 1);
    free(work);
    free(iwork);
    return info;
}
