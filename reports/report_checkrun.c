/* GitHub's check-run payloads (see bg_report.h): the overall one, the Markdown report split
 * into the summary (the verdict and the gates table, everything before the first "### "
 * heading that report_md.c writes) and the text (the rest), then one per gate (its status
 * and evidence, the same text), each cut to GitHub's size limits so the API never rejects
 * a payload. */
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
/* a gate's evidence and the verdict line in its summary: both fit in OUTPUT_LIMIT */
#define LINE_LIMIT 30000
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

int bg_report_clip(struct bg_buf *out, const char *s, size_t n, size_t limit)
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

/* Appends t[0..n) cut to limit bytes at a character boundary (an ellipsis marking a cut),
 * as valid UTF-8 on one line. */
static int put_line_cut(struct bg_buf *out, const char *t, size_t len, size_t limit)
{
	size_t n = len;
	if (n > limit) {
		n = limit - strlen(ELLIPSIS);
		while (n > 0 && ((unsigned char)t[n] & 0xC0) == 0x80)
			n--;
	}
	size_t from = out->len;
	int err = put_valid_utf8(out, t, n);
	for (size_t i = from; i < out->len && !err; i++)
		if (out->ptr[i] == '\n')
			out->ptr[i] = ' ';
	if (!err && n < len)
		err = bg_buf_puts(out, ELLIPSIS);
	return err ? BG_ENOMEM : 0;
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
	err = err || put_line_cut(out, t.ptr ? t.ptr : "", t.len, TITLE_LIMIT);
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

/* The Markdown report of d, with fewer benchmark rows where its sections would not fit
 * (the least important go first, so the tests, evidence and method stay), and where its
 * summary ends: everything before the first "### " heading. */
static int report_parts(struct bg_buf *md, size_t *head, const struct bg_decision *d)
{
	int err = bg_report_markdown(md, d), last = 0;
	for (size_t rows = d->n_rows / 2; !err; rows /= 2) {
		const char *all = bg_buf_cstr(md), *split = strstr(all, "\n### ");
		*head = split ? (size_t)(split - all) + 1 : md->len;
		if (md->len - *head <= OUTPUT_LIMIT || last)
			break;
		last = rows == 0; /* no rows at all is the last try */
		md->len = 0;
		err = bg_report_markdown_rows(md, d, rows);
	}
	return err;
}

/* One payload: {name, head_sha, status, conclusion, output {title, summary, text}}; the
 * summary and text (valid UTF-8) are cut to GitHub's limits here. */
static cJSON *payload(const char *name, const struct bg_decision *d, const char *conclusion,
		      const struct bg_buf *title, const char *summary, size_t summary_len,
		      const char *text, size_t text_len)
{
	struct bg_buf s = BG_BUF_INIT, t = BG_BUF_INIT;
	const char *sha = d->head.sha ? d->head.sha : "";
	cJSON *o = cJSON_CreateObject(), *output;
	int err = !o || bg_report_clip(&s, summary, summary_len, OUTPUT_LIMIT) ||
		  bg_report_clip(&t, text, text_len, OUTPUT_LIMIT) ||
		  add_string(o, "name", name, strlen(name)) ||
		  add_string(o, "head_sha", sha, strlen(sha)) ||
		  !cJSON_AddStringToObject(o, "status", "completed") ||
		  !cJSON_AddStringToObject(o, "conclusion", conclusion) ||
		  !(output = cJSON_AddObjectToObject(o, "output")) ||
		  add_string(output, "title", title->ptr, title->len) ||
		  add_string(output, "summary", s.ptr, s.len) ||
		  add_string(output, "text", t.ptr, t.len);
	bg_buf_free(&s);
	bg_buf_free(&t);
	if (err) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* The overall payload: the report's verdict and gates table as the summary, its sections
 * as the text. A conclusion gates cannot name fails the check rather than pass it. */
static cJSON *overall_payload(const struct bg_decision *d, const char *name,
			      const struct bg_buf *md, size_t head)
{
	struct bg_buf title = BG_BUF_INIT;
	const char *conclusion =
		(unsigned)d->conclusion < 3 ? bg_conclusion_name(d->conclusion) : "failure";
	cJSON *o = NULL;
	const char *all = bg_buf_cstr(md);
	if (put_title(&title, all) == 0)
		o = payload(name, d, conclusion, &title, all, head, all + head, md->len - head);
	bg_buf_free(&title);
	return o;
}

/* A gate's conclusion: a skipped gate decided nothing (neutral); a status gates cannot
 * name fails the check. */
static const char *gate_conclusion(enum bg_gate_status s)
{
	switch (s) {
	case BG_GATE_PASS: return "success";
	case BG_GATE_SKIPPED: return "neutral";
	case BG_GATE_FAIL: break;
	}
	return "failure";
}

/* A gate's evidence as Markdown text, cut to LINE_LIMIT bytes with a note, so that the
 * overall verdict after it stays within the summary's limit. */
static int put_evidence(struct bg_buf *out, const char *evidence)
{
	struct bg_buf e = BG_BUF_INIT;
	int err = bg_md_escape_cell(&e, evidence);
	if (!err && e.len > LINE_LIMIT)
		err = put_line_cut(out, e.ptr, e.len, LINE_LIMIT) ||
		      bg_buf_puts(out, " (evidence cut; the full report is in the job summary)");
	else if (!err)
		err = bg_buf_put(out, e.ptr, e.len);
	bg_buf_free(&e);
	return err ? BG_ENOMEM : 0;
}

/* One gate's payload, named "<name>/<gate>": its status and evidence as the title and
 * summary (with the overall verdict line), the report's sections as the text. */
static cJSON *gate_payload(const struct bg_decision *d, const char *name, const struct bg_gate *g,
			   const struct bg_buf *md, size_t head)
{
	static const char *const words[] = {"PASS", "FAIL", "SKIPPED"};
	const char *word = (unsigned)g->status < 3 ? words[g->status] : "UNKNOWN";
	const char *gname = g->name && *g->name ? g->name : "unnamed";
	const char *evidence = g->evidence && *g->evidence ? g->evidence : "no evidence given";
	const char *all = bg_buf_cstr(md), *nl = strchr(all, '\n');
	struct bg_buf check = BG_BUF_INIT, plain = BG_BUF_INIT, title = BG_BUF_INIT,
		      summary = BG_BUF_INIT;
	cJSON *o = NULL;
	int err = bg_buf_printf(&check, "%s/%s", name, gname) ||
		  bg_buf_printf(&plain, "%s: %s \xE2\x80\x94 %s", gname, word, evidence) ||
		  put_line_cut(&title, plain.ptr, plain.len, TITLE_LIMIT) ||
		  bg_buf_puts(&summary, "**") || bg_md_escape_cell(&summary, bg_buf_cstr(&check)) ||
		  bg_buf_printf(&summary, ": %s**\n\n", word) || put_evidence(&summary, evidence) ||
		  bg_buf_puts(&summary, "\n\nOverall: ") ||
		  put_line_cut(&summary, all, nl ? (size_t)(nl - all) : md->len, LINE_LIMIT) ||
		  bg_buf_puts(&summary, "\n");
	if (!err)
		o = payload(bg_buf_cstr(&check), d, gate_conclusion(g->status), &title,
			    bg_buf_cstr(&summary), summary.len, all + head, md->len - head);
	bg_buf_free(&check);
	bg_buf_free(&plain);
	bg_buf_free(&title);
	bg_buf_free(&summary);
	return o;
}

/* The payloads of d as one cJSON value: the overall object alone, or with gates the
 * array of it and one per gate. */
static int render(struct bg_buf *out, const struct bg_decision *d, const char *name, int gates)
{
	struct bg_buf md = BG_BUF_INIT;
	size_t head = 0;
	cJSON *root = NULL, *o;
	char *json = NULL;
	name = name && *name ? name : "bitgate";
	int err = report_parts(&md, &head, d);
	if (err)
		goto done;
	if (!(o = overall_payload(d, name, &md, head)))
		goto oom;
	if (!gates) {
		root = o;
	} else if (!(root = cJSON_CreateArray()) || !cJSON_AddItemToArray(root, o)) {
		cJSON_Delete(o);
		goto oom;
	}
	for (size_t i = 0; gates && i < d->n_gates; i++)
		if (!(o = gate_payload(d, name, &d->gates[i], &md, head)) ||
		    !cJSON_AddItemToArray(root, o)) {
			cJSON_Delete(o);
			goto oom;
		}
	if (!(json = cJSON_PrintUnformatted(root)))
		goto oom;
	err = bg_buf_puts(out, json);
	goto done;
oom:
	err = bg_error_oom();
done:
	free(json);
	cJSON_Delete(root);
	bg_buf_free(&md);
	return err;
}

int bg_report_checkrun(struct bg_buf *out, const struct bg_decision *d, const char *name)
{
	return render(out, d, name, 0);
}

int bg_report_checkruns(struct bg_buf *out, const struct bg_decision *d, const char *name)
{
	return render(out, d, name, 1);
}
