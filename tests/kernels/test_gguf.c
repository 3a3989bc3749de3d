/* GGUF: the writer and reader round trip every metadata type and tensor type; files built
 * byte by byte here (from the specification, not from the writer) read as expected; and
 * each kind of malformed file is refused with a message naming the file, the offset and the
 * problem, truncation at every length included. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bn_error.h"
#include "bn_gguf.h"
#include "tf.h"

/* The round trip's values: arrays of each element type, and tensors of each type. */
static const int32_t ai[] = {1, -2, 3};
static const float af[] = {0.5f, -1.25f};
static const uint8_t ab[] = {1, 0, 1, 1};
static const char *as[] = {"<s>", "", "h\xC3\xA9llo"};
static float f32[6] = {1, 2, 3, 4, 5, 6};
static uint16_t f16[4] = {0x3C00, 0xC000, 0, 0x7BFF};
static uint8_t i2s[512 / 4 + 32], tq2[66];

static void fill_tensors(void)
{
	for (size_t i = 0; i < sizeof(i2s); i++)
		i2s[i] = (uint8_t)(i * 37 + 5);
	float scale = 0.75f;
	memcpy(i2s + 512 / 4, &scale, 4);
	for (size_t i = 0; i < sizeof(tq2); i++)
		tq2[i] = (uint8_t)(255 - i);
}

/* Writes a key of every type, arrays of each element type and a tensor of each type to
 * path, checking that a key twice, an array of arrays and a size that disagrees with the
 * shape are refused. */
static void write_every_type(const char *path)
{
	struct bn_gguf_writer *w;
	TF_CHECK_EQ(bn_gguf_writer_new(&w), 0);
	TF_CHECK_EQ(bn_gguf_add_str(w, "general.architecture", "bitnet-25"), 0);
	TF_CHECK_EQ(bn_gguf_add_u32(w, "general.alignment", 64), 0);
	TF_CHECK_EQ(bn_gguf_add_u8(w, "t.u8", 250), 0);
	TF_CHECK_EQ(bn_gguf_add_i8(w, "t.i8", -7), 0);
	TF_CHECK_EQ(bn_gguf_add_u16(w, "t.u16", 65000), 0);
	TF_CHECK_EQ(bn_gguf_add_i16(w, "t.i16", -30000), 0);
	TF_CHECK_EQ(bn_gguf_add_i32(w, "t.i32", -2000000000), 0);
	TF_CHECK_EQ(bn_gguf_add_f32(w, "t.f32", 1e-5f), 0);
	TF_CHECK_EQ(bn_gguf_add_bool(w, "t.bool", 1), 0);
	TF_CHECK_EQ(bn_gguf_add_u64(w, "t.u64", 0xFEDCBA9876543210ull), 0);
	TF_CHECK_EQ(bn_gguf_add_i64(w, "t.i64", -((int64_t)1 << 40)), 0);
	TF_CHECK_EQ(bn_gguf_add_f64(w, "t.f64", 500000.25), 0);
	TF_CHECK_EQ(bn_gguf_add_str(w, "t.utf8", "caf\xC3\xA9 \xE2\x9C\x93"), 0);
	TF_CHECK_EQ(bn_gguf_add_array(w, "a.i32", BN_GGUF_INT32, ai, 3), 0);
	TF_CHECK_EQ(bn_gguf_add_array(w, "a.f32", BN_GGUF_FLOAT32, af, 2), 0);
	TF_CHECK_EQ(bn_gguf_add_array(w, "a.bool", BN_GGUF_BOOL, ab, 4), 0);
	TF_CHECK_EQ(bn_gguf_add_array(w, "a.str", BN_GGUF_STRING, as, 3), 0);
	TF_CHECK_EQ(bn_gguf_add_array(w, "a.empty", BN_GGUF_UINT64, NULL, 0), 0);
	/* a key twice, an array of arrays: refused */
	TF_CHECK_EQ(bn_gguf_add_u8(w, "t.u8", 1), BN_EINVAL);
	TF_CHECK_EQ(bn_gguf_add_array(w, "a.nested", BN_GGUF_ARRAY, ai, 1), BN_EINVAL);

	const uint64_t ne_f32[] = {3, 2}, ne_f16[] = {4}, ne_i2s[] = {128, 4}, ne_tq[] = {256};
	TF_CHECK_EQ(bn_gguf_add_tensor(w, "m.f32", BN_GGML_F32, 2, ne_f32, f32, sizeof(f32)), 0);
	TF_CHECK_EQ(bn_gguf_add_tensor(w, "v.f16", BN_GGML_F16, 1, ne_f16, f16, sizeof(f16)), 0);
	TF_CHECK_EQ(bn_gguf_add_tensor(w, "w.i2s", BN_GGML_I2_S, 2, ne_i2s, i2s, sizeof(i2s)), 0);
	TF_CHECK_EQ(bn_gguf_add_tensor(w, "w.tq2", BN_GGML_TQ2_0, 1, ne_tq, tq2, sizeof(tq2)), 0);
	/* a size that disagrees with the shape */
	TF_CHECK_EQ(bn_gguf_add_tensor(w, "bad", BN_GGML_F32, 1, ne_f16, f32, 12), BN_EINVAL);
	TF_CHECK(bn_gguf_writer_write(w, path) == 0, "write: %s", bn_error_last());
	bn_gguf_writer_free(w);
}

