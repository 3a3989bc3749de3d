/* The pull-request comment (report_comment.c): the marker and the gates table first, one
 * ledger line per push, newest first, kept from the previous body only where it has our own
 * form between our own markers, the ledger capped, the body within GitHub's 65,536. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_decision.h"
#include "bg_error.h"
#include "bg_report.h"
#include "report_fixture.h"
#include "tf.h"

#define URL1 "https://github.com/o/r/actions/runs/101"
#define URL2 "https://github.com/o/r/actions/runs/102"
#define LINE_A "- `9a8b7c6d5e4f` **FAIL** \xC2\xB7 2026-11-18 11:06 UTC \xC2\xB7 [run](" URL1 ")"
#define BEGIN "<!-- bitgate:pushes -->\n"
#define END "<!-- bitgate:pushes end -->\n"

static char *comment(const struct bg_decision *d, const char *url, const char *prev)
{
	struct bg_buf b = BG_BUF_INIT;
	TF_CHECK(bg_report_comment(&b, d, NULL, url, prev, prev ? strlen(prev) : 0) == 0,
		 "comment: %s", bg_error_last());
	TF_CHECK(report_valid_utf8(bg_buf_cstr(&b)), "comment is not UTF-8");
	TF_CHECK(b.len <= 65536, "comment: %zu bytes", b.len);
	return bg_buf_detach(&b);
}

/* The ledger of body: the text between the markers (malloc'd). */
static char *ledger(const char *body)
{
	const char *b = strstr(body, BEGIN), *e = b ? strstr(b, END) : NULL;
	TF_CHECK(b && e, "no ledger markers:\n%s", body);
	b += strlen(BEGIN);
	char *out = malloc((size_t)(e - b) + 1);
	TF_CHECK(out, "oom");
	memcpy(out, b, (size_t)(e - b));
	out[e - b] = '\0';
	return out;
}

TF_TEST(report_comment__first_push)
{
	struct bg_decision *d = report_fixture_make(0);
	char *body = comment(d, URL1, NULL), *md = report_markdown(d);
	TF_CHECK(!strncmp(body, BG_COMMENT_MARKER "\n**bitgate: FAIL**", 44), "start:\n%.200s",
		 body);
	/* the report's verdict and gates table, as the report has them */
	const char *sections = strstr(md, "\n### ");
	size_t head = (size_t)(sections - md) + 1;
	TF_CHECK(!strncmp(body + strlen(BG_COMMENT_MARKER) + 1, md, head), "gates table differs");
	TF_CHECK(!strstr(body, "### Benchmarks"), "only the gates table, not the report");
	char *l = ledger(body);
	TF_CHECK(!strcmp(l, LINE_A "\n"), "ledger:\n%s", l);
	free(l);
	free(body);
	/* the run link unknown */
	body = comment(d, NULL, "");
	l = ledger(body);
	TF_CHECK(!strcmp(l, "- `9a8b7c6d5e4f` **FAIL** \xC2\xB7 2026-11-18 11:06 UTC \xC2\xB7 run "
			    "link unknown\n"),
		 "ledger:\n%s", l);
	free(l);
	free(body);
	free(md);
	bg_decision_free(d);
}

TF_TEST(report_comment__second_push_keeps_the_first)
{
	struct bg_decision *d = report_fixture_make(0);
	char *first = comment(d, URL1, NULL);
	/* GitHub hands the body back with CRLF line breaks */
	struct bg_buf crlf = BG_BUF_INIT;
	for (const char *p = first; *p; p++)
		TF_CHECK((*p == '\n' ? bg_buf_puts(&crlf, "\r\n") : bg_buf_putc(&crlf, *p)) == 0,
			 "oom");
	free(d->head.sha);
	d->head.sha = report_dup("00112233445566778899aabbccddeeff00112233");
	d->conclusion = 0;
	d->created += 3600;
	char *second = comment(d, URL2, bg_buf_cstr(&crlf));
	char *l = ledger(second);
	TF_CHECK(!strcmp(l, "- `001122334455` **PASS** \xC2\xB7 2026-11-18 12:06 UTC \xC2\xB7 "
			    "[run](" URL2 ")\n" LINE_A "\n"),
		 "newest first, the first push kept below:\n%s", l);
	TF_CHECK(report_count(second, BG_COMMENT_MARKER) == 1, "one marker");
	free(l);
	/* a re-run of the same run replaces its line */
	char *again = comment(d, URL2, second);
	l = ledger(again);
	TF_CHECK(report_count(l, "\n") == 2 && report_count(l, URL2) == 1, "re-run:\n%s", l);
	free(l);
	free(again);
	free(second);
	free(first);
	bg_buf_free(&crlf);
	bg_decision_free(d);
}

