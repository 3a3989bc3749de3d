/* Model files: a synthetic tiny model writes deterministically and loads with its preset's
 * hyperparameters, weights mapped (not copied) and every ternary code checked; files whose
 * metadata disagree with their tensors, or that hold an invalid code, are refused naming
 * the tensor. Also F16 conversion against hand-worked values. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bn_error.h"
#include "bn_half.h"
#include "bn_infer.h"
#include "bn_model.h"
#include "tf.h"

static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	TF_CHECK(f, "open %s", path);
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *b = malloc((size_t)len);
	TF_CHECK(b && fread(b, 1, (size_t)len, f) == (size_t)len, "read %s", path);
	fclose(f);
	*n = (size_t)len;
	return b;
}

static void spit(const char *path, const unsigned char *b, size_t n)
{
	FILE *f = fopen(path, "wb");
	TF_CHECK(f && fwrite(b, 1, n, f) == n && fclose(f) == 0, "write %s", path);
}

TF_TEST(model__half_conversions)
{
	/* values worked by hand from the binary16 layout */
	TF_CHECK_EQ(bn_f32_to_f16(1.0f), 0x3C00);
	TF_CHECK_EQ(bn_f32_to_f16(-2.0f), 0xC000);
	TF_CHECK_EQ(bn_f32_to_f16(65504.0f), 0x7BFF);           /* largest finite */
	TF_CHECK_EQ(bn_f32_to_f16(65520.0f), 0x7C00);           /* rounds up to infinity */
	TF_CHECK_EQ(bn_f32_to_f16(5.9604645e-8f), 0x0001);      /* smallest subnormal */
	TF_CHECK_EQ(bn_f32_to_f16(1.0f + 1.0f / 2048), 0x3C00); /* tie: to even */
	TF_CHECK_EQ(bn_f32_to_f16(1.0f + 3.0f / 2048), 0x3C02); /* tie: to even (up) */
	TF_CHECK(bn_f16_to_f32(0x3555) == 0.333251953125f, "0x3555 = %.12g",
		 (double)bn_f16_to_f32(0x3555));
	TF_CHECK(bn_f16_to_f32(0x0001) == 5.9604644775390625e-8f, "subnormal");
	TF_CHECK(bn_f16_to_f32(0x8000) == 0 && signbit(bn_f16_to_f32(0x8000)), "-0");
	TF_CHECK(isinf(bn_f16_to_f32(0xFC00)) && bn_f16_to_f32(0xFC00) < 0, "-inf");
	TF_CHECK(isnan(bn_f16_to_f32(0x7E00)), "nan");
	/* every finite half survives the round trip */
	for (uint32_t h = 0; h < 0x10000; h++)
		if ((h & 0x7C00) != 0x7C00)
			TF_CHECK(bn_f32_to_f16(bn_f16_to_f32((uint16_t)h)) == h, "0x%04x", h);
}

TF_TEST(model__tiny_synthetic_loads)
{
	struct bn_model_config c;
	TF_CHECK_EQ(bn_model_preset(&c, "tiny"), 0);
	TF_CHECK_EQ(bn_model_preset(&c, "huge"), BN_EINVAL);
	TF_CHECK(strstr(bn_error_last(), "tiny or 2b"), "%s", bn_error_last());
	TF_CHECK_EQ(bn_model_preset(&c, "tiny"), 0);
	char *a = tf_tmpfile("bn-model"), *b = tf_tmpfile("bn-model");
	char *d = tf_tmpfile("bn-model");
	TF_CHECK(bn_model_write_synthetic(&c, 7, a) == 0, "%s", bn_error_last());
	TF_CHECK_EQ(bn_model_write_synthetic(&c, 7, b), 0);
	TF_CHECK_EQ(bn_model_write_synthetic(&c, 8, d), 0);
	size_t na, nb, nd;
	unsigned char *xa = slurp(a, &na), *xb = slurp(b, &nb), *xd = slurp(d, &nd);
	TF_CHECK(na == nb && !memcmp(xa, xb, na), "same seed, different files");
	TF_CHECK(na == nd && memcmp(xa, xd, na), "different seeds, same file");

	struct bn_model *m;
	TF_CHECK(bn_model_open(&m, a) == 0, "%s", bn_error_last());
	TF_CHECK(m->cfg.hidden == 256 && m->cfg.layers == 2 && m->cfg.ffn == 512 &&
			 m->cfg.heads == 4 && m->cfg.kv_heads == 2 && m->cfg.head_dim == 64 &&
			 m->cfg.vocab == 256 && m->cfg.context == 512 &&
			 m->cfg.rope_theta == 10000.0f && m->cfg.rms_eps == 1e-5f,
		 "hyperparameters");
	TF_CHECK(m->embd_f16, "embedding type");
	const struct bn_layer_weights *w = &m->layer[1];
	TF_CHECK(w->wq.n == 256 && w->wq.k == 256 && w->wk.n == 128 && w->w_down.k == 512 &&
			 w->w_down.n == 256 && w->w_gate.n == 512,
		 "matrix shapes");
	TF_CHECK(fabsf(w->wq.scale - sqrtf(1.5f / 256)) < 1e-6f, "scale %g", (double)w->wq.scale);
	/* mapped, not copied: the codes lie inside the file's mapping */
	const unsigned char *lo = m->file->base, *hi = lo + m->file->size;
	TF_CHECK(w->w_up.codes >= lo && w->w_up.codes + 512 * 64 <= hi, "codes copied");
	/* one token reads every matrix's codes and the tied embedding */
	uint64_t want = 256ull * 256 * 2 /* F16 embedding */ +
			2ull * (256 * 256 + 2 * 256 * 128 + 256 * 256 + 3 * 256 * 512) / 4;
	TF_CHECK(m->weight_bytes == want, "weight bytes %llu, want %llu",
		 (unsigned long long)m->weight_bytes, (unsigned long long)want);
	bn_model_close(m);
	unlink(a), unlink(b), unlink(d);
	free(xa), free(xb), free(xd);
	free(a), free(b), free(d);
}