/* The header and every key read back, and the typed getters' conversions and refusals. */
static void check_metadata(struct bn_gguf *g, const char *path)
{
	TF_CHECK_EQ(g->version, 3);
	TF_CHECK_EQ(g->alignment, 64);
	TF_CHECK_EQ(g->n_kv, 18);
	TF_CHECK_EQ(g->n_tensors, 4);
	TF_CHECK_EQ(g->data_offset % 64, 0);
	const struct bn_gguf_kv *kv;
	TF_CHECK((kv = bn_gguf_find(g, "t.u8")) && kv->value.type == BN_GGUF_UINT8 &&
			 kv->value.v.u == 250,
		 "u8");
	TF_CHECK((kv = bn_gguf_find(g, "t.i8")) && kv->value.v.i == -7, "i8");
	TF_CHECK((kv = bn_gguf_find(g, "t.u16")) && kv->value.v.u == 65000, "u16");
	TF_CHECK((kv = bn_gguf_find(g, "t.i16")) && kv->value.v.i == -30000, "i16");
	TF_CHECK((kv = bn_gguf_find(g, "t.i32")) && kv->value.v.i == -2000000000, "i32");
	TF_CHECK((kv = bn_gguf_find(g, "t.f32")) && kv->value.v.f == (double)1e-5f, "f32");
	TF_CHECK((kv = bn_gguf_find(g, "t.bool")) && kv->value.type == BN_GGUF_BOOL &&
			 kv->value.v.u == 1,
		 "bool");
	TF_CHECK((kv = bn_gguf_find(g, "t.u64")) && kv->value.v.u == 0xFEDCBA9876543210ull, "u64");
	TF_CHECK((kv = bn_gguf_find(g, "t.i64")) && kv->value.v.i == -((int64_t)1 << 40), "i64");
	TF_CHECK((kv = bn_gguf_find(g, "t.f64")) && kv->value.v.f == 500000.25, "f64");
	TF_CHECK((kv = bn_gguf_find(g, "t.utf8")) && kv->value.v.s.len == 9 &&
			 !memcmp(kv->value.v.s.ptr, "caf\xC3\xA9 \xE2\x9C\x93", 9),
		 "utf8");
	TF_CHECK((kv = bn_gguf_find(g, "a.i32")) && kv->value.v.arr.elem == BN_GGUF_INT32 &&
			 kv->value.v.arr.n == 3 && !memcmp(kv->value.v.arr.data, ai, sizeof(ai)),
		 "a.i32");
	TF_CHECK((kv = bn_gguf_find(g, "a.f32")) && !memcmp(kv->value.v.arr.data, af, sizeof(af)),
		 "a.f32");
	TF_CHECK((kv = bn_gguf_find(g, "a.bool")) && !memcmp(kv->value.v.arr.data, ab, 4), "bool");
	kv = bn_gguf_find(g, "a.str");
	TF_CHECK(kv && kv->value.v.arr.elem == BN_GGUF_STRING && kv->value.v.arr.n == 3, "a.str");
	for (int i = 0; i < 3; i++)
		TF_CHECK(kv->value.v.arr.strings[i].len == strlen(as[i]) &&
				 !memcmp(kv->value.v.arr.strings[i].ptr, as[i], strlen(as[i])),
			 "string %d", i);
	TF_CHECK((kv = bn_gguf_find(g, "a.empty")) && kv->value.v.arr.n == 0, "empty");
	uint32_t u;
	float f;
	char *s;
	TF_CHECK_EQ(bn_gguf_get_u32(g, "t.u16", &u), 0);
	TF_CHECK_EQ(u, 65000);
	TF_CHECK_EQ(bn_gguf_get_u32(g, "t.i8", &u), BN_EINVAL);  /* negative */
	TF_CHECK_EQ(bn_gguf_get_u32(g, "t.u64", &u), BN_EINVAL); /* too large */
	TF_CHECK_EQ(bn_gguf_get_u32(g, "t.f32", &u), BN_EINVAL);
	TF_CHECK(strstr(bn_error_last(), "t.f32") && strstr(bn_error_last(), path), "%s",
		 bn_error_last());
	TF_CHECK_EQ(bn_gguf_get_f32(g, "t.f64", &f), 0);
	TF_CHECK(f == 500000.25f, "f64 as float: %g", f);
	TF_CHECK_EQ(bn_gguf_get_u32(g, "no.such.key", &u), BN_EINVAL);
	TF_CHECK(strstr(bn_error_last(), "'no.such.key' is missing"), "%s", bn_error_last());
	TF_CHECK_EQ(bn_gguf_get_str(g, "general.architecture", &s), 0);
	TF_CHECK(!strcmp(s, "bitnet-25"), "%s", s);
	free(s);
}

