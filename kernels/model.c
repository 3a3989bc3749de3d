/* BitNet b1.58 model files: presets, synthetic models, loading (see bn_model.h). */
#include "bn_model.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bn_error.h"
#include "bn_half.h"

/* --- hyperparameters --------------------------------------------------------------------- */

static const struct {
	const char *name;
	struct bn_model_config config;
} presets[] = {
	{"tiny",
	 {.hidden = 256,
	  .layers = 2,
	  .ffn = 512,
	  .heads = 4,
	  .kv_heads = 2,
	  .head_dim = 64,
	  .vocab = 256,
	  .context = 512,
	  .rope_theta = 10000.0f,
	  .rms_eps = 1e-5f}},
	{"2b",
	 {.hidden = 2560,
	  .layers = 30,
	  .ffn = 6912,
	  .heads = 20,
	  .kv_heads = 5,
	  .head_dim = 128,
	  .vocab = 128256,
	  .context = 4096,
	  .rope_theta = 500000.0f,
	  .rms_eps = 1e-5f}},
};

int bn_model_preset(struct bn_model_config *out, const char *name)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; name && i < sizeof(presets) / sizeof(presets[0]); i++)
		if (!strcmp(name, presets[i].name)) {
			*out = presets[i].config;
			return 0;
		}
	return bn_error_set(BN_EINVAL, "model config '%s': expected tiny or 2b",
			    name ? name : "(null)");
}

int bn_model_config_check(const struct bn_model_config *c, const char *origin)
{
	if (c->hidden <= 0 || c->layers <= 0 || c->ffn <= 0 || c->heads <= 0 || c->kv_heads <= 0 ||
	    c->vocab <= 0 || c->context <= 0)
		return bn_error_set(BN_EFORMAT,
				    "%s: hyperparameters must be positive (hidden %d, layers %d, ffn "
				    "%d, heads %d, kv heads %d, vocab %d, context %d)",
				    origin, c->hidden, c->layers, c->ffn, c->heads, c->kv_heads,
				    c->vocab, c->context);
	if (c->hidden % BN_I2S_BLOCK || c->ffn % BN_I2S_BLOCK || c->hidden > BN_MAX_K ||
	    c->ffn > BN_MAX_K)
		return bn_error_set(BN_EFORMAT,
				    "%s: hidden %d and ffn %d must be multiples of %d (I2_S blocks) "
				    "up to %d",
				    origin, c->hidden, c->ffn, BN_I2S_BLOCK, BN_MAX_K);
	if (c->hidden % c->heads || c->heads % c->kv_heads || c->head_dim != c->hidden / c->heads ||
	    c->head_dim % 2)
		return bn_error_set(BN_EFORMAT,
				    "%s: %d heads of %d must divide hidden %d, %d KV heads must "
				    "divide the heads, and the head size must be even",
				    origin, c->heads, c->head_dim, c->hidden, c->kv_heads);
	if (!(c->rope_theta > 0) || !isfinite(c->rope_theta) || !(c->rms_eps > 0) ||
	    !isfinite(c->rms_eps))
		return bn_error_set(BN_EFORMAT, "%s: rope theta %g and RMS epsilon %g must be "
						"positive and finite",
				    origin, (double)c->rope_theta, (double)c->rms_eps);
	return 0;
}

/* --- synthetic models -------------------------------------------------------------------- */

