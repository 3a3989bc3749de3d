/* Bounded POSIX extended regexes (bg_regex.h): a walk over the pattern that sizes it the
 * way glibc's regcomp expands it ('+' and {m,n} copy what they repeat), so a pattern that
 * would take gigabytes is refused before regcomp sees it. */
#include "bg_regex.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bg_error.h"

/* The pattern being walked and the first problem found. */
struct walk {
	const char *re;
	size_t pos; /* the next byte to read */
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

/* A decimal count of an interval, saturated above the cap; false when there is none. */
static bool count(struct walk *w, size_t *out)
{
	size_t p = w->pos, n = 0;
	while (w->re[p] >= '0' && w->re[p] <= '9') {
		n = n > BG_REGEX_MAX_COUNT ? n : n * 10 + (size_t)(w->re[p] - '0');
		p++;
	}
	*out = n;
	bool any = p > w->pos;
	w->pos = p;
	return any;
}

/* The copies of a repeated element glibc makes for the operator at w->pos: 1 for '*' and
 * '?', 2 for '+', n (or m + 1 without n) for {m,n}; 0 when there is no operator there (a
 * malformed interval is left to regcomp, which refuses it). */
static int repetition(struct walk *w, size_t *copies)
{
	size_t at = w->pos;
	char c = w->re[at];
	*copies = 0;
	if (c == '*' || c == '?' || c == '+') {
		w->pos++;
		*copies = c == '+' ? 2 : 1;
		return 0;
	}
	if (c != '{')
		return 0;
	size_t m = 0, n = 0;
	w->pos++;
	bool has_m = count(w, &m), has_n = false, comma = w->re[w->pos] == ',';
	if (comma) {
		w->pos++;
		has_n = count(w, &n);
	}
	if (w->re[w->pos] != '}' || (!has_m && !has_n)) {
		w->pos = at;
		return 0;
	}
	w->pos++;
	if (m > BG_REGEX_MAX_COUNT || n > BG_REGEX_MAX_COUNT) {
		char what[64];
		snprintf(what, sizeof(what), "a repetition count above %d", BG_REGEX_MAX_COUNT);
		return fail(w, what, at);
	}
	*copies = !comma ? m : has_n ? n : m + 1;
	if (*copies == 0)
		*copies = 1;
	return 0;
}

static int alternation(struct walk *w, size_t *size);

/* One element: a group, a bracket expression, an escaped or a plain character. */
static int atom(struct walk *w, size_t *size)
{
	const char *re = w->re;
	size_t at = w->pos;
	*size = 1;
	if (re[at] == '(') {
		w->pos++;
		int rc = alternation(w, size);
		if (rc < 0)
			return rc;
		if (re[w->pos] == ')')
			w->pos++;
		*size = sat(*size + 1);
	} else if (re[at] == '[') {
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

/* Elements and their repetitions up to '|', an unmatched ')' or the end. */
static int branch(struct walk *w, size_t *size)
{
	*size = 0;
	while (w->re[w->pos] && w->re[w->pos] != '|' && w->re[w->pos] != ')') {
		size_t s, copies;
		int rc = atom(w, &s);
		if (rc == 0)
			rc = repetition(w, &copies);
		/* each operator repeats what the ones before made: "a" and 21 '+' doubles 21
		 * times, while ".*?" stays small */
		while (rc == 0 && copies) {
			s = sat(sat_mul(s, copies) + 1);
			rc = repetition(w, &copies);
		}
		if (rc < 0)
			return rc;
		*size = sat(*size + s);
	}
	return 0;
}

static int alternation(struct walk *w, size_t *size)
{
	int rc = branch(w, size);
	while (rc == 0 && w->re[w->pos] == '|') {
		size_t s;
		w->pos++;
		rc = branch(w, &s);
		*size = sat(*size + s + 1);
	}
	return rc;
}

int bg_regex_check(const char *re, char *why, size_t why_size)
{
	struct walk w = {re, 0, why, why_size};
	size_t len = strlen(re);
	if (len > BG_REGEX_MAX_LEN) {
		snprintf(why, why_size, "%zu bytes long, more than the %d a pattern may have", len,
			 BG_REGEX_MAX_LEN);
		return BG_EINPUT;
	}
	size_t size = 0;
	/* An unmatched ')' ends a top-level branch: step over it as glibc does (a literal). */
	do {
		size_t s;
		if (re[w.pos] == ')')
			w.pos++;
		int rc = alternation(&w, &s);
		if (rc < 0)
			return rc;
		size = sat(size + s);
	} while (re[w.pos]);
	if (size > BG_REGEX_MAX_SIZE) {
		snprintf(why, why_size,
			 "too large once its repetitions are expanded (more than %d elements; "
			 "nest fewer repetitions)",
			 BG_REGEX_MAX_SIZE);
		return BG_EINPUT;
	}
	return 0;
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
