/* GGUF reader and writer (see bn_gguf.h). The reader walks the file with a cursor that
 * checks every length against what is left before it reads, so a hostile file can only get
 * an error. Format facts from the GGUF specification (ggml's docs/gguf.md) and bitnet.cpp's
 * I2_S tensor type; the code is this project's own. */
#include "bn_gguf.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bn_error.h"

#define MAX_KEY_LEN 65535u /* the specification's limit on keys */

/* --- sizes ------------------------------------------------------------------------------- */

uint64_t bn_ggml_nbytes(enum bn_ggml_type type, uint64_t n)
{
	switch (type) {
	case BN_GGML_F32: return n <= UINT64_MAX / 4 ? 4 * n : 0;
	case BN_GGML_F16: return n <= UINT64_MAX / 2 ? 2 * n : 0;
	case BN_GGML_TQ2_0:
		return n % BN_TQ2_0_BLOCK ? 0 : n / BN_TQ2_0_BLOCK * BN_TQ2_0_BLOCK_BYTES;
	case BN_GGML_I2_S: return n % 4 ? 0 : n / 4 + 32;
	}
	return 0;
}

const char *bn_ggml_type_name(enum bn_ggml_type type)
{
	switch (type) {
	case BN_GGML_F32: return "F32";
	case BN_GGML_F16: return "F16";
	case BN_GGML_TQ2_0: return "TQ2_0";
	case BN_GGML_I2_S: return "I2_S";
	}
	return NULL;
}

/* Bytes of one element of a scalar metadata type; 0 for STRING, ARRAY and unknown types. */
static size_t scalar_size(uint32_t t)
{
	switch (t) {
	case BN_GGUF_UINT8:
	case BN_GGUF_INT8:
	case BN_GGUF_BOOL: return 1;
	case BN_GGUF_UINT16:
	case BN_GGUF_INT16: return 2;
	case BN_GGUF_UINT32:
	case BN_GGUF_INT32:
	case BN_GGUF_FLOAT32: return 4;
	case BN_GGUF_UINT64:
	case BN_GGUF_INT64:
	case BN_GGUF_FLOAT64: return 8;
	}
	return 0;
}

/* --- the cursor -------------------------------------------------------------------------- */

struct cur {
	const uint8_t *p;
	size_t size, pos;
	const char *name;
};

