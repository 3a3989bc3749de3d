/* GGUF files: a reader that maps the file (tensor data is never copied) and a writer.
 *
 * The layout accepted (GGUF version 2 and 3, little-endian; all integers little-endian):
 *   header      magic "GGUF" (bytes 47 47 55 46), uint32 version, uint64 tensor_count,
 *               uint64 metadata_kv_count
 *   metadata    metadata_kv_count times: string key, uint32 value type, value
 *   tensor info tensor_count times: string name, uint32 n_dims (1..4), uint64 ne[n_dims]
 *               (ne[0] varies fastest: a matrix of n rows of k is ne = {k, n}), uint32 ggml
 *               type, uint64 offset (from the start of the data section, a multiple of the
 *               alignment)
 *   padding     to the next multiple of the alignment (`general.alignment`, a uint32 power
 *               of two; 32 when absent)
 *   data        the tensors, each at its offset
 * A string is a uint64 length and that many bytes (no NUL). Value types: 0 uint8, 1 int8,
 * 2 uint16, 3 int16, 4 uint32, 5 int32, 6 float32, 7 bool (one byte, 0 or 1), 8 string,
 * 9 array (uint32 element type, uint64 count, the elements; arrays of arrays are refused),
 * 10 uint64, 11 int64, 12 float64.
 *
 * Tensor types read: F32 (0, 4 bytes per element), F16 (1, 2 bytes), TQ2_0 (35, blocks of
 * 256 weights: 64 bytes of 2-bit codes, then an F16 scale; 66 bytes per block) and I2_S
 * (36, bitnet.cpp's: n/4 bytes of 2-bit codes in the layout of bn_pack.h, then a 32-byte
 * tail whose first 4 bytes are the per-tensor float scale).
 *
 * Every count, length, offset and size is checked against the file before it is used: a
 * hostile file gets BN_EFORMAT with a message naming the file, the byte offset and the
 * problem, never a read outside the mapping. */
#ifndef BN_GGUF_H
#define BN_GGUF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BN_GGUF_MAGIC 0x46554747u /* "GGUF" read as a little-endian uint32 */
#define BN_GGUF_VERSION 3
#define BN_GGUF_DEFAULT_ALIGNMENT 32
#define BN_GGUF_MAX_DIMS 4

enum bn_gguf_type {
	BN_GGUF_UINT8 = 0,
	BN_GGUF_INT8 = 1,
	BN_GGUF_UINT16 = 2,
	BN_GGUF_INT16 = 3,
	BN_GGUF_UINT32 = 4,
	BN_GGUF_INT32 = 5,
	BN_GGUF_FLOAT32 = 6,
	BN_GGUF_BOOL = 7,
	BN_GGUF_STRING = 8,
	BN_GGUF_ARRAY = 9,
	BN_GGUF_UINT64 = 10,
	BN_GGUF_INT64 = 11,
	BN_GGUF_FLOAT64 = 12,
	BN_GGUF_TYPE_COUNT
};

enum bn_ggml_type {
	BN_GGML_F32 = 0,
	BN_GGML_F16 = 1,
	BN_GGML_TQ2_0 = 35,
	BN_GGML_I2_S = 36,
};

#define BN_TQ2_0_BLOCK 256       /* weights per TQ2_0 block */
#define BN_TQ2_0_BLOCK_BYTES 66 /* 64 bytes of codes and an F16 scale */

/* A string inside the file (not NUL-terminated). */
struct bn_gguf_str {
	const char *ptr;
	uint64_t len;
};

/* One metadata value. Scalars are converted to the widest type of their kind. */
struct bn_gguf_value {
	enum bn_gguf_type type;
	union {
		uint64_t u;  /* UINT8 .. UINT64, BOOL (0 or 1) */
		int64_t i;   /* INT8 .. INT64 */
		double f;    /* FLOAT32, FLOAT64 */
		struct bn_gguf_str s;
		struct {
			enum bn_gguf_type elem;
			uint64_t n;
			const void *data;           /* n raw little-endian elements (not strings) */
			struct bn_gguf_str *strings; /* n strings when elem is STRING */
		} arr;
	} v;
};

struct bn_gguf_kv {
	char *key; /* NUL-terminated copy */
	struct bn_gguf_value value;
};

struct bn_gguf_tensor {
	char *name; /* NUL-terminated copy */
	int n_dims;
	uint64_t ne[BN_GGUF_MAX_DIMS]; /* unused dimensions are 1 */
	uint64_t n_elements;
	enum bn_ggml_type type;
	uint64_t offset;  /* in the data section */
	uint64_t n_bytes; /* its size in the file */
	const void *data; /* in the mapping; aligned to `alignment` only relative to the
			     file's start: a reader needing more checks (bn_model_open does) */
};

