/* The BitNet b1.58 forward pass and generation over a loaded model (bn_model.h).
 *
 * Per layer, with x the residual stream:
 *   h = rmsnorm(x) * attn_norm
 *   q, k, v = BitLinear(h) with Wq, Wk, Wv; RoPE on q and k (adjacent pairs (2i, 2i+1) of
 *   each head rotated by pos * theta^(-2i / head_dim), as llama.cpp's "norm" rope)
 *   a = softmax(q k^T / sqrt(head_dim), causal) v, grouped-query: query head h reads KV
 *   head h / (heads / kv_heads); K and V are kept in a cache
 *   x += BitLinear(rmsnorm(a) * attn_sub_norm) with Wo
 *   h = rmsnorm(x) * ffn_norm
 *   f = relu(BitLinear(h, Wgate))^2 * BitLinear(h, Wup)
 *   x += BitLinear(rmsnorm(f) * ffn_sub_norm, Wdown)
 * then logits = E (rmsnorm(x) * output_norm), E the tied embedding.
 * BitLinear(h, W) quantizes each row of h to int8 by absmax (bn_quant.h), multiplies with
 * the ternary codes through the kernel dispatch (GEMM for a prompt, GEMV for one token) and
 * scales back: y = acc * W.scale / row_scale. rmsnorm(v) = v / sqrt(mean(v^2) + eps).
 *
 * Results do not depend on the thread count or the kernel: the integer products are exact
 * in every kernel and the float work is done in the same order whatever the threads. */
#ifndef BN_INFER_H
#define BN_INFER_H

#include <stddef.h>
#include <stdint.h>

#include "bn_dispatch.h"
#include "bn_model.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bn_infer_opts {
	int kernel;  /* BN_KERNEL_AUTO or an explicit kernel */
	int threads; /* 0 means 1 */
	int max_tokens; /* KV cache size in tokens (prompt + generated); 0: the model's context */
};

struct bn_infer;

int bn_infer_new(struct bn_infer **out, const struct bn_model *m,
		 const struct bn_infer_opts *opts);
void bn_infer_free(struct bn_infer *s);

/* Forgets every position (the cache restarts at 0). */
void bn_infer_reset(struct bn_infer *s);

/* Keeps only the first pos positions (pos <= the current one): later evals overwrite the
 * rest. A benchmark uses it to decode over the same span again and again. */
void bn_infer_truncate(struct bn_infer *s, int pos);

/* Positions held in the cache. */
int bn_infer_pos(const struct bn_infer *s);

/* Runs n tokens (a prompt as one batch through the GEMM kernels when n > 1, the GEMV
 * kernels when n == 1) at the next positions and leaves the logits of the last token in
 * bn_infer_logits. BN_EINVAL for a token outside the vocabulary or a full cache; BN_ESTRICT
 * when strict mode refuses a kernel. */
int bn_infer_eval(struct bn_infer *s, const int32_t *tokens, int n);

/* What bn_infer_eval (and the GPU pass) checks before it evaluates: n > 0 tokens that fit
 * the cache after pos, each inside the vocabulary. BN_EINVAL with the reason. */
int bn_infer_check_tokens(const struct bn_model_config *c, int pos, int max_tokens,
			  const int32_t *tokens, int n);

/* The logits of the last evaluated token (vocab floats), valid until the next eval. */
const float *bn_infer_logits(const struct bn_infer *s);

/* Wall time spent in each stage of the forward pass since the last reset, summed over
 * evals: where a token's time goes. */
struct bn_infer_stages {
	double bitlinear_s; /* activation quantization, the ternary kernels, scaling back */
	double attention_s; /* RoPE, the KV cache, softmax attention, attn_sub_norm */
	double lm_head_s;   /* output norm and the tied F16 lm_head */
	double other_s;     /* embedding, the other norms, residuals, relu^2 * up */
};

void bn_infer_stages_get(const struct bn_infer *s, struct bn_infer_stages *out);
void bn_infer_stages_reset(struct bn_infer *s);

/* The dispatch context, to read which kernel ran each operation (bn_ctx_ran). */
struct bn_ctx *bn_infer_ctx(struct bn_infer *s);

/* --- sampling ---------------------------------------------------------------------------- */

struct bn_sampler_opts {
	float temperature; /* 0: greedy (argmax, the lowest id on ties) */
	int top_k;         /* keep the k most likely (0: all) */
	float top_p;       /* then the smallest set whose probability reaches p (1: all) */
	uint64_t seed;
};

struct bn_sampler {
	struct bn_sampler_opts o;
	uint64_t state;
	int n;          /* vocabulary */
	float *prob; /* scratch */
	void *cand;  /* scratch: (logit, id) pairs */
};

int bn_sampler_init(struct bn_sampler *s, const struct bn_sampler_opts *o, int vocab);
void bn_sampler_clear(struct bn_sampler *s);

/* The next token from logits (vocab values). */
int32_t bn_sample(struct bn_sampler *s, const float *logits);

#ifdef __cplusplus
}
#endif

#endif