static int fail(const struct cur *c, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(const struct cur *c, size_t at, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return bn_error_set(BN_EFORMAT, "%s: offset %zu: %s", c->name, at, msg);
}

static int need(const struct cur *c, uint64_t n, const char *what)
{
	if (n > c->size - c->pos)
		return fail(c, c->pos, "truncated: %s needs %" PRIu64 " bytes, %zu left", what, n,
			    c->size - c->pos);
	return 0;
}

static uint64_t le(const uint8_t *p, int bytes)
{
	uint64_t v = 0;
	for (int i = bytes - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int rd(struct cur *c, int bytes, uint64_t *out, const char *what)
{
	int err = need(c, (uint64_t)bytes, what);
	if (err)
		return err;
	*out = le(c->p + c->pos, bytes);
	c->pos += (size_t)bytes;
	return 0;
}

static int rd_u32(struct cur *c, uint32_t *out, const char *what)
{
	uint64_t v = 0;
	int err = rd(c, 4, &v, what);
	*out = (uint32_t)v;
	return err;
}

static int rd_str(struct cur *c, struct bn_gguf_str *s, const char *what)
{
	uint64_t len;
	size_t at = c->pos;
	int err = rd(c, 8, &len, what);
	if (err)
		return err;
	if (len > c->size - c->pos)
		return fail(c, at, "%s: length %" PRIu64 " runs past the end of the file (%zu bytes left)",
			    what, len, c->size - c->pos);
	s->ptr = (const char *)c->p + c->pos;
	s->len = len;
	c->pos += (size_t)len;
	return 0;
}

static char *dup_str(const struct bn_gguf_str *s)
{
	char *d = malloc((size_t)s->len + 1);
	if (d) {
		memcpy(d, s->ptr, (size_t)s->len);
		d[s->len] = '\0';
	}
	return d;
}

static float f32_of(uint64_t bits)
{
	uint32_t b = (uint32_t)bits;
	float f;
	memcpy(&f, &b, sizeof(f));
	return f;
}

static double f64_of(uint64_t bits)
{
	double f;
	memcpy(&f, &bits, sizeof(f));
	return f;
}

/* A scalar value of type t at the cursor. */
static int rd_scalar(struct cur *c, uint32_t t, struct bn_gguf_value *v, const char *key)
{
	uint64_t x = 0;
	size_t at = c->pos;
	int err = rd(c, (int)scalar_size(t), &x, key);
	if (err)
		return err;
	v->type = (enum bn_gguf_type)t;
	switch (t) {
	case BN_GGUF_INT8: v->v.i = (int8_t)x; break;
	case BN_GGUF_INT16: v->v.i = (int16_t)x; break;
	case BN_GGUF_INT32: v->v.i = (int32_t)x; break;
	case BN_GGUF_INT64: v->v.i = (int64_t)x; break;
	case BN_GGUF_FLOAT32: v->v.f = f32_of(x); break;
	case BN_GGUF_FLOAT64: v->v.f = f64_of(x); break;
	case BN_GGUF_BOOL:
		if (x > 1)
			return fail(c, at, "%s: bool value %" PRIu64 " is neither 0 nor 1", key, x);
		v->v.u = x;
		break;
	default: v->v.u = x; break;
	}
	return 0;
}

static int rd_value(struct cur *c, uint32_t t, struct bn_gguf_value *v, const char *key)
{
	size_t at = c->pos;
	if (scalar_size(t))
		return rd_scalar(c, t, v, key);
	if (t == BN_GGUF_STRING) {
		v->type = BN_GGUF_STRING;
		return rd_str(c, &v->v.s, key);
	}
	if (t != BN_GGUF_ARRAY)
		return fail(c, at - 4, "%s: unknown value type %" PRIu32, key, t);
	uint32_t elem;
	uint64_t n;
	int err = rd_u32(c, &elem, key);
	if (!err)
		err = rd(c, 8, &n, key);
	if (err)
		return err;
	v->type = BN_GGUF_ARRAY;
	v->v.arr.elem = (enum bn_gguf_type)elem;
	v->v.arr.n = n;
	size_t es = scalar_size(elem);
	if (es) {
		if (n > (c->size - c->pos) / es)
			return fail(c, at, "%s: array of %" PRIu64 " elements of %zu bytes runs past the "
					   "end of the file",
				    key, n, es);
		v->v.arr.data = c->p + c->pos;
		if (elem == BN_GGUF_BOOL)
			for (uint64_t i = 0; i < n; i++)
				if (c->p[c->pos + i] > 1)
					return fail(c, c->pos + (size_t)i,
						    "%s: bool element %" PRIu64 " is neither 0 nor 1",
						    key, i);
		c->pos += (size_t)(n * es);
		return 0;
	}
	if (elem == BN_GGUF_ARRAY)
		return fail(c, at, "%s: arrays of arrays are not supported", key);
	if (elem != BN_GGUF_STRING)
		return fail(c, at, "%s: unknown array element type %" PRIu32, key, elem);
	/* every string takes at least its 8-byte length: bounds n before allocating */
	if (n > (c->size - c->pos) / 8)
		return fail(c, at, "%s: array of %" PRIu64 " strings runs past the end of the file", key,
			    n);
	v->v.arr.strings = malloc((size_t)(n ? n : 1) * sizeof(*v->v.arr.strings));
	if (!v->v.arr.strings)
		return bn_error_set(BN_ENOMEM, "%s: %s: out of memory for %" PRIu64 " strings",
				    c->name, key, n);
	for (uint64_t i = 0; i < n; i++)
		if ((err = rd_str(c, &v->v.arr.strings[i], key)))
			return err;
	return 0;
}

/* --- parsing ----------------------------------------------------------------------------- */

void bn_gguf_close(struct bn_gguf *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n_kv; i++) {
		free(g->kv[i].key);
		if (g->kv[i].value.type == BN_GGUF_ARRAY)
			free(g->kv[i].value.v.arr.strings);
	}
	free(g->kv);
	for (size_t i = 0; i < g->n_tensors; i++)
		free(g->tensors[i].name);
	free(g->tensors);
	free(g->kv_by_key);
	free(g->tensor_by_name);
	if (g->map && g->map_bytes)
		free(g->map);
	else if (g->map)
		munmap(g->map, g->size);
	free(g->path);
	free(g);
}

static int parse_kv(struct cur *c, struct bn_gguf *g, uint64_t n_kv, size_t *key_at)
{
	g->kv = calloc((size_t)(n_kv ? n_kv : 1), sizeof(*g->kv));
	if (!g->kv)
		return bn_error_set(BN_ENOMEM, "%s: out of memory", c->name);
	for (uint64_t i = 0; i < n_kv; i++) {
		struct bn_gguf_str key = {NULL, 0};
		size_t at = c->pos;
		uint32_t t;
		int err = rd_str(c, &key, "metadata key");
		if (err)
			return err;
		if (key.len == 0 || key.len > MAX_KEY_LEN)
			return fail(c, at, "metadata key %" PRIu64 ": length %" PRIu64
					   " (must be 1 to 65535)",
				    i, key.len);
		if (memchr(key.ptr, '\0', (size_t)key.len))
			return fail(c, at, "metadata key %" PRIu64 " holds a NUL byte", i);
		struct bn_gguf_kv *kv = &g->kv[g->n_kv];
		if (!(kv->key = dup_str(&key)))
			return bn_error_set(BN_ENOMEM, "%s: out of memory", c->name);
		key_at[g->n_kv++] = at;
		if ((err = rd_u32(c, &t, kv->key)) || (err = rd_value(c, t, &kv->value, kv->key)))
			return err;
	}
	return 0;
}

static int parse_tensor_infos(struct cur *c, struct bn_gguf *g, uint64_t n, size_t *name_at)
{
	g->tensors = calloc((size_t)(n ? n : 1), sizeof(*g->tensors));
	if (!g->tensors)
		return bn_error_set(BN_ENOMEM, "%s: out of memory", c->name);
	for (uint64_t i = 0; i < n; i++) {
		struct bn_gguf_tensor *t = &g->tensors[g->n_tensors];
		struct bn_gguf_str name = {NULL, 0};
		size_t at = c->pos;
		uint32_t n_dims, type;
		int err = rd_str(c, &name, "tensor name");
		if (err)
			return err;
		if (name.len == 0 || memchr(name.ptr, '\0', (size_t)name.len))
			return fail(c, at, "tensor %" PRIu64 ": empty name or a NUL byte in it", i);
		if (!(t->name = dup_str(&name)))
			return bn_error_set(BN_ENOMEM, "%s: out of memory", c->name);
		name_at[g->n_tensors++] = at;
		if ((err = rd_u32(c, &n_dims, t->name)))
			return err;
		if (n_dims < 1 || n_dims > BN_GGUF_MAX_DIMS)
			return fail(c, c->pos - 4, "tensor '%s': %" PRIu32 " dimensions (1 to %d)",
				    t->name, n_dims, BN_GGUF_MAX_DIMS);
		t->n_dims = (int)n_dims;
		t->n_elements = 1;
		for (int d = 0; d < BN_GGUF_MAX_DIMS; d++)
			t->ne[d] = 1;
		for (uint32_t d = 0; d < n_dims; d++) {
			if ((err = rd(c, 8, &t->ne[d], t->name)))
				return err;
			if (t->ne[d] == 0 || t->ne[d] > INT64_MAX / t->n_elements)
				return fail(c, c->pos - 8,
					    "tensor '%s': dimension %" PRIu32 " is %" PRIu64
					    " (zero, or the element count overflows)",
					    t->name, d, t->ne[d]);
			t->n_elements *= t->ne[d];
		}
		if ((err = rd_u32(c, &type, t->name)))
			return err;
		t->type = (enum bn_ggml_type)type;
		if (!bn_ggml_type_name(t->type))
			return fail(c, c->pos - 4,
				    "tensor '%s': unknown type %" PRIu32
				    " (this reader knows F32 0, F16 1, TQ2_0 35 and I2_S 36)",
				    t->name, type);
		t->n_bytes = bn_ggml_nbytes(t->type, t->n_elements);
		if (!t->n_bytes)
			return fail(c, c->pos - 4,
				    "tensor '%s': %" PRIu64 " elements do not fit type %s", t->name,
				    t->n_elements, bn_ggml_type_name(t->type));
		if ((err = rd(c, 8, &t->offset, t->name)))
			return err;
	}
	return 0;
}

/* Orders pointers to name fields by name, then by place (file order). */
static int cmp_name_then_place(const void *a, const void *b)
{
	char *const *x = *(char *const *const *)a, *const *y = *(char *const *const *)b;
	int c = strcmp(*x, *y);
	return c ? c : (x > y) - (x < y);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(**(char *const *const *)a, **(char *const *const *)b);
}

/* *out: pointers to the name fields of n entries (the first at first, one every stride
 * bytes), sorted by name; a name that appears twice fails at the offset at[] of its
 * second place. Sorting instead of comparing each name with those before keeps a file of
 * 80,000 tensors from taking 15 s. */
static int index_names(const struct cur *c, char ****out, char **first, size_t n, size_t stride,
		       const size_t *at, const char *what)
{
	char ***by = malloc((n ? n : 1) * sizeof(*by));
	if (!(*out = by))
		return bn_error_set(BN_ENOMEM, "%s: out of memory", c->name);
	for (size_t i = 0; i < n; i++)
		by[i] = (char **)((char *)first + i * stride);
	qsort(by, n, sizeof(*by), cmp_name_then_place);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(*by[i - 1], *by[i]) == 0) {
			size_t second = (size_t)((char *)by[i] - (char *)first) / stride;
			return fail(c, at[second], "%s '%s' appears twice", what, *by[i]);
		}
	}
	return 0;
}

