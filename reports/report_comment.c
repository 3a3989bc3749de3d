/* The pull-request comment (see bg_report.h): a ledger updated in place on every push, the
 * gates table of the newest push first, then one line per push, newest first. The previous
 * body is untrusted (anyone can edit a comment): only the lines between our own markers that
 * match the exact form this file writes are kept; everything else in it is dropped. */
#include "bg_report.h"
#include "report_int.h"

#include <string.h>
#include <time.h>

#include "bg_error.h"

#define PUSHES_BEGIN "<!-- bitgate:pushes -->"
#define PUSHES_END "<!-- bitgate:pushes end -->"
#define MIDDOT " \xC2\xB7 " /* " · " */
#define DASH "\xE2\x80\x94"
/* what the gates table may take: the rest of GitHub's 65,536 is the ledger and its frame */
#define HEAD_LIMIT 40000
#define URL_MAX 300

int bg_report_comment_url_valid(const char *url)
{
	size_t n = url ? strlen(url) : 0, scheme = 0;
	if (!strncmp(url ? url : "", "https://", 8))
		scheme = 8;
	else if (!strncmp(url ? url : "", "http://", 7))
		scheme = 7;
	if (!scheme || n == scheme || n > URL_MAX)
		return 0;
	/* nothing that could end the Markdown link or start markup or HTML */
	return strspn(url, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			   "-._~:/?#@!$&+,;=%") == n;
}

/* n bytes of s from the set accept, exactly. */
static int all_of(const char *s, size_t n, const char *accept)
{
	for (size_t i = 0; i < n; i++)
		if (!s[i] || !strchr(accept, s[i]))
			return 0;
	return 1;
}

/* Skips the literal lit at *p (within end); 1 when it was there. */
static int skip(const char **p, const char *end, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(end - *p) < n || memcmp(*p, lit, n))
		return 0;
	*p += n;
	return 1;
}

/* 1 when line[0..n) is a push line exactly as put_push writes it:
 * "- `SHA` **WORD** · DATE UTC|— · [run](URL)|run link unknown". The run's URL, or NULL,
 * is returned through url/url_len. */
static int parse_push(const char *line, size_t n, const char **url, size_t *url_len)
{
	static const char *const words[] = {"PASS", "FAIL", "NEUTRAL", "UNKNOWN"};
	const char *p = line, *end = line + n;
	size_t hex = 0, k = 0;
	if (!skip(&p, end, "- `"))
		return 0;
	while (p + hex < end && p[hex] && strchr("0123456789abcdef", p[hex]))
		hex++;
	if (skip(&p, end, "unknown"))
		hex = 7;
	else
		p += hex;
	if (hex < 7 || hex > 40 || !skip(&p, end, "` **"))
		return 0;
	while (k < 4 && !(skip(&p, end, words[k]) && skip(&p, end, "**" MIDDOT)))
		k++;
	if (k == 4)
		return 0;
	/* "2026-12-03 10:40 UTC" or a dash */
	if (!skip(&p, end, DASH)) {
		if (end - p < 20 || !all_of(p, 4, "0123456789") || p[4] != '-' ||
		    !all_of(p + 5, 2, "0123456789") || p[7] != '-' ||
		    !all_of(p + 8, 2, "0123456789") || p[10] != ' ' ||
		    !all_of(p + 11, 2, "0123456789") || p[13] != ':' ||
		    !all_of(p + 14, 2, "0123456789") || memcmp(p + 16, " UTC", 4))
			return 0;
		p += 20;
	}
	*url = NULL, *url_len = 0;
	if (skip(&p, end, MIDDOT "run link unknown"))
		return p == end;
	if (!skip(&p, end, MIDDOT "[run](") || end - p < 2 || end[-1] != ')')
		return 0;
	char buf[URL_MAX + 1];
	size_t len = (size_t)(end - 1 - p);
	if (len > URL_MAX)
		return 0;
	memcpy(buf, p, len);
	buf[len] = '\0';
	*url = p, *url_len = len;
	return bg_report_comment_url_valid(buf);
}

/* "_and N older pushes not shown_": N, or -1 when line[0..n) is not that line. */
static long parse_older(const char *line, size_t n)
{
	const char *p = line, *end = line + n;
	long count = 0;
	size_t digits = 0;
	if (!skip(&p, end, "_and "))
		return -1;
	while (p < end && *p >= '0' && *p <= '9' && digits < 9)
		count = count * 10 + (*p++ - '0'), digits++;
	return digits && skip(&p, end, " older pushes not shown_") && p == end ? count : -1;
}

/* The next line of [*p, end) without its line break (and a '\r' before it: GitHub hands
 * bodies back with CRLF); advances *p past it. */