TF_TEST(report_comment__foreign_previous_body)
{
	struct bg_decision *d = report_fixture_make(0);
	/* valid-looking lines outside the markers, hostile and malformed ones inside */
	static const char prev[] =
		"Someone's text " HOSTILE "\n" LINE_A "\n" BEGIN
		"- `9a8b7c6d5e4f` **FAIL** \xC2\xB7 2026-11-18 11:06 UTC \xC2\xB7 "
		"[run](javascript:alert(1))\n"
		"- `9a8b7c6d5e4f` **FAIL** \xC2\xB7 2026-11-18 11:06 UTC \xC2\xB7 "
		"[run](https://x/a)<script>)\n"
		"- `9a8b7c6d5e4f` **MAYBE** \xC2\xB7 2026-11-18 11:06 UTC \xC2\xB7 run link "
		"unknown\n"
		"- `9A8B7C6D5E4F` **FAIL** \xC2\xB7 2026-11-18 11:06 UTC \xC2\xB7 run link "
		"unknown\n"
		"- `9a8b` **FAIL** \xC2\xB7 2026-11-18 11:06 UTC \xC2\xB7 run link unknown\n"
		"- `9a8b7c6d5e4f` **FAIL** \xC2\xB7 2026-11-18 11:06 UTC \xC2\xB7 run link "
		"unknown " HOSTILE "\n"
		"- `9a8b7c6d5e4f` **FAIL** \xC2\xB7 2026-11-1x 06:13 UTC \xC2\xB7 run link "
		"unknown\n"
		"_and 12 older pushes not shown_ <script>\n" HOSTILE2 "\n"
		"- `abcdef1` **NEUTRAL** \xC2\xB7 \xE2\x80\x94 \xC2\xB7 run link unknown\n" END
		"<script>alert(1)</script>\n";
	char *body = comment(d, URL2, prev);
	char *l = ledger(body);
	TF_CHECK(!strcmp(l, "- `9a8b7c6d5e4f` **FAIL** \xC2\xB7 2026-11-18 11:06 UTC \xC2\xB7 "
			    "[run](" URL2 ")\n- `abcdef1` **NEUTRAL** \xC2\xB7 \xE2\x80\x94 "
			    "\xC2\xB7 run link unknown\n"),
		 "only the one well-formed line is kept:\n%s", l);
	TF_CHECK(!strstr(body, "<script>") && !strstr(body, "javascript:alert") &&
			 !strstr(body, "Someone's") && !strstr(body, "older pushes"),
		 "foreign text copied:\n%s", body);
	free(l);
	free(body);
	/* a start marker without its end: nothing of it is kept */
	static const char cut[] = BEGIN LINE_A "\n";
	body = comment(d, URL2, cut);
	l = ledger(body);
	TF_CHECK(report_count(l, "\n") == 1 && !strstr(l, URL1), "unterminated ledger kept:\n%s",
		 l);
	free(l);
	free(body);
	bg_decision_free(d);
}

