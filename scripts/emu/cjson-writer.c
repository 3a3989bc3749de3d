/* The part of libcjson's API that bitnet-bench's JSON writer calls (build and print), for the
 * static build that runs under the emulator only: Debian ships libcjson as a shared library
 * alone, and the mini-kernel runs static binaries. Prints as cJSON_Print does (tabs, arrays on
 * one line, "%d" for integral numbers, else %1.15g, or %1.17g where that does not read back). */
#include <cjson/cJSON.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cJSON *item(int type)
{
	cJSON *c = calloc(1, sizeof(*c));
	if (c)
		c->type = type;
	return c;
}

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

cJSON *cJSON_CreateObject(void) { return item(cJSON_Object); }
cJSON *cJSON_CreateArray(void) { return item(cJSON_Array); }
cJSON *cJSON_CreateNull(void) { return item(cJSON_NULL); }

cJSON *cJSON_CreateNumber(double num)
{
	cJSON *c = item(cJSON_Number);
	if (!c)
		return NULL;
	c->valuedouble = num;
	/* valueint saturates, as in cJSON: the printer compares against it */
	c->valueint = num >= INT_MAX ? INT_MAX : num <= (double)INT_MIN ? INT_MIN : (int)num;
	return c;
}

cJSON *cJSON_CreateString(const char *s)
{
	cJSON *c = item(cJSON_String);
	if (c && !(c->valuestring = dup_str(s))) {
		free(c);
		return NULL;
	}
	return c;
}

void cJSON_Delete(cJSON *c)
{
	while (c) {
		cJSON *next = c->next;
		cJSON_Delete(c->child);
		free(c->valuestring);
		free(c->string);
		free(c);
		c = next;
	}
}

void cJSON_free(void *p) { free(p); }

cJSON_bool cJSON_AddItemToArray(cJSON *array, cJSON *it)
{
	if (!array || !it || array == it)
		return 0;
	if (!array->child) {
		array->child = it;
		it->prev = it; /* cJSON keeps the last item in the first one's prev */
	} else {
		cJSON *last = array->child->prev;
		last->next = it;
		it->prev = last;
		array->child->prev = it;
	}
	return 1;
}

cJSON_bool cJSON_AddItemToObject(cJSON *object, const char *key, cJSON *it)
{
	if (!object || !key || !it)
		return 0;
	char *k = dup_str(key);
	if (!k)
		return 0;
	free(it->string);
	it->string = k;
	return cJSON_AddItemToArray(object, it);
}

static cJSON *add(cJSON *o, const char *key, cJSON *it)
{
	if (cJSON_AddItemToObject(o, key, it))
		return it;
	cJSON_Delete(it);
	return NULL;
}

cJSON *cJSON_AddBoolToObject(cJSON *const o, const char *const key, const cJSON_bool b)
{
	return add(o, key, item(b ? cJSON_True : cJSON_False));
}
cJSON *cJSON_AddNumberToObject(cJSON *const o, const char *const key, const double n)
{
	return add(o, key, cJSON_CreateNumber(n));
}
cJSON *cJSON_AddStringToObject(cJSON *const o, const char *const key, const char *const s)
{
	return add(o, key, cJSON_CreateString(s));
}
cJSON *cJSON_AddObjectToObject(cJSON *const o, const char *const key)
{
	return add(o, key, item(cJSON_Object));
}
cJSON *cJSON_AddArrayToObject(cJSON *const o, const char *const key)
{
	return add(o, key, cJSON_CreateArray());
}

/* ---- printing into a growing buffer ---- */

struct buf {
	char *p;
	size_t n, cap;
	int bad;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->bad)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->n + n + 1) * 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->bad = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }

static void tabs(struct buf *b, int depth)
{
	for (int i = 0; i < depth; i++)
		put(b, "\t", 1);
}

static void print_string(struct buf *b, const char *s)
{
	put(b, "\"", 1);
	for (const unsigned char *c = (const unsigned char *)s; s && *c; c++) {
		char esc[8];
		switch (*c) {
		case '"': puts_(b, "\\\""); break;
		case '\\': puts_(b, "\\\\"); break;
		case '\b': puts_(b, "\\b"); break;
		case '\f': puts_(b, "\\f"); break;
		case '\n': puts_(b, "\\n"); break;
		case '\r': puts_(b, "\\r"); break;
		case '\t': puts_(b, "\\t"); break;
		default:
			if (*c < 32) {
				snprintf(esc, sizeof(esc), "\\u%04x", *c);
				puts_(b, esc);
			} else {
				put(b, (const char *)c, 1);
			}
		}
	}
	put(b, "\"", 1);
}

static void print_number(struct buf *b, const cJSON *c)
{
	char t[32];
	double d = c->valuedouble, back = 0;
	if (isnan(d) || isinf(d))
		snprintf(t, sizeof(t), "null");
	else if (d == (double)c->valueint)
		snprintf(t, sizeof(t), "%d", c->valueint);
	else {
		snprintf(t, sizeof(t), "%1.15g", d);
		/* "reads back" within a relative DBL_EPSILON, as cJSON compares */
		if (sscanf(t, "%lg", &back) != 1 ||
		    fabs(back - d) > fmax(fabs(back), fabs(d)) * DBL_EPSILON)
			snprintf(t, sizeof(t), "%1.17g", d);
	}
	puts_(b, t);
}

static void print_value(struct buf *b, const cJSON *c, int depth)
{
	switch (c->type & 0xff) {
	case cJSON_False: puts_(b, "false"); break;
	case cJSON_True: puts_(b, "true"); break;
	case cJSON_NULL: puts_(b, "null"); break;
	case cJSON_Number: print_number(b, c); break;
	case cJSON_String: print_string(b, c->valuestring); break;
	case cJSON_Array:
		put(b, "[", 1);
		for (const cJSON *e = c->child; e; e = e->next) {
			print_value(b, e, depth + 1); /* an array is a level too, for the tabs */
			if (e->next)
				puts_(b, ", ");
		}
		put(b, "]", 1);
		break;
	case cJSON_Object:
		puts_(b, "{\n");
		for (const cJSON *e = c->child; e; e = e->next) {
			tabs(b, depth + 1);
			print_string(b, e->string);
			puts_(b, ":\t");
			print_value(b, e, depth + 1);
			if (e->next)
				put(b, ",", 1);
			put(b, "\n", 1);
		}
		tabs(b, depth);
		put(b, "}", 1);
		break;
	default: b->bad = 1;
	}
}

char *cJSON_Print(const cJSON *c)
{
	struct buf b = {0};
	if (!c)
		return NULL;
	print_value(&b, c, 0);
	if (b.bad) {
		free(b.p);
		return NULL;
	}
	return b.p;
}
