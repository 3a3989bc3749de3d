/* Writes the GGUF seeds of fuzz/corpus/fuzz_gguf/ with libbitnet's own writer, small
 * enough for a corpus (a one-layer model of hidden 128 is about 40 KB):
 *   model.gguf             a valid model bn_model_open loads
 *   align16.gguf           the same with general.alignment 16 (issue 17, defect 2)
 *   block_count_huge.gguf  the same claiming 2^31-1 layers (defect 3)
 *   every_type.gguf        metadata of every value type and arrays, one F32/F16/TQ2_0 tensor
 * Usage: gguf_seeds DIR (built with the harnesses; scripts/fuzz does not run it). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bn_error.h"
#include "bn_gguf.h"
#include "bn_model.h"

static const struct bn_model_config small = {.hidden = 128,
					     .layers = 1,
					     .ffn = 128,
					     .heads = 2,
					     .kv_heads = 1,
					     .head_dim = 64,
					     .vocab = 8,
					     .context = 16,
					     .rope_theta = 10000.0f,
					     .rms_eps = 1e-5f};

static int fail(const char *what)
{
	fprintf(stderr, "gguf_seeds: %s: %s\n", what, bn_error_last());
	return 1;
}

/* Overwrites the uint32 value of key in the file at path. */
static int patch_u32(const char *path, const char *key, uint32_t v)
{
	FILE *f = fopen(path, "r+b");
	static char buf[1 << 20];
	size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;
	char *k = n ? memmem(buf, n, key, strlen(key)) : NULL;
	if (!k || (size_t)(k - buf) + strlen(key) + 8 > n) {
		fprintf(stderr, "gguf_seeds: %s: no %s\n", path, key);
		return 1;
	}
	memcpy(k + strlen(key) + 4, &v, 4); /* after the key: the uint32 type, then the value */
	fseek(f, 0, SEEK_SET);
	fwrite(buf, 1, n, f);
	return fclose(f) != 0;
}

static int every_type(const char *path)
{
	static const char *const strs[] = {"<s>", "", "h\xC3\xA9llo"};
	static const int32_t ints[] = {1, -2, 3};
	static float f32[4] = {1, 2, 3, 4};
	static uint16_t f16[4] = {0x3c00, 0x4000, 0x4200, 0x4400};
	static uint8_t tq2[BN_TQ2_0_BLOCK_BYTES];
	const uint64_t ne4[] = {4}, ne256[] = {256};
	struct bn_gguf_writer *w;
	int err = bn_gguf_writer_new(&w);
	err = err ? err : bn_gguf_add_str(w, "general.architecture", "bitnet-25");
	err = err ? err : bn_gguf_add_u8(w, "u8", 1);
	err = err ? err : bn_gguf_add_i8(w, "i8", -1);
	err = err ? err : bn_gguf_add_u16(w, "u16", 2);
	err = err ? err : bn_gguf_add_i16(w, "i16", -2);
	err = err ? err : bn_gguf_add_u32(w, "bitnet-25.block_count", 1);
	err = err ? err : bn_gguf_add_i32(w, "i32", -3);
	err = err ? err : bn_gguf_add_f32(w, "bitnet-25.rope.freq_base", 10000.0f);
	err = err ? err : bn_gguf_add_bool(w, "bool", 1);
	err = err ? err : bn_gguf_add_u64(w, "u64", 4);
	err = err ? err : bn_gguf_add_i64(w, "i64", -4);
	err = err ? err : bn_gguf_add_f64(w, "f64", 0.5);
	err = err ? err : bn_gguf_add_array(w, "strings", BN_GGUF_STRING, strs, 3);
	err = err ? err : bn_gguf_add_array(w, "ints", BN_GGUF_INT32, ints, 3);
	err = err ? err : bn_gguf_add_tensor(w, "f32", BN_GGML_F32, 1, ne4, f32, sizeof(f32));
	err = err ? err : bn_gguf_add_tensor(w, "f16", BN_GGML_F16, 1, ne4, f16, sizeof(f16));
	err = err ? err : bn_gguf_add_tensor(w, "tq2", BN_GGML_TQ2_0, 1, ne256, tq2, sizeof(tq2));
	err = err ? err : bn_gguf_writer_write(w, path);
	bn_gguf_writer_free(w);
	return err ? fail(path) : 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gguf_seeds DIR\n");
		return 2;
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/model.gguf", argv[1]);
	if (bn_model_write_synthetic(&small, 1, path))
		return fail(path);
	snprintf(path, sizeof(path), "%s/align16.gguf", argv[1]);
	if (bn_model_write_synthetic_aligned(&small, 1, 16, path))
		return fail(path);
	snprintf(path, sizeof(path), "%s/block_count_huge.gguf", argv[1]);
	if (bn_model_write_synthetic(&small, 1, path) ||
	    patch_u32(path, "bitnet-25.block_count", 0x7fffffffu))
		return fail(path);
	snprintf(path, sizeof(path), "%s/every_type.gguf", argv[1]);
	return every_type(path);
}