/* The metadata and the tensor infos, each indexed by name. */
static int parse_entries(struct cur *c, struct bn_gguf *g, uint64_t n_kv, uint64_t n_tensors)
{
	size_t *at = malloc((size_t)(n_kv > n_tensors ? n_kv : n_tensors) * sizeof(*at) + 1);
	if (!at)
		return bn_error_set(BN_ENOMEM, "%s: out of memory", c->name);
	int err = parse_kv(c, g, n_kv, at);
	if (!err)
		err = index_names(c, &g->kv_by_key, &g->kv[0].key, g->n_kv, sizeof(*g->kv), at,
				  "metadata key");
	if (!err)
		err = parse_tensor_infos(c, g, n_tensors, at);
	if (!err)
		err = index_names(c, &g->tensor_by_name, &g->tensors[0].name, g->n_tensors,
				  sizeof(*g->tensors), at, "tensor");
	free(at);
	return err;
}

static int cmp_by_offset(const void *a, const void *b)
{
	const struct bn_gguf_tensor *x = *(const struct bn_gguf_tensor *const *)a;
	const struct bn_gguf_tensor *y = *(const struct bn_gguf_tensor *const *)b;
	return (x->offset > y->offset) - (x->offset < y->offset);
}

/* Alignment, the data section, every tensor inside it and no two overlapping. */
static int place_tensors(struct cur *c, struct bn_gguf *g)
{
	const struct bn_gguf_kv *al = bn_gguf_find(g, "general.alignment");
	g->alignment = BN_GGUF_DEFAULT_ALIGNMENT;
	if (al) {
		if (al->value.type != BN_GGUF_UINT32 || al->value.v.u == 0 ||
		    (al->value.v.u & (al->value.v.u - 1)))
			return fail(c, 0, "general.alignment must be a uint32 power of two");
		g->alignment = (uint32_t)al->value.v.u;
	}
	uint64_t data = (c->pos + (uint64_t)g->alignment - 1) / g->alignment * g->alignment;
	g->data_offset = data;
	if (g->n_tensors && data > c->size)
		return fail(c, c->pos, "truncated: the data section would start at %" PRIu64
				       " past the end of the file",
			    data);
	uint64_t avail = g->n_tensors ? c->size - data : 0;
	for (size_t i = 0; i < g->n_tensors; i++) {
		struct bn_gguf_tensor *t = &g->tensors[i];
		if (t->offset % g->alignment)
			return fail(c, (size_t)data,
				    "tensor '%s': offset %" PRIu64 " is not a multiple of the alignment %" PRIu32,
				    t->name, t->offset, g->alignment);
		if (t->offset > avail || t->n_bytes > avail - t->offset)
			return fail(c, (size_t)data,
				    "tensor '%s': data at %" PRIu64 "..%" PRIu64
				    " of the data section runs past the end of the file (%" PRIu64
				    " bytes of data)",
				    t->name, t->offset, t->offset + t->n_bytes, avail);
		t->data = c->p + data + t->offset;
	}
	if (g->n_tensors > 1) {
		struct bn_gguf_tensor **by = malloc(g->n_tensors * sizeof(*by));
		if (!by)
			return bn_error_set(BN_ENOMEM, "%s: out of memory", c->name);
		for (size_t i = 0; i < g->n_tensors; i++)
			by[i] = &g->tensors[i];
		qsort(by, g->n_tensors, sizeof(*by), cmp_by_offset);
		int err = 0;
		for (size_t i = 1; i < g->n_tensors && !err; i++)
			if (by[i - 1]->offset + by[i - 1]->n_bytes > by[i]->offset)
				err = fail(c, (size_t)data,
					   "tensors '%s' and '%s' overlap (%" PRIu64 "+%" PRIu64
					   " > %" PRIu64 ")",
					   by[i - 1]->name, by[i]->name, by[i - 1]->offset,
					   by[i - 1]->n_bytes, by[i]->offset);
		free(by);
		return err;
	}
	return 0;
}

