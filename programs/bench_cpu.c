/* bitnet-bench's CPU benchmarks: the state each works on (struct bench_cpu), set up with
 * deterministic data, one timed iteration of each kind, and the kernel the dispatch reported
 * running it. bench_check.c checks them against the reference before they are timed. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"
#include "bn_infer.h"
#include "bn_model.h"

static void setup_membw(struct bench_cpu *s, int threads)
{
	s->ctx = bench_ctx_new(BN_KERNEL_REF, threads, 0);
	s->membytes = DRAM_STACK_BYTES;
	s->membuf = bench_xalloc(s->membytes);
	madvise(s->membuf, s->membytes, MADV_HUGEPAGE);
	for (size_t i = 0; i < s->membytes / 8; i++)
		((uint64_t *)s->membuf)[i] = i;
}

static void setup_e2e(struct bench_cpu *s, int threads)
{
	const struct bench_def *d = s->def;
	s->model = bench_model_open(d);
	struct bn_infer_opts io = {.kernel = BN_KERNEL_AUTO,
				   .threads = threads,
				   .max_tokens = E2E_PROMPT + E2E_DECODE};
	if (bn_infer_new(&s->infer, s->model, &io))
		bench_die_bn(d->name);
	s->ctx = NULL;
	bench_e2e_prompt(s->prompt, s->model->cfg.vocab);
}

/* The lm_head's F16 rows (random finite halves in [-1, 1); one 1 MiB block repeated, which
 * streams from DRAM all the same) and a random x. */
static void setup_head(struct bench_cpu *s)
{
	const struct bench_def *d = s->def;
	const size_t count = (size_t)d->n * (size_t)d->k, block = (size_t)1 << 19;
	s->emb = bench_xalloc(count * sizeof(uint16_t));
	madvise(s->emb, count * sizeof(uint16_t), MADV_HUGEPAGE);
	bench_fill_f16(s->emb, block < count ? block : count, -1.0, 1.0);
	for (size_t i = block; i < count; i += block)
		memcpy(s->emb + i, s->emb,
		       (count - i < block ? count - i : block) * sizeof(uint16_t));
	s->fin = bench_xalloc(sizeof(float) * (size_t)d->k);
	bench_fill_floats(s->fin, (size_t)d->k, -1.0, 1.0);
	s->logits = bench_xalloc(sizeof(float) * (size_t)d->n);
}

/* Random floats in [-4, 4) to quantize. */
static void setup_quant(struct bench_cpu *s)
{
	const struct bench_def *d = s->def;
	if (bn_qact_new(&s->x, 1, d->n))
		bench_die_bn(d->name);
	s->fin = bench_xalloc(sizeof(float) * (size_t)d->n);
	bench_fill_floats(s->fin, (size_t)d->n, -4.0, 4.0);
}

/* matmul and gemv: random activations and weights; gemv/dram borrows the DRAM stack. */
static void setup_product(struct bench_cpu *s, struct bench_dram *dram)
{
	const struct bench_def *d = s->def;
	if (bn_qact_new(&s->x, d->m, d->k))
		bench_die_bn(d->name);
	bench_fill_acts(s->x);
	s->y = bench_xalloc(sizeof(int32_t) * (size_t)d->m * (size_t)d->n);
	if (d->kind == K_GEMV_DRAM) {
		bench_dram_prepare(dram, d->n, d->k);
		s->stack = dram->mats;
		s->layers = dram->layers;
	} else {
		if (bn_tmat_new(&s->w, d->n, d->k))
			bench_die_bn(d->name);
		bench_fill_codes(s->w->codes, d->n, d->k, s->w->k_pad);
	}
}

void bench_cpu_setup(struct bench_cpu *s, int threads, int via_env, struct bench_dram *dram)
{
	const struct bench_def *d = s->def;
	switch (d->kind) {
	case K_MEMBW: setup_membw(s, threads); return;
	case K_PREFILL:
	case K_DECODE: setup_e2e(s, threads); return;
	default: break;
	}
	s->ctx = bench_ctx_new(d->kernel, threads, via_env);
	if (d->kind == K_HEAD)
		setup_head(s);
	else if (d->kind == K_QUANT)
		setup_quant(s);
	else
		setup_product(s, dram);
}

int bench_cpu_run_once(struct bench_cpu *s)
{
	switch (s->def->kind) {
	case K_MATMUL: return bn_gemm(s->ctx, s->y, (size_t)s->w->n, s->x, s->w);
	case K_GEMV: return bn_gemv(s->ctx, s->y, s->x, s->w);
	case K_GEMV_DRAM: {
		int rc = bn_gemv(s->ctx, s->y, s->x, &s->stack[s->next_layer]);
		s->next_layer = (s->next_layer + 1) % s->layers;
		return rc;
	}
	case K_QUANT: return bn_quantize(s->ctx, s->x, s->fin, (size_t)s->def->n, 1);
	case K_HEAD: return bn_gemv_f16(s->ctx, s->logits, s->emb, s->fin, s->def->k, s->def->n);
	case K_MEMBW: s->sink += bn_membw_read(s->ctx, s->membuf, s->membytes); return 0;
	case K_PREFILL:
		bn_infer_truncate(s->infer, 0);
		return bn_infer_eval(s->infer, s->prompt, E2E_PROMPT);
	case K_DECODE: {
		if (bn_infer_pos(s->infer) >= E2E_PROMPT + E2E_DECODE)
			bn_infer_truncate(s->infer, E2E_PROMPT);
		const struct bn_model_config *c = &s->model->cfg;
		int32_t t = bench_argmax_token(bn_infer_logits(s->infer), c->vocab);
		return bn_infer_eval(s->infer, &t, 1);
	}
	}
	return 0;
}

int bench_cpu_kernel(const struct bench_cpu *s)
{
	switch (s->def->kind) {
	case K_MATMUL: return bn_ctx_ran(s->ctx, BN_OP_GEMM);
	case K_GEMV:
	case K_GEMV_DRAM: return bn_ctx_ran(s->ctx, BN_OP_GEMV);
	case K_QUANT: return bn_ctx_ran(s->ctx, BN_OP_QUANT);
	case K_HEAD: return bn_ctx_ran(s->ctx, BN_OP_LM_HEAD);
	case K_MEMBW: return -1;
	case K_PREFILL: return bn_ctx_ran(bn_infer_ctx(s->infer), BN_OP_GEMM);
	case K_DECODE: return bn_ctx_ran(bn_infer_ctx(s->infer), BN_OP_GEMV);
	}
	return -1;
}

void bench_cpu_teardown(struct bench_cpu *s)
{
	bn_infer_free(s->infer);
	bn_model_close(s->model);
	bn_ctx_free(s->ctx);
	bn_qact_free(s->x);
	bn_tmat_free(s->w);
	free(s->y);
	free(s->fin);
	free(s->emb);
	free(s->logits);
	free(s->membuf);
}
