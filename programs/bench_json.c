/* bitnet-bench: the bitgate-bench/1 JSON writer (schema in shared DESIGN.md). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bn_cpu.h"
#include "bn_dispatch.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bench_median(const double *v, int n)
{
	if (n <= 0)
		return 0.0;
	double *t = malloc(sizeof(double) * (size_t)n);
	if (!t)
		return 0.0;
	memcpy(t, v, sizeof(double) * (size_t)n);
	qsort(t, (size_t)n, sizeof(double), cmp_double);
	double m = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
	free(t);
	return m;
}

/* A CUDA version as text: 13000 is "13.0". */
static void add_cuda_version(cJSON *o, const char *key, int v)
{
	char text[32];
	snprintf(text, sizeof(text), "%d.%d", v / 1000, v % 1000 / 10);
	cJSON_AddStringToObject(o, key, text);
}

static cJSON *gpu_json(const struct bench_gpu *g)
{
	cJSON *o = cJSON_CreateObject();
	char cc[16];
	snprintf(cc, sizeof(cc), "%d.%d", g->cc_major, g->cc_minor);
	cJSON_AddStringToObject(o, "name", g->name);
	cJSON_AddStringToObject(o, "compute_capability", cc);
	cJSON_AddNumberToObject(o, "sm_count", g->sm_count);
	cJSON_AddNumberToObject(o, "clock_mhz", g->clock_mhz);
	cJSON_AddNumberToObject(o, "mem_clock_mhz", g->mem_clock_mhz);
	cJSON_AddNumberToObject(o, "mem_bus_bits", g->mem_bus_bits);
	cJSON_AddNumberToObject(o, "memory_bytes", g->memory_bytes);
	add_cuda_version(o, "driver_version", g->driver_version);
	add_cuda_version(o, "runtime_version", g->runtime_version);
	cJSON_AddStringToObject(o, "built_for", g->built_for ? g->built_for : "");
	return o;
}

/* The per-operation choice of a context made as the benchmarks make theirs: the kernel of
 * each operation (GEMM for large and small row counts, split at gemm_split rows), whether
 * BITNET_KERNEL forced one for all, and the CPU class the streaming kernels are tuned for. */
static cJSON *dispatch_json(const struct bn_ctx *ctx)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "cpu_class", bn_cpu_class());
	cJSON_AddBoolToObject(o, "forced", bn_ctx_forced(ctx));
	int split = bn_ctx_gemm_split(ctx);
	cJSON_AddStringToObject(
		o, "gemm", bn_kernel_name(bn_ctx_op_kernel(ctx, BN_OP_GEMM, split ? split : 1)));
	if (split) {
		cJSON_AddStringToObject(o, "gemm_small",
					bn_kernel_name(bn_ctx_op_kernel(ctx, BN_OP_GEMM, 1)));
		cJSON_AddNumberToObject(o, "gemm_split_rows", split);
	}
	for (int op = BN_OP_GEMV; op < BN_OP_COUNT; op++)
		cJSON_AddStringToObject(o, bn_op_name(op),
					bn_kernel_name(bn_ctx_op_kernel(ctx, (enum bn_op)op, 1)));
	return o;
}

/* "k1,k2": the result's kernel first, then each other kernel an operation of it ran. */
static void kernel_list(char *out, size_t cap, const struct bench_result *r)
{
	unsigned seen = 1u << r->kernel;
	int len = snprintf(out, cap, "%s", bn_kernel_name(r->kernel));
	for (int op = 0; op < BENCH_OPS; op++) {
		int k = r->ops[op];
		if (k < 0 || (seen & (1u << k)) || len < 0 || (size_t)len >= cap)
			continue;
		seen |= 1u << k;
		len += snprintf(out + len, cap - (size_t)len, ",%s", bn_kernel_name(k));
	}
}