int bn_gguf_parse(struct bn_gguf **out, const void *buf, size_t size, const char *name)
{
	*out = NULL;
	struct cur c = {.p = buf, .size = size, .pos = 0, .name = name ? name : "(gguf)"};
	struct bn_gguf *g = calloc(1, sizeof(*g));
	if (!g || !(g->path = strdup(c.name))) {
		free(g);
		return bn_error_set(BN_ENOMEM, "%s: out of memory", c.name);
	}
	g->base = buf;
	g->size = size;
	uint32_t magic = 0;
	uint64_t n_tensors = 0, n_kv = 0;
	int err;
	if (size < 4 || le(c.p, 4) != BN_GGUF_MAGIC) {
		err = size < 4 ? fail(&c, 0, "truncated: %zu bytes, not even the magic", size)
			       : fail(&c, 0, "bad magic 0x%08" PRIx64 " (not a GGUF file)",
				      le(c.p, 4));
		goto bad;
	}
	rd_u32(&c, &magic, "magic");
	if ((err = rd_u32(&c, &g->version, "version")))
		goto bad;
	if (g->version != 2 && g->version != 3) {
		err = g->version == 0x03000000u || g->version == 0x02000000u
			      ? fail(&c, 4, "big-endian GGUF is not supported")
			      : fail(&c, 4, "unknown version %" PRIu32 " (2 and 3 are read)",
				     g->version);
		goto bad;
	}
	if ((err = rd(&c, 8, &n_tensors, "tensor count")) ||
	    (err = rd(&c, 8, &n_kv, "metadata count")))
		goto bad;
	/* Both counts size allocations: together they must fit what is left, at the smallest
	 * entries: a key of 1 byte with its length, a type, a 1-byte value (14 bytes); a
	 * tensor of 1 name byte with its length, 1 dimension, a type and an offset (33). */
	size_t left = size - c.pos;
	if (n_kv > left / 14 || n_tensors > left / 33 || n_kv * 14 > left - n_tensors * 33) {
		err = fail(&c, 8,
			   "tensor count %" PRIu64 " and metadata count %" PRIu64
			   " cannot fit in the %zu bytes after the header (each entry takes "
			   "at least 33 and 14 bytes)",
			   n_tensors, n_kv, left);
		goto bad;
	}
	if ((err = parse_entries(&c, g, n_kv, n_tensors)) || (err = place_tensors(&c, g)))
		goto bad;
	*out = g;
	return 0;
bad:
	bn_gguf_close(g);
	return err;
}

