/* Kernel dispatch: a context picks a kernel per operation once (the one that wins that
 * operation on this CPU, from the table in dispatch.c; or the one kernel BITNET_KERNEL or
 * the caller names, for every operation), owns the worker threads, and runs the ternary
 * GEMM/GEMV, activation quantization and the F16 lm_head. It records which kernel actually
 * ran each operation, so callers report observed kernel IDs, never assumed ones.
 *
 * Results are exact integers: identical for every kernel and every thread count. */
#ifndef BN_DISPATCH_H
#define BN_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "bn_pack.h"
#include "bn_quant.h"

enum bn_kernel_id {
	BN_KERNEL_AUTO = -1, /* BITNET_KERNEL if set, else the best available */
	BN_KERNEL_REF = 0,   /* plain scalar C: the oracle */
	BN_KERNEL_AVX2,      /* AVX2 vpmaddubsw */
	BN_KERNEL_AVX512,    /* AVX-512 VNNI vpdpbusd */
	BN_KERNEL_AMX,       /* AMX int8 tiles (tdpbssd) */
	BN_KERNEL_COUNT
};

/* BITNET_KERNEL=cuda asks for the GPU: programs built with libbitnet_cuda serve it; the CPU
 * dispatch answers BN_EUNSUPPORTED for it, saying so. */
#define BN_KERNEL_CUDA_NAME "cuda"

enum bn_op {
	BN_OP_GEMM,    /* bn_gemm: the kernel may depend on the number of activation rows */
	BN_OP_GEMV,    /* bn_gemv */
	BN_OP_QUANT,   /* bn_quantize */
	BN_OP_LM_HEAD, /* bn_gemv_f16: F16 rows times a float vector */
	BN_OP_COUNT
};

/* "ref", "avx2", "avx512", "amx"; "?" for anything else. */
const char *bn_kernel_name(int id);
const char *bn_op_name(int op);

/* Parses a kernel name; an unknown one is BN_EINVAL listing the valid names, "cuda"
 * BN_EUNSUPPORTED (the CPU dispatch does not run it). */
int bn_kernel_from_name(int *out, const char *name);

/* 1 if the kernel can run here; otherwise 0 and *why (if not NULL) says what is missing. */
int bn_kernel_available(int id, const char **why);

/* The most capable kernel this machine runs (amx > avx512 > avx2 > ref): what strict mode
 * compares a forced kernel with. Which kernel runs an operation is bn_ctx_op_kernel's. */
int bn_kernel_best(void);

/* The CPU class the streaming kernels are tuned for ("zen3", "zen4", "zen5",
 * "sapphire-rapids", "other"), from CPUID. */
const char *bn_cpu_class(void);

struct bn_ctx_opts {
	int kernel;  /* BN_KERNEL_AUTO or an explicit id (an explicit choice ignores the env) */
	int threads; /* worker threads including the caller; 0 means 1 */
};

struct bn_ctx;

/* Creates a context. Errors: BITNET_KERNEL (or opts->kernel) unknown (BN_EINVAL) or not
 * supported here (BN_EUNSUPPORTED, saying what the CPU lacks); BITNET_STRICT_MODE unusable.
 * In strict mode, a context whose kernel is a fallback (BITNET_KERNEL=ref where a SIMD
 * kernel exists, or AMX refused by the OS) is created, but each operation fails with
 * BN_ESTRICT naming the operation, the shape, the kernel asked for and the one available. */
int bn_ctx_new(struct bn_ctx **out, const struct bn_ctx_opts *opts);
void bn_ctx_free(struct bn_ctx *ctx);

/* The kernel forced for every operation, or when none is, the most capable one the context
 * may run (bn_kernel_best()). */
int bn_ctx_kernel(const struct bn_ctx *ctx);
/* 1 when one kernel was forced (BITNET_KERNEL or opts->kernel), 0 for per-operation choice. */
int bn_ctx_forced(const struct bn_ctx *ctx);
/* The kernel the context runs op with; rows: activation rows of a GEMM (ignored for the
 * others). */
int bn_ctx_op_kernel(const struct bn_ctx *ctx, enum bn_op op, int rows);
/* GEMMs of at least this many rows run bn_ctx_op_kernel(ctx, BN_OP_GEMM, big) and smaller
 * ones another kernel; 0 when every row count runs the same kernel. */
int bn_ctx_gemm_split(const struct bn_ctx *ctx);
int bn_ctx_threads(const struct bn_ctx *ctx);

/* Runs fn(arg, tid) once on each of the context's threads (tid 0 is the caller) and returns
 * when all are done: the same workers as the kernels, for work beside them. */
void bn_ctx_parallel(struct bn_ctx *ctx, void (*fn)(void *arg, int tid), void *arg);

/* The kernel that last ran op in this context, or -1 if op never ran (since the reset). */
int bn_ctx_ran(const struct bn_ctx *ctx, enum bn_op op);
void bn_ctx_ran_reset(struct bn_ctx *ctx);

/* Quantizes m rows of x (row stride ldx floats, k = a->k columns) into a (a->m >= m). */
int bn_quantize(struct bn_ctx *ctx, struct bn_qact *a, const float *x, size_t ldx, int m);

/* y[i * ldy + j] = sum_k x.q[i][k] * w[j][k] for i < x->m, j < w->n: int32, exact.
 * x->k must equal w->k. */
int bn_gemm(struct bn_ctx *ctx, int32_t *y, size_t ldy, const struct bn_qact *x,
	    const struct bn_tmat *w);

/* The same for one activation row (x->m == 1): y[j] for j < w->n. */
int bn_gemv(struct bn_ctx *ctx, int32_t *y, const struct bn_qact *x, const struct bn_tmat *w);

/* The lm_head: y[j] = e_j . x for the n rows of e (F16, row stride k, k a multiple of 32),
 * each in the fixed order of bn_ref_dot_f16, so every kernel and thread count gives the same
 * bits. */
int bn_gemv_f16(struct bn_ctx *ctx, float *y, const uint16_t *e, const float *x, int k, int n);

/* Reads bytes of buf (64-byte aligned, a multiple of 64 bytes) with the context's threads
 * and returns a checksum so the reads cannot be optimised away: the STREAM-like read that
 * GEMV bandwidth is compared with. */
uint64_t bn_membw_read(struct bn_ctx *ctx, const void *buf, size_t bytes);

#endif