/* The file offset of a tensor's data in bytes. */
static size_t data_at(const char *path, const char *tensor)
{
	struct bn_gguf *g;
	TF_CHECK(bn_gguf_open(&g, path) == 0, "%s", bn_error_last());
	const struct bn_gguf_tensor *t = bn_gguf_tensor(g, tensor);
	TF_CHECK(t, "no %s", tensor);
	size_t at = (size_t)(g->data_offset + t->offset);
	bn_gguf_close(g);
	return at;
}

/* The byte offset of a u32 metadata value (after its key and type). */
static size_t u32_at(const unsigned char *x, size_t n, const char *key)
{
	size_t kl = strlen(key);
	for (size_t i = 8; i + kl + 8 <= n; i++)
		if (!memcmp(x + i, key, kl) && x[i - 8] == kl)
			return i + kl + 4;
	TF_CHECK(0, "key %s not found", key);
	return 0;
}

TF_TEST(model__bad_files_refused)
{
	struct bn_model_config c;
	TF_CHECK_EQ(bn_model_preset(&c, "tiny"), 0);
	char *a = tf_tmpfile("bn-model"), *bad = tf_tmpfile("bn-model");
	TF_CHECK_EQ(bn_model_write_synthetic(&c, 3, a), 0);
	size_t n;
	unsigned char *x = slurp(a, &n);
	struct bn_model *m;

	/* metadata that disagrees with the tensors */
	unsigned char *y = malloc(n);
	memcpy(y, x, n);
	y[u32_at(y, n, "bitnet-25.feed_forward_length")] = 0x80; /* 512 -> 640 */
	spit(bad, y, n);
	TF_CHECK_EQ(bn_model_open(&m, bad), BN_EFORMAT);
	TF_CHECK(strstr(bn_error_last(), bad) &&
			 strstr(bn_error_last(), "'blk.0.ffn_gate.weight' has shape {256, 512}") &&
			 strstr(bn_error_last(), "say {256, 640}"),
		 "%s", bn_error_last());

	/* an invalid ternary code (3) in a weight matrix */
	memcpy(y, x, n);
	y[data_at(a, "blk.1.ffn_down.weight") + 100] = 0xFF;
	spit(bad, y, n);
	TF_CHECK_EQ(bn_model_open(&m, bad), BN_EFORMAT);
	TF_CHECK(strstr(bn_error_last(), "'blk.1.ffn_down.weight'"), "%s", bn_error_last());

	/* heads that do not divide the hidden size */
	memcpy(y, x, n);
	y[u32_at(y, n, "bitnet-25.attention.head_count")] = 3;
	spit(bad, y, n);
	TF_CHECK_EQ(bn_model_open(&m, bad), BN_EFORMAT);
	TF_CHECK(strstr(bn_error_last(), "must divide hidden"), "%s", bn_error_last());

	/* another architecture */
	memcpy(y, x, n);
	unsigned char *arch = memmem(y, n, "bitnet-25", 9);
	TF_CHECK(arch, "no architecture string");
	memcpy(arch, "llama-025", 9);
	spit(bad, y, n);
	TF_CHECK_EQ(bn_model_open(&m, bad), BN_EFORMAT);
	TF_CHECK(strstr(bn_error_last(), "not a BitNet"), "%s", bn_error_last());

	/* a truncated file: GGUF's own check */
	spit(bad, x, n / 2);
	TF_CHECK_EQ(bn_model_open(&m, bad), BN_EFORMAT);
	TF_CHECK(strstr(bn_error_last(), "runs past the end") ||
			 strstr(bn_error_last(), "truncated"),
		 "%s", bn_error_last());
	unlink(a), unlink(bad);
	free(x), free(y), free(a), free(bad);
}