/* Every weight is read for every token, so where the file is read from matters: a file
 * mapping has 4 KiB pages, and streaming 1.2 GB through them misses the TLB on every page
 * (costly in a VM, where each miss walks two page tables). A copy in anonymous memory on
 * transparent huge pages misses 512 times less: BitLinear of a decoded token of the 2b
 * model took 2.4-4x less time on the Zen 5 VM (bitnet-run, 2026-12-02), for a slower load
 * (the file is read, 2-3 s for 1.2 GB, instead of mapped). Files under 64 MiB are mapped
 * (the saving is nothing there); BITNET_MODEL_LOAD=map maps every file, =copy copies every
 * one. Sets *out to NULL (map the file instead) when the copy is not wanted or memory is
 * short; BN_EIO when the file cannot be read. */
#define HUGE_BYTES ((size_t)2 << 20)
#define COPY_MIN_BYTES ((size_t)64 << 20)

static int read_huge(void **out, size_t *bytes, int fd, size_t size, const char *path)
{
	*out = NULL;
	*bytes = 0;
	const char *how = getenv("BITNET_MODEL_LOAD");
	int force = how && !strcmp(how, "copy");
	if ((size < COPY_MIN_BYTES && !force) || (how && !strcmp(how, "map")))
		return 0;
	size_t cap = (size + HUGE_BYTES - 1) / HUGE_BYTES * HUGE_BYTES;
	uint8_t *p = aligned_alloc(HUGE_BYTES, cap);
	if (!p)
		return 0;
	(void)madvise(p, cap, MADV_HUGEPAGE);
	for (size_t got = 0; got < size;) {
		ssize_t r = pread(fd, p + got, size - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int e = errno;
			free(p);
			return bn_error_set(BN_EIO, "%s: offset %zu: %s", path, got,
					    r < 0 ? strerror(e) : "the file ended early");
		}
		got += (size_t)r;
	}
	*out = p;
	*bytes = cap;
	return 0;
}

int bn_gguf_open(struct bn_gguf **out, const char *path)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return bn_error_set(BN_EIO, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return bn_error_set(BN_EIO, "%s: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return bn_error_set(BN_EIO, "%s: not a regular file", path);
	}
	if (st.st_size == 0) {
		close(fd);
		return bn_error_set(BN_EFORMAT, "%s: offset 0: empty file", path);
	}
	size_t size = (size_t)st.st_size;
	size_t copy_bytes = 0;
	void *map = NULL;
	int err = read_huge(&map, &copy_bytes, fd, size, path);
	if (err) {
		close(fd);
		return err;
	}
	if (!map) {
		map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			int e = errno;
			close(fd);
			return bn_error_set(BN_EIO, "%s: mmap: %s", path, strerror(e));
		}
	}
	close(fd);
	err = bn_gguf_parse(out, map, size, path);
	if (err) {
		if (copy_bytes)
			free(map);
		else
			munmap(map, size);
		return err;
	}
	(*out)->map = map;
	(*out)->map_bytes = copy_bytes;
	return 0;
}

/* --- lookups ----------------------------------------------------------------------------- */

/* The entry of by[] (sorted pointers to name fields) whose name is name, or NULL. */
static char **lookup(char ***by, size_t n, const char *name)
{
	char *key = (char *)name, **keyp = &key;
	char ***hit = n ? bsearch(&keyp, by, n, sizeof(*by), cmp_name) : NULL;
	return hit ? *hit : NULL;
}

const struct bn_gguf_kv *bn_gguf_find(const struct bn_gguf *g, const char *key)
{
	char **hit = lookup(g->kv_by_key, g->n_kv, key);
	return hit ? &g->kv[(size_t)((char *)hit - (char *)&g->kv[0].key) / sizeof(*g->kv)] : NULL;
}

const struct bn_gguf_tensor *bn_gguf_tensor(const struct bn_gguf *g, const char *name)
{
	char **hit = lookup(g->tensor_by_name, g->n_tensors, name);
	return hit ? &g->tensors[(size_t)((char *)hit - (char *)&g->tensors[0].name) /
				 sizeof(*g->tensors)]
		   : NULL;
}

static const struct bn_gguf_kv *need_kv(const struct bn_gguf *g, const char *key)
{
	const struct bn_gguf_kv *kv = bn_gguf_find(g, key);
	if (!kv)
		bn_error_set(BN_EINVAL, "%s: metadata key '%s' is missing", g->path, key);
	return kv;
}

int bn_gguf_get_u32(const struct bn_gguf *g, const char *key, uint32_t *out)
{
	const struct bn_gguf_kv *kv = need_kv(g, key);
	if (!kv)
		return BN_EINVAL;
	const struct bn_gguf_value *v = &kv->value;
	switch (v->type) {
	case BN_GGUF_UINT8:
	case BN_GGUF_UINT16:
	case BN_GGUF_UINT32:
	case BN_GGUF_UINT64:
		if (v->v.u <= UINT32_MAX) {
			*out = (uint32_t)v->v.u;
			return 0;
		}
		break;
	case BN_GGUF_INT8:
	case BN_GGUF_INT16:
	case BN_GGUF_INT32:
	case BN_GGUF_INT64:
		if (v->v.i >= 0 && v->v.i <= (int64_t)UINT32_MAX) {
			*out = (uint32_t)v->v.i;
			return 0;
		}
		break;
	default:
		return bn_error_set(BN_EINVAL, "%s: metadata '%s' is not an integer", g->path, key);
	}
	return bn_error_set(BN_EINVAL, "%s: metadata '%s' is out of range for a uint32", g->path,
			    key);
}