struct bn_gguf {
	char *path; /* as given, for messages */
	uint32_t version;
	uint32_t alignment;
	uint64_t data_offset; /* of the data section in the file */
	size_t n_kv;
	struct bn_gguf_kv *kv;
	size_t n_tensors;
	struct bn_gguf_tensor *tensors;
	/* kv[] and tensors[] sorted by name, for lookups in log time: each entry points to a
	 * kv's key or a tensor's name (a file may hold millions of names) */
	char ***kv_by_key;
	char ***tensor_by_name;
	const uint8_t *base; /* the file's bytes */
	size_t size;
	void *map; /* the file's bytes when opened from a file; NULL for bn_gguf_parse */
	size_t map_bytes; /* huge-page copy: its allocation's size; 0: map is an mmap */
};

/* Reads path (onto transparent huge pages when 64 MiB or more: the weights are streamed
 * for every token; BITNET_MODEL_LOAD=map|copy decides for every size) or maps it read-only,
 * and parses it. BN_EIO when it cannot be opened, read or mapped, BN_EFORMAT when it is not
 * a well-formed GGUF file. */
int bn_gguf_open(struct bn_gguf **out, const char *path);

/* Parses size bytes at buf (which must outlive the result); name is used in messages. */
int bn_gguf_parse(struct bn_gguf **out, const void *buf, size_t size, const char *name);

void bn_gguf_close(struct bn_gguf *g);

/* The metadata entry with this key, or NULL. */
const struct bn_gguf_kv *bn_gguf_find(const struct bn_gguf *g, const char *key);

/* Typed lookups. Integers of any width and sign convert when the value fits; floats accept
 * FLOAT32 and FLOAT64. BN_EINVAL naming the file and key when absent, of another type or
 * out of range. */
int bn_gguf_get_u32(const struct bn_gguf *g, const char *key, uint32_t *out);
int bn_gguf_get_f32(const struct bn_gguf *g, const char *key, float *out);
/* A NUL-terminated copy (malloc'd) of a string value. */
int bn_gguf_get_str(const struct bn_gguf *g, const char *key, char **out);

/* The tensor with this name, or NULL. */
const struct bn_gguf_tensor *bn_gguf_tensor(const struct bn_gguf *g, const char *name);

/* Bytes a tensor of n elements of type takes in a file; 0 when the type is unknown or n
 * does not fit it (I2_S: a multiple of 4; TQ2_0: of 256). */
uint64_t bn_ggml_nbytes(enum bn_ggml_type type, uint64_t n);

/* "F32", "F16", "TQ2_0", "I2_S", or NULL. */
const char *bn_ggml_type_name(enum bn_ggml_type type);

/* --- writing ---------------------------------------------------------------------------- */

struct bn_gguf_writer;

int bn_gguf_writer_new(struct bn_gguf_writer **out);
void bn_gguf_writer_free(struct bn_gguf_writer *w);

/* Metadata, written in the order added. Keys must be unique (BN_EINVAL otherwise). */
int bn_gguf_add_u8(struct bn_gguf_writer *w, const char *key, uint8_t v);
int bn_gguf_add_i8(struct bn_gguf_writer *w, const char *key, int8_t v);
int bn_gguf_add_u16(struct bn_gguf_writer *w, const char *key, uint16_t v);
int bn_gguf_add_i16(struct bn_gguf_writer *w, const char *key, int16_t v);
int bn_gguf_add_u32(struct bn_gguf_writer *w, const char *key, uint32_t v);
int bn_gguf_add_i32(struct bn_gguf_writer *w, const char *key, int32_t v);
int bn_gguf_add_f32(struct bn_gguf_writer *w, const char *key, float v);
int bn_gguf_add_bool(struct bn_gguf_writer *w, const char *key, int v);
int bn_gguf_add_str(struct bn_gguf_writer *w, const char *key, const char *v);
int bn_gguf_add_u64(struct bn_gguf_writer *w, const char *key, uint64_t v);
int bn_gguf_add_i64(struct bn_gguf_writer *w, const char *key, int64_t v);
int bn_gguf_add_f64(struct bn_gguf_writer *w, const char *key, double v);
/* An array of n elements of elem (a scalar type: data holds them in host order, which is
 * little-endian on every machine this builds for) or of strings (data is const char *[n]). */
int bn_gguf_add_array(struct bn_gguf_writer *w, const char *key, enum bn_gguf_type elem,
		      const void *data, uint64_t n);

/* A tensor: data (n_bytes, which must equal bn_ggml_nbytes of its shape) is not copied and
 * must stay valid until bn_gguf_writer_write returns. */
int bn_gguf_add_tensor(struct bn_gguf_writer *w, const char *name, enum bn_ggml_type type,
		       int n_dims, const uint64_t *ne, const void *data, uint64_t n_bytes);

/* Writes the file (GGUF version 3; to path.tmp, then renamed, so a reader never sees half a
 * file). The alignment is general.alignment when it was added, else 32. */
int bn_gguf_writer_write(struct bn_gguf_writer *w, const char *path);

#ifdef __cplusplus
}
#endif

#endif