/* Every tensor's shape, type and bytes read back, aligned and inside the mapping. */
static void check_tensors(struct bn_gguf *g)
{
	const struct bn_gguf_tensor *t = bn_gguf_tensor(g, "m.f32");
	TF_CHECK(t && t->n_dims == 2 && t->ne[0] == 3 && t->ne[1] == 2 && t->ne[2] == 1 &&
			 t->n_elements == 6 && t->type == BN_GGML_F32 && t->n_bytes == 24,
		 "m.f32 info");
	TF_CHECK(!memcmp(t->data, f32, sizeof(f32)), "m.f32 data");
	const uint8_t *lo = g->base, *hi = g->base + g->size;
	for (size_t i = 0; i < g->n_tensors; i++) {
		const struct bn_gguf_tensor *x = &g->tensors[i];
		TF_CHECK(x->offset % 64 == 0, "%s at %llu", x->name, (unsigned long long)x->offset);
		TF_CHECK((const uint8_t *)x->data >= lo &&
				 (const uint8_t *)x->data + x->n_bytes <= hi,
			 "%s outside the mapping", x->name);
	}
	t = bn_gguf_tensor(g, "w.i2s");
	TF_CHECK(t && t->n_bytes == sizeof(i2s) && !memcmp(t->data, i2s, sizeof(i2s)), "i2s");
	float back;
	memcpy(&back, (const uint8_t *)t->data + 512 / 4, 4);
	TF_CHECK(back == 0.75f, "I2_S scale %g", back);
	t = bn_gguf_tensor(g, "w.tq2");
	TF_CHECK(t && t->n_bytes == 66 && !memcmp(t->data, tq2, 66), "tq2");
	t = bn_gguf_tensor(g, "v.f16");
	TF_CHECK(t && !memcmp(t->data, f16, sizeof(f16)), "f16");
	TF_CHECK(bn_gguf_tensor(g, "nope") == NULL, "unknown tensor found");
}

TF_TEST(gguf__roundtrip_every_type)
{
	fill_tensors();
	char *path = tf_tmpfile("bn-gguf");
	write_every_type(path);
	struct bn_gguf *g;
	TF_CHECK(bn_gguf_open(&g, path) == 0, "open: %s", bn_error_last());
	check_metadata(g, path);
	check_tensors(g);
	bn_gguf_close(g);
	unlink(path);
	free(path);
}

/* --- files built byte by byte ------------------------------------------------------------ */

struct bb {
	uint8_t b[8192];
	size_t n;
};

static void b_le(struct bb *o, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		o->b[o->n++] = (uint8_t)(v >> (8 * i));
}