int bn_gguf_get_f32(const struct bn_gguf *g, const char *key, float *out)
{
	const struct bn_gguf_kv *kv = need_kv(g, key);
	if (!kv)
		return BN_EINVAL;
	if (kv->value.type != BN_GGUF_FLOAT32 && kv->value.type != BN_GGUF_FLOAT64)
		return bn_error_set(BN_EINVAL, "%s: metadata '%s' is not a float", g->path, key);
	*out = (float)kv->value.v.f;
	return 0;
}

int bn_gguf_get_str(const struct bn_gguf *g, const char *key, char **out)
{
	const struct bn_gguf_kv *kv = need_kv(g, key);
	if (!kv)
		return BN_EINVAL;
	if (kv->value.type != BN_GGUF_STRING)
		return bn_error_set(BN_EINVAL, "%s: metadata '%s' is not a string", g->path, key);
	if (!(*out = dup_str(&kv->value.v.s)))
		return bn_error_set(BN_ENOMEM, "%s: out of memory", g->path);
	return 0;
}

/* --- writing ----------------------------------------------------------------------------- */

struct wkv {
	char *key;
	uint32_t type;
	uint32_t elem; /* arrays */
	uint64_t n;    /* arrays */
	uint8_t scalar[8];
	char *str;      /* STRING */
	void *data;     /* scalar arrays: a copy of n elements */
	char **strings; /* string arrays: copies */
};

struct wtensor {
	char *name;
	uint32_t type;
	int n_dims;
	uint64_t ne[BN_GGUF_MAX_DIMS];
	const void *data;
	uint64_t n_bytes, offset;
};

struct bn_gguf_writer {
	struct wkv *kv;
	size_t n_kv, cap_kv;
	struct wtensor *t;
	size_t n_t, cap_t;
};

int bn_gguf_writer_new(struct bn_gguf_writer **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : bn_error_set(BN_ENOMEM, "gguf writer: out of memory");
}

void bn_gguf_writer_free(struct bn_gguf_writer *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n_kv; i++) {
		free(w->kv[i].key);
		free(w->kv[i].str);
		free(w->kv[i].data);
		for (uint64_t k = 0; w->kv[i].strings && k < w->kv[i].n; k++)
			free(w->kv[i].strings[k]);
		free(w->kv[i].strings);
	}
	free(w->kv);
	for (size_t i = 0; i < w->n_t; i++)
		free(w->t[i].name);
	free(w->t);
	free(w);
}

static struct wkv *new_kv(struct bn_gguf_writer *w, const char *key, uint32_t type)
{
	if (!key || !*key || strlen(key) > MAX_KEY_LEN) {
		bn_error_set(BN_EINVAL, "gguf writer: metadata key '%s' is empty or too long",
			     key ? key : "(null)");
		return NULL;
	}
	for (size_t i = 0; i < w->n_kv; i++)
		if (!strcmp(w->kv[i].key, key)) {
			bn_error_set(BN_EINVAL, "gguf writer: metadata key '%s' added twice", key);
			return NULL;
		}
	if (w->n_kv == w->cap_kv) {
		size_t cap = w->cap_kv ? 2 * w->cap_kv : 16;
		struct wkv *v = realloc(w->kv, cap * sizeof(*v));
		if (!v) {
			bn_error_set(BN_ENOMEM, "gguf writer: out of memory");
			return NULL;
		}
		w->kv = v;
		w->cap_kv = cap;
	}
	struct wkv *kv = &w->kv[w->n_kv];
	memset(kv, 0, sizeof(*kv));
	if (!(kv->key = strdup(key))) {
		bn_error_set(BN_ENOMEM, "gguf writer: out of memory");
		return NULL;
	}
	kv->type = type;
	w->n_kv++;
	return kv;
}

static int add_scalar(struct bn_gguf_writer *w, const char *key, uint32_t type, uint64_t bits)
{
	struct wkv *kv = new_kv(w, key, type);
	if (!kv)
		return BN_EINVAL;
	for (size_t i = 0; i < 8; i++)
		kv->scalar[i] = (uint8_t)(bits >> (8 * i));
	return 0;
}

