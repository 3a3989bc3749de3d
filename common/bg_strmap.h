/* A map from strings to indexes (open addressing, FNV-1a), for parsers that look names up
 * as they read them: each lookup takes constant time, so a file of many names cannot make
 * reading it quadratic. Keys are borrowed: they must outlive the map. */
#ifndef BG_STRMAP_H
#define BG_STRMAP_H

#include <stddef.h>

struct bg_strmap_slot {
	const char *key; /* NULL when free */
	size_t value;
};

struct bg_strmap {
	struct bg_strmap_slot *slots;
	size_t cap; /* a power of two, or 0 */
	size_t n;   /* keys in the map */
};

#define BG_STRMAP_INIT                                                                             \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

/* 1 with *value set when key is in the map, else 0. */
int bg_strmap_get(const struct bg_strmap *m, const char *key, size_t *value);

/* Adds key -> value, or sets the value of a key already there: 0, or BG_ENOMEM. */
int bg_strmap_put(struct bg_strmap *m, const char *key, size_t value);

/* Frees the slots (not the keys) and resets to BG_STRMAP_INIT. */
void bg_strmap_free(struct bg_strmap *m);

#endif