static cJSON *context_json(const struct bench_context *c)
{
	cJSON *o = cJSON_CreateObject();
	const char *isa[16];
	int nisa = bn_cpu_feature_names(isa, 16);
	cJSON_AddStringToObject(o, "program", "bitnet-bench");
	cJSON_AddStringToObject(o, "version", c->version);
	cJSON_AddStringToObject(o, "cpu", bn_cpu_get()->model);
	cJSON *a = cJSON_AddArrayToObject(o, "isa");
	for (int i = 0; i < nisa; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(isa[i]));
	cJSON *k = cJSON_AddArrayToObject(o, "kernels");
	for (int id = 0; id < BN_KERNEL_COUNT; id++)
		if (c->kernels_seen & (1u << id))
			cJSON_AddItemToArray(k, cJSON_CreateString(bn_kernel_name(id)));
	if (c->device_kernel)
		cJSON_AddItemToArray(k, cJSON_CreateString(c->device_kernel));
	cJSON_AddStringToObject(o, "kernel_best", bn_kernel_name(bn_kernel_best()));
	if (c->dispatch)
		cJSON_AddItemToObject(o, "dispatch", dispatch_json(c->dispatch));
	cJSON_AddNumberToObject(o, "threads", c->threads);
	cJSON_AddBoolToObject(o, "strict_mode", c->strict_mode);
	if (c->slowdown)
		cJSON_AddStringToObject(o, "injected_slowdown", c->slowdown);
	cJSON_AddStringToObject(o, "build_type", c->build_type);
	cJSON_AddNumberToObject(o, "min_time_s", c->min_time);
	cJSON_AddNumberToObject(o, "repetitions", c->repetitions);
	if (c->gpu)
		cJSON_AddItemToObject(o, "gpu", gpu_json(c->gpu));
	return o;
}

static cJSON *result_json(const struct bench_result *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", r->name);
	cJSON_AddStringToObject(o, "unit", r->unit);
	if (r->skipped[0]) {
		cJSON_AddStringToObject(o, "skipped", r->skipped);
		return o;
	}
	cJSON *s = cJSON_AddArrayToObject(o, "samples");
	for (int i = 0; i < r->nsamples; i++)
		cJSON_AddItemToArray(s, cJSON_CreateNumber(r->samples[i]));
	cJSON_AddNumberToObject(o, "iterations", (double)r->iterations);
	cJSON_AddNumberToObject(o, "elements", r->elements);
	cJSON_AddNumberToObject(o, "bytes", r->bytes);
	int has_ops = 0;
	for (int op = 0; op < BENCH_OPS; op++)
		has_ops |= r->ops[op] >= 0;
	if (r->kernel >= 0) {
		char list[64];
		kernel_list(list, sizeof(list), r);
		cJSON_AddStringToObject(o, "kernel", list);
	} else if (r->kernel_name)
		cJSON_AddStringToObject(o, "kernel", r->kernel_name);
	if (has_ops) { /* e2e: the kernel of each operation the timed runs used */
		cJSON *d = cJSON_AddObjectToObject(o, "dispatch");
		for (int op = 0; op < BENCH_OPS; op++)
			if (r->ops[op] >= 0)
				cJSON_AddStringToObject(d, bn_op_name(op),
							bn_kernel_name(r->ops[op]));
	}
	cJSON_AddBoolToObject(o, "checked", r->checked);
	return o;
}

int bench_write_json(FILE *f, const struct bench_context *c, const struct bench_result *r, int n)
{
	cJSON *root = cJSON_CreateObject();
	if (!root)
		return -1;
	cJSON_AddStringToObject(root, "schema", "bitgate-bench/1");
	cJSON_AddItemToObject(root, "context", context_json(c));
	cJSON *arr = cJSON_AddArrayToObject(root, "benchmarks");
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, result_json(&r[i]));
	char *text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text)
		return -1;
	fputs(text, f);
	fputc('\n', f);
	cJSON_free(text);
	return 0;
}