TF_TEST(report_comment__ledger_capped)
{
	/* long evidence on every gate, the longest run links, 60 earlier pushes and a count */
	struct bg_decision *d = report_fixture_make(0);
	struct bg_buf big = BG_BUF_INIT, url = BG_BUF_INIT, prev = BG_BUF_INIT;
	for (int i = 0; i < 30000; i++)
		TF_CHECK(bg_buf_puts(&big, "\xE6\x97\xA5<") == 0, "oom");
	for (size_t g = 0; g < d->n_gates; g++) {
		free(d->gates[g].evidence);
		d->gates[g].evidence = report_dup(bg_buf_cstr(&big));
	}
	TF_CHECK(bg_buf_puts(&url, "https://github.com/o/r/actions/runs/") == 0, "oom");
	while (url.len < 296)
		TF_CHECK(bg_buf_putc(&url, '7') == 0, "oom");
	TF_CHECK(bg_buf_puts(&prev, BEGIN) == 0, "oom");
	for (int i = 0; i < 60; i++)
		TF_CHECK(bg_buf_printf(&prev,
				       "- `%040d` **PASS** \xC2\xB7 2026-11-18 11:06 UTC \xC2\xB7 "
				       "[run](%s%03d)\n",
				       i, bg_buf_cstr(&url), i) == 0,
			 "oom");
	TF_CHECK(bg_buf_puts(&prev, "_and 7 older pushes not shown_\n" END) == 0, "oom");
	char *body = comment(d, URL1, bg_buf_cstr(&prev));
	char *l = ledger(body);
	TF_CHECK(report_count(l, "\n- `") + 1 == BG_COMMENT_MAX_PUSHES, "lines:\n%s", l);
	/* the newest first, then the earlier ones in their order, the oldest 11 counted */
	static const char top[] = LINE_A "\n- `0000000000000000000000000000000000000000`";
	TF_CHECK(!strncmp(l, top, strlen(top)) &&
			 strstr(l, "048)\n_and 18 older pushes not shown_\n") && !strstr(l, "049)"),
		 "ledger ends:\n%s", l + strlen(l) - 200);
	TF_CHECK(strstr(body, "report truncated:"), "the gates table was not cut");
	free(l);
	free(body);
	bg_buf_free(&big);
	bg_buf_free(&url);
	bg_buf_free(&prev);
	bg_decision_free(d);
}

TF_TEST(report_comment__run_url)
{
	static const char *const good[] = {URL1, "http://ci.example:8080/job/7?attempt=2#x", NULL};
	static const char *const bad[] = {"",
					  "javascript:alert(1)",
					  "https://",
					  "https://x/a)b",
					  "https://x/<b>",
					  "https://x/ y",
					  "https://x/`",
					  "https://x/a|b",
					  "https://x/\"",
					  "https://x/[a]",
					  "ftp://x",
					  NULL};
	for (int i = 0; good[i]; i++)
		TF_CHECK(bg_report_comment_url_valid(good[i]), "%s refused", good[i]);
	for (int i = 0; bad[i]; i++)
		TF_CHECK(!bg_report_comment_url_valid(bad[i]), "%s accepted", bad[i]);
	char longer[400];
	memset(longer, 'a', sizeof(longer) - 1);
	memcpy(longer, "https://", 8);
	longer[sizeof(longer) - 1] = '\0';
	TF_CHECK(!bg_report_comment_url_valid(longer), "a 399-character URL accepted");
	struct bg_decision *d = report_fixture_make(0);
	struct bg_buf b = BG_BUF_INIT;
	TF_CHECK_EQ(bg_report_comment(&b, d, NULL, "javascript:alert(1)", NULL, 0), BG_EINPUT);
	TF_CHECK(strstr(bg_error_last(), "run URL javascript:alert(1)") && b.len == 0, "error: %s",
		 bg_error_last());
	bg_buf_free(&b);
	bg_decision_free(d);
}

/* On a pull request CI measures a merge commit: the push is named by the PR's head. */
TF_TEST(report_comment__push_named_by_the_pr_head)
{
	struct bg_decision *d = report_fixture_make(0);
	struct bg_buf b = BG_BUF_INIT;
	TF_CHECK(bg_report_comment(&b, d, "0123456789abcdef0123456789abcdef01234567", URL1, NULL,
				   0) == 0,
		 "comment: %s", bg_error_last());
	char *l = ledger(bg_buf_cstr(&b));
	TF_CHECK(!strncmp(l, "- `0123456789ab` **FAIL**", 25), "ledger:\n%s", l);
	TF_CHECK(!strstr(l, "9a8b7c6d5e4f"), "the merge commit named:\n%s", l);
	free(l);
	bg_buf_free(&b);
	bg_decision_free(d);
}
