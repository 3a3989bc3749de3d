/* Bounded POSIX extended regexes (bg_regex.h): a walk over the pattern that sizes it the
 * way glibc's regcomp expands it ('+' and {m,n} copy what they repeat), so a pattern that
 * would take gigabytes is refused before regcomp sees it. Two shapes take time rather than
 * memory, and are bounded too: many optional elements (under '*', '?', the n - m optional
 * copies of {m,n}, each '|'), as regcomp's time grows with the square of their number
 * ("(a*)*{0,500}": 3.4 s under ASan), and a repetition with copies or a loop ('+', '*',
 * {m,n}) of an element that can match the empty string, on which regcomp's closure walk is
 * exponential ("x*{0,16}{4,}", or "^x**0**v**" and so on 20 times: over 20 s each). */
#include "bg_regex.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bg_error.h"

/* The pattern being walked and the first problem found. */
struct walk {
	const char *re;
	size_t pos;   /* the next byte to read */
	size_t depth; /* open groups: a ')' outside any is a literal, as in glibc */
	char *why;  /* the problem, for the caller's message */
	size_t why_size;
};

/* Sizes saturate just above the cap, so no product overflows. */
static size_t sat(size_t x)
{
	return x > BG_REGEX_MAX_SIZE ? BG_REGEX_MAX_SIZE + 1 : x;
}

static size_t sat_mul(size_t a, size_t b)
{
	return a && b > (BG_REGEX_MAX_SIZE + 1) / a ? BG_REGEX_MAX_SIZE + 1 : sat(a * b);
}

static int fail(struct walk *w, const char *what, size_t at)
{
	snprintf(w->why, w->why_size, "%s at byte %zu", what, at + 1);
	return BG_EINPUT;
}

/* A bracket expression from its '[': "[]a]", "[^]a]" and "[[:alpha:]]" included. An
 * unclosed one runs to the end (regcomp refuses it). */
static void bracket(struct walk *w)
{
	const char *re = w->re;
	size_t p = w->pos + 1;
	if (re[p] == '^')
		p++;
	if (re[p] == ']')
		p++;
	while (re[p] && re[p] != ']') {
		if (re[p] == '[' && (re[p + 1] == '.' || re[p + 1] == ':' || re[p + 1] == '=')) {
			char close[3] = {re[p + 1], ']', '\0'};
			const char *end = strstr(re + p + 2, close);
			p = end ? (size_t)(end - re) + 2 : strlen(re);
		} else {
			p++;
		}
	}
	w->pos = re[p] ? p + 1 : p;
}

/* The digit at p as glibc reads one inside an interval, where an escaped character is
 * that character ("\\0" is 0; "\\1" is a back-reference, which it refuses): its value and
 * length in *len, or -1. */
static int digit(const char *p, size_t *len)
{
	*len = p[0] == '\\' ? 2 : 1;
	char c = p[0] == '\\' && p[1] == '0' ? '0' : p[0] == '\\' ? '\0' : p[0];
	return c >= '0' && c <= '9' ? c - '0' : -1;
}

/* A decimal count of an interval, saturated above the cap; false when there is none. */
static bool count(struct walk *w, size_t *out)
{
	size_t p = w->pos, n = 0, len;
	int d;
	while ((d = digit(w->re + p, &len)) >= 0) {
		n = n > BG_REGEX_MAX_COUNT ? n : n * 10 + (size_t)d;
		p += len;
	}
	*out = n;
	bool any = p > w->pos;
	w->pos = p;
	return any;
}

/* The comma of an interval at w->pos, escaped or not, stepped over. */
static bool comma(struct walk *w)
{
	const char *p = w->re + w->pos;
	size_t len = p[0] == ',' ? 1 : p[0] == '\\' && p[1] == ',' ? 2 : 0;
	w->pos += len;
	return len > 0;
}

/* What an element expands to: its elements, how many of them are optional, and whether it
 * can match the empty string. */
struct cost {
	size_t size;
	size_t optional;
	bool nullable;
};

/* A repetition operator as glibc expands it: the copies it makes of the element (1 for '*'
 * and '?', 2 for '+', n or m + 1 for {m,n} and {m,}), how many of those are optional (1 for
 * '*', '?', '+' and {m,}, n - m for {m,n}), and whether it loops (no upper bound). */
struct op {
	size_t copies; /* 0: no operator */
	size_t optional;
	bool loops;
};

/* The operator at w->pos, stepped over; none when there is no operator there (a malformed
 * interval is left to regcomp, which refuses it). */
static int repetition(struct walk *w, struct op *op)
{
	size_t at = w->pos;
	char c = w->re[at];
	*op = (struct op){0, 0, false};
	if (c == '*' || c == '?' || c == '+') {
		w->pos++;
		*op = (struct op){c == '+' ? 2 : 1, 1, c != '?'};
		return 0;
	}
	if (c != '{')
		return 0;
	size_t m = 0, n = 0;
	w->pos++;
	bool has_m = count(w, &m), has_n = false, has_comma = comma(w);
	if (has_comma)
		has_n = count(w, &n);
	if (w->re[w->pos] != '}' || (!has_m && !has_comma)) { /* "{,}" is glibc's {0,} */
		w->pos = at;
		return 0;
	}
	w->pos++;
	if (m > BG_REGEX_MAX_COUNT || n > BG_REGEX_MAX_COUNT) {
		char what[64];
		snprintf(what, sizeof(what), "a repetition count above %d", BG_REGEX_MAX_COUNT);
		return fail(w, what, at);
	}
	op->copies = !has_comma ? m : has_n ? n : m + 1;
	op->optional = !has_comma ? 0 : has_n ? (n > m ? n - m : 0) : 1;
	op->loops = has_comma && !has_n;
	if (op->copies == 0)
		op->copies = 1;
	return 0;
}

