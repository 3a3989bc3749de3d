/* GitHub's check-run payload (see bg_report.h): the Markdown report split into the summary
 * (the verdict and the gates table, everything before the first "### " heading that
 * report_md.c writes) and the text (the rest), each cut to GitHub's size limits so the API
 * never rejects the payload. */
#include "bg_report.h"
#include "report_int.h"

#include <cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bg_error.h"

/* GitHub counts characters; counting bytes is stricter and never splits a sequence. */
#define OUTPUT_LIMIT 65535
#define TITLE_LIMIT 255
#define ELLIPSIS "\xE2\x80\xA6" /* … */


/* A copy of s[0..n) that is valid UTF-8 without control characters other than newlines:
 * JSON encoders pass bytes through, and a stray one makes the whole payload invalid. */
static int put_valid_utf8(struct bg_buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t len = bg_utf8_seq(p + i, n - i, NULL);
		int err;
		if (!len)
			err = bg_buf_puts(out, "\xEF\xBF\xBD"), len = 1;
		else if (len == 1 && ((p[i] < ' ' && p[i] != '\n') || p[i] == 0x7F))
			err = bg_buf_putc(out, ' ');
		else
			err = bg_buf_put(out, p + i, len);
		if (err)
			return err;
		i += len;
	}
	return 0;
}

static size_t count_chars(const char *s, size_t n)
{
	size_t chars = 0;
	for (size_t i = 0; i < n; i++)
		chars += ((unsigned char)s[i] & 0xC0) != 0x80;
	return chars;
}

/* The backtick fence still open at the end of s[0..n) (0 when none), so a cut inside the
 * commands block can close it before the note. */
static size_t open_fence(const char *s, size_t n)
{
	size_t open = 0;
	for (size_t i = 0; i < n;) {
		size_t ticks = 0, end = i;
		while (i + ticks < n && s[i + ticks] == '`')
			ticks++;
		while (end < n && s[end] != '\n')
			end++;
		if (!open && ticks >= 3) {
			open = ticks;
		} else if (open && ticks >= open) {
			size_t k = i + ticks;
			while (k < end && (s[k] == ' ' || s[k] == '\t'))
				k++;
			if (k == end)
				open = 0;
		}
		i = end + 1;
	}
	return open;
}

/* Appends s[0..n) (valid UTF-8) cut to at most limit bytes: at a line boundary where there
 * is one, closing an open code fence, followed by a note of what was left out. */
static int put_clipped(struct bg_buf *out, const char *s, size_t n, size_t limit)
{
	if (n <= limit)
		return bg_buf_put(out, s, n);
	char note[256];
	size_t budget = limit;
	for (;;) {
		/* the note is at most this long whatever the count in it */
		size_t reserve = 200;
		size_t cut = budget > reserve ? budget - reserve : 0;
		size_t line = cut;
		while (line > 0 && s[line - 1] != '\n')
			line--;
		if (line > 0) {
			cut = line;
		} else {
			while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
				cut--;
		}
		size_t fence = open_fence(s, cut);
		int len = snprintf(
			note, sizeof(note),
			"%s\n> **" ELLIPSIS " report truncated:** %zu more characters; "
			"the full report is in the job summary and the report artifact.\n",
			cut && s[cut - 1] != '\n' ? "\n" : "", count_chars(s + cut, n - cut));
		if (len < 0 || (size_t)len >= sizeof(note))
			return bg_error_set(BG_EINPUT, "check-run note does not fit");
		size_t total = cut + (fence ? fence + 1 : 0) + (size_t)len;
		if (total <= limit || cut == 0) {
			int err = bg_buf_put(out, s, cut);
			for (size_t k = 0; k < fence && !err; k++)
				err = bg_buf_putc(out, '`');
			if (!err && fence)
				err = bg_buf_putc(out, '\n');
			return err ? err : bg_buf_put(out, note, (size_t)len);
		}
		budget = total - limit < budget ? budget - (total - limit) : 0;
	}
}

/* The title: the report's first line as plain text (markup and escapes removed), cut to
 * TITLE_LIMIT bytes at a character boundary. */
