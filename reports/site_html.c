/* The dashboard's pages (bg_site.h): index.html and series/<key>.html, static HTML5 with
 * one style sheet (style.css) and no script, relative links only, every untrusted string escaped.
 * The markup is also well-formed XML (void elements closed, only XML's entities), so tests and
 * tools can parse it strictly. Plots come from site_plot.c, made before the pages so each page
 * knows which exist. */
#include "bg_site.h"
#include "report_int.h"
#include "site_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_fs.h"

#define DASH "\xE2\x80\x94"        /* U+2014, printed for unknown figures */
#define DOT " \xC2\xB7 "           /* U+00B7 between facts */
#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD, printed for what cannot be shown */
#define MAX_KEY 200
#define SHORT_SHA 7
#define RUNS_SHOWN 50 /* newest runs in a series page's table; all are in its CSV */
#define CSV_SHA 12    /* hex digits of a commit in a series' CSV, unless two share them */

/* style.css, which every page links: once per site, not once per page. */
static const char css[] =
	"*{box-sizing:border-box}"
	"body{margin:0;font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,Arial,"
	"sans-serif;color:#1f2328;background:#f6f8fa}"
	"header,main,footer{max-width:1240px;margin:0 auto;padding:12px 20px}"
	"h1{font-size:22px;margin:4px 0 6px}"
	"h2{font-size:17px;margin:26px 0 10px;padding-bottom:4px;border-bottom:1px solid #d0d7de}"
	"a{color:#0969da;text-decoration:none}a:hover{text-decoration:underline}"
	".meta,.why{color:#59636e;font-size:12.5px}"
	"code{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}"
	"table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d0d7de}"
	"th,td{padding:5px 8px;border-bottom:1px solid #eaeef2;text-align:left;"
	"vertical-align:top}"
	"th{background:#f6f8fa;font-weight:600;position:sticky;top:0}"
	".num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
	"tr.cp td{background:#fff8c5}"
	".up{color:#cf222e;font-weight:600}.down{color:#1a7f37;font-weight:600}"
	".state{display:inline-block;padding:0 7px;border:1px solid;border-radius:10px;"
	"font-size:12px}"
	".s-detected{color:#cf222e}.s-acknowledged{color:#59636e}.s-fixed{color:#1a7f37}"
	".s-improvement{color:#0969da}.s-neutral{color:#6e7781}"
	".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:12px}"
	".card{margin:0;background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:8px}"
	".card.open{border-color:#cf222e;box-shadow:0 0 0 1px #cf222e}"
	".card img{display:block;width:100%;height:auto}"
	"figcaption{margin-top:6px;display:flex;flex-direction:column;gap:2px}"
	".badge{color:#cf222e;font-weight:600;font-size:12.5px}"
	".noplot{display:flex;align-items:center;justify-content:center;min-height:120px;"
	"padding:8px;background:#f6f8fa;border:1px dashed #8c959f;border-radius:6px;"
	"color:#59636e;font-style:italic;text-align:center}"
	".plot{margin:0}.plot img{max-width:100%;height:auto;background:#fff;"
	"border:1px solid #d0d7de}"
	"dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0}"
	"dt{color:#59636e}dd{margin:0}"
	".ok{color:#1a7f37}.subject{overflow-wrap:anywhere}"
	"footer{color:#59636e;font-size:12px;border-top:1px solid #d0d7de;margin-top:28px}";

/* A page being built; the first allocation failure sticks and is reported once. */
struct page {
	struct bg_buf b;
	int err;
};

static void put(struct page *p, const char *s)
{
	if (!p->err && bg_buf_puts(&p->b, s) < 0)
		p->err = BG_ENOMEM;
}

static void putn(struct page *p, const char *s, size_t n)
{
	if (!p->err && bg_buf_put(&p->b, s, n) < 0)
		p->err = BG_ENOMEM;
}

