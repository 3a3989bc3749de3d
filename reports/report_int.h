/* Helpers the renderers share; private to reports/. */
#ifndef BG_REPORT_INT_H
#define BG_REPORT_INT_H

#include <stddef.h>
#include <stdint.h>

struct bg_buf;

/* Length of the well-formed UTF-8 sequence at s (1 to 4, at most n bytes) with its code
 * point in *cp (may be NULL), or 0 when s does not start one: overlong forms, surrogates,
 * values past U+10FFFF, a cut sequence. A NUL stops a sequence, so n may be SIZE_MAX for a
 * NUL-terminated string. */
size_t bg_utf8_seq(const unsigned char *s, size_t n, uint32_t *cp);

/* A fraction as a percentage: 1 decimal from 1% up, 2 below (so 0.04% is not "0.0%"); mag
 * picks the decimals, so both ends of an interval agree; sign adds '+'; unknown is printed
 * for a non-finite value. */
void bg_fmt_pct(char *out, size_t size, double frac, double mag, int sign, const char *unknown);

/* An interval of fractions as "[-1.2%, +3.4%]", both ends with the decimals the larger
 * magnitude picks (bg_fmt_pct); unknown when either end is not finite. */
void bg_fmt_interval(char *out, size_t size, double lo, double hi, const char *unknown);

/* Characters that render invisibly but change what a reader sees: C1 controls and the
 * bidirectional overrides and isolates of "Trojan source" tricks. Renderers print U+FFFD
 * instead. */
int bg_invisible_control(uint32_t cp);

/* How a decision's times were read: "median" for q = 0.5, else the percentile ("p10"). */
void bg_fmt_quantile(char *out, size_t size, double q);

/* Appends s[0..n) (valid UTF-8) cut to at most limit bytes: at a line boundary where there
 * is one, closing an open code fence, followed by a note of what was left out (the full
 * report is in the job summary and the artifact). 0, BG_ENOMEM or BG_EINPUT (limit too
 * small for the note). The check-run payloads and the pull-request comment use it. */
int bg_report_clip(struct bg_buf *out, const char *s, size_t n, size_t limit);

#endif