/* The logits after a 3-token prompt (the GEMM kernels) and one more token (the GEMV
 * kernels) with this kernel; vocab floats, malloc'd. */
static float *logits_after(const struct bn_model *m, int kernel)
{
	struct bn_infer *s;
	const struct bn_infer_opts o = {.kernel = kernel, .threads = 1, .max_tokens = 8};
	TF_CHECK(bn_infer_new(&s, m, &o) == 0, "%s: %s", bn_kernel_name(kernel), bn_error_last());
	static const int32_t prompt[] = {72, 105, 33}, next = 10;
	TF_CHECK(bn_infer_eval(s, prompt, 3) == 0 && bn_infer_eval(s, &next, 1) == 0, "%s: %s",
		 bn_kernel_name(kernel), bn_error_last());
	float *l = malloc((size_t)m->cfg.vocab * sizeof(float));
	TF_CHECK(l, "out of memory");
	memcpy(l, bn_infer_logits(s), (size_t)m->cfg.vocab * sizeof(float));
	bn_infer_free(s);
	return l;
}

/* The tiny model written with other alignments: below what the kernels need (they are
 * handed the weights in place) it is refused naming the file and general.alignment, never
 * read misaligned (the AVX2 GEMV faulted on alignment 16); at or above it every kernel the
 * dispatch offers gives the logits of the default file, bit for bit. */
TF_TEST(model__alignment_refused_or_same_logits)
{
	unsetenv("BITNET_STRICT_MODE"); /* every kernel is asked for by name */
	struct bn_model_config c;
	TF_CHECK_EQ(bn_model_preset(&c, "tiny"), 0);
	char *a = tf_tmpfile("bn-model"), *p = tf_tmpfile("bn-model");
	TF_CHECK_EQ(bn_model_write_synthetic(&c, 11, a), 0);
	struct bn_model *base, *m;
	TF_CHECK(bn_model_open(&base, a) == 0, "%s", bn_error_last());
	static const uint32_t aligns[] = {1, 2, 8, 16, 64, 256};
	int compared = 0;
	for (size_t i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
		TF_CHECK_EQ(bn_model_write_synthetic_aligned(&c, 11, aligns[i], p), 0);
		int rc = bn_model_open(&m, p);
		if (aligns[i] < BN_MODEL_MIN_ALIGNMENT) {
			TF_CHECK(rc == BN_EFORMAT && !m, "alignment %u: %d", aligns[i], rc);
			TF_CHECK(strstr(bn_error_last(), p) &&
					 strstr(bn_error_last(), "general.alignment"),
				 "%s", bn_error_last());
			continue;
		}
		TF_CHECK(rc == 0, "alignment %u: %s", aligns[i], bn_error_last());
		for (int k = 0; k < BN_KERNEL_COUNT; k++) {
			if (!bn_kernel_available(k, NULL))
				continue;
			float *want = logits_after(base, k), *got = logits_after(m, k);
			TF_CHECK(!memcmp(want, got, (size_t)c.vocab * sizeof(float)),
				 "alignment %u, kernel %s: logits differ", aligns[i],
				 bn_kernel_name(k));
			free(want), free(got);
			compared++;
		}
		bn_model_close(m);
	}
	TF_CHECK(compared >= 2, "%d comparisons", compared); /* ref at least, twice */
	bn_model_close(base);
	unlink(a), unlink(p);
	free(a), free(p);
}

/* A block_count the file's tensors cannot back (11 a layer) is refused naming the file and
 * the key before any layer record is allocated; it was a calloc of block_count records
 * (541 GB for 2^31 - 1: "out of memory", misnaming a malformed file). */
TF_TEST(model__block_count_beyond_tensors)
{
	struct bn_model_config c;
	TF_CHECK_EQ(bn_model_preset(&c, "tiny"), 0);
	char *a = tf_tmpfile("bn-model"), *bad = tf_tmpfile("bn-model");
	TF_CHECK_EQ(bn_model_write_synthetic(&c, 3, a), 0);
	size_t n;
	unsigned char *x = slurp(a, &n);
	static const uint32_t counts[] = {0x7FFFFFFF, 10000000, 3};
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		size_t at = u32_at(x, n, "bitnet-25.block_count");
		for (int b = 0; b < 4; b++)
			x[at + (size_t)b] = (unsigned char)(counts[i] >> (8 * b));
		spit(bad, x, n);
		struct bn_model *m = NULL;
		TF_CHECK_EQ(bn_model_open(&m, bad), BN_EFORMAT);
		TF_CHECK(!m && strstr(bn_error_last(), bad) &&
				 strstr(bn_error_last(), "block_count"),
			 "block_count %u: %s", counts[i], bn_error_last());
	}
	unlink(a), unlink(bad);
	free(x), free(a), free(bad);
}
