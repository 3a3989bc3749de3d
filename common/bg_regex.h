/* POSIX extended regexes that bitgate compiles from input it did not write (bitgate.json's
 * gates.modes[].filter, --filter): bounded before regcomp, whose memory grows with the
 * pattern once repetitions are expanded (glibc: "a" and 21 '+' take 1.5 GB). */
#ifndef BG_REGEX_H
#define BG_REGEX_H

#include <regex.h>
#include <stddef.h>

enum {
	BG_REGEX_MAX_LEN = 1024,     /* bytes in a pattern */
	BG_REGEX_MAX_COUNT = 2048,   /* m and n of {m,n} */
	BG_REGEX_MAX_SIZE = 2048,    /* elements once every repetition is expanded */
	BG_REGEX_MAX_OPTIONAL = 512, /* of those, optional ones (under '*', '?', {m,n}, '|') */
};

/* 0 when re is within the bounds above, uses no back-reference (\1..\9: matching with
 * one can take exponential time) and repeats nothing that can match the empty string with
 * copies or a loop ('*', '+', {m,n} with n > 1 or no n: "(a*){4}", "x?{0,8}", "a**";
 * regcomp's time is exponential in those; '?' is allowed, ".*?" compiles as ".*"); else BG_EINPUT
 * with why filled ("a repetition count above 2048 at byte 2"), no message set, so the caller names
 * where the pattern came from. Reads re as REG_EXTENDED; it does not check that re is valid
 * (regcomp does). */
int bg_regex_check(const char *re, char *why, size_t why_size);

/* bg_regex_check, then regcomp(out, re, REG_EXTENDED | REG_NOSUB): 0 with *out to regfree,
 * or BG_EINPUT with why filled ("not a valid regular expression (Unmatched ( or \()"). */
int bg_regex_compile(regex_t *out, const char *re, char *why, size_t why_size);

#endif