static const char *next_line(const char **p, const char *end, size_t *n)
{
	const char *line = *p, *nl = memchr(line, '\n', (size_t)(end - line));
	const char *stop = nl ? nl : end;
	*p = nl ? nl + 1 : end;
	*n = (size_t)(stop - line);
	if (*n && line[*n - 1] == '\r')
		(*n)--;
	return line;
}

/* The previous pushes worth keeping: the valid push lines between the markers (none when
 * either marker is missing), less the one for run_url (a re-run of the same run), each
 * appended with its line break while fewer than `room` are kept; the rest and the
 * previous count of older pushes are added to *older. */
static int keep_previous(struct bg_buf *out, const char *prev, size_t len, const char *run_url,
			 size_t room, long *older)
{
	const char *p = prev, *end = prev + len, *begin = NULL;
	size_t n, kept = 0;
	while (p < end && !begin) {
		const char *line = next_line(&p, end, &n);
		if (n == strlen(PUSHES_BEGIN) && !memcmp(line, PUSHES_BEGIN, n))
			begin = p;
	}
	const char *stop = NULL;
	for (const char *q = begin; q && q < end && !stop;) {
		const char *line = next_line(&q, end, &n);
		if (n == strlen(PUSHES_END) && !memcmp(line, PUSHES_END, n))
			stop = line;
	}
	long carried = 0, counted = 0; /* dropped here; counted by the previous body */
	for (p = begin; p && stop && p < stop;) {
		const char *line = next_line(&p, stop, &n), *url;
		size_t url_len;
		long count = parse_older(line, n);
		if (count >= 0) {
			counted = count;
		} else if (parse_push(line, n, &url, &url_len)) {
			if (url && run_url && strlen(run_url) == url_len &&
			    !memcmp(url, run_url, url_len))
				continue;
			if (kept == room) {
				carried++;
				continue;
			}
			kept++;
			if (bg_buf_put(out, line, n) || bg_buf_putc(out, '\n'))
				return BG_ENOMEM;
		}
	}
	*older += carried + counted;
	return 0;
}

/* This push's line (see parse_push). */
static int put_push(struct bg_buf *out, const struct bg_decision *d, const char *push_sha,
		    const char *run_url)
{
	static const char *const words[] = {"PASS", "FAIL", "NEUTRAL"};
	const char *word = (unsigned)d->conclusion < 3 ? words[d->conclusion] : "UNKNOWN";
	const char *sha = push_sha ? push_sha : d->head.sha ? d->head.sha : "";
	size_t hex = strspn(sha, "0123456789abcdef");
	char when[32] = DASH;
	time_t t = (time_t)d->created;
	struct tm tm;
	if (d->created > 0 && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	int err = bg_buf_printf(out, "- `%.*s` **%s**" MIDDOT "%s", hex >= 7 ? 12 : 7,
				hex >= 7 ? sha : "unknown", word, when);
	if (!err && run_url)
		err = bg_buf_printf(out, MIDDOT "[run](%s)\n", run_url);
	else if (!err)
		err = bg_buf_puts(out, MIDDOT "run link unknown\n");
	return err ? BG_ENOMEM : 0;
}

int bg_report_comment(struct bg_buf *out, const struct bg_decision *d, const char *push_sha,
		      const char *run_url, const char *prev, size_t prev_len)
{
	struct bg_buf md = BG_BUF_INIT, pushes = BG_BUF_INIT;
	long older = 0;
	if (run_url && !bg_report_comment_url_valid(run_url))
		return bg_error_set(BG_EINPUT,
				    "run URL %.*s...: not an http(s) URL of at most %d "
				    "plain characters",
				    40, run_url, URL_MAX);
	int err = bg_report_markdown(&md, d);
	if (err)
		goto done;
	const char *all = bg_buf_cstr(&md), *split = strstr(all, "\n### ");
	size_t head = split ? (size_t)(split - all) + 1 : md.len;
	if ((err = put_push(&pushes, d, push_sha, run_url)) ||
	    (err = keep_previous(&pushes, prev ? prev : "", prev ? prev_len : 0, run_url,
				 BG_COMMENT_MAX_PUSHES - 1, &older)) ||
	    (err = bg_buf_puts(out, BG_COMMENT_MARKER "\n")) ||
	    (err = bg_report_clip(out, all, head, HEAD_LIMIT)))
		goto done;
	if (bg_buf_puts(out, "\n#### Pushes, newest first\n\n" PUSHES_BEGIN "\n") ||
	    bg_buf_put(out, pushes.ptr, pushes.len) ||
	    (older > 0 && bg_buf_printf(out, "_and %ld older pushes not shown_\n", older)) ||
	    bg_buf_puts(out, PUSHES_END "\n"))
		err = bg_error_oom();
done:
	bg_buf_free(&md);
	bg_buf_free(&pushes);
	return err;
}