static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static double unit(uint64_t *s)
{
	return (double)(mix(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* The 81 bytes whose four 2-bit codes are all ternary (0, 1 or 2). */
static void ternary_bytes(uint8_t t[81])
{
	int n = 0;
	for (int b = 0; b < 256; b++)
		if ((b & 3) != 3 && ((b >> 2) & 3) != 3 && ((b >> 4) & 3) != 3 && ((b >> 6) & 3) != 3)
			t[n++] = (uint8_t)b;
}

struct synth {
	struct bn_gguf_writer *w;
	void **bufs;
	size_t n_bufs;
	uint64_t seed, tensor_index;
	uint8_t tbytes[81];
};

static void *synth_alloc(struct synth *s, size_t bytes)
{
	void **v = realloc(s->bufs, (s->n_bufs + 1) * sizeof(*v));
	if (!v)
		return NULL;
	s->bufs = v;
	void *p = malloc(bytes ? bytes : 1);
	if (p)
		s->bufs[s->n_bufs++] = p;
	return p;
}

static uint64_t tensor_seed(struct synth *s)
{
	uint64_t st = s->seed ^ (0xD1B54A32D192ED03ull * ++s->tensor_index);
	return mix(&st);
}

static int synth_ternary(struct synth *s, const char *name, int k, int n)
{
	size_t codes = (size_t)n * (size_t)k / 4;
	uint8_t *p = synth_alloc(s, codes + BN_I2S_SCALE_TAIL);
	if (!p)
		return bn_error_set(BN_ENOMEM, "synthetic model: out of memory for %s", name);
	uint64_t st = tensor_seed(s);
	for (size_t i = 0; i < codes; i += 8) {
		uint64_t r = mix(&st);
		for (size_t b = 0; b < 8 && i + b < codes; b++)
			p[i + b] = s->tbytes[((r >> (8 * b)) & 0xFF) % 81];
	}
	float scale = (float)sqrt(1.5 / k);
	memset(p + codes, 0, BN_I2S_SCALE_TAIL);
	memcpy(p + codes, &scale, sizeof(scale));
	const uint64_t ne[2] = {(uint64_t)k, (uint64_t)n};
	return bn_gguf_add_tensor(s->w, name, BN_GGML_I2_S, 2, ne, p, codes + BN_I2S_SCALE_TAIL);
}

static int synth_norm(struct synth *s, const char *name, int n)
{
	float *p = synth_alloc(s, (size_t)n * sizeof(float));
	if (!p)
		return bn_error_set(BN_ENOMEM, "synthetic model: out of memory for %s", name);
	uint64_t st = tensor_seed(s);
	for (int i = 0; i < n; i++)
		p[i] = (float)(1.0 + 0.2 * (unit(&st) - 0.5));
	const uint64_t ne[1] = {(uint64_t)n};
	return bn_gguf_add_tensor(s->w, name, BN_GGML_F32, 1, ne, p, (uint64_t)n * sizeof(float));
}

static int synth_embedding(struct synth *s, const struct bn_model_config *c)
{
	size_t n = (size_t)c->vocab * (size_t)c->hidden;
	uint16_t *p = synth_alloc(s, n * sizeof(uint16_t));
	if (!p)
		return bn_error_set(BN_ENOMEM, "synthetic model: out of memory for the embedding");
	uint64_t st = tensor_seed(s);
	/* logits = h . e with |h| ~ sqrt(hidden) after the output norm: rows of size about
	 * 2 / sqrt(hidden) keep them near 1 */
	double a = 2.0 / sqrt((double)c->hidden);
	for (size_t i = 0; i < n; i++)
		p[i] = bn_f32_to_f16((float)(a * (2 * unit(&st) - 1)));
	const uint64_t ne[2] = {(uint64_t)c->hidden, (uint64_t)c->vocab};
	return bn_gguf_add_tensor(s->w, "token_embd.weight", BN_GGML_F16, 2, ne, p,
				  n * sizeof(uint16_t));
}

#define KEY(k) "bitnet-25." k

int bn_model_write_synthetic(const struct bn_model_config *c, uint64_t seed, const char *path)
{
	return bn_model_write_synthetic_aligned(c, seed, BN_GGUF_DEFAULT_ALIGNMENT, path);
}

int bn_model_write_synthetic_aligned(const struct bn_model_config *c, uint64_t seed,
				     uint32_t alignment, const char *path)
{
	int err = bn_model_config_check(c, "synthetic model");
	if (err)
		return err;
	struct synth s = {.seed = seed};
	ternary_bytes(s.tbytes);
	if ((err = bn_gguf_writer_new(&s.w)))
		return err;
	char name[96], model_name[64];
	snprintf(model_name, sizeof(model_name), "bitgate synthetic (seed %" PRIu64 ")", seed);
	err = bn_gguf_add_str(s.w, "general.architecture", "bitnet-25");
	err = err ? err : bn_gguf_add_str(s.w, "general.name", model_name);
	err = err ? err : bn_gguf_add_u32(s.w, "general.alignment", alignment);
	err = err ? err : bn_gguf_add_u32(s.w, KEY("embedding_length"), (uint32_t)c->hidden);
	err = err ? err : bn_gguf_add_u32(s.w, KEY("block_count"), (uint32_t)c->layers);
	err = err ? err : bn_gguf_add_u32(s.w, KEY("feed_forward_length"), (uint32_t)c->ffn);
	err = err ? err : bn_gguf_add_u32(s.w, KEY("attention.head_count"), (uint32_t)c->heads);
	err = err ? err
		  : bn_gguf_add_u32(s.w, KEY("attention.head_count_kv"), (uint32_t)c->kv_heads);
	err = err ? err : bn_gguf_add_f32(s.w, KEY("rope.freq_base"), c->rope_theta);
	err = err ? err
		  : bn_gguf_add_f32(s.w, KEY("attention.layer_norm_rms_epsilon"), c->rms_eps);
	err = err ? err : bn_gguf_add_u32(s.w, KEY("context_length"), (uint32_t)c->context);
	err = err ? err : bn_gguf_add_u32(s.w, KEY("vocab_size"), (uint32_t)c->vocab);
	err = err ? err : bn_gguf_add_str(s.w, "tokenizer.ggml.model", "bytes");
	err = err ? err : synth_embedding(&s, c);
	err = err ? err : synth_norm(&s, "output_norm.weight", c->hidden);
	int q = c->heads * c->head_dim, kv = c->kv_heads * c->head_dim;
	for (int l = 0; l < c->layers && !err; l++) {
#define T(suffix) (snprintf(name, sizeof(name), "blk.%d." suffix ".weight", l), name)
		err = synth_norm(&s, T("attn_norm"), c->hidden);
		err = err ? err : synth_ternary(&s, T("attn_q"), c->hidden, q);
		err = err ? err : synth_ternary(&s, T("attn_k"), c->hidden, kv);
		err = err ? err : synth_ternary(&s, T("attn_v"), c->hidden, kv);
		err = err ? err : synth_norm(&s, T("attn_sub_norm"), c->hidden);
		err = err ? err : synth_ternary(&s, T("attn_output"), q, c->hidden);
		err = err ? err : synth_norm(&s, T("ffn_norm"), c->hidden);
		err = err ? err : synth_ternary(&s, T("ffn_gate"), c->hidden, c->ffn);
		err = err ? err : synth_ternary(&s, T("ffn_up"), c->hidden, c->ffn);
		err = err ? err : synth_norm(&s, T("ffn_sub_norm"), c->ffn);
		err = err ? err : synth_ternary(&s, T("ffn_down"), c->ffn, c->hidden);
#undef T
	}
	err = err ? err : bn_gguf_writer_write(s.w, path);
	bn_gguf_writer_free(s.w);
	for (size_t i = 0; i < s.n_bufs; i++)
		free(s.bufs[i]);
	free(s.bufs);
	return err;
}

/* --- loading ----------------------------------------------------------------------------- */

/* The thread's last message again, under another code and with a prefix (copied first: the
 * message buffer cannot be both the format's argument and its destination). */
static int rewrap(int code, const char *prefix)
{
	char msg[512];
	snprintf(msg, sizeof(msg), "%s", bn_error_last());
	return bn_error_set(code, "%s%s", prefix, msg);
}

#define LAYER_TENSORS 11 /* load_layer's: 4 norms, 7 matrices */

struct loader {
	struct bn_model *m;
	const char *path;
	const char *arch;
};

static const struct bn_gguf_tensor *need_tensor(struct loader *L, const char *name,
						 enum bn_ggml_type type, uint64_t ne0, uint64_t ne1,
						 int *err)
{
	const struct bn_gguf_tensor *t = bn_gguf_tensor(L->m->file, name);
	if (!t) {
		*err = bn_error_set(BN_EFORMAT, "%s: tensor '%s' is missing", L->path, name);
		return NULL;
	}
	if (t->type != type) {
		*err = bn_error_set(BN_EFORMAT, "%s: tensor '%s' is %s, expected %s", L->path, name,
				    bn_ggml_type_name(t->type), bn_ggml_type_name(type));
		return NULL;
	}
	/* what BN_MODEL_MIN_ALIGNMENT gives: checked on the pointer handed out, however the
	 * bytes came to be where they are */
	size_t align = type == BN_GGML_I2_S ? BN_MODEL_MIN_ALIGNMENT : type == BN_GGML_F32 ? 4 : 2;
	if ((uintptr_t)t->data % align) {
		*err = bn_error_set(BN_EFORMAT,
				    "%s: tensor '%s': data not %zu-byte aligned in memory", L->path,
				    name, align);
		return NULL;
	}
	uint64_t rest = t->n_elements / t->ne[0] / (t->n_dims > 1 ? t->ne[1] : 1);
	if (t->ne[0] != ne0 || (ne1 ? t->ne[1] != ne1 || t->n_dims != 2 : t->n_dims != 1) ||
	    rest != 1) {
		*err = bn_error_set(BN_EFORMAT,
				    "%s: tensor '%s' has shape {%" PRIu64 ", %" PRIu64
				    "} (%d dimensions) but the hyperparameters say {%" PRIu64
				    ", %" PRIu64 "}",
				    L->path, name, t->ne[0], t->ne[1], t->n_dims, ne0, ne1 ? ne1 : 1);
		return NULL;
	}
	return t;
}

static int load_norm(struct loader *L, const char *name, int n, const float **out)
{
	int err = 0;
	const struct bn_gguf_tensor *t = need_tensor(L, name, BN_GGML_F32, (uint64_t)n, 0, &err);
	if (!t)
		return err;
	const float *v = t->data;
	for (int i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return bn_error_set(BN_EFORMAT, "%s: tensor '%s': element %d is not finite",
					    L->path, name, i);
	*out = v;
	return 0;
}

static int load_ternary(struct loader *L, const char *name, int k, int n, struct bn_tmat *w)
{
	int err = 0;
	const struct bn_gguf_tensor *t =
		need_tensor(L, name, BN_GGML_I2_S, (uint64_t)k, (uint64_t)n, &err);
	if (!t)
		return err;
	size_t codes = (size_t)n * (size_t)k / 4;
	memset(w, 0, sizeof(*w));
	w->codes = (uint8_t *)(uintptr_t)t->data; /* read only: the kernels never write it */
	memcpy(&w->scale, (const uint8_t *)t->data + codes, sizeof(w->scale));
	w->n = n;
	w->k = k;
	w->k_pad = k; /* k is a multiple of the block: rows are the flat I2_S packing */
	w->row_bytes = (size_t)k / 4;
	if (!isfinite(w->scale) || w->scale < 0)
		return bn_error_set(BN_EFORMAT, "%s: tensor '%s': scale %g is not a finite, "
						"non-negative number",
				    L->path, name, (double)w->scale);
	if ((err = bn_tmat_validate(w)) < 0) {
		char prefix[256];
		snprintf(prefix, sizeof(prefix), "%s: tensor '%s': ", L->path, name);
		return rewrap(err, prefix);
	}
	L->m->weight_bytes += codes;
	return 0;
}

static int key_u32(struct loader *L, const char *key, int *out)
{
	char full[128];
	snprintf(full, sizeof(full), "%s.%s", L->arch, key);
	uint32_t v;
	if (bn_gguf_get_u32(L->m->file, full, &v))
		return rewrap(BN_EFORMAT, "");
	if (v > INT32_MAX)
		return bn_error_set(BN_EFORMAT, "%s: %s = %" PRIu32 " is too large", L->path, full, v);
	*out = (int)v;
	return 0;
}

static int key_f32(struct loader *L, const char *key, float *out)
{
	char full[128];
	snprintf(full, sizeof(full), "%s.%s", L->arch, key);
	return bn_gguf_get_f32(L->m->file, full, out) ? rewrap(BN_EFORMAT, "") : 0;
}

void bn_model_close(struct bn_model *m)
{
	if (!m)
		return;
	free(m->layer);
	bn_gguf_close(m->file);
	free(m);
}

/* The kernels read the weights where they lie in the file (BN_MODEL_MIN_ALIGNMENT). A file
 * aligned less is refused rather than copied into aligned memory: this loader's promise is
 * that a model costs its mapping and nothing more (a copy of the 2b model is 1.2 GB), and
 * writers use GGUF's default of 32 unless told otherwise. */
static int check_alignment(struct loader *L)
{
	uint32_t a = L->m->file->alignment;
	if (a < BN_MODEL_MIN_ALIGNMENT)
		return bn_error_set(BN_EFORMAT,
				    "%s: general.alignment is %" PRIu32 "; the kernels read the "
				    "weights in place and need %d or more (rewrite the file with "
				    "general.alignment 32)",
				    L->path, a, BN_MODEL_MIN_ALIGNMENT);
	return 0;
}

/* The layer records, once the file has shown it holds block_count layers' tensors (a
 * header can claim any count: it is not what sizes an allocation). */
static int alloc_layers(struct loader *L)
{
	struct bn_model *m = L->m;
	uint64_t need = (uint64_t)m->cfg.layers * LAYER_TENSORS + 2;
	if (need > m->file->n_tensors)
		return bn_error_set(
			BN_EFORMAT,
			"%s: %s.block_count is %d: %" PRIu64 " tensors (%d a layer, the "
			"embedding and the output norm) but the file holds %zu",
			L->path, L->arch, m->cfg.layers, need, LAYER_TENSORS, m->file->n_tensors);
	if (!(m->layer = calloc((size_t)m->cfg.layers, sizeof(*m->layer))))
		return bn_error_set(BN_ENOMEM, "%s: out of memory", L->path);
	return 0;
}

/* The architecture: a BitNet b1.58 model's. *arch is the key's copy, the caller's to free
 * (on an error too). */
static int read_arch(struct loader *L, char **arch)
{
	if (bn_gguf_get_str(L->m->file, "general.architecture", arch))
		return BN_EFORMAT;
	if (strcmp(*arch, "bitnet-25") && strcmp(*arch, "bitnet"))
		return bn_error_set(BN_EFORMAT,
				    "%s: architecture '%s' is not a BitNet b1.58 model (bitnet-25)",
				    L->path, *arch);
	L->arch = *arch;
	return 0;
}

/* The hyperparameters, checked; the vocabulary from its key, or else from the embedding's
 * rows (*embd, which must be there). */
static int read_config(struct loader *L, const struct bn_gguf_tensor **embd)
{
	struct bn_model_config *c = &L->m->cfg;
	int err;
	if ((err = key_u32(L, "embedding_length", &c->hidden)) ||
	    (err = key_u32(L, "block_count", &c->layers)) ||
	    (err = key_u32(L, "feed_forward_length", &c->ffn)) ||
	    (err = key_u32(L, "attention.head_count", &c->heads)) ||
	    (err = key_u32(L, "attention.head_count_kv", &c->kv_heads)) ||
	    (err = key_u32(L, "context_length", &c->context)) ||
	    (err = key_f32(L, "rope.freq_base", &c->rope_theta)) ||
	    (err = key_f32(L, "attention.layer_norm_rms_epsilon", &c->rms_eps)))
		return err;
	const struct bn_gguf_tensor *e = bn_gguf_tensor(L->m->file, "token_embd.weight");
	if (!e)
		return bn_error_set(BN_EFORMAT, "%s: tensor 'token_embd.weight' is missing",
				    L->path);
	char vkey[96];
	snprintf(vkey, sizeof(vkey), "%s.vocab_size", L->arch);
	if (bn_gguf_find(L->m->file, vkey)) {
		if ((err = key_u32(L, "vocab_size", &c->vocab)))
			return err;
	} else {
		c->vocab = e->n_dims == 2 && e->ne[1] <= INT32_MAX ? (int)e->ne[1] : 0;
	}
	c->head_dim = c->heads > 0 ? c->hidden / c->heads : 0;
	*embd = e;
	return bn_model_config_check(c, L->path);
}

/* The token embedding (F16 or F32), which the tied lm_head reads whole for every token. */
static int load_embedding(struct loader *L, const struct bn_gguf_tensor *embd)
{
	struct bn_model *m = L->m;
	int err = 0;
	m->embd_f16 = embd->type == BN_GGML_F16;
	if (!need_tensor(L, "token_embd.weight", m->embd_f16 ? BN_GGML_F16 : BN_GGML_F32,
			 (uint64_t)m->cfg.hidden, (uint64_t)m->cfg.vocab, &err))
		return err;
	m->embd = embd->data;
	m->weight_bytes += embd->n_bytes;
	return 0;
}

/* Layer l's norms and ternary matrices (LAYER_TENSORS of them). */
static int load_layer(struct loader *L, int l)
{
	const struct bn_model_config *c = &L->m->cfg;
	struct bn_layer_weights *w = &L->m->layer[l];
	int q = c->heads * c->head_dim, kv = c->kv_heads * c->head_dim;
	char name[96];
#define T(suffix) (snprintf(name, sizeof(name), "blk.%d." suffix ".weight", l), name)
	int err = load_norm(L, T("attn_norm"), c->hidden, &w->attn_norm);
	err = err ? err : load_ternary(L, T("attn_q"), c->hidden, q, &w->wq);
	err = err ? err : load_ternary(L, T("attn_k"), c->hidden, kv, &w->wk);
	err = err ? err : load_ternary(L, T("attn_v"), c->hidden, kv, &w->wv);
	err = err ? err : load_norm(L, T("attn_sub_norm"), c->hidden, &w->attn_sub_norm);
	err = err ? err : load_ternary(L, T("attn_output"), q, c->hidden, &w->wo);
	err = err ? err : load_norm(L, T("ffn_norm"), c->hidden, &w->ffn_norm);
	err = err ? err : load_ternary(L, T("ffn_gate"), c->hidden, c->ffn, &w->w_gate);
	err = err ? err : load_ternary(L, T("ffn_up"), c->hidden, c->ffn, &w->w_up);
	err = err ? err : load_norm(L, T("ffn_sub_norm"), c->ffn, &w->ffn_sub_norm);
	err = err ? err : load_ternary(L, T("ffn_down"), c->ffn, c->hidden, &w->w_down);
#undef T
	return err;
}

int bn_model_open(struct bn_model **out, const char *path)
{
	*out = NULL;
	struct bn_model *m = calloc(1, sizeof(*m));
	if (!m)
		return bn_error_set(BN_ENOMEM, "%s: out of memory", path);
	struct loader L = {.m = m, .path = path};
	const struct bn_gguf_tensor *embd = NULL;
	char *arch = NULL;
	int err = bn_gguf_open(&m->file, path);
	if (err)
		goto fail;
#ifdef MADV_POPULATE_READ
	/* Every weight is read for every token: map the whole file now, as part of loading,
	 * rather than page by page inside the first prompt. A kernel without it (before Linux
	 * 5.14) says EINVAL and the pages are mapped on first touch as before. */
	if (m->file->map)
		(void)madvise(m->file->map, m->file->size, MADV_POPULATE_READ);
#endif
	if ((err = check_alignment(&L)) || (err = read_arch(&L, &arch)) ||
	    (err = read_config(&L, &embd)) || (err = load_embedding(&L, embd)) ||
	    (err = load_norm(&L, "output_norm.weight", m->cfg.hidden, &m->output_norm)) ||
	    (err = alloc_layers(&L)))
		goto fail;
	for (int l = 0; l < m->cfg.layers && !err; l++)
		err = load_layer(&L, l);
	if (err)
		goto fail;
	free(arch);
	*out = m;
	return 0;
fail:
	free(arch);
	bn_model_close(m);
	return err;
}