int bn_gguf_add_u8(struct bn_gguf_writer *w, const char *key, uint8_t v)
{
	return add_scalar(w, key, BN_GGUF_UINT8, v);
}
int bn_gguf_add_i8(struct bn_gguf_writer *w, const char *key, int8_t v)
{
	return add_scalar(w, key, BN_GGUF_INT8, (uint8_t)v);
}
int bn_gguf_add_u16(struct bn_gguf_writer *w, const char *key, uint16_t v)
{
	return add_scalar(w, key, BN_GGUF_UINT16, v);
}
int bn_gguf_add_i16(struct bn_gguf_writer *w, const char *key, int16_t v)
{
	return add_scalar(w, key, BN_GGUF_INT16, (uint16_t)v);
}
int bn_gguf_add_u32(struct bn_gguf_writer *w, const char *key, uint32_t v)
{
	return add_scalar(w, key, BN_GGUF_UINT32, v);
}
int bn_gguf_add_i32(struct bn_gguf_writer *w, const char *key, int32_t v)
{
	return add_scalar(w, key, BN_GGUF_INT32, (uint32_t)v);
}
int bn_gguf_add_f32(struct bn_gguf_writer *w, const char *key, float v)
{
	uint32_t b;
	memcpy(&b, &v, sizeof(b));
	return add_scalar(w, key, BN_GGUF_FLOAT32, b);
}
int bn_gguf_add_bool(struct bn_gguf_writer *w, const char *key, int v)
{
	return add_scalar(w, key, BN_GGUF_BOOL, v != 0);
}
int bn_gguf_add_u64(struct bn_gguf_writer *w, const char *key, uint64_t v)
{
	return add_scalar(w, key, BN_GGUF_UINT64, v);
}
int bn_gguf_add_i64(struct bn_gguf_writer *w, const char *key, int64_t v)
{
	return add_scalar(w, key, BN_GGUF_INT64, (uint64_t)v);
}
int bn_gguf_add_f64(struct bn_gguf_writer *w, const char *key, double v)
{
	uint64_t b;
	memcpy(&b, &v, sizeof(b));
	return add_scalar(w, key, BN_GGUF_FLOAT64, b);
}

int bn_gguf_add_str(struct bn_gguf_writer *w, const char *key, const char *v)
{
	struct wkv *kv = new_kv(w, key, BN_GGUF_STRING);
	if (!kv)
		return BN_EINVAL;
	if (!(kv->str = strdup(v ? v : "")))
		return bn_error_set(BN_ENOMEM, "gguf writer: out of memory");
	return 0;
}

int bn_gguf_add_array(struct bn_gguf_writer *w, const char *key, enum bn_gguf_type elem,
		      const void *data, uint64_t n)
{
	size_t es = scalar_size(elem);
	if (!es && elem != BN_GGUF_STRING)
		return bn_error_set(BN_EINVAL, "gguf writer: '%s': arrays of type %d are not written",
				    key, (int)elem);
	if (n > SIZE_MAX / 16)
		return bn_error_set(BN_EINVAL, "gguf writer: '%s': %" PRIu64 " elements", key, n);
	struct wkv *kv = new_kv(w, key, BN_GGUF_ARRAY);
	if (!kv)
		return BN_EINVAL;
	kv->elem = elem;
	kv->n = n;
	if (es) {
		if (!(kv->data = malloc(n ? (size_t)n * es : 1)))
			return bn_error_set(BN_ENOMEM, "gguf writer: out of memory");
		if (n)
			memcpy(kv->data, data, (size_t)n * es);
		return 0;
	}
	const char *const *s = data;
	if (!(kv->strings = calloc(n ? (size_t)n : 1, sizeof(char *))))
		return bn_error_set(BN_ENOMEM, "gguf writer: out of memory");
	for (uint64_t i = 0; i < n; i++)
		if (!(kv->strings[i] = strdup(s[i] ? s[i] : "")))
			return bn_error_set(BN_ENOMEM, "gguf writer: out of memory");
	return 0;
}

int bn_gguf_add_tensor(struct bn_gguf_writer *w, const char *name, enum bn_ggml_type type,
		       int n_dims, const uint64_t *ne, const void *data, uint64_t n_bytes)
{
	if (!name || !*name)
		return bn_error_set(BN_EINVAL, "gguf writer: a tensor needs a name");
	if (n_dims < 1 || n_dims > BN_GGUF_MAX_DIMS)
		return bn_error_set(BN_EINVAL, "gguf writer: tensor '%s': %d dimensions", name,
				    n_dims);
	uint64_t n = 1;
	for (int d = 0; d < n_dims; d++) {
		if (ne[d] == 0 || ne[d] > INT64_MAX / n)
			return bn_error_set(BN_EINVAL, "gguf writer: tensor '%s': dimension %d is %" PRIu64,
					    name, d, ne[d]);
		n *= ne[d];
	}
	uint64_t want = bn_ggml_nbytes(type, n);
	if (!want || want != n_bytes)
		return bn_error_set(BN_EINVAL,
				    "gguf writer: tensor '%s': %" PRIu64 " bytes given, type %s of %" PRIu64
				    " elements takes %" PRIu64,
				    name, n_bytes, bn_ggml_type_name(type) ? bn_ggml_type_name(type) : "?",
				    n, want);
	for (size_t i = 0; i < w->n_t; i++)
		if (!strcmp(w->t[i].name, name))
			return bn_error_set(BN_EINVAL, "gguf writer: tensor '%s' added twice", name);
	if (w->n_t == w->cap_t) {
		size_t cap = w->cap_t ? 2 * w->cap_t : 16;
		struct wtensor *v = realloc(w->t, cap * sizeof(*v));
		if (!v)
			return bn_error_set(BN_ENOMEM, "gguf writer: out of memory");
		w->t = v;
		w->cap_t = cap;
	}
	struct wtensor *t = &w->t[w->n_t];
	memset(t, 0, sizeof(*t));
	if (!(t->name = strdup(name)))
		return bn_error_set(BN_ENOMEM, "gguf writer: out of memory");
	t->type = (uint32_t)type;
	t->n_dims = n_dims;
	for (int d = 0; d < n_dims; d++)
		t->ne[d] = ne[d];
	t->data = data;
	t->n_bytes = n_bytes;
	w->n_t++;
	return 0;
}

