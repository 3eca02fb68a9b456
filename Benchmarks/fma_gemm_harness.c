// Raw-product harness for the batch-invariant kernel (Sources/CKernels/kp_fma_gemm.c): times
// y (M, N) = x (M, K) · Wᵀ + bias on the ViT linear shapes with 1 or 2 threads, split as
// InvariantBackend.product splits them (row chunks taken in turn, or panels for few rows), against
// OpenBLAS's sgemm (the same threads) and against a baseline copy of the kernel (symbols prefixed
// base_, see fma_gemm_harness.sh). Rounds alternate the contenders shape by shape; it prints each
// contender's median GFLOP/s [range] and the kernel's rate over the others', paired by round. It
// also checks that the kernel's bits equal the baseline's and, on a sample of rows, the naive
// reference's, on every shape: a speed figure of a wrong kernel is worthless.
//
// Usage: fma_gemm_harness [threads=2] [rounds=5] [shape set: vitb|vitl|all=all]
// Environment: KP_HARNESS_CPU_TIME, KP_HARNESS_SPLIT, KP_HARNESS_NO_PACK (below).
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kp_fma_gemm.h"

long base_kp_fma_panel_floats(long n, long k);
void base_kp_fma_pack_rows(const float *w, long n, long k, long ldw, float *panels);
void base_kp_fma_gemm(const float *x, long rows, long k, long ldx, const float *panels, long n, long panel_lo,
                      long panel_hi, const float *bias, int accumulate, float alpha, float *y, long ldy
#ifdef KP_HARNESS_BASE_PACKS
                      ,
                      float *x_pack
#endif
);

// OpenBLAS's CBLAS sgemm (row-major 101, no transpose 111, transpose 112).
void cblas_sgemm(int order, int transa, int transb, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc);
void openblas_set_num_threads(int n);

// The weights-side ISA query of CKernels (kp_kernels.c): the harness runs the CPU's AVX2 variant.
int kp_kernels_isa_id(void) { return 2; }

typedef struct {
    const char *name;
    long m, k, n;
} shape;

static const shape shapes_vitb[] = {
    {"B/32 qkv", 3200, 768, 2304},
    {"B/32 proj", 3200, 768, 768},
    {"B/32 fc1", 3200, 768, 3072},
    {"B/32 fc2", 3200, 3072, 768},
};
static const shape shapes_vitl[] = {
    {"L/14 qkv", 4616, 1024, 3072},
    {"L/14 proj", 4616, 1024, 1024},
    {"L/14 fc1", 4616, 1024, 4096},
    {"L/14 fc2", 4616, 4096, 1024},
};

// Wall time, or with KP_HARNESS_CPU_TIME=1 in the environment the process's CPU time (all its
// threads): on a loaded machine it counts only the time the product actually ran, so per-core
// rates compare across load (OpenBLAS's waiting threads spin, so use it with 1 thread).
static clockid_t timing_clock = CLOCK_MONOTONIC;

