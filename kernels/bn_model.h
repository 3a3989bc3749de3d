/* BitNet b1.58 models in GGUF: the architecture's hyperparameters, synthetic models with
 * random ternary weights (deterministic in a seed), and loading a model file (the official
 * BitNet-b1.58-2B-4T GGUF layout, or one bitnet-mkmodel wrote) with every tensor checked
 * against the hyperparameters. Weights stay where bn_gguf_open put the file's bytes (read
 * once onto huge pages for a file of 64 MiB or more, else mapped): nothing else is copied.
 *
 * Metadata read (architecture "bitnet-25", as bitnet.cpp's converter writes it):
 *   bitnet-25.embedding_length, .block_count, .feed_forward_length,
 *   .attention.head_count, .attention.head_count_kv, .rope.freq_base,
 *   .attention.layer_norm_rms_epsilon, .context_length, .vocab_size (when absent: the
 *   embedding's row count).
 * Tensors (ne[0] = input features k, ne[1] = output features n):
 *   token_embd.weight       F16 or F32 {hidden, vocab}  (also the tied lm_head)
 *   output_norm.weight      F32 {hidden}
 *   blk.L.attn_norm.weight  F32 {hidden}
 *   blk.L.attn_q.weight     I2_S {hidden, heads * head_dim}
 *   blk.L.attn_k.weight     I2_S {hidden, kv_heads * head_dim}
 *   blk.L.attn_v.weight     I2_S {hidden, kv_heads * head_dim}
 *   blk.L.attn_sub_norm.weight F32 {hidden}
 *   blk.L.attn_output.weight I2_S {hidden, hidden}
 *   blk.L.ffn_norm.weight   F32 {hidden}
 *   blk.L.ffn_gate.weight   I2_S {hidden, ffn}
 *   blk.L.ffn_up.weight     I2_S {hidden, ffn}
 *   blk.L.ffn_sub_norm.weight F32 {ffn}
 *   blk.L.ffn_down.weight   I2_S {ffn, hidden}
 * head_dim = hidden / heads. */
#ifndef BN_MODEL_H
#define BN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "bn_gguf.h"
#include "bn_pack.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bn_model_config {
	int hidden;    /* embedding_length */
	int layers;    /* block_count */
	int ffn;       /* feed_forward_length */
	int heads;     /* attention.head_count */
	int kv_heads;  /* attention.head_count_kv */
	int head_dim;  /* hidden / heads */
	int vocab;     /* vocab_size */
	int context;   /* context_length */
	float rope_theta;
	float rms_eps;
};

/* "tiny" (tests: hidden 256, 2 layers, 4 heads, 2 KV heads, FFN 512, byte vocabulary 256,
 * context 512) or "2b" (BitNet-b1.58-2B-4T: hidden 2560, 30 layers, 20 heads, 5 KV heads,
 * head dim 128, FFN 6912, vocab 128256, context 4096, rope theta 500000, eps 1e-5).
 * BN_EINVAL naming the valid presets otherwise. */
int bn_model_preset(struct bn_model_config *out, const char *name);

/* Checks the shape rules the kernels need (hidden and ffn multiples of 128, heads dividing
 * hidden, kv_heads dividing heads, an even head_dim for RoPE, positive sizes). */
int bn_model_config_check(const struct bn_model_config *c, const char *origin);

/* Writes a model of this shape with random ternary weights (I2_S, per-tensor scales near
 * sqrt(1.5 / k) so activations keep their size), norms near 1, and a tied F16 embedding,
 * deterministic in seed, to path (atomically). */
int bn_model_write_synthetic(const struct bn_model_config *c, uint64_t seed, const char *path);
/* The same with general.alignment set to alignment (a power of two; the writer refuses
 * another): files other writers could make, for testing what the loader accepts. */
int bn_model_write_synthetic_aligned(const struct bn_model_config *c, uint64_t seed,
				     uint32_t alignment, const char *path);

/* The least general.alignment bn_model_open accepts. The kernels are handed the weights
 * where they lie in the file (nothing is copied) and read I2_S codes with aligned 32-byte
 * loads (one block each); a data section aligned to 32 in a page-aligned mapping (or the
 * huge-page copy) also puts every F32 norm and F16 embedding row on its element size. */
#define BN_MODEL_MIN_ALIGNMENT BN_I2S_BLOCK_BYTES

/* One BitLinear layer: the weight matrix as the kernels read it, its codes pointing into
 * the file's bytes. */
struct bn_layer_weights {
	const float *attn_norm, *attn_sub_norm, *ffn_norm, *ffn_sub_norm;
	struct bn_tmat wq, wk, wv, wo, w_gate, w_up, w_down;
};

struct bn_model {
	struct bn_model_config cfg;
	struct bn_gguf *file;
	const void *embd;   /* vocab rows of hidden values */
	int embd_f16;       /* 1: F16, 0: F32 */
	const float *output_norm;
	struct bn_layer_weights *layer;
	uint64_t weight_bytes; /* bytes of weights one decoded token reads (matrices, norms,
				  and one embedding row for the lm_head... see bn_model.c) */
};

/* Maps path and builds the model. BN_EIO (cannot read), BN_EFORMAT (not GGUF, a
 * general.alignment below BN_MODEL_MIN_ALIGNMENT, a tensor missing or of the wrong type or
 * shape, hyperparameters that disagree with the tensors, a block_count more than the
 * file's tensors can hold, an invalid ternary code), each naming the file and the tensor or
 * key. */
int bn_model_open(struct bn_model **out, const char *path);
void bn_model_close(struct bn_model *m);

#ifdef __cplusplus
}
#endif

#endif