static void b_str(struct bb *o, const char *s)
{
	b_le(o, strlen(s), 8);
	memcpy(o->b + o->n, s, strlen(s));
	o->n += strlen(s);
}

/* What the crafted file holds; each case changes one thing. */
struct craft {
	uint32_t magic, version;
	uint64_t n_tensors_said, key_len_said;
	uint32_t kv2_type;  /* of "t.flag": 7 (bool) normally */
	uint64_t kv2_value; /* 1 byte for a bool */
	uint32_t align;
	uint32_t a_dims, a_type, b_type;
	uint64_t a_ne0, a_offset, b_offset;
	int dup_key, nested, cut_data;
};

static struct craft good(void)
{
	return (struct craft){.magic = BN_GGUF_MAGIC,
			      .version = 3,
			      .n_tensors_said = 2,
			      .kv2_type = BN_GGUF_BOOL,
			      .kv2_value = 1,
			      .align = 32,
			      .a_dims = 1,
			      .a_type = BN_GGML_F32,
			      .b_type = BN_GGML_F32,
			      .a_ne0 = 8,
			      .a_offset = 0,
			      .b_offset = 32};
}

/* header; kv "general.alignment" u32; kv "t.flag"; tensors "a" (a_ne0 F32) and "b" (4x2
 * F32); padding; 64 bytes of data */
static void build(struct bb *o, const struct craft *c)
{
	o->n = 0;
	b_le(o, c->magic, 4);
	b_le(o, c->version, 4);
	b_le(o, c->n_tensors_said, 8);
	b_le(o, c->nested ? 3 : 2, 8);
	if (c->key_len_said) {
		b_le(o, c->key_len_said, 8);
		memcpy(o->b + o->n, "general.alignment", 17);
		o->n += 17;
	} else {
		b_str(o, "general.alignment");
	}
	b_le(o, BN_GGUF_UINT32, 4);
	b_le(o, c->align, 4);
	b_str(o, c->dup_key ? "general.alignment" : "t.flag");
	b_le(o, c->kv2_type, 4);
	b_le(o, c->kv2_value, 1);
	if (c->nested) {
		b_str(o, "t.nested");
		b_le(o, BN_GGUF_ARRAY, 4);
		b_le(o, BN_GGUF_ARRAY, 4);
		b_le(o, 1, 8);
	}
	b_str(o, "a");
	b_le(o, c->a_dims, 4);
	for (uint32_t d = 0; d < c->a_dims && d < 8; d++)
		b_le(o, d ? 1 : c->a_ne0, 8);
	b_le(o, c->a_type, 4);
	b_le(o, c->a_offset, 8);
	b_str(o, "b");
	b_le(o, 2, 4);
	b_le(o, 4, 8);
	b_le(o, 2, 8);
	b_le(o, c->b_type, 4);
	b_le(o, c->b_offset, 8);
	while (o->n % 32)
		o->b[o->n++] = 0;
	for (int i = 0; i < (c->cut_data ? 40 : 64); i++)
		o->b[o->n++] = (uint8_t)i;
}

static void expect_bad(const struct craft *c, const char *what, const char *want)
{
	struct bb o;
	build(&o, c);
	struct bn_gguf *g = NULL;
	int rc = bn_gguf_parse(&g, o.b, o.n, "crafted.gguf");
	TF_CHECK(rc == BN_EFORMAT && g == NULL, "%s: accepted (rc %d)", what, rc);
	const char *m = bn_error_last();
	TF_CHECK(strstr(m, "crafted.gguf: offset ") && strstr(m, want),
		 "%s: message '%s' lacks '%s'", what, m, want);
}

TF_TEST(gguf__crafted_file_reads)
{
	struct craft c = good();
	struct bb o;
	build(&o, &c);
	struct bn_gguf *g;
	TF_CHECK(bn_gguf_parse(&g, o.b, o.n, "crafted.gguf") == 0, "%s", bn_error_last());
	TF_CHECK(g->n_kv == 2 && g->n_tensors == 2 && g->alignment == 32, "counts");
	const struct bn_gguf_tensor *a = bn_gguf_tensor(g, "a"), *b = bn_gguf_tensor(g, "b");
	TF_CHECK(a && b && a->n_bytes == 32 && b->n_bytes == 32, "sizes");
	TF_CHECK(((const uint8_t *)a->data)[0] == 0 && ((const uint8_t *)b->data)[0] == 32,
		 "data offsets");
	TF_CHECK_EQ(g->data_offset, o.n - 64);
	bn_gguf_close(g);
	/* version 2 has the same layout */
	c.version = 2;
	build(&o, &c);
	TF_CHECK(bn_gguf_parse(&g, o.b, o.n, "v2.gguf") == 0, "v2: %s", bn_error_last());
	bn_gguf_close(g);
}