struct out {
	FILE *f;
	uint64_t pos;
	int err;
};

static void put(struct out *o, const void *p, size_t n)
{
	if (!o->err && n && fwrite(p, 1, n, o->f) != n)
		o->err = errno ? errno : EIO;
	o->pos += n;
}

static void put_le(struct out *o, uint64_t v, int bytes)
{
	uint8_t b[8];
	for (int i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	put(o, b, (size_t)bytes);
}

static void put_str(struct out *o, const char *s)
{
	size_t n = strlen(s);
	put_le(o, n, 8);
	put(o, s, n);
}

static void put_pad(struct out *o, uint64_t align)
{
	static const uint8_t zero[64];
	while (o->pos % align) {
		uint64_t k = align - o->pos % align;
		put(o, zero, k < sizeof(zero) ? (size_t)k : sizeof(zero));
	}
}

/* The alignment general.alignment asks for (a uint32 power of two), else the default. */
static int writer_alignment(const struct bn_gguf_writer *w, uint64_t *align)
{
	*align = BN_GGUF_DEFAULT_ALIGNMENT;
	for (size_t i = 0; i < w->n_kv; i++)
		if (!strcmp(w->kv[i].key, "general.alignment")) {
			uint64_t a = le(w->kv[i].scalar, 4);
			if (w->kv[i].type != BN_GGUF_UINT32 || !a || (a & (a - 1)))
				return bn_error_set(BN_EINVAL, "gguf writer: general.alignment must "
							       "be a uint32 power of two");
			*align = a;
		}
	return 0;
}

/* One key-value pair: key, type, then the value (an array's elements little-endian). */
static void put_kv(struct out *o, const struct wkv *kv)
{
	put_str(o, kv->key);
	put_le(o, kv->type, 4);
	if (kv->type == BN_GGUF_STRING) {
		put_str(o, kv->str);
	} else if (kv->type == BN_GGUF_ARRAY) {
		put_le(o, kv->elem, 4);
		put_le(o, kv->n, 8);
		size_t es = scalar_size(kv->elem);
		if (es) {
			/* host order to little-endian, element by element */
			const uint8_t *p = kv->data;
			for (uint64_t k = 0; k < kv->n; k++) {
				uint64_t v = 0;
				memcpy(&v, p + k * es, es); /* little-endian host */
				put_le(o, v, (int)es);
			}
		} else {
			for (uint64_t k = 0; k < kv->n; k++)
				put_str(o, kv->strings[k]);
		}
	} else {
		put(o, kv->scalar, scalar_size(kv->type));
	}
}

/* One tensor's entry in the header: name, shape, type, offset in the data section. */
static void put_tensor_info(struct out *o, const struct wtensor *t)
{
	put_str(o, t->name);
	put_le(o, (uint64_t)t->n_dims, 4);
	for (int d = 0; d < t->n_dims; d++)
		put_le(o, t->ne[d], 8);
	put_le(o, t->type, 4);
	put_le(o, t->offset, 8);
}

/* Flushes, syncs and closes tmp, then renames it to path; on any failure tmp is removed.
 * err: a write error already met (errno value), or 0. */
static int writer_finish(struct out *o, const char *tmp, const char *path, int err)
{
	if (fflush(o->f) != 0 && !err)
		err = errno ? errno : EIO;
	if (!err && fsync(fileno(o->f)) != 0)
		err = errno;
	if (fclose(o->f) != 0 && !err)
		err = errno ? errno : EIO;
	if (!err && rename(tmp, path) != 0)
		err = errno;
	if (err)
		unlink(tmp);
	return err ? bn_error_set(BN_EIO, "%s: %s", path, strerror(err)) : 0;
}

int bn_gguf_writer_write(struct bn_gguf_writer *w, const char *path)
{
	uint64_t align;
	int err = writer_alignment(w, &align);
	if (err)
		return err;
	uint64_t off = 0;
	for (size_t i = 0; i < w->n_t; i++) {
		w->t[i].offset = off;
		off += (w->t[i].n_bytes + align - 1) / align * align;
	}
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 5);
	if (!tmp)
		return bn_error_set(BN_ENOMEM, "gguf writer: out of memory");
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp", 5);
	struct out o = {.f = fopen(tmp, "wb")};
	if (!o.f) {
		int e = errno;
		free(tmp);
		return bn_error_set(BN_EIO, "%s: %s", path, strerror(e));
	}
	put_le(&o, BN_GGUF_MAGIC, 4);
	put_le(&o, BN_GGUF_VERSION, 4);
	put_le(&o, w->n_t, 8);
	put_le(&o, w->n_kv, 8);
	for (size_t i = 0; i < w->n_kv; i++)
		put_kv(&o, &w->kv[i]);
	for (size_t i = 0; i < w->n_t; i++)
		put_tensor_info(&o, &w->t[i]);
	put_pad(&o, align);
	for (size_t i = 0; i < w->n_t; i++) {
		put(&o, w->t[i].data, (size_t)w->t[i].n_bytes);
		put_pad(&o, align);
	}
	err = writer_finish(&o, tmp, path, o.err);
	free(tmp);
	return err;
}
