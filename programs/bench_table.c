/* bitnet-bench's table: one row per benchmark (median, spread, throughput, the ratio to the
 * ref kernel of the same shape, and a note against the bandwidth benchmarks), under a header
 * naming the CPU, the GPU and the dispatch's choices. */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "bn_cpu.h"
#include "bn_dispatch.h"

static const struct bench_result *find_result(const struct bench_result *r, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(r[i].name, name) && r[i].nsamples > 0)
			return &r[i];
	return NULL;
}

/* The same benchmark's name with kernel ref in place of this one's. */
static void ref_name(char *out, size_t cap, const struct bench_result *r)
{
	const char *a = strchr(r->name, '/');
	const char *b = a ? strchr(a + 1, '/') : NULL;
	if (!b) {
		out[0] = '\0';
		return;
	}
	snprintf(out, cap, "%.*sref%s", (int)(a - r->name + 1), r->name, b);
}

/* "dispatch (zen5): gemm amx from 16 rows, else avx512; gemv avx512; ..." */
static void print_dispatch(FILE *f, const struct bn_ctx *ctx)
{
	int split = bn_ctx_gemm_split(ctx);
	fprintf(f, "dispatch (%s%s): gemm %s", bn_cpu_class(),
		bn_ctx_forced(ctx) ? ", BITNET_KERNEL" : "",
		bn_kernel_name(bn_ctx_op_kernel(ctx, BN_OP_GEMM, split ? split : 1)));
	if (split)
		fprintf(f, " from %d rows, else %s", split,
			bn_kernel_name(bn_ctx_op_kernel(ctx, BN_OP_GEMM, 1)));
	for (int op = BN_OP_GEMV; op < BN_OP_COUNT; op++)
		fprintf(f, "; %s %s", bn_op_name(op),
			bn_kernel_name(bn_ctx_op_kernel(ctx, (enum bn_op)op, 1)));
	fputc('\n', f);
}

static void print_header(FILE *f, const struct bench_context *c)
{
	fprintf(f, "bitnet-bench %s (%s) on %s, %d thread%s%s; medians of %d samples\n", c->version,
		c->build_type, bn_cpu_get()->model, c->threads, c->threads == 1 ? "" : "s",
		c->strict_mode ? ", strict mode" : "", c->repetitions);
	if (c->gpu)
		fprintf(f,
			"GPU: %s (compute capability %d.%d, %d SMs, %.0f GiB), kernels built for "
			"%s\n",
			c->gpu->name, c->gpu->cc_major, c->gpu->cc_minor, c->gpu->sm_count,
			c->gpu->memory_bytes / (1024.0 * 1024 * 1024), c->gpu->built_for);
	if (c->dispatch)
		print_dispatch(f, c->dispatch);
	fprintf(f, "%-32s %-9s %12s %8s %10s %9s %9s  %s\n", "benchmark", "kernel", "median",
		"spread", "Gelem/s", "GB/s", "vs ref", "note");
}

/* Bytes per ns of a bandwidth benchmark of this run, 0 when it did not run. */
static double bandwidth(const struct bench_result *r, int n, const char *name)
{
	const struct bench_result *b = find_result(r, n, name);
	return b ? b->bytes / bench_median(b->samples, b->nsamples) : 0;
}

/* The median with a unit that keeps it short. */
static void format_median(char *out, size_t cap, double med)
{
	if (med >= 1e6)
		snprintf(out, cap, "%.3f ms", med / 1e6);
	else if (med >= 1e3)
		snprintf(out, cap, "%.2f us", med / 1e3);
	else
		snprintf(out, cap, "%.1f ns", med);
}

/* (max - min) / median of the samples, in percent. */
static double spread_pct(const struct bench_result *x, double med)
{
	double lo = x->samples[0], hi = x->samples[0];
	for (int j = 1; j < x->nsamples; j++) {
		lo = x->samples[j] < lo ? x->samples[j] : lo;
		hi = x->samples[j] > hi ? x->samples[j] : hi;
	}
	return med > 0 ? 100.0 * (hi - lo) / med : 0.0;
}

/* The note of a row: tokens/s for e2e (and a decode's share of its device's roofline), the
 * share of the bandwidth benchmark for what streams from DRAM. */
static void row_note(char *note, size_t cap, const struct bench_result *x, double med,
		     double mem_bw, double copy_bw)
{
	if (!strcmp(x->family, "e2e")) /* tokens, not elements */
		snprintf(note, cap, "%.1f tokens/s", x->elements / med * 1e9);
	/* a decode's roofline: its weights at the bandwidth of its own device */
	double roof_bw = strstr(x->name, "@cuda") ? copy_bw : mem_bw;
	if (!strcmp(x->family, "e2e") && roof_bw > 0 && !strstr(x->name, "prefill"))
		snprintf(note, cap, "%.1f tokens/s, %.0f%% of roofline", x->elements / med * 1e9,
			 100.0 * x->bytes / med / roof_bw);
	if ((strstr(x->name, "/dram") || !strcmp(x->family, "head")) && mem_bw > 0)
		snprintf(note, cap, "%.0f%% of membw/read", 100.0 * x->bytes / med / mem_bw);
	if (!strncmp(x->name, "gemv/cuda/", 10) && copy_bw > 0) /* weights from DRAM */
		snprintf(note, cap, "%.0f%% of membw/cuda-copy",
			 100.0 * x->weight_bytes / med / copy_bw);
}

static void print_row(FILE *f, const struct bench_result *r, int n, const struct bench_result *x,
		      double mem_bw, double copy_bw)
{
	if (x->skipped[0]) {
		fprintf(f, "%-32s %-9s %12s  skipped: %s\n", x->name, "-", "-", x->skipped);
		return;
	}
	double med = bench_median(x->samples, x->nsamples);
	char medbuf[32], spread[16], gel[16] = "-", gbs[16], vs[16] = "", note[48] = "";
	format_median(medbuf, sizeof(medbuf), med);
	snprintf(spread, sizeof(spread), "%.1f%%", spread_pct(x, med));
	if (strcmp(x->family, "membw") && strcmp(x->family, "e2e"))
		snprintf(gel, sizeof(gel), "%.2f", x->elements / med);
	snprintf(gbs, sizeof(gbs), "%.2f", x->bytes / med);
	char rn[96];
	ref_name(rn, sizeof(rn), x);
	const struct bench_result *ref = rn[0] ? find_result(r, n, rn) : NULL;
	if (ref && ref != x)
		snprintf(vs, sizeof(vs), "%.1fx", bench_median(ref->samples, ref->nsamples) / med);
	row_note(note, sizeof(note), x, med, mem_bw, copy_bw);
	const char *kn = x->kernel >= 0   ? bn_kernel_name(x->kernel)
			 : x->kernel_name ? x->kernel_name
					  : "-";
	fprintf(f, "%-32s %-9s %12s %8s %10s %9s %9s  %s\n", x->name, kn, medbuf, spread, gel, gbs,
		vs, note);
}

void bench_write_table(FILE *f, const struct bench_context *c, const struct bench_result *r, int n)
{
	print_header(f, c);
	double mem_bw = bandwidth(r, n, "membw/read");
	double copy_bw = bandwidth(r, n, "membw/cuda-copy");
	for (int i = 0; i < n; i++)
		print_row(f, r, n, &r[i], mem_bw, copy_bw);
	fprintf(f, "spread: (max - min) / median over the samples; vs ref: ref median / median, "
		   "same shape, same run\n");
}
