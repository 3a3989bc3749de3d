/* String-to-index map (bg_strmap.h): linear probing in a table kept at most half full. */
#include "bg_strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bg_error.h"

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* The slot holding key, or the free one where it would go. */
static struct bg_strmap_slot *find(const struct bg_strmap *m, const char *key)
{
	size_t mask = m->cap - 1, i = (size_t)fnv1a(key) & mask;
	while (m->slots[i].key && strcmp(m->slots[i].key, key) != 0)
		i = (i + 1) & mask;
	return &m->slots[i];
}

int bg_strmap_get(const struct bg_strmap *m, const char *key, size_t *value)
{
	if (!m->cap)
		return 0;
	const struct bg_strmap_slot *s = find(m, key);
	if (!s->key)
		return 0;
	*value = s->value;
	return 1;
}

/* Doubles the table (16 slots at first) and puts every key back. */
static int rehash(struct bg_strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 16;
	if (cap < m->cap || cap > SIZE_MAX / sizeof(struct bg_strmap_slot))
		return bg_error_oom();
	struct bg_strmap bigger = {calloc(cap, sizeof(struct bg_strmap_slot)), cap, m->n};
	if (!bigger.slots)
		return bg_error_oom();
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key)
			*find(&bigger, m->slots[i].key) = m->slots[i];
	free(m->slots);
	*m = bigger;
	return 0;
}

int bg_strmap_put(struct bg_strmap *m, const char *key, size_t value)
{
	if ((m->n + 1) * 2 > m->cap && rehash(m) < 0)
		return BG_ENOMEM;
	struct bg_strmap_slot *s = find(m, key);
	if (!s->key) {
		s->key = key;
		m->n++;
	}
	s->value = value;
	return 0;
}

void bg_strmap_free(struct bg_strmap *m)
{
	free(m->slots);
	*m = (struct bg_strmap)BG_STRMAP_INIT;
}