static int put_title(struct bg_buf *out, const char *md)
{
	struct bg_buf t = BG_BUF_INIT;
	int err = 0;
	for (const char *p = md; *p && *p != '\n' && !err; p++) {
		if (p[0] == '*' && p[1] == '*') {
			p++;
		} else if (p[0] == '\\' && p[1] && strchr("\\`*_[]|~#-+=.):!<>&", p[1])) {
			err = bg_buf_putc(&t, *++p);
		} else if (*p == '&') {
			static const char *const ent[][2] = {
				{"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}};
			size_t k = 0;
			while (k < 3 && strncmp(p, ent[k][0], strlen(ent[k][0])))
				k++;
			err = bg_buf_puts(&t, k < 3 ? ent[k][1] : "&");
			if (k < 3)
				p += strlen(ent[k][0]) - 1;
		} else {
			err = bg_buf_putc(&t, *p);
		}
	}
	size_t n = t.len;
	if (!err && n > TITLE_LIMIT) {
		n = TITLE_LIMIT - strlen(ELLIPSIS);
		while (n > 0 && ((unsigned char)t.ptr[n] & 0xC0) == 0x80)
			n--;
	}
	err = err || put_valid_utf8(out, bg_buf_cstr(&t), n);
	if (!err && n < t.len)
		err = bg_buf_puts(out, ELLIPSIS);
	bg_buf_free(&t);
	return err ? BG_ENOMEM : 0;
}

static int add_string(cJSON *o, const char *key, const char *s, size_t n)
{
	struct bg_buf b = BG_BUF_INIT;
	int err = put_valid_utf8(&b, s ? s : "", s ? n : 0) || bg_buf_puts(&b, "");
	if (!err && !cJSON_AddStringToObject(o, key, bg_buf_cstr(&b)))
		err = 1;
	bg_buf_free(&b);
	return err ? BG_ENOMEM : 0;
}

int bg_report_checkrun(struct bg_buf *out, const struct bg_decision *d, const char *name)
{
	struct bg_buf md = BG_BUF_INIT, title = BG_BUF_INIT, summary = BG_BUF_INIT,
		      text = BG_BUF_INIT;
	cJSON *root = NULL, *output;
	char *json = NULL;
	int err = bg_report_markdown(&md, d);
	if (err)
		goto done;
	const char *all = bg_buf_cstr(&md), *split = strstr(all, "\n### ");
	size_t head = split ? (size_t)(split - all) + 1 : md.len;
	/* too long for the text: fewer benchmark rows (the least important go first) before
	 * cutting the end, so the tests, evidence and method stay */
	for (size_t rows = d->n_rows / 2; md.len - head > OUTPUT_LIMIT; rows /= 2) {
		md.len = 0;
		if ((err = bg_report_markdown_rows(&md, d, rows)))
			goto done;
		all = bg_buf_cstr(&md);
		split = strstr(all, "\n### ");
		head = split ? (size_t)(split - all) + 1 : md.len;
		if (rows == 0)
			break;
	}
	/* a conclusion gates cannot name fails the check rather than pass it */
	const char *conclusion =
		(unsigned)d->conclusion < 3 ? bg_conclusion_name(d->conclusion) : "failure";
	err = put_title(&title, all) || put_clipped(&summary, all, head, OUTPUT_LIMIT) ||
	      put_clipped(&text, all + head, md.len - head, OUTPUT_LIMIT);
	if (err || !(root = cJSON_CreateObject()))
		goto oom;
	const char *sha = d->head.sha ? d->head.sha : "";
	if (add_string(root, "name", name ? name : "bitgate", name ? strlen(name) : 7) ||
	    add_string(root, "head_sha", sha, strlen(sha)) ||
	    !cJSON_AddStringToObject(root, "status", "completed") ||
	    !cJSON_AddStringToObject(root, "conclusion", conclusion) ||
	    !(output = cJSON_AddObjectToObject(root, "output")) ||
	    add_string(output, "title", title.ptr, title.len) ||
	    add_string(output, "summary", summary.ptr, summary.len) ||
	    add_string(output, "text", text.ptr, text.len) ||
	    !(json = cJSON_PrintUnformatted(root)))
		goto oom;
	err = bg_buf_puts(out, json);
	goto done;
oom:
	err = bg_error_oom();
done:
	free(json);
	cJSON_Delete(root);
	bg_buf_free(&md);
	bg_buf_free(&title);
	bg_buf_free(&summary);
	bg_buf_free(&text);
	return err;
}