static double now(void) {
    struct timespec t;
    clock_gettime(timing_clock, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef void (*gemm_fn)(const float *x, long rows, long k, long ldx, const float *panels, long n, long panel_lo,
                        long panel_hi, const float *bias, int accumulate, float alpha, float *y, long ldy,
                        float *x_pack);

// The baseline as gemm_fn. KP_HARNESS_BASE_PACKS: its kp_fma_gemm takes an x pack buffer too.
static void base_gemm(const float *x, long rows, long k, long ldx, const float *panels, long n, long panel_lo,
                      long panel_hi, const float *bias, int accumulate, float alpha, float *y, long ldy,
                      float *x_pack) {
#ifdef KP_HARNESS_BASE_PACKS
    base_kp_fma_gemm(x, rows, k, ldx, panels, n, panel_lo, panel_hi, bias, accumulate, alpha, y, ldy, x_pack);
#else
    (void)x_pack;
    base_kp_fma_gemm(x, rows, k, ldx, panels, n, panel_lo, panel_hi, bias, accumulate, alpha, y, ldy);
#endif
}

typedef struct {
    gemm_fn gemm;
    const float *x, *panels, *bias;
    float *y;
    long m, k, n;
    int worker, workers;
    atomic_long *next;  // dynamic split: the next chunk to take; NULL: static halves
    long chunk_rows;
    int packs;  // pass an x pack buffer
} job;

// InvariantBackend.product's split: rows by 6-row microtiles when there are at least 4 per worker,
// else panels.
static void *run_job(void *arg) {
    const job *j = arg;
    static _Thread_local float pack_buffer[KP_FMA_X_PACK_FLOATS] __attribute__((aligned(64)));
    float *pack = j->packs ? pack_buffer : NULL;
    const long tiles = (j->m + 5) / 6;
    const long panels = (j->n + KP_FMA_PANEL - 1) / KP_FMA_PANEL;
    if (j->next && tiles >= (long)j->workers * 4) {
        // Chunks of chunk_rows rows, taken in turn by whichever worker is free.
        for (;;) {
            const long lo = atomic_fetch_add(j->next, 1) * j->chunk_rows;
            if (lo >= j->m) break;
            const long hi = lo + j->chunk_rows < j->m ? lo + j->chunk_rows : j->m;
            j->gemm(j->x + lo * j->k, hi - lo, j->k, j->k, j->panels, j->n, 0, panels, j->bias, 0, 1,
                    j->y + lo * j->n, j->n, pack);
        }
    } else if (tiles >= (long)j->workers * 4) {
        const long lo = tiles * j->worker / j->workers * 6;
        long hi = tiles * (j->worker + 1) / j->workers * 6;
        if (hi > j->m) hi = j->m;
        j->gemm(j->x + lo * j->k, hi - lo, j->k, j->k, j->panels, j->n, 0, panels, j->bias, 0, 1, j->y + lo * j->n,
                j->n, pack);
    } else {
        const long lo = panels * j->worker / j->workers;
        const long hi = panels * (j->worker + 1) / j->workers;
        j->gemm(j->x, j->m, j->k, j->k, j->panels, j->n, lo, hi, j->bias, 0, 1, j->y, j->n, pack);
    }
    return NULL;
}

// The kernel's split (InvariantBackend.product's): many rows in chunks taken in turn, of
// min(kp_fma_gemm_row_block(k), rows / threads) rows (a multiple of 6); KP_HARNESS_SPLIT=halves
// splits them as the baseline (main before the chunks) did. KP_HARNESS_NO_PACK=1: the kernel reads
// x in place.
static int split_in_chunks = 1;
static int kernel_packs = 1;

static void product(gemm_fn gemm, int threads, const float *x, const float *panels, const float *bias, float *y,
                    long m, long k, long n) {
    job jobs[8];
    pthread_t tid[8];
    atomic_long next = 0;
    const int dynamic = split_in_chunks && gemm == kp_fma_gemm;
    long chunk = m / threads / 6 * 6;
    if (chunk > kp_fma_gemm_row_block(k)) chunk = kp_fma_gemm_row_block(k);
    if (chunk < 6) chunk = 6;
    const int packs = gemm != kp_fma_gemm || kernel_packs;
    for (int t = 0; t < threads; t++)
        jobs[t] = (job){gemm, x, panels, bias, y, m, k, n, t, threads, dynamic ? &next : NULL, chunk, packs};
    for (int t = 1; t < threads; t++) pthread_create(&tid[t], NULL, run_job, &jobs[t]);
    run_job(&jobs[0]);
    for (int t = 1; t < threads; t++) pthread_join(tid[t], NULL);
}

static void blas_product(const float *x, const float *w, const float *bias, float *y, long m, long k, long n) {
    for (long r = 0; r < m; r++) memcpy(y + r * n, bias, (size_t)n * sizeof(float));
    cblas_sgemm(101, 111, 112, (int)m, (int)n, (int)k, 1.0f, x, (int)k, w, (int)k, 1.0f, y, (int)n);
}

static float *floats(long count, unsigned seed) {
    float *p = aligned_alloc(64, (size_t)((count * 4 + 63) / 64 * 64));
    unsigned s = seed * 2654435761u + 1;
    for (long i = 0; i < count; i++) {
        s = s * 1664525u + 1013904223u;
        p[i] = ((float)(s >> 8) / 16777216.0f - 0.5f) * (float)(1 << (i % 5));
    }
    return p;
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

enum { MAX_ROUNDS = 64, CONTENDERS = 3 };
static const char *contender_names[CONTENDERS] = {"kernel", "baseline", "openblas"};

// GFLOP/s of each contender per round (0: did not run) -> one line's rest: each contender's median
// [range], then the kernel's rate over each other's paired by round (the contenders of a round ran
// back to back, so a change of load affects both), median [range].
static void print_rates(double rate[CONTENDERS][MAX_ROUNDS], int rounds) {
    double v[MAX_ROUNDS];
    for (int c = 0; c < CONTENDERS; c++) {
        if (rate[c][0] == 0) continue;
        memcpy(v, rate[c], sizeof(double) * (size_t)rounds);
        qsort(v, (size_t)rounds, sizeof(double), cmp_double);
        printf("  %s %5.1f [%5.1f-%5.1f]", contender_names[c], v[rounds / 2], v[0], v[rounds - 1]);
    }
    for (int c = 1; c < CONTENDERS; c++) {
        if (rate[c][0] == 0) continue;
        for (int r = 0; r < rounds; r++) v[r] = rate[0][r] / rate[c][r];
        qsort(v, (size_t)rounds, sizeof(double), cmp_double);
        printf("  /%s %.3f [%.3f-%.3f]", contender_names[c], v[rounds / 2], v[0], v[rounds - 1]);
    }
    printf("\n");
}

int main(int argc, char **argv) {
    const int threads = argc > 1 ? atoi(argv[1]) : 2;
    if (threads < 1 || threads > 8) {
        fprintf(stderr, "threads: expected 1 ... 8, got %s\n", argv[1]);
        return 2;
    }
    const int rounds = argc > 2 ? atoi(argv[2]) : 5;
    if (rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "rounds: expected 1 ... %d, got %s\n", MAX_ROUNDS, argv[2]);
        return 2;
    }
    const char *set = argc > 3 ? argv[3] : "all";
    const char *cpu = getenv("KP_HARNESS_CPU_TIME");
    if (cpu && strcmp(cpu, "1") == 0) timing_clock = CLOCK_PROCESS_CPUTIME_ID;
    const char *split = getenv("KP_HARNESS_SPLIT");
    if (split && strcmp(split, "halves") == 0) split_in_chunks = 0;
    const char *no_pack = getenv("KP_HARNESS_NO_PACK");
    if (no_pack && strcmp(no_pack, "1") == 0) kernel_packs = 0;
    openblas_set_num_threads(threads);
    const shape *list[8];
    int count = 0;
    if (strcmp(set, "vitl") != 0)
        for (int i = 0; i < 4; i++) list[count++] = &shapes_vitb[i];
    if (strcmp(set, "vitb") != 0)
        for (int i = 0; i < 4; i++) list[count++] = &shapes_vitl[i];
    int failures = 0;
    double total_time[CONTENDERS][MAX_ROUNDS] = {{0}};
    double total_flop = 0;
    printf("threads %d, rounds %d, GFLOP/s of %s time, kernel: rows split in %s, x %s\n", threads, rounds,
           timing_clock == CLOCK_MONOTONIC ? "wall" : "CPU", split_in_chunks ? "chunks" : "halves",
           kernel_packs ? "packed" : "in place");
    for (int s = 0; s < count; s++) {
        const shape *sh = list[s];
        const long m = sh->m, k = sh->k, n = sh->n;
        float *x = floats(m * k, 1), *w = floats(n * k, 2), *bias = floats(n, 3);
        float *y = floats(m * n, 4), *y_base = floats(m * n, 5);
        float *panels = aligned_alloc(64, (size_t)kp_fma_panel_floats(n, k) * 4);
        kp_fma_pack_rows(w, n, k, k, panels);
        const double flop = 2.0 * (double)m * (double)k * (double)n;
        total_flop += flop;
        float *base_panels = aligned_alloc(64, (size_t)base_kp_fma_panel_floats(n, k) * 4);
        base_kp_fma_pack_rows(w, n, k, k, base_panels);
        product(base_gemm, threads, x, base_panels, bias, y_base, m, k, n);
        product(kp_fma_gemm, threads, x, panels, bias, y, m, k, n);
        long differing = 0;
        for (long i = 0; i < m * n; i++) differing += memcmp(&y[i], &y_base[i], 4) != 0;
        // And the naive reference on every 97th row.
        long differing_reference = 0;
        for (long r = 0; r < m; r += 97) {
            kp_fma_gemm_reference(x + r * k, 1, k, k, w, n, k, bias, 0, 1, y_base, n);
            for (long j = 0; j < n; j++) differing_reference += memcmp(&y[r * n + j], &y_base[j], 4) != 0;
        }
        if (differing || differing_reference) {
            printf("%s: %ld elements differ from the baseline, %ld from the reference: FAIL\n", sh->name, differing,
                   differing_reference);
            failures++;
        }
        double rate[CONTENDERS][MAX_ROUNDS];
        for (int round = 0; round < rounds; round++) {
            for (int c = 0; c < CONTENDERS; c++) {
                const int which = (c + round) % CONTENDERS;  // rotate who goes first
                double t0 = now();
                if (which == 0) {
                    product(kp_fma_gemm, threads, x, panels, bias, y, m, k, n);
                } else if (which == 1) {
                    product(base_gemm, threads, x, base_panels, bias, y_base, m, k, n);
                } else {
                    blas_product(x, w, bias, y_base, m, k, n);
                }
                const double dt = now() - t0;
                rate[which][round] = flop / dt * 1e-9;
                total_time[which][round] += dt;
            }
        }
        printf("%-10s M %5ld K %5ld N %5ld", sh->name, m, k, n);
        print_rates(rate, rounds);
        fflush(stdout);
        free(x), free(w), free(bias), free(y), free(y_base), free(panels), free(base_panels);
    }
    printf("%-38s", "all shapes (per-round total time)");
    double total_rate[CONTENDERS][MAX_ROUNDS];
    for (int c = 0; c < CONTENDERS; c++)
        for (int r = 0; r < rounds; r++) total_rate[c][r] = total_flop / total_time[c][r] * 1e-9;
    print_rates(total_rate, rounds);
    return failures ? 1 : 0;
}