TF_TEST(gguf__malformed_files)
{
	struct craft c;
	c = good(), c.magic = 0x46554746;
	expect_bad(&c, "magic", "bad magic");
	c = good(), c.version = 1;
	expect_bad(&c, "version 1", "unknown version 1");
	c = good(), c.version = 0x03000000;
	expect_bad(&c, "big-endian", "big-endian");
	c = good(), c.n_tensors_said = UINT64_MAX / 2;
	expect_bad(&c, "huge tensor count", "cannot fit");
	/* counts that each fit the file but not together: both size an allocation */
	c = good(), c.n_tensors_said = 6;
	expect_bad(&c, "tensors and keys together", "tensor count 6 and metadata count 2");
	c = good(), c.key_len_said = UINT64_MAX - 3;
	expect_bad(&c, "key length overflow", "runs past the end of the file");
	c = good(), c.kv2_type = 13;
	expect_bad(&c, "unknown value type", "unknown value type 13");
	c = good(), c.kv2_value = 2;
	expect_bad(&c, "bool 2", "neither 0 nor 1");
	c = good(), c.nested = 1;
	expect_bad(&c, "nested array", "arrays of arrays");
	c = good(), c.dup_key = 1, c.kv2_type = BN_GGUF_UINT8;
	expect_bad(&c, "duplicate key", "appears twice");
	c = good(), c.a_dims = 5;
	expect_bad(&c, "5 dimensions", "5 dimensions");
	c = good(), c.a_dims = 0;
	expect_bad(&c, "0 dimensions", "0 dimensions");
	c = good(), c.a_ne0 = 0;
	expect_bad(&c, "zero dimension", "dimension 0 is 0");
	c = good(), c.a_ne0 = (uint64_t)1 << 62;
	expect_bad(&c, "2^62 floats", "do not fit type F32");
	c = good(), c.a_type = 99;
	expect_bad(&c, "unknown tensor type", "unknown type 99");
	c = good(), c.a_type = BN_GGML_I2_S, c.a_ne0 = 6;
	expect_bad(&c, "I2_S of 6", "do not fit type I2_S");
	c = good(), c.a_offset = 4;
	expect_bad(&c, "misaligned", "not a multiple of the alignment 32");
	c = good(), c.b_offset = 16, c.align = 16;
	expect_bad(&c, "overlap", "overlap");
	c = good(), c.b_offset = 64;
	expect_bad(&c, "past the end", "runs past the end of the file");
	c = good(), c.cut_data = 1;
	expect_bad(&c, "data cut", "runs past the end of the file");
	c = good(), c.align = 24;
	expect_bad(&c, "alignment 24", "power of two");
	c = good(), c.b_type = BN_GGML_TQ2_0;
	expect_bad(&c, "TQ2_0 of 8", "do not fit type TQ2_0");
}

TF_TEST(gguf__truncated_anywhere)
{
	/* every prefix of a good file is refused: nothing past the end is read (ASan builds
	 * check that too; the buffer is exactly the prefix) */
	struct craft c = good();
	struct bb o;
	build(&o, &c);
	for (size_t n = 0; n < o.n; n++) {
		uint8_t *cut = malloc(n ? n : 1);
		memcpy(cut, o.b, n);
		struct bn_gguf *g = NULL;
		int rc = bn_gguf_parse(&g, cut, n, "cut.gguf");
		TF_CHECK(rc == BN_EFORMAT && !g, "prefix of %zu of %zu bytes accepted", n, o.n);
		TF_CHECK(strstr(bn_error_last(), "cut.gguf: offset "), "%zu: %s", n,
			 bn_error_last());
		free(cut);
	}
}