__attribute__((format(printf, 2, 3))) static void putf(struct page *p, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0 || p->err)
		return;
	if ((size_t)n < sizeof(small)) {
		putn(p, small, (size_t)n);
		return;
	}
	if (bg_buf_grow(&p->b, (size_t)n) < 0) {
		p->err = BG_ENOMEM;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(p->b.ptr + p->b.len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	p->b.len += (size_t)n;
}

/* Unicode noncharacters: HTML5 calls them parse errors in a document. */
static int noncharacter(uint32_t cp)
{
	return (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
}

/* Appends untrusted text (at most len bytes; SIZE_MAX: to its NUL) escaped for HTML text
 * and for a quoted attribute alike: & < > " ' as references, controls as spaces, malformed
 * UTF-8, invisible controls (bidi overrides) and noncharacters as U+FFFD. Safe runs go in
 * one copy. */
static void esc_n(struct page *p, const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)(text ? text : "");
	const unsigned char *end = len == SIZE_MAX ? NULL : s + len;
	const unsigned char *run = s;
	while (end ? s < end : *s != '\0') {
		unsigned char c = *s;
		if (c >= 0x20 && c < 0x7F && c != '&' && c != '<' && c != '>' && c != '"' &&
		    c != '\'') {
			s++;
			continue;
		}
		putn(p, (const char *)run, (size_t)(s - run));
		if (c < 0x80) {
			switch (c) {
			case '&': put(p, "&amp;"); break;
			case '<': put(p, "&lt;"); break;
			case '>': put(p, "&gt;"); break;
			case '"': put(p, "&quot;"); break;
			case '\'': put(p, "&#39;"); break;
			default: put(p, " "); /* a control character */
			}
			s++;
		} else {
			uint32_t cp;
			size_t n = bg_utf8_seq(s, end ? (size_t)(end - s) : SIZE_MAX, &cp);
			if (n == 0 || bg_invisible_control(cp) || noncharacter(cp))
				put(p, REPLACEMENT);
			else
				putn(p, (const char *)s, n);
			s += n ? n : 1;
		}
		run = s;
	}
	putn(p, (const char *)run, (size_t)(s - run));
}

static void esc(struct page *p, const char *text)
{
	esc_n(p, text, SIZE_MAX);
}

/* Escaped text, or a dash when there is none. */
static void esc_or_dash(struct page *p, const char *text)
{
	if (text && *text)
		esc(p, text);
	else
		put(p, DASH);
}

/* A measured value for a table: about four significant digits without an exponent where
 * that reads well (40113, 812.5, 1.234, 0.001234). */
static void fmt_value(char *out, size_t size, double v)
{
	double a = fabs(v);
	if (!isfinite(v))
		snprintf(out, size, DASH);
	else if (a == 0)
		snprintf(out, size, "0");
	else if (a >= 1e9 || a < 1e-3)
		snprintf(out, size, "%.4g", v);
	else {
		int dec = 3 - (int)floor(log10(a));
		snprintf(out, size, "%.*f", dec < 0 ? 0 : dec, v);
	}
}

static int is_open(const char *state)
{
	return site_state(state) == 0;
}

/* The CSS class of a state: one of the known words, else the open look. */
static const char *state_class(const char *state)
{
	static const char *const classes[] = {"s-detected", "s-acknowledged", "s-fixed",
					      "s-improvement", "s-neutral"};
	_Static_assert(BG_COUNTOF(classes) == SITE_N_STATES, "one class per state of site_state");
	return classes[site_state(state)];
}

static void put_state(struct page *p, const char *state)
{
	putf(p, "<span class=\"state %s\">", state_class(state));
	esc(p, state && *state ? state : "detected");
	put(p, "</span>");
}

/* A change as "+7.3%" coloured by direction, with its interval under it when known. */
/* A change, red the worse way (up for a time, down for a throughput: higher_is_better). */
static void put_change(struct page *p, double rel, double lo, double hi, int interval_br,
		       int higher_is_better)
{
	char pct[32], ci[80];
	bg_fmt_pct(pct, sizeof(pct), rel, rel, 1, DASH);
	bg_fmt_interval(ci, sizeof(ci), lo, hi, "");
	double worse = higher_is_better ? -rel : rel;
	putf(p, "<span class=\"%s\">%s</span>", worse > 0 ? "up" : worse < 0 ? "down" : "", pct);
	if (ci[0])
		putf(p, "%s<span class=\"meta\">%s</span>", interval_br ? "<br/>" : " ", ci);
}

struct site_ctx {
	const struct bg_site *site;
	const char *dir;
	struct page tmpl;      /* the commit URL template, escaped for an attribute */
	int links;             /* 1: commits are linked through tmpl */
	const char *links_off; /* why a given template was refused; NULL otherwise */
	const struct bg_site_series **by_key; /* sorted by key, for lookups */
	unsigned char *has_open;              /* per series: an open regression belongs to it */
	struct site_plot_batch plots;
	struct site_plot_ids *large, *thumb; /* per series */
	struct bg_buf path;
	struct bg_site_stats *st;
};

/* Why a commit URL template cannot be used, or NULL when it can: http(s) with a host, only
 * characters a URL may hold, and a {sha} to fill in. */
static const char *commit_url_problem(const char *t)
{
	static const char url_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					"0123456789-._~:/?#[]@!$&'()*+,;=%";
	size_t skip;
	if (!strncasecmp(t, "https://", 8))
		skip = 8;
	else if (!strncasecmp(t, "http://", 7))
		skip = 7;
	else
		return "commit_url is not an http or https URL";
	if (!t[skip] || strchr("/?#{", t[skip]))
		return "commit_url has no host";
	if (!strstr(t, "{sha}"))
		return "commit_url has no {sha}";
	for (const char *s = t; *s; s++) {
		if (!strncmp(s, "{sha}", 5)) {
			s += 4;
			continue;
		}
		if (!strchr(url_chars, *s))
			return "commit_url has a character a URL cannot hold";
	}
	return NULL;
}

/* 1 for a SHA that may go into a URL: 4 to 64 hex digits. */
static int hex_sha(const char *sha)
{
	size_t n = sha ? strspn(sha, "0123456789abcdefABCDEF") : 0;
	return n >= 4 && n <= 64 && sha[n] == '\0';
}

/* A commit as its short SHA (the full one on hover), linked when links are on. */
static void put_commit(struct page *p, const struct site_ctx *c, const char *sha)
{
	if (!sha || !*sha) {
		put(p, DASH);
		return;
	}
	int hex = hex_sha(sha), link = hex && c->links;
	if (link) {
		put(p, "<a href=\"");
		const char *t = c->tmpl.b.ptr, *hole;
		while ((hole = strstr(t, "{sha}"))) {
			putn(p, t, (size_t)(hole - t));
			put(p, sha);
			t = hole + 5;
		}
		put(p, t);
		put(p, "\">");
	}
	put(p, "<code title=\"");
	esc(p, sha);
	put(p, "\">");
	if (hex)
		putn(p, sha, strlen(sha) < SHORT_SHA ? strlen(sha) : SHORT_SHA);
	else
		esc_n(p, sha, strlen(sha) < 12 ? strlen(sha) : 12);
	put(p, "</code>");
	if (link)
		put(p, "</a>");
}

static int cmp_series_key(const void *a, const void *b)
{
	return strcmp((*(const struct bg_site_series *const *)a)->key,
		      (*(const struct bg_site_series *const *)b)->key);
}

static const struct bg_site_series *find_series(const struct site_ctx *c, const char *key)
{
	if (!key || !c->site->n_series)
		return NULL;
	struct bg_site_series probe = {.key = key};
	const struct bg_site_series *pp = &probe;
	const struct bg_site_series **hit =
		bsearch(&pp, c->by_key, c->site->n_series, sizeof(*c->by_key), cmp_series_key);
	return hit ? *hit : NULL;
}

/* A key for an error message: printable ASCII only, cut short. */
static void show_key(char *out, size_t size, const char *key)
{
	size_t k = 0;
	for (const char *s = key ? key : "(null)"; *s && k + 1 < size && k < 60; s++)
		out[k++] = *s >= ' ' && *s < 0x7F ? *s : '?';
	out[k] = '\0';
}

static int validate(struct site_ctx *c)
{
	const struct bg_site *site = c->site;
	if ((site->n_series && !site->series) || (site->n_regressions && !site->regressions))
		return bg_error_set(BG_EINPUT, "site: a count is set but its array is NULL");
	for (size_t i = 0; i < site->n_series; i++) {
		const struct bg_site_series *s = &site->series[i];
		char key[64];
		show_key(key, sizeof(key), s->key);
		size_t n = s->key ? strspn(s->key, "abcdefghijklmnopqrstuvwxyz0123456789-") : 0;
		if (!s->key || n == 0 || n > MAX_KEY || s->key[n])
			return bg_error_set(BG_EINPUT,
					    "site: series %zu has key '%s'; a key is 1 to %d "
					    "characters of a-z, 0-9 and '-'",
					    i, key, MAX_KEY);
		if ((s->n_points && !s->points) || (s->n_changes && !s->changes))
			return bg_error_set(
				BG_EINPUT,
				"site: series '%s': a count is set but its array is NULL", key);
		for (size_t k = 0; k < s->n_points; k++)
			if (s->points[k].n && !s->points[k].samples)
				return bg_error_set(BG_EINPUT,
						    "site: series '%s', point %zu: %zu samples but "
						    "no array",
						    key, k, s->points[k].n);
		for (size_t k = 0; k < s->n_changes; k++)
			if (s->changes[k].index == 0 || s->changes[k].index >= s->n_points)
				return bg_error_set(
					BG_EINPUT,
					"site: series '%s': change %zu is at point %zu; "
					"it must be between 1 and %zu",
					key, k, s->changes[k].index,
					s->n_points ? s->n_points - 1 : 0);
		c->by_key[i] = s;
	}
	for (size_t i = 0; i < site->n_suites; i++) {
		const struct bg_site_suite *su = &site->suites[i];
		if (su->n_points && !su->points)
			return bg_error_set(BG_EINPUT, "site: test suite %zu has no points array",
					    i);
		for (size_t k = 0; k < su->n_points; k++)
			if (su->points[k].passed < 0 || su->points[k].failed < 0 ||
			    su->points[k].skipped < 0)
				return bg_error_set(BG_EINPUT,
						    "site: test suite '%s': commit %zu has a "
						    "negative count of cases",
						    su->name ? su->name : "", k);
	}
	qsort(c->by_key, site->n_series, sizeof(*c->by_key), cmp_series_key);
	for (size_t i = 1; i < site->n_series; i++)
		if (!strcmp(c->by_key[i - 1]->key, c->by_key[i]->key))
			return bg_error_set(BG_EINPUT, "site: two series have the key '%s'",
					    c->by_key[i]->key);
	return 0;
}

/* The head of a page; up: the way from its directory to the site's ("" or "../"). */
static void page_begin(struct page *p, const char *up, const char *title, const char *title2)
{
	put(p, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
	       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
	       /* no script can run even if something slipped through; no referrer leaks
		  the dashboard's address to the commit host */
	       "<meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'none'; "
	       "object-src 'none'; base-uri 'none'; form-action 'none'\"/>\n"
	       "<meta name=\"referrer\" content=\"no-referrer\"/>\n"
	       "<meta name=\"generator\" content=\"bitgate\"/>\n<title>");
	esc(p, title);
	if (title2) {
		put(p, " \xE2\x80\x94 ");
		esc(p, title2);
	}
	putf(p, "</title>\n<link rel=\"stylesheet\" href=\"%sstyle.css\"/>\n</head>\n<body>\n", up);
}

static void page_end(struct page *p, const struct site_ctx *c)
{
	put(p, "<footer><p>Made by bitgate");
	if (c->site->generated && *c->site->generated) {
		put(p, DOT "generated ");
		esc(p, c->site->generated);
	}
	if (c->links_off) {
		put(p, DOT "commits are not linked: ");
		esc(p, c->links_off);
	}
	put(p, "</p></footer>\n</body>\n</html>\n");
}

/* Where a plot goes: the image when it was rendered, else a note saying why not. */
static void put_plot(struct page *p, const struct site_ctx *c, long id, const char *src, int w,
		     int h, const char *alt_what, const struct bg_site_series *s, const char *href)
{
	if (!site_plot_done(&c->plots, id)) {
		put(p, "<div class=\"noplot\">");
		if (id < 0)
			put(p,
			    s->n_points ? "nothing to plot" : "nothing to plot: no measurements");
		else
			esc(p, c->plots.note[0] ? c->plots.note : "plot not rendered");
		put(p, "</div>");
		return;
	}
	if (href)
		putf(p, "<a href=\"%s\">", href);
	putf(p, "<img src=\"%s\" width=\"%d\" height=\"%d\" alt=\"%s ", src, w, h, alt_what);
	esc(p, s->benchmark);
	if (s->params && *s->params) {
		put(p, " (");
		esc(p, s->params);
		put(p, ")");
	}
	if (s->mode && *s->mode) {
		put(p, ", ");
		esc(p, s->mode);
	}
	put(p, "\"/>");
	if (href)
		put(p, "</a>");
}

/* Which way the series is better, as the nightly judged its changes. */
static const char *direction_text(const struct bg_site_series *s)
{
	return s->higher_is_better ? "higher is better (a drop is a regression)"
				   : "lower is better (a rise is a regression)";
}

/* params, metric (with its direction), mode and machine of a series, the known ones joined
 * by dots. */
static void put_series_meta(struct page *p, const struct bg_site_series *s)
{
	const char *parts[] = {s->params, s->metric,
			       s->higher_is_better ? "higher is better" : "lower is better",
			       s->mode, s->machine};
	int first = 1;
	for (size_t i = 0; i < BG_COUNTOF(parts); i++)
		if (parts[i] && *parts[i]) {
			if (!first)
				put(p, DOT);
			esc(p, parts[i]);
			first = 0;
		}
}

static void regression_head(struct page *p)
{
	put(p, "<table class=\"regressions\">\n<thead><tr><th>Series</th><th>Commits</th>"
	       "<th class=\"num\">Change</th><th>Suspected commit</th><th>State</th></tr>"
	       "</thead>\n<tbody>\n");
}

/* One regression; root is the way from the page to the site's root ("" or "../"). */
static void regression_row(struct page *p, const struct site_ctx *c,
			   const struct bg_site_regression *r, const char *root)
{
	const struct bg_site_series *s = find_series(c, r->series_key);
	put(p, "<tr><td>");
	if (s)
		putf(p, "<a href=\"%sseries/%s.html\">", root, s->key);
	esc_or_dash(p, r->benchmark ? r->benchmark : s ? s->benchmark : NULL);
	if (s)
		put(p, "</a>");
	if ((r->mode && *r->mode) || (r->machine && *r->machine)) {
		put(p, "<br/><span class=\"meta\">");
		esc(p, r->mode);
		if (r->mode && *r->mode && r->machine && *r->machine)
			put(p, DOT);
		esc(p, r->machine);
		put(p, "</span>");
	}
	put(p, "</td><td>");
	put_commit(p, c, r->good_sha);
	put(p, "..");
	put_commit(p, c, r->bad_sha);
	if (r->commits_in_range >= 0)
		putf(p, "<br/><span class=\"meta\">%d commit%s</span>", r->commits_in_range,
		     r->commits_in_range == 1 ? "" : "s");
	put(p, "</td><td class=\"num\">");
	put_change(p, r->rel, r->lo, r->hi, 1, s && s->higher_is_better);
	put(p, "</td><td>");
	if (r->suspect_sha && *r->suspect_sha) {
		put_commit(p, c, r->suspect_sha);
		if (r->suspect_subject && *r->suspect_subject) {
			put(p, " <span class=\"subject\">");
			esc(p, r->suspect_subject);
			put(p, "</span>");
		}
	} else {
		put(p, "<span class=\"meta\">not bisected</span>");
	}
	put(p, "</td><td>");
	put_state(p, r->state);
	if (r->reason && *r->reason) {
		put(p, "<br/><span class=\"why\">");
		esc(p, r->reason);
		put(p, "</span>");
	}
	put(p, "</td></tr>\n");
}

/* The regressions with open == want (and of one series, when key is given). */
static size_t regression_rows(struct page *p, const struct site_ctx *c, int want, const char *key,
			      const char *root)
{
	size_t n = 0;
	for (size_t i = 0; i < c->site->n_regressions; i++) {
		const struct bg_site_regression *r = &c->site->regressions[i];
		if ((want >= 0 && is_open(r->state) != want) ||
		    (key && (!r->series_key || strcmp(r->series_key, key))))
			continue;
		if (n++ == 0)
			regression_head(p);
		regression_row(p, c, r, root);
	}
	if (n)
		put(p, "</tbody>\n</table>\n");
	return n;
}

static const char *site_title(const struct bg_site *site)
{
	return site->title && *site->title ? site->title : "bitgate dashboard";
}

/* The latest finite median of a series, and its index; -1 when none. */
static long latest_median(const struct bg_site_series *s)
{
	for (size_t i = s->n_points; i-- > 0;)
		if (isfinite(s->points[i].median))
			return (long)i;
	return -1;
}

#define STRIP_W 240 /* the pass-rate strip of a suite, px: one column per commit at most */
#define STRIP_H 28

/* A suite's pass rate at point k (NAN when nothing passed or failed: all skipped). */
static double suite_rate(const struct bg_site_suite_point *pt)
{
	int ran = pt->passed + pt->failed;
	return ran ? (double)pt->passed / ran : NAN;
}

/* The pass rate over the commits as an inline SVG line (0% at the bottom, 100% at the top);
 * the commits on one pixel column are merged into their lowest rate, so a failure shows
 * however long the history. */
static void suite_strip(struct page *p, const struct bg_site_suite *su)
{
	size_t cols = su->n_points < STRIP_W ? su->n_points : STRIP_W;
	putf(p,
	     "<svg class=\"strip\" width=\"%d\" "
	     "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\"><title>pass rate per commit, "
	     "oldest left</title><line x1=\"0\" y1=\"2\" x2=\"%d\" y2=\"2\" "
	     "stroke=\"#d0d7de\"/><polyline fill=\"none\" stroke=\"#1a7f37\" "
	     "stroke-width=\"1.5\" points=\"",
	     STRIP_W, STRIP_H, STRIP_W, STRIP_H, STRIP_W);
	for (size_t col = 0, k = 0; col < cols; col++) {
		double low = NAN;
		for (; k < su->n_points && k * cols / su->n_points == col; k++) {
			double r = suite_rate(&su->points[k]);
			low = isnan(low) || r < low ? r : low;
		}
		if (!isnan(low))
			putf(p, "%s%.1f,%.1f", col ? " " : "",
			     cols > 1 ? (double)col * (STRIP_W - 1) / (double)(cols - 1) : 0.0,
			     2 + (1 - low) * (STRIP_H - 4));
	}
	put(p, "\"/></svg>");
}

/* A rate as "99.5% (199 of 200)", or a dash when nothing ran. */
static void put_rate(struct page *p, const struct bg_site_suite_point *pt)
{
	double r = suite_rate(pt);
	if (isnan(r)) {
		putf(p, DASH " (%d skipped)", pt->skipped);
		return;
	}
	char pct[32];
	snprintf(pct, sizeof(pct), "%.1f%%", 100 * r);
	if (r < 1 && !strcmp(pct, "100.0%"))
		snprintf(pct, sizeof(pct), "99.9%%"); /* a failure is never shown as 100% */
	putf(p, "<span class=\"%s\">%s</span> (%d of %d)", r < 1 ? "up" : "ok", pct, pt->passed,
	     pt->passed + pt->failed);
}

/* One suite: its name, strip, latest and lowest rate (with their commits), and how many
 * commits had a failure. */
static void suite_row(struct page *p, const struct site_ctx *c, const struct bg_site_suite *su)
{
	size_t low = SIZE_MAX, failing = 0;
	for (size_t k = 0; k < su->n_points; k++) {
		double r = suite_rate(&su->points[k]);
		failing += su->points[k].failed > 0;
		if (!isnan(r) && (low == SIZE_MAX || r < suite_rate(&su->points[low])))
			low = k;
	}
	put(p, "<tr><td>");
	esc_or_dash(p, su->name);
	putf(p, "<br/><span class=\"meta\">%zu commit%s</span></td><td>", su->n_points,
	     su->n_points == 1 ? "" : "s");
	suite_strip(p, su);
	put(p, "</td><td class=\"num\">");
	if (su->n_points) {
		put_rate(p, &su->points[su->n_points - 1]);
		put(p, "<br/>");
		put_commit(p, c, su->points[su->n_points - 1].sha);
	}
	put(p, "</td><td class=\"num\">");
	if (low != SIZE_MAX) {
		put_rate(p, &su->points[low]);
		put(p, "<br/>");
		put_commit(p, c, su->points[low].sha);
	}
	putf(p, "</td><td class=\"num\">%zu</td></tr>\n", failing);
}

/* Each test suite's pass rate over the commits, from the stored results. */
static void suites_section(struct page *p, const struct site_ctx *c)
{
	const struct bg_site *site = c->site;
	put(p, "<section id=\"tests\">\n<h2>Test suites</h2>\n");
	if (!site->n_suites) {
		put(p, "<p class=\"meta\">No test results stored.</p>\n</section>\n");
		return;
	}
	put(p, "<p class=\"meta\">Pass rate: passed / (passed + failed), skips not counted; the "
	       "strip runs oldest to newest, its commits merged per pixel into their lowest "
	       "rate.</p>\n<table class=\"suites\">\n<thead><tr><th>Suite</th>"
	       "<th>Pass rate over commits</th><th class=\"num\">Latest</th>"
	       "<th class=\"num\">Lowest</th><th class=\"num\">Commits with a failure</th>"
	       "</tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < site->n_suites; i++)
		suite_row(p, c, &site->suites[i]);
	put(p, "</tbody>\n</table>\n</section>\n");
}

static void index_page(struct page *p, const struct site_ctx *c)
{
	const struct bg_site *site = c->site;
	size_t n_open = 0;
	for (size_t i = 0; i < site->n_regressions; i++)
		n_open += (size_t)is_open(site->regressions[i].state);

	page_begin(p, "", site_title(site), NULL);
	put(p, "<header><h1>");
	esc(p, site_title(site));
	put(p, "</h1><p class=\"meta\">");
	if (site->repo && *site->repo) {
		esc(p, site->repo);
		put(p, DOT);
	}
	if (site->generated && *site->generated) {
		put(p, "generated ");
		esc(p, site->generated);
		put(p, DOT);
	}
	putf(p, "%zu series" DOT "%zu open regression%s</p></header>\n<main>\n", site->n_series,
	     n_open, n_open == 1 ? "" : "s");

	put(p, "<section id=\"open\">\n<h2>Open regressions</h2>\n");
	if (!regression_rows(p, c, 1, NULL, ""))
		put(p, "<p class=\"ok\">No open regressions.</p>\n");
	put(p, "</section>\n");

	put(p, "<section id=\"series\">\n<h2>Series</h2>\n");
	if (!site->n_series)
		put(p, "<p class=\"meta\">No series measured yet.</p>\n");
	else
		put(p, "<div class=\"grid\">\n");
	for (size_t i = 0; i < site->n_series; i++) {
		const struct bg_site_series *s = &site->series[i];
		char href[MAX_KEY + 32], src[MAX_KEY + 32];
		snprintf(href, sizeof(href), "series/%s.html", s->key);
		snprintf(src, sizeof(src), "plots/%s.thumb.svg", s->key);
		putf(p, "<figure class=\"card%s\" id=\"series-%s\">", c->has_open[i] ? " open" : "",
		     s->key);
		put_plot(p, c, c->thumb[i].svg, src, 320, 140, "Median per commit of", s, href);
		putf(p, "<figcaption><a href=\"%s\"><strong>", href);
		esc_or_dash(p, s->benchmark);
		put(p, "</strong></a><span class=\"meta\">");
		put_series_meta(p, s);
		putf(p, "</span><span class=\"meta\">%zu commit%s", s->n_points,
		     s->n_points == 1 ? "" : "s");
		long last = latest_median(s);
		if (last >= 0) {
			char v[48];
			fmt_value(v, sizeof(v), s->points[last].median);
			putf(p, DOT "latest median %s", v);
			if (s->unit_label && *s->unit_label) {
				put(p, " ");
				esc(p, s->unit_label);
			}
		}
		putf(p, DOT "%zu change point%s</span>", s->n_changes,
		     s->n_changes == 1 ? "" : "s");
		if (c->has_open[i])
			put(p, "<span class=\"badge\">open regression</span>");
		put(p, "</figcaption></figure>\n");
	}
	if (site->n_series)
		put(p, "</div>\n");
	put(p, "</section>\n");
	suites_section(p, c);

	if (n_open < site->n_regressions) {
		put(p, "<section id=\"closed\">\n<h2>Acknowledged and fixed regressions</h2>\n");
		regression_rows(p, c, 0, NULL, "");
		put(p, "</section>\n");
	}
	put(p, "</main>\n");
	page_end(p, c);
}

static void fact(struct page *p, const char *name, const char *value)
{
	if (!value || !*value)
		return;
	putf(p, "<dt>%s</dt><dd>", name);
	esc(p, value);
	put(p, "</dd>");
}

static void series_header(struct page *p, const struct site_ctx *c, const struct bg_site_series *s)
{
	page_begin(p, "../", s->benchmark && *s->benchmark ? s->benchmark : s->key,
		   site_title(c->site));
	put(p, "<header><p class=\"meta\"><a href=\"../index.html\">");
	esc(p, site_title(c->site));
	put(p, "</a> \xE2\x80\xBA series</p><h1>");
	esc_or_dash(p, s->benchmark);
	put(p, "</h1>\n<dl class=\"facts\">");
	fact(p, "Parameters", s->params);
	fact(p, "Metric", s->metric);
	fact(p, "Direction", direction_text(s));
	fact(p, "Mode", s->mode);
	fact(p, "Machine", s->machine);
	fact(p, "Unit", s->unit_label);
	putf(p, "<dt>Commits</dt><dd>%zu", s->n_points);
	if (s->n_points) {
		put(p, DOT);
		put_commit(p, c, s->points[0].sha);
		put(p, " to ");
		put_commit(p, c, s->points[s->n_points - 1].sha);
		put(p, ", first-parent order");
	}
	put(p, "</dd></dl></header>\n<main>\n");
}

/* The large plot with its legend in words, and the link to its PNG when there is one. */
static void series_plot_section(struct page *p, const struct site_ctx *c, size_t si)
{
	const struct bg_site_series *s = &c->site->series[si];
	char src[MAX_KEY + 32];
	snprintf(src, sizeof(src), "../plots/%s.svg", s->key);
	put(p, "<section id=\"plot\">\n<h2>Samples per commit</h2>\n<figure class=\"plot\">");
	put_plot(p, c, c->large[si].svg, src, 960, 480, "Samples per commit of", s, NULL);
	if (c->large[si].merged)
		put(p,
		    "<figcaption class=\"meta\">More commits than the plot has pixel columns: the "
		    "samples of the commits on one column are merged: a thick bar from their "
		    "lower to their upper quartile over a thin one between the whiskers (the "
		    "last samples within 1.5 IQR of the quartiles), the samples beyond the "
		    "whiskers as dots (every sample is in the CSV below); the line is each "
		    "commit's median; ");
	else
		put(p, "<figcaption class=\"meta\">Each dot is one sample, the line each commit's "
		       "median; ");
	put(p, "vertical lines mark change points (regressions solid red: detected, dashed "
	       "grey: acknowledged, dotted green: fixed; blue: an improvement; light grey: "
	       "a change of spread or a shift below the threshold). Triangles at the top or "
	       "bottom edge are samples beyond the plotted range. Commits run oldest to newest, "
	       "left to right.");
	if (site_plot_done(&c->plots, c->large[si].png))
		putf(p, " <a href=\"../plots/%s.png\">PNG</a>", s->key);
	put(p, "</figcaption></figure>\n</section>\n");
}

/* The change points table; at[index] is set to each change, for the runs table. */
static void series_changes_section(struct page *p, const struct site_ctx *c,
				   const struct bg_site_series *s, const struct bg_site_change **at)
{
	put(p, "<section id=\"changes\">\n<h2>Change points</h2>\n");
	if (!s->n_changes)
		put(p, "<p class=\"meta\">No change points found.</p>\n");
	else
		put(p, "<table class=\"changes\">\n<thead><tr><th>Between</th>"
		       "<th class=\"num\">Change</th><th class=\"num\">Interval</th><th>State</th>"
		       "<th>Reason</th></tr></thead>\n<tbody>\n");
	for (size_t k = 0; k < s->n_changes; k++) {
		const struct bg_site_change *ch = &s->changes[k];
		char ci[80];
		at[ch->index] = ch;
		bg_fmt_interval(ci, sizeof(ci), ch->lo, ch->hi, DASH);
		put(p, "<tr><td>");
		put_commit(p, c, s->points[ch->index - 1].sha);
		put(p, "..");
		put_commit(p, c, s->points[ch->index].sha);
		putf(p, " <a class=\"meta\" href=\"#run-%zu\">#%zu</a></td><td class=\"num\">",
		     ch->index, ch->index);
		put_change(p, ch->rel, NAN, NAN, 0, s->higher_is_better);
		putf(p, "</td><td class=\"num\">%s</td><td>", ci);
		put_state(p, ch->state);
		put(p, "</td><td class=\"why\">");
		esc(p, ch->reason);
		put(p, "</td></tr>\n");
	}
	if (s->n_changes)
		put(p, "</tbody>\n</table>\n");
	put(p, "</section>\n");
}

/* One run of the runs table: commit, date, subject, samples, median, min, max, and the
 * change point it starts (ch; NULL when none). */
static void run_row(struct page *p, const struct site_ctx *c, const struct bg_site_series *s,
		    size_t i, const struct bg_site_change *ch)
{
	const struct bg_site_point *pt = &s->points[i];
	double lo = INFINITY, hi = -INFINITY;
	size_t finite = 0;
	for (size_t k = 0; k < pt->n; k++)
		if (isfinite(pt->samples[k])) {
			finite++;
			lo = fmin(lo, pt->samples[k]);
			hi = fmax(hi, pt->samples[k]);
		}
	char med[48], mn[48], mx[48];
	fmt_value(med, sizeof(med), pt->median);
	fmt_value(mn, sizeof(mn), finite ? lo : NAN);
	fmt_value(mx, sizeof(mx), finite ? hi : NAN);
	putf(p, "<tr id=\"run-%zu\"%s><td class=\"num\">%zu</td><td>", i, ch ? " class=\"cp\"" : "",
	     i);
	put_commit(p, c, pt->sha);
	put(p, "</td><td>");
	esc_or_dash(p, pt->date);
	put(p, "</td><td class=\"subject\">");
	esc(p, pt->subject);
	putf(p,
	     "</td><td class=\"num\">%zu</td><td class=\"num\">%s</td>"
	     "<td class=\"num\">%s</td><td class=\"num\">%s</td><td>",
	     pt->n, med, mn, mx);
	if (ch) {
		put_change(p, ch->rel, NAN, NAN, 0, s->higher_is_better);
		put(p, " ");
		put_state(p, ch->state);
	}
	put(p, "</td></tr>\n");
}

/* The newest RUNS_SHOWN runs and every run a change point starts, newest first; at[i] is
 * the change point run i starts, if any. The CSV (series_csv) holds every sample. */
static void series_runs_section(struct page *p, const struct site_ctx *c,
				const struct bg_site_series *s, const struct bg_site_change **at)
{
	put(p, "<section id=\"runs\">\n<h2>Runs</h2>\n");
	size_t older = s->n_points > RUNS_SHOWN ? s->n_points - RUNS_SHOWN : 0;
	if (!s->n_points)
		put(p, "<p class=\"meta\">No runs yet.</p>\n");
	else {
		put(p, "<p class=\"meta\">Newest first");
		if (s->unit_label && *s->unit_label) {
			put(p, "; values in ");
			esc(p, s->unit_label);
		}
		if (older)
			putf(p,
			     "; the latest %d runs and those where a change point starts (%zu "
			     "older ones are only in the CSV)",
			     RUNS_SHOWN, older);
		putf(p,
		     ". Every sample: <a href=\"%s.csv.gz\">%s.csv.gz</a> (a gzip-compressed CSV, "
		     "one row per run and round: commit (its first 12 hex digits, unless two "
		     "commits share them), date, run, round, then its samples separated by "
		     "spaces, each exact).",
		     s->key, s->key);
		put(p, "</p>\n<table class=\"runs\">\n<thead><tr><th class=\"num\">#</th>"
		       "<th>Commit</th><th>Date</th><th>Subject</th><th class=\"num\">Samples</th>"
		       "<th class=\"num\">Median</th><th class=\"num\">Min</th>"
		       "<th class=\"num\">Max</th><th>Change</th></tr></thead>\n<tbody>\n");
	}
	for (size_t i = s->n_points; i-- > 0 && !p->err;)
		if (i >= older || at[i])
			run_row(p, c, s, i, at[i]);
	if (s->n_points)
		put(p, "</tbody>\n</table>\n");
	put(p, "</section>\n");
}

static void series_page(struct page *p, const struct site_ctx *c, size_t si)
{
	const struct bg_site_series *s = &c->site->series[si];
	series_header(p, c, s);
	series_plot_section(p, c, si);
	put(p, "<section id=\"regressions\">\n<h2>Regressions</h2>\n");
	if (!regression_rows(p, c, -1, s->key, "../"))
		put(p, "<p class=\"ok\">None recorded for this series.</p>\n");
	put(p, "</section>\n");

	/* which point starts which change, for the runs table; O(points + changes) */
	const struct bg_site_change **at = NULL;
	if (s->n_points && !(at = calloc(s->n_points, sizeof(*at)))) {
		p->err = BG_ENOMEM;
		return;
	}
	series_changes_section(p, c, s, at);
	series_runs_section(p, c, s, at);
	free(at);
	put(p, "</main>\n");
	page_end(p, c);
}

/* A text field of the CSV: quoted when it holds a comma, a quote or a line break (RFC
 * 4180, quotes doubled); one that a spreadsheet would read as a formula (=, +, -, @, tab,
 * CR first) gets a leading apostrophe. */
static void csv_text(struct page *p, const char *t)
{
	t = t ? t : "";
	int quote = strpbrk(t, ",\"\r\n") != NULL;
	if (quote)
		put(p, "\"");
	if (*t && strchr("=+-@\t\r", *t))
		put(p, "'");
	for (const char *q; (q = strchr(t, '"')); t = q + 1) {
		putn(p, t, (size_t)(q - t));
		put(p, "\"\"");
	}
	put(p, t);
	if (quote)
		put(p, "\"");
}

/* A sample as the shortest decimal that reads back as the same double. */
static void csv_value(struct page *p, double v)
{
	char out[BG_DOUBLE_CHARS];
	bg_format_double(out, v);
	put(p, out);
}

static int cmp_sha_prefix(const void *a, const void *b)
{
	return strncmp(*(const char *const *)a, *(const char *const *)b, CSV_SHA);
}

/* How much of each commit the series' CSV gives: its first CSV_SHA digits when they tell
 * every commit of the series apart (as git's abbreviations do), else all of it (0). */
static size_t csv_sha_len(struct page *p, const struct bg_site_series *s)
{
	const char **v = malloc((s->n_points + 1) * sizeof(*v));
	if (!v) {
		p->err = BG_ENOMEM;
		return 0;
	}
	size_t n = 0, len = CSV_SHA;
	for (size_t i = 0; i < s->n_points && len; i++) {
		const char *sha = s->points[i].sha;
		len = sha && strlen(sha) > CSV_SHA ? len : 0;
		v[n++] = sha;
	}
	if (len)
		qsort(v, n, sizeof(*v), cmp_sha_prefix);
	for (size_t i = 1; i < n && len; i++)
		if (!strncmp(v[i - 1], v[i], CSV_SHA) && strcmp(v[i - 1], v[i]))
			len = 0; /* two commits, one abbreviation */
	free(v);
	return len;
}

/* A commit in the CSV: its first len characters, all of it when len is 0. */
static void csv_sha(struct page *p, const char *sha, size_t len)
{
	char abbrev[CSV_SHA + 1];
	if (len && sha) {
		snprintf(abbrev, sizeof(abbrev), "%.*s", (int)len, sha);
		sha = abbrev;
	}
	csv_text(p, sha);
}

/* Every sample of a series into p, one row per run and round (commit as csv_sha_len says,
 * date, run, round, then its samples separated by spaces); oldest commit first, each
 * commit's samples in their order, so the same samples give the same bytes. */
static void series_csv(struct page *p, const struct bg_site_series *s)
{
	size_t sha_len = csv_sha_len(p, s);
	put(p, "commit,date,run,round,samples\r\n");
	for (size_t i = 0; i < s->n_points && !p->err; i++) {
		const struct bg_site_point *pt = &s->points[i];
		for (size_t k = 0; pt->samples && k < pt->n; k++) {
			int same = k > 0 && (!pt->runs || pt->runs[k] == pt->runs[k - 1]) &&
				   (!pt->rounds || pt->rounds[k] == pt->rounds[k - 1]);
			if (same) {
				put(p, " ");
				csv_value(p, pt->samples[k]);
				continue;
			}
			if (k > 0)
				put(p, "\r\n");
			csv_sha(p, pt->sha, sha_len);
			put(p, ",");
			csv_text(p, pt->date);
			put(p, ",");
			if (pt->runs)
				putf(p, "%lld", pt->runs[k]);
			put(p, ",");
			if (pt->rounds)
				putf(p, "%d", pt->rounds[k]);
			put(p, ",");
			csv_value(p, pt->samples[k]);
		}
		if (pt->samples && pt->n)
			put(p, "\r\n");
	}
}

/* p's bytes gzip-compressed into out (zlib's default level; no name or time in the
 * header, so the same bytes give the same file). */
static int gzip_page(struct page *p, struct bg_buf *out, const char *rel)
{
	if (p->err)
		return p->err;
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return bg_error_oom();
	uLong bound = deflateBound(&z, (uLong)p->b.len) + 32; /* the gzip header and trailer */
	bg_buf_clear(out);
	int rc = bg_buf_grow(out, (size_t)bound);
	if (rc == 0) {
		z.next_in = (Bytef *)p->b.ptr;
		z.avail_in = (uInt)p->b.len;
		z.next_out = (Bytef *)out->ptr;
		z.avail_out = (uInt)bound;
		if (deflate(&z, Z_FINISH) != Z_STREAM_END)
			rc = bg_error_set(BG_EINFRA, "site: %s: gzip failed: %s", rel,
					  z.msg ? z.msg : "no room for the output");
		else
			out->len = (size_t)z.total_out;
	}
	deflateEnd(&z);
	return rc;
}

/* Writes a finished file to dir/rel atomically. */
static int write_file(struct site_ctx *c, struct page *p, const char *rel)
{
	if (p->err)
		return p->err;
	int rc = bg_path_join(&c->path, c->dir, rel);
	return rc ? rc : bg_fs_write(c->path.ptr, bg_buf_cstr(&p->b), p->b.len);
}

/* Writes a finished page to dir/rel atomically, and counts it. */
static int write_page(struct site_ctx *c, struct page *p, const char *rel)
{
	int rc = write_file(c, p, rel);
	if (rc == 0 && c->st)
		c->st->pages++;
	return rc;
}

static int make_dir(struct site_ctx *c, const char *rel)
{
	int rc = rel ? bg_path_join(&c->path, c->dir, rel) : 0;
	return rc ? rc : bg_fs_mkdirs(rel ? c->path.ptr : c->dir);
}

/* Checks the input, marks the series an open regression belongs to, and takes the commit
 * URL template when it is safe (else says why in links_off). */
static int site_prepare(struct site_ctx *c)
{
	const struct bg_site *site = c->site;
	int rc = validate(c);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < site->n_regressions; i++) {
		const struct bg_site_regression *r = &site->regressions[i];
		const struct bg_site_series *s = find_series(c, r->series_key);
		if (s && is_open(r->state))
			c->has_open[s - site->series] = 1;
	}
	if (site->commit_url && !(c->links_off = commit_url_problem(site->commit_url))) {
		esc(&c->tmpl, site->commit_url);
		c->links = 1;
		if ((rc = c->tmpl.err) < 0)
			return rc;
	}
	if ((rc = make_dir(c, NULL)) < 0 || (rc = make_dir(c, "series")) < 0)
		return rc;
	return make_dir(c, "plots");
}

/* Every plot of every series in one gnuplot run (the batch is open), before the pages, so
 * they know which exist. */
static int site_plots(struct site_ctx *c)
{
	int rc = 0;
	for (size_t i = 0; i < c->site->n_series && rc == 0; i++) {
		const struct bg_site_series *s = &c->site->series[i];
		char large[MAX_KEY + 32], thumb[MAX_KEY + 32];
		snprintf(large, sizeof(large), "plots/%s.svg", s->key);
		snprintf(thumb, sizeof(thumb), "plots/%s.thumb.svg", s->key);
		rc = site_plot_series(&c->plots, s, large, thumb, &c->large[i], &c->thumb[i]);
	}
	if (rc < 0 || (rc = site_plot_run(&c->plots)) < 0)
		return rc;
	site_plot_stats(&c->plots, c->st);
	return 0;
}

/* The series pages, then the index that links them. */
static int site_pages(struct site_ctx *c, struct page *p)
{
	struct bg_buf gz = BG_BUF_INIT; /* a series' samples, compressed */
	bg_buf_clear(&p->b);
	put(p, css);
	int rc = write_file(c, p, "style.css");
	for (size_t i = 0; i < c->site->n_series && rc == 0; i++) {
		char rel[MAX_KEY + 32];
		snprintf(rel, sizeof(rel), "series/%s.html", c->site->series[i].key);
		bg_buf_clear(&p->b);
		series_page(p, c, i);
		rc = write_page(c, p, rel);
		if (rc == 0) {
			snprintf(rel, sizeof(rel), "series/%s.csv.gz", c->site->series[i].key);
			bg_buf_clear(&p->b);
			series_csv(p, &c->site->series[i]);
			if ((rc = gzip_page(p, &gz, rel)) == 0 &&
			    (rc = bg_path_join(&c->path, c->dir, rel)) == 0)
				rc = bg_fs_write(c->path.ptr, gz.ptr, gz.len);
		}
	}
	bg_buf_free(&gz);
	if (rc == 0) {
		bg_buf_clear(&p->b);
		index_page(p, c);
		rc = write_page(c, p, "index.html");
	}
	return rc;
}

int bg_site_write(const struct bg_site *site, const char *dir, const struct bg_site_opts *o,
		  struct bg_site_stats *st)
{
	double t0 = bg_now();
	if (st)
		memset(st, 0, sizeof(*st));
	if (!site || !dir || !*dir)
		return bg_error_set(BG_EINPUT, "site: no site or no directory given");
	struct site_ctx c;
	memset(&c, 0, sizeof(c));
	c.site = site;
	c.dir = dir;
	c.st = st;
	size_t n = site->n_series;
	c.by_key = calloc(n + 1, sizeof(*c.by_key));
	c.has_open = calloc(n + 1, 1);
	c.large = calloc(n + 1, sizeof(*c.large));
	c.thumb = calloc(n + 1, sizeof(*c.thumb));
	struct page p = {BG_BUF_INIT, 0};
	int rc = 0, plots_open = 0;
	if (!c.by_key || !c.has_open || !c.large || !c.thumb)
		rc = bg_error_oom();
	else if ((rc = site_prepare(&c)) == 0 && (rc = site_plot_open(&c.plots, dir, o)) == 0) {
		plots_open = 1;
		if ((rc = site_plots(&c)) == 0)
			rc = site_pages(&c, &p);
	}
	if (plots_open)
		site_plot_close(&c.plots);
	bg_buf_free(&p.b);
	bg_buf_free(&c.tmpl.b);
	bg_buf_free(&c.path);
	free(c.by_key);
	free(c.has_open);
	free(c.large);
	free(c.thumb);
	if (st)
		st->seconds = bg_now() - t0;
	return rc;
}
