/* Helpers the renderers share (see report_int.h). */
#include "report_int.h"

#include <math.h>
#include <stdio.h>

size_t bg_utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t v, min;
	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		if (cp)
			*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0)
		len = 2, v = s[0] & 0x1F, min = 0x80;
	else if ((s[0] & 0xF0) == 0xE0)
		len = 3, v = s[0] & 0x0F, min = 0x800;
	else if ((s[0] & 0xF8) == 0xF0)
		len = 4, v = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80) /* also stops at a terminating NUL */
			return 0;
		v = v << 6 | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	if (cp)
		*cp = v;
	return len;
}

void bg_fmt_pct(char *out, size_t size, double frac, double mag, int sign, const char *unknown)
{
	if (!isfinite(frac)) {
		snprintf(out, size, "%s", unknown);
		return;
	}
	int dec = fabs(mag * 100) >= 1 ? 1 : 2;
	snprintf(out, size, sign ? "%+.*f%%" : "%.*f%%", dec, frac * 100);
}

void bg_fmt_interval(char *out, size_t size, double lo, double hi, const char *unknown)
{
	if (!isfinite(lo) || !isfinite(hi)) {
		snprintf(out, size, "%s", unknown);
		return;
	}
	char a[32], b[32];
	double mag = fmax(fabs(lo), fabs(hi));
	bg_fmt_pct(a, sizeof(a), lo, mag, 1, unknown);
	bg_fmt_pct(b, sizeof(b), hi, mag, 1, unknown);
	snprintf(out, size, "[%s, %s]", a, b);
}

int bg_invisible_control(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

void bg_fmt_quantile(char *out, size_t size, double q)
{
	if (!(q > 0 && q < 1) || fabs(q - 0.5) < 1e-9)
		snprintf(out, size, "median");
	else if (fabs(100 * q - round(100 * q)) < 1e-9)
		snprintf(out, size, "p%.0f", 100 * q);
	else
		snprintf(out, size, "p%g", 100 * q);
}