TF_TEST(gguf__open_errors)
{
	struct bn_gguf *g;
	TF_CHECK_EQ(bn_gguf_open(&g, "/nonexistent/model.gguf"), BN_EIO);
	TF_CHECK(strstr(bn_error_last(), "/nonexistent/model.gguf"), "%s", bn_error_last());
	char *path = tf_tmpfile("bn-gguf"); /* empty */
	TF_CHECK_EQ(bn_gguf_open(&g, path), BN_EFORMAT);
	TF_CHECK(strstr(bn_error_last(), "empty file"), "%s", bn_error_last());
	FILE *f = fopen(path, "wb");
	fputs("not a gguf file at all", f);
	fclose(f);
	TF_CHECK_EQ(bn_gguf_open(&g, path), BN_EFORMAT);
	TF_CHECK(strstr(bn_error_last(), path) && strstr(bn_error_last(), "bad magic"), "%s",
		 bn_error_last());
	unlink(path);
	free(path);
}

/* A GGUF file of n one-float F32 tensors "blk.<i>.w" (the last one named after tensor dup
 * when dup < n - 1), without metadata; *last_at gets the offset of the last tensor's info. */
static uint8_t *many_tensors(size_t n, size_t dup, size_t *size, size_t *last_at)
{
	size_t cap = 64 + n * 64 + n * 32, at = 0;
	uint8_t *b = calloc(1, cap);
	TF_CHECK(b != NULL, "calloc");
#define PUT(v, bytes)                                                                              \
	do {                                                                                       \
		for (int k = 0; k < (bytes); k++)                                                  \
			b[at++] = (uint8_t)((uint64_t)(v) >> (8 * k));                             \
	} while (0)
	PUT(BN_GGUF_MAGIC, 4);
	PUT(3, 4);
	PUT(n, 8);
	PUT(0, 8);
	for (size_t i = 0; i < n; i++) {
		char name[32];
		int len = snprintf(name, sizeof(name), "blk.%08zu.w", i + 1 < n ? i : dup);
		*last_at = at;
		PUT(len, 8);
		memcpy(b + at, name, (size_t)len);
		at += (size_t)len;
		PUT(1, 4); /* dimensions */
		PUT(1, 8); /* ne[0] */
		PUT(BN_GGML_F32, 4);
		PUT(i * 32, 8); /* offset in the data section */
	}
#undef PUT
	*size = (at + 31) / 32 * 32 + n * 32;
	return b;
}

TF_TEST(gguf__many_tensors_looked_up_by_name)
{
	/* names are sorted once, not compared with every one before (80,000 tensors took 15 s) */
	size_t size, last_at;
	uint8_t *b = many_tensors(50000, 49999, &size, &last_at);
	struct bn_gguf *g = NULL;
	TF_CHECK(bn_gguf_parse(&g, b, size, "many.gguf") == 0, "%s", bn_error_last());
	TF_CHECK(g && g->n_tensors == 50000, "parsed");
	static const size_t probe[] = {0, 1, 24999, 49998, 49999};
	for (size_t i = 0; g && i < sizeof(probe) / sizeof(probe[0]); i++) {
		char name[32];
		snprintf(name, sizeof(name), "blk.%08zu.w", probe[i]);
		const struct bn_gguf_tensor *t = bn_gguf_tensor(g, name);
		TF_CHECK(t && t == &g->tensors[probe[i]] && t->offset == probe[i] * 32, "%s", name);
	}
	TF_CHECK(g && bn_gguf_tensor(g, "blk.00050000.w") == NULL, "absent name found");
	TF_CHECK(g && bn_gguf_tensor(g, "") == NULL && bn_gguf_find(g, "general.alignment") == NULL,
		 "lookups in an empty table");
	bn_gguf_close(g);
	free(b);

	/* a repeated name is refused at its second place */
	b = many_tensors(50000, 7, &size, &last_at);
	g = (struct bn_gguf *)&g;
	TF_CHECK(bn_gguf_parse(&g, b, size, "dup.gguf") == BN_EFORMAT && g == NULL, "accepted");
	char want[128];
	snprintf(want, sizeof(want), "dup.gguf: offset %zu: tensor 'blk.00000007.w' appears twice",
		 last_at);
	TF_CHECK(!strcmp(bn_error_last(), want), "%s", bn_error_last());
	free(b);
}
