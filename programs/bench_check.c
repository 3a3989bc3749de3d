/* bitnet-bench's reference check: before a CPU benchmark is timed, its kernel's output must
 * equal the reference kernel's, bit for bit; a wrong kernel is refused with its first
 * difference. --inject-fault corrupts the checked output first, to show the refusal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bn_infer.h"
#include "bn_model.h"

#define E2E_CHECK 2 /* prompt tokens compared with the ref kernel before timing */

/* Compares n logits bit for bit. Returns 1 when they match; otherwise prints the first
 * difference, what naming the output ("decode logit") and ref the reference ("ref kernel"),
 * and returns 0. */
static int check_logits(const char *name, const char *kernel, const char *what, const float *got,
			const float *want, int n, const char *ref)
{
	for (int i = 0; i < n; i++)
		if (memcmp(&got[i], &want[i], sizeof(float))) {
			fprintf(stderr,
				"%s: %s: kernel %s is wrong: %s %d = %.9g, %s %.9g; refusing to "
				"time it\n",
				BENCH_PROG, name, kernel, what, i, (double)got[i], ref,
				(double)want[i]);
			return 0;
		}
	return 1;
}

/* One step of the e2e check: the first E2E_CHECK prompt tokens (step 0), or the token ref
 * chose next, on both passes. */
static void e2e_step(struct bench_cpu *s, struct bn_infer *ref, int step)
{
	int32_t next = 0;
	int bad;
	if (step == 0) {
		bad = bn_infer_eval(ref, s->prompt, E2E_CHECK) ||
		      bn_infer_eval(s->infer, s->prompt, E2E_CHECK);
	} else {
		next = bench_argmax_token(bn_infer_logits(ref), s->model->cfg.vocab);
		bad = bn_infer_eval(ref, &next, 1) || bn_infer_eval(s->infer, &next, 1);
	}
	if (bad)
		bench_die_bn(s->def->name);
}

/* The whole model on the benchmark's kernel against the ref kernel: E2E_CHECK prompt tokens
 * (GEMM) and one decoded token (GEMV) must give the same logits bit for bit (the forward
 * pass is exact in its integer parts and fixed in its float order). Leaves the benchmark's
 * own state at the end of its prompt. */
static int check_e2e(struct bench_cpu *s, int fault)
{
	const struct bench_def *d = s->def;
	int vocab = s->model->cfg.vocab;
	int kernel = bn_ctx_kernel(bn_infer_ctx(s->infer));
	struct bn_infer *ref;
	struct bn_infer_opts ro = {
		.kernel = BN_KERNEL_REF, .threads = 1, .max_tokens = E2E_CHECK + 1};
	if (bn_infer_new(&ref, s->model, &ro))
		bench_die_bn(d->name);
	size_t bytes = (size_t)vocab * sizeof(float);
	float *want = bench_xalloc(bytes);
	int ok = 1;
	for (int step = 0; step < 2 && ok; step++) {
		e2e_step(s, ref, step);
		memcpy(want, bn_infer_logits(ref), bytes);
		float *got = (float *)bn_infer_logits(s->infer);
		if (fault == kernel)
			got[vocab / 2] += 1.0f;
		ok = check_logits(d->name, bn_kernel_name(kernel),
				  step ? "decode logit" : "prefill logit", got, want, vocab,
				  "ref kernel");
	}
	free(want);
	bn_infer_free(ref);
	bn_infer_truncate(s->infer, 0);
	if (ok && bn_infer_eval(s->infer, s->prompt, E2E_PROMPT))
		bench_die_bn(d->name);
	return ok;
}

int bench_check_ints(const char *name, const char *kernel, const int32_t *got, const int32_t *want,
		     size_t count, size_t row_len)
{
	for (size_t i = 0; i < count; i++)
		if (got[i] != want[i]) {
			fprintf(stderr,
				"%s: %s: kernel %s is wrong: y[%zu][%zu] = %d, reference %d; "
				"refusing to time it\n",
				BENCH_PROG, name, kernel, i / row_len, i % row_len, got[i],
				want[i]);
			return 0;
		}
	return 1;
}