/* One element repeated: copies of it, of which optional ones, plus the operator's own. */
static struct cost repeat(struct cost c, size_t copies, size_t optional)
{
	struct cost r;
	r.size = sat(sat_mul(c.size, copies) + 1);
	r.optional = sat(sat_mul(c.optional, copies) + sat_mul(c.size, optional));
	r.nullable = c.nullable || optional == copies;
	return r;
}

static struct cost add(struct cost a, struct cost b)
{
	return (struct cost){sat(a.size + b.size), sat(a.optional + b.optional), false};
}

static int alternation(struct walk *w, struct cost *c);

/* A group from its '(' to its ')' (or the end, where regcomp refuses it). */
static int group(struct walk *w, struct cost *c)
{
	w->pos++;
	w->depth++;
	int rc = alternation(w, c);
	w->depth--;
	if (rc < 0)
		return rc;
	if (w->re[w->pos] == ')')
		w->pos++;
	c->size = sat(c->size + 1);
	return 0;
}

/* True for an anchor, which matches the empty string: '^', '$', "\b", "\<" and the like. */
static bool anchor(const char *at)
{
	return *at == '^' || *at == '$' || (at[0] == '\\' && at[1] && strchr("bB<>`'", at[1]));
}

/* One element: a group, a bracket expression, an anchor, an escaped or a plain character. */
static int atom(struct walk *w, struct cost *c)
{
	const char *re = w->re;
	size_t at = w->pos;
	*c = (struct cost){1, 0, anchor(re + at)};
	if (re[at] == '(')
		return group(w, c);
	if (re[at] == '[') {
		bracket(w);
	} else if (re[at] == '\\') {
		if (re[at + 1] >= '1' && re[at + 1] <= '9')
			return fail(w, "a back-reference (not supported)", at);
		w->pos += re[at + 1] ? 2 : 1;
	} else {
		w->pos++;
	}
	return 0;
}

/* The element e with each operator that follows it: each repeats what the ones before
 * made ("a" and 21 '+' doubles 21 times, while ".*?" stays small). */
static int repetitions(struct walk *w, struct cost *e)
{
	for (;;) {
		size_t at = w->pos;
		struct op op;
		int rc = repetition(w, &op);
		if (rc < 0 || op.copies == 0)
			return rc;
		/* glibc's closures are exponential in these: "^x**0**...", 20 of them, over 20 s */
		if (e->nullable && (op.copies > 1 || op.loops))
			return fail(w,
				    "a repetition of something that can match the empty string "
				    "(regcomp can take exponential time; (x*)* is x*)",
				    at);
		*e = repeat(*e, op.copies, op.optional);
	}
}

/* Elements and their repetitions up to '|', the ')' of an open group or the end. */
static int branch(struct walk *w, struct cost *c)
{
	const char *re = w->re;
	*c = (struct cost){0, 0, true};
	while (re[w->pos] && re[w->pos] != '|' && !(re[w->pos] == ')' && w->depth)) {
		struct cost e;
		int rc = atom(w, &e);
		if (rc == 0)
			rc = repetitions(w, &e);
		if (rc < 0)
			return rc;
		bool nullable = c->nullable && e.nullable;
		*c = add(*c, e);
		c->nullable = nullable;
	}
	return 0;
}

/* Branches; each '|' is one more element and one more optional one. */
static int alternation(struct walk *w, struct cost *c)
{
	int rc = branch(w, c);
	while (rc == 0 && w->re[w->pos] == '|') {
		struct cost b;
		w->pos++;
		rc = branch(w, &b);
		bool nullable = c->nullable || b.nullable;
		*c = add(add(*c, b), (struct cost){1, 1, false});
		c->nullable = nullable;
	}
	return rc;
}

/* Refuses a pattern whose expansion is over either bound. */
static int within_bounds(struct cost c, char *why, size_t why_size)
{
	if (c.size > BG_REGEX_MAX_SIZE) {
		snprintf(why, why_size,
			 "too large once its repetitions are expanded (more than %d elements; "
			 "nest fewer repetitions)",
			 BG_REGEX_MAX_SIZE);
		return BG_EINPUT;
	}
	if (c.optional > BG_REGEX_MAX_OPTIONAL) {
		snprintf(why, why_size,
			 "too costly to compile once its repetitions are expanded (more than %d "
			 "optional elements; use fewer or smaller '*', '?' and {m,n})",
			 BG_REGEX_MAX_OPTIONAL);
		return BG_EINPUT;
	}
	return 0;
}

int bg_regex_check(const char *re, char *why, size_t why_size)
{
	struct walk w = {re, 0, 0, why, why_size};
	size_t len = strlen(re);
	if (len > BG_REGEX_MAX_LEN) {
		snprintf(why, why_size, "%zu bytes long, more than the %d a pattern may have", len,
			 BG_REGEX_MAX_LEN);
		return BG_EINPUT;
	}
	struct cost total;
	int rc = alternation(&w, &total);
	if (rc < 0)
		return rc;
	return within_bounds(total, why, why_size);
}

int bg_regex_compile(regex_t *out, const char *re, char *why, size_t why_size)
{
	int rc = bg_regex_check(re, why, why_size);
	if (rc < 0)
		return rc;
	int err = regcomp(out, re, REG_EXTENDED | REG_NOSUB);
	if (err == 0)
		return 0;
	char detail[128];
	regerror(err, out, detail, sizeof(detail));
	snprintf(why, why_size, "not a valid regular expression (%s)", detail);
	return BG_EINPUT;
}