/* The lm_head on the benchmark's kernel against ref's: every logit bit for bit. */
static int check_head(struct bench_cpu *s, struct bn_ctx *ref, int fault)
{
	const struct bench_def *d = s->def;
	float *want = bench_xalloc(sizeof(float) * (size_t)d->n);
	if (bn_gemv_f16(ref, want, s->emb, s->fin, d->k, d->n) ||
	    bn_gemv_f16(s->ctx, s->logits, s->emb, s->fin, d->k, d->n))
		bench_die_bn(d->name);
	if (fault == d->kernel)
		s->logits[d->n / 2] += 1.0f;
	int ok = check_logits(d->name, bn_kernel_name(d->kernel), "logit", s->logits, want, d->n,
			      "reference");
	free(want);
	return ok;
}

/* The quantizer against ref's: every code, then the scale and the row sum. */
static int check_quant(struct bench_cpu *s, struct bn_ctx *ref, int fault)
{
	const struct bench_def *d = s->def;
	const char *kn = bn_kernel_name(d->kernel);
	struct bn_qact *want;
	if (bn_qact_new(&want, 1, d->n) || bn_quantize(ref, want, s->fin, (size_t)d->n, 1) ||
	    bn_quantize(s->ctx, s->x, s->fin, (size_t)d->n, 1))
		bench_die_bn(d->name);
	if (fault == d->kernel)
		s->x->q[d->n / 2] ^= 1;
	int ok = 1;
	for (int c = 0; c < s->x->k_pad && ok; c++)
		if (s->x->q[c] != want->q[c]) {
			fprintf(stderr,
				"%s: %s: kernel %s is wrong: q[%d] = %d, reference %d; refusing "
				"to time it\n",
				BENCH_PROG, d->name, kn, c, s->x->q[c], want->q[c]);
			ok = 0;
		}
	if (ok && (s->x->scale[0] != want->scale[0] || s->x->rowsum[0] != want->rowsum[0])) {
		fprintf(stderr,
			"%s: %s: kernel %s is wrong: scale/sum %g/%d, reference %g/%d; refusing "
			"to time it\n",
			BENCH_PROG, d->name, kn, (double)s->x->scale[0], s->x->rowsum[0],
			(double)want->scale[0], want->rowsum[0]);
		ok = 0;
	}
	bn_qact_free(want);
	return ok;
}

/* A matmul or GEMV (the first layer of a DRAM stack) against ref's: every output. */
static int check_product(struct bench_cpu *s, struct bn_ctx *ref, int fault)
{
	const struct bench_def *d = s->def;
	const struct bn_tmat *w = d->kind == K_GEMV_DRAM ? &s->stack[0] : s->w;
	size_t ny = (size_t)s->x->m * (size_t)w->n;
	int32_t *want = bench_xalloc(ny * sizeof(int32_t));
	int rc = d->kind == K_MATMUL ? bn_gemm(ref, want, (size_t)w->n, s->x, w)
				     : bn_gemv(ref, want, s->x, w);
	if (!rc)
		rc = d->kind == K_MATMUL ? bn_gemm(s->ctx, s->y, (size_t)w->n, s->x, w)
					 : bn_gemv(s->ctx, s->y, s->x, w);
	if (rc)
		bench_die_bn(d->name);
	if (fault == d->kernel)
		s->y[ny / 2] ^= 1;
	int ok = bench_check_ints(d->name, bn_kernel_name(d->kernel), s->y, want, ny, (size_t)w->n);
	free(want);
	return ok;
}

int bench_check(struct bench_cpu *s, int fault)
{
	const struct bench_def *d = s->def;
	if (d->kind == K_MEMBW)
		return 1;
	if (d->kind == K_PREFILL || d->kind == K_DECODE)
		return check_e2e(s, fault);
	struct bn_ctx *ref = bench_ctx_new(BN_KERNEL_REF, 1, 0);
	int ok = d->kind == K_HEAD    ? check_head(s, ref, fault)
		 : d->kind == K_QUANT ? check_quant(s, ref, fault)
				      : check_product(s, ref, fault);
	bn_ctx_free(ref);
	return ok;
}
