/* The dashboard renderer on a hand-made site: every page and plot written, open regressions
 * before the series, hostile text escaped everywhere, pages parsed strictly (libxml2) with
 * every link relative and present or a commit link, notes in place of plots when gnuplot is
 * missing or fails, unsafe commit URL templates refused, SVGs well-formed, the comparison
 * chart, malformed input refused with a message, and the large plots' y range. */
#include <dirent.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "bg_site.h"
#include "site_fixture.h"
#include "site_int.h"
#include "tf.h"

static const char *const pages[] = {
	"index.html",
	"series/matmul-avx2-256x256x256-default.html",
	"series/gemv-avx2-2560x6912.html",
	"series/quant-ref-4096.html",
	"series/e2e-bitnet-2b-decode.html",
};
#define N_PAGES (sizeof(pages) / sizeof(*pages))

/* The series with something to plot have a large plot and a thumbnail each. */
static const char *const plots[] = {
	"plots/matmul-avx2-256x256x256-default.svg",
	"plots/matmul-avx2-256x256x256-default.thumb.svg",
	"plots/gemv-avx2-2560x6912.svg",
	"plots/gemv-avx2-2560x6912.thumb.svg",
	"plots/quant-ref-4096.svg",
	"plots/quant-ref-4096.thumb.svg",
};
#define N_PLOTS (sizeof(plots) / sizeof(*plots))

/* Renders the fixture (or f's site when given) into a new directory. */
static char *render(const struct site_fixture *f, const struct bg_site_opts *o,
		    struct bg_site_stats *st, const char *tag)
{
	char *dir = tf_tmpdir(tag);
	int rc = bg_site_write(&f->site, dir, o, st);
	TF_CHECK(rc == 0, "bg_site_write: %d %s", rc, bg_error_last());
	return dir;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The lines drawn by the paths of an SVG: the line commands (L, H, V, relative or not) in
 * every d attribute. */
static size_t path_lines(const char *svg)
{
	size_t n = 0;
	for (const char *p = svg; (p = strstr(p, " d='")); p++)
		for (p += 4; *p && *p != '\''; p++)
			n += strchr("LlHhVv", *p) != NULL;
	return n;
}

/* No temporary file or work directory is left behind in dir or dir/plots. */
static void check_no_leftovers(const char *dir)
{
	const char *const subs[] = {"", "plots", "series"};
	for (size_t i = 0; i < 3; i++) {
		struct bg_buf p = BG_BUF_INIT;
		TF_CHECK(bg_path_join(&p, dir, subs[i]) == 0, "oom");
		DIR *d = opendir(p.ptr);
		TF_CHECK(d || i > 0, "opendir %s", p.ptr);
		if (!d) {
			bg_buf_free(&p);
			continue;
		}
		struct dirent *e;
		while ((e = readdir(d))) {
			TF_CHECK(!strstr(e->d_name, ".bg-plot-"), "work directory left: %s",
				 e->d_name);
			TF_CHECK(!strstr(e->d_name, ".part"), "partial plot left: %s", e->d_name);
			TF_CHECK(!strstr(e->d_name, ".tmp."), "temporary file left: %s", e->d_name);
		}
		closedir(d);
		bg_buf_free(&p);
	}
}

static xmlDoc *parse_xml(const char *text, const char *name)
{
	xmlDoc *doc = xmlReadMemory(text, (int)strlen(text), name, "UTF-8",
				    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	const xmlError *e = xmlGetLastError();
	TF_CHECK(doc, "%s is not well-formed: %s", name, e && e->message ? e->message : "?");
	return doc;
}

struct link_check {
	const char *dir;           /* the site */
	const char *page_dir;      /* the page's folder within it: "" or "series/" */
	const char *commit_prefix; /* accepted absolute links; NULL: none */
	size_t commit_links, local_links, imgs, style_sheets;
	int has_charset, has_title;
};

/* A link must be a commit link (an <a> to the prefix and 40 hex digits) or a relative
 * reference to a file of the site that exists (or a fragment of the page). */
static void check_url(struct link_check *lc, const char *elem, const char *attr, const char *v)
{
	size_t np = lc->commit_prefix ? strlen(lc->commit_prefix) : 0;
	if (np && !strncmp(v, lc->commit_prefix, np)) {
		TF_CHECK(!strcmp(elem, "a") && !strcmp(attr, "href"), "<%s %s=\"%s\">", elem, attr,
			 v);
		TF_CHECK(strspn(v + np, "0123456789abcdef") == 40 && !v[np + 40],
			 "commit link with more than a SHA: %s", v);
		lc->commit_links++;
		return;
	}
	size_t scheme = strcspn(v, ":/?#");
	TF_CHECK(v[scheme] != ':', "absolute URL in <%s %s=\"%s\">", elem, attr, v);
	TF_CHECK(v[0] != '/', "host- or root-relative URL in <%s %s=\"%s\">", elem, attr, v);
	if (v[0] == '#')
		return;
	char target[512];
	snprintf(target, sizeof(target), "%s%.*s", lc->page_dir, (int)strcspn(v, "#?"), v);
	TF_CHECK(site_exists(lc->dir, target), "<%s %s=\"%s\">: %s/%s does not exist", elem, attr,
		 v, lc->dir, target);
	lc->local_links++;
}

static void walk(struct link_check *lc, xmlNode *n)
{
	static const char *const banned[] = {"script", "iframe", "object", "embed",
					     "base",   "form",   NULL};
	static const char *const url_attrs[] = {"href",   "src",  "srcset", "action",
						"poster", "data", NULL};
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		const char *name = (const char *)n->name;
		for (size_t i = 0; banned[i]; i++)
			TF_CHECK(strcmp(name, banned[i]), "<%s> in a page", name);
		if (!strcmp(name, "link")) { /* only the site's own style sheet */
			xmlChar *rel = xmlGetProp(n, (const xmlChar *)"rel");
			xmlChar *href = xmlGetProp(n, (const xmlChar *)"href");
			char want[32];
			snprintf(want, sizeof(want), "%sstyle.css", *lc->page_dir ? "../" : "");
			TF_CHECK(rel && href && !strcmp((const char *)rel, "stylesheet") &&
					 !strcmp((const char *)href, want),
				 "<link rel=\"%s\" href=\"%s\"> in a page", rel ? (char *)rel : "",
				 href ? (char *)href : "");
			xmlFree(rel);
			xmlFree(href);
			lc->style_sheets++;
		}
		for (xmlAttr *a = n->properties; a; a = a->next) {
			const char *an = (const char *)a->name;
			TF_CHECK(strncmp(an, "on", 2) && strcmp(an, "style"), "attribute %s", an);
			for (size_t i = 0; url_attrs[i]; i++)
				if (!strcmp(an, url_attrs[i])) {
					xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
					check_url(lc, name, an, v ? (const char *)v : "");
					xmlFree(v);
				}
		}
		if (!strcmp(name, "img")) {
			xmlChar *alt = xmlGetProp(n, (const xmlChar *)"alt");
			TF_CHECK(alt && alt[0], "an <img> without alt text");
			xmlFree(alt);
			lc->imgs++;
		}
		if (!strcmp(name, "meta")) {
			xmlChar *cs = xmlGetProp(n, (const xmlChar *)"charset");
			lc->has_charset |= cs && !strcmp((const char *)cs, "utf-8");
			xmlFree(cs);
		}
		if (!strcmp(name, "title")) {
			xmlChar *t = xmlNodeGetContent(n);
			lc->has_title |= t && t[0];
			xmlFree(t);
		}
		walk(lc, n->children);
	}
}

/* Parses a page as XML and checks its skeleton and every link; returns what it found. */
static struct link_check check_page(const char *dir, const char *rel, const char *prefix)
{
	char *css = site_read(dir, "style.css");
	TF_CHECK(!strstr(css, "url(") && !strstr(css, "@import") && !strstr(css, "@font-face") &&
			 strstr(css, "body{"),
		 "style.css fetching something, or no style");
	free(css);
	char *text = site_read(dir, rel);
	TF_CHECK(!strncmp(text, "<!DOCTYPE html>\n", 16), "%s: no HTML5 doctype", rel);
	TF_CHECK(!strstr(text, "url(") && !strstr(text, "@import") && !strstr(text, "@font-face"),
		 "%s: CSS fetching something", rel);
	TF_CHECK(!strstr(text, "http://"), "%s: an http:// reference", rel);
	xmlDoc *doc = parse_xml(text, rel);
	xmlNode *root = xmlDocGetRootElement(doc);
	TF_CHECK(root && !strcmp((const char *)root->name, "html"), "%s: root is not <html>", rel);
	xmlChar *lang = xmlGetProp(root, (const xmlChar *)"lang");
	TF_CHECK(lang && !strcmp((const char *)lang, "en"), "%s: no lang", rel);
	xmlFree(lang);
	struct link_check lc = {
		.dir = dir, .page_dir = strchr(rel, '/') ? "series/" : "", .commit_prefix = prefix};
	walk(&lc, root);
	TF_CHECK(lc.has_charset && lc.has_title, "%s: no charset or no title", rel);
	TF_CHECK_EQ(lc.style_sheets, 1);
	/* "https://" appears only in commit links */
	TF_CHECK_EQ(count(text, "https://"), lc.commit_links);
	xmlFreeDoc(doc);
	free(text);
	return lc;
}

TF_TEST(site__writes_every_page)
{
	struct site_fixture f;
	site_fixture_make(&f);
	struct bg_site_opts o = {.gnuplot = site_gnuplot()};
	struct bg_site_stats st;
	char *dir = render(&f, &o, &st, "site-pages");
	for (size_t i = 0; i < N_PAGES; i++)
		TF_CHECK(site_exists(dir, pages[i]), "%s missing", pages[i]);
	for (size_t i = 0; i < N_PLOTS; i++)
		TF_CHECK(site_exists(dir, plots[i]), "%s missing (%s)", plots[i], st.plot_error);
	TF_CHECK_EQ(st.pages, N_PAGES);
	TF_CHECK_EQ(st.plots, N_PLOTS);
	TF_CHECK_EQ(st.plots_missing, 0);
	TF_CHECK(!st.gnuplot_missing && !st.gnuplot_failed && !st.plot_error[0], "%s",
		 st.plot_error);
	TF_CHECK(st.seconds >= st.plot_seconds && st.plot_seconds > 0, "times %g %g", st.seconds,
		 st.plot_seconds);
	TF_CHECK(!site_exists(dir, "plots/e2e-bitnet-2b-decode.svg"), "a plot of no data");
	char *page = site_read(dir, "series/e2e-bitnet-2b-decode.html");
	TF_CHECK(strstr(page, "nothing to plot: no measurements"), "no note for an empty series");
	TF_CHECK(strstr(page, "No runs yet."), "no word on the missing runs");
	free(page);
	check_no_leftovers(dir);

	/* a second run over the same directory replaces the files */
	TF_CHECK(bg_site_write(&f.site, dir, &o, &st) == 0, "%s", bg_error_last());
	TF_CHECK_EQ(st.plots, N_PLOTS);
	check_no_leftovers(dir);
	TF_CHECK(bg_fs_rmtree(dir) == 0, "rm");
	free(dir);
	site_fixture_free(&f);
}

TF_TEST(site__open_regressions_before_series)
{
	struct site_fixture f;
	site_fixture_make(&f);
	struct bg_site_opts o = {.gnuplot = site_gnuplot()};
	char *dir = render(&f, &o, NULL, "site-order");
	char *index = site_read(dir, "index.html");
	const char *open = strstr(index, "<h2>Open regressions</h2>");
	const char *series = strstr(index, "<section id=\"series\">");
	const char *closed = strstr(index, "<section id=\"closed\">");
	TF_CHECK(open && series && closed, "sections missing");
	TF_CHECK(open < series && series < closed, "sections out of order");
	/* the open regression (bad commit 25) is in the first table, before any series card */
	char bad[8];
	snprintf(bad, sizeof(bad), "%.7s", f.shas[25]);
	const char *row = strstr(index, bad);
	TF_CHECK(row && row > open && row < series, "the open regression is not first");
	TF_CHECK(strstr(index, "<table class=\"regressions\">") < series, "no regressions table");
	const char *card = strstr(index, "<figure class=\"card");
	TF_CHECK(card && card > series, "a series card before the regressions");
	/* the fixed and the acknowledged ones come after the series */
	char fixed[8];
	snprintf(fixed, sizeof(fixed), "%.7s", f.shas[5]);
	const char *fixed_row = strstr(series, fixed);
	TF_CHECK(fixed_row && fixed_row > closed, "the fixed regression is not with the closed");
	const char *ack = strstr(index, "expected: &lt;b&gt;new layout");
	TF_CHECK(ack && ack > closed, "the acknowledged regression is not with the closed");
	TF_CHECK(strstr(index, "+7.2%") && strstr(index, "[+5.1%, +9.6%]"), "magnitude missing");
	TF_CHECK(strstr(index, "3 commits"), "range length missing");
	TF_CHECK_EQ(count(index, "<figure class=\"card"), SITE_N_SERIES);
	TF_CHECK_EQ(count(index, "<figure class=\"card open\""), 1);
	free(index);

	/* no open regression: the index says so */
	f.site.n_regressions = 1; /* only the fixed one */
	TF_CHECK(bg_site_write(&f.site, dir, &o, NULL) == 0, "%s", bg_error_last());
	index = site_read(dir, "index.html");
	TF_CHECK(strstr(index, "No open regressions."), "no word on the empty table");
	free(index);
	TF_CHECK(bg_fs_rmtree(dir) == 0, "rm");
	free(dir);
	site_fixture_free(&f);
}

/* Change points that are not regressions are shown too, in their own look, and open nothing. */
TF_TEST(site__improvements_and_neutral_changes_are_marked)
{
	struct site_fixture f;
	site_fixture_make(&f);
	f.changes[0].state = "improvement";
	f.changes[0].reason = NULL;
	struct bg_site_opts o = {.gnuplot = site_gnuplot()};
	struct bg_site_stats st;
	char *dir = render(&f, &o, &st, "site-improvement");
	char *page = site_read(dir, "series/matmul-avx2-256x256x256-default.html");
	TF_CHECK(strstr(page, "<span class=\"state s-improvement\">improvement</span>"),
		 "the improvement is not marked");
	free(page);
	char *index = site_read(dir, "index.html");
	TF_CHECK_EQ(count(index, "<figure class=\"card open\""), 1);
	free(index);
	if (!st.plot_error[0]) {
		char *svg = site_read(dir, "plots/matmul-avx2-256x256x256-default.svg");
		TF_CHECK(strstr(svg, "change: improvement"), "no key entry for the improvement");
		free(svg);
	}
	f.changes[0].state = "neutral";
	TF_CHECK(bg_site_write(&f.site, dir, &o, NULL) == 0, "%s", bg_error_last());
	page = site_read(dir, "series/matmul-avx2-256x256x256-default.html");
	TF_CHECK(strstr(page, "<span class=\"state s-neutral\">neutral</span>"),
		 "the neutral change is not marked");
	free(page);
	TF_CHECK(bg_fs_rmtree(dir) == 0, "rm");
	free(dir);
	site_fixture_free(&f);
}

TF_TEST(site__escapes_untrusted_text)
{
	struct site_fixture f;
	site_fixture_make(&f);
	struct bg_site_opts o = {.gnuplot = "/nonexistent/gnuplot"}; /* text only */
	char *dir = render(&f, &o, NULL, "site-escape");
	for (size_t i = 0; i < N_PAGES; i++) {
		char *text = site_read(dir, pages[i]);
		TF_CHECK(!strstr(text, SITE_HOSTILE), "%s: the raw hostile string", pages[i]);
		TF_CHECK(!strstr(text, "<script"), "%s: a script element", pages[i]);
		TF_CHECK(!strstr(text, "<b>") && !strstr(text, "<i>"), "%s: raw markup", pages[i]);
		TF_CHECK(!strstr(text, "\xE2\x80\xAE"), "%s: a bidi override", pages[i]);
		TF_CHECK(!strstr(text, "\xFF"), "%s: a byte that is not UTF-8", pages[i]);
		free(text);
	}
	char *index = site_read(dir, "index.html");
	TF_CHECK(strstr(index, SITE_HOSTILE_ESCAPED), "index: no escaped suspect subject");
	TF_CHECK(strstr(index, "reverted in " SITE_HOSTILE_ESCAPED), "index: reason");
	TF_CHECK(strstr(index, "github.com/example/bitnet &lt;&amp;&gt;"), "index: repo");
	free(index);
	char *s0 = site_read(dir, pages[1]);
	TF_CHECK(strstr(s0, SITE_HOSTILE_ESCAPED), "series page: no escaped subject");
	TF_CHECK(strstr(s0, "new compiler &lt;b&gt;expected&lt;/b&gt;"), "change reason");
	free(s0);
	char *s1 = site_read(dir, pages[2]);
	TF_CHECK(strstr(s1, "k=&lt;i&gt;2560&lt;/i&gt; &amp; n=&quot;6912&quot;"), "params");
	TF_CHECK(strstr(s1, "bidi \xEF\xBF\xBD"
			    "evil\xEF\xBF\xBD and a bad byte \xEF\xBF\xBD"),
		 "bidi controls and bad bytes not replaced");
	free(s1);
	TF_CHECK(bg_fs_rmtree(dir) == 0, "rm");
	free(dir);
	site_fixture_free(&f);
}

TF_TEST(site__pages_are_local_html5)
{
	struct site_fixture f;
	site_fixture_make(&f);
	struct bg_site_opts o = {.gnuplot = site_gnuplot()};
	char *dir = render(&f, &o, NULL, "site-xml");
	struct link_check idx = check_page(dir, "index.html", SITE_COMMIT_PREFIX);
	TF_CHECK_EQ(idx.imgs, 3); /* a thumbnail per series with data */
	TF_CHECK(idx.commit_links >= 6, "commit links on the index: %zu", idx.commit_links);
	TF_CHECK(idx.local_links >= 2 * SITE_N_SERIES, "series links: %zu", idx.local_links);
	for (size_t i = 1; i < N_PAGES; i++) {
		struct link_check lc = check_page(dir, pages[i], SITE_COMMIT_PREFIX);
		TF_CHECK(lc.local_links >= 1, "%s: no way back to the index", pages[i]);
	}
	/* every run has its commit linked: 40 runs, plus the facts, changes and regressions */
	char *s0 = site_read(dir, pages[1]);
	TF_CHECK(count(s0, "<tr id=\"run-") == 40, "runs table");
	char link[128];
	snprintf(link, sizeof(link), "href=\"" SITE_COMMIT_PREFIX "%s\"", f.shas[39]);
	TF_CHECK(strstr(s0, link), "no link to the newest commit");
	TF_CHECK(strstr(s0, "<tr id=\"run-25\" class=\"cp\">"), "the change point's run");
	free(s0);
	TF_CHECK(bg_fs_rmtree(dir) == 0, "rm");
	free(dir);
	site_fixture_free(&f);
}

/* Notes instead of plots, and the pages still complete and valid. */
static void check_notes(const char *dir, const char *note)
{
	for (size_t i = 0; i < N_PAGES; i++) {
		char *text = site_read(dir, pages[i]);
		TF_CHECK(!strstr(text, "<img"), "%s: an image without a plot", pages[i]);
		if (i != 4) /* the empty series has nothing to plot anyway */
			TF_CHECK(strstr(text, note), "%s: no note '%s'", pages[i], note);
		free(text);
		check_page(dir, pages[i], SITE_COMMIT_PREFIX);
	}
	for (size_t i = 0; i < N_PLOTS; i++)
		TF_CHECK(!site_exists(dir, plots[i]), "%s exists", plots[i]);
	check_no_leftovers(dir);
}

TF_TEST(site__missing_gnuplot_leaves_notes)
{
	struct site_fixture f;
	site_fixture_make(&f);
	const char *const missing[] = {"/nonexistent/bin/gnuplot", "bitgate-no-such-gnuplot"};
	for (size_t k = 0; k < 2; k++) {
		struct bg_site_opts o = {.gnuplot = missing[k]};
		struct bg_site_stats st;
		char *dir = render(&f, &o, &st, "site-nognuplot");
		TF_CHECK(st.gnuplot_missing && !st.gnuplot_failed, "%s: flags", missing[k]);
		TF_CHECK_EQ(st.pages, N_PAGES);
		TF_CHECK_EQ(st.plots, 0);
		TF_CHECK_EQ(st.plots_missing, N_PLOTS);
		TF_CHECK(strstr(st.plot_error, missing[k]), "error names the program: %s",
			 st.plot_error);
		check_notes(dir, "plot not rendered: gnuplot not found");
		TF_CHECK(bg_fs_rmtree(dir) == 0, "rm");
		free(dir);
	}
	site_fixture_free(&f);
}

TF_TEST(site__failing_gnuplot_leaves_notes)
{
	struct site_fixture f;
	site_fixture_make(&f);
	struct bg_site_opts o = {.gnuplot = "false"}; /* runs, writes nothing, exits 1 */
	struct bg_site_stats st;
	char *dir = render(&f, &o, &st, "site-badgnuplot");
	TF_CHECK(st.gnuplot_failed && !st.gnuplot_missing, "flags");
	TF_CHECK(strstr(st.plot_error, "exit status 1"), "error: %s", st.plot_error);
	TF_CHECK_EQ(st.plots_missing, N_PLOTS);
	check_notes(dir, "plot not rendered: gnuplot failed (exit status 1)");
	TF_CHECK(bg_fs_rmtree(dir) == 0, "rm");
	free(dir);
	site_fixture_free(&f);
}

TF_TEST(site__gnuplot_timeout_leaves_notes)
{
	struct site_fixture f;
	site_fixture_make(&f);
	char *slow = tf_tmpfile("site-slow-gnuplot");
	const char script[] = "#!/bin/sh\nexec sleep 60\n";
	TF_CHECK(bg_fs_write(slow, script, sizeof(script) - 1) == 0, "%s", bg_error_last());
	TF_CHECK(chmod(slow, 0755) == 0, "chmod %s", slow);
	struct bg_site_opts o = {.gnuplot = slow, .timeout_s = 0.5};
	struct bg_site_stats st;
	char *dir = render(&f, &o, &st, "site-slow");
	TF_CHECK(st.gnuplot_failed && strstr(st.plot_error, "timed out"), "%s", st.plot_error);
	TF_CHECK(st.plot_seconds < 30, "gnuplot was not stopped: %g s", st.plot_seconds);
	check_notes(dir, "plot not rendered: gnuplot failed (timed out after");
	TF_CHECK(bg_fs_rmtree(dir) == 0, "rm");
	unlink(slow);
	free(slow);
	free(dir);
	site_fixture_free(&f);
}

TF_TEST(site__refuses_unsafe_commit_urls)
{
	static const char *const bad[] = {
		"javascript:alert(1)//{sha}",
		"JaVaScRiPt:alert(document.cookie)/{sha}",
		"data:text/html,<script>alert(1)</script>{sha}",
		"//evil.example/{sha}",
		"https:///{sha}",
		"ftp://example.com/{sha}",
		"https://example.com/{sha}\"><script>alert(1)</script>",
		"https://example.com/{sha} onmouseover=alert(1)",
		"https://example.com/commit/", /* no {sha} */
		" https://example.com/{sha}",
	};
	struct site_fixture f;
	site_fixture_make(&f);
	struct bg_site_opts o = {.gnuplot = "/nonexistent/gnuplot"};
	for (size_t k = 0; k < sizeof(bad) / sizeof(*bad); k++) {
		f.site.commit_url = bad[k];
		char *dir = render(&f, &o, NULL, "site-url");
		for (size_t i = 0; i < N_PAGES; i++) {
			char *text = site_read(dir, pages[i]);
			TF_CHECK(!strstr(text, "javascript:") && !strstr(text, "JaVaScRiPt") &&
					 !strstr(text, "data:") && !strstr(text, "evil.example") &&
					 !strstr(text, "example.com"),
				 "%s: template %s leaked", pages[i], bad[k]);
			free(text);
			struct link_check lc = check_page(dir, pages[i], NULL);
			TF_CHECK_EQ(lc.commit_links, 0);
		}
		char *index = site_read(dir, "index.html");
		TF_CHECK(strstr(index, "commits are not linked: commit_url"), "no word why: %s",
			 bad[k]);
		free(index);
		TF_CHECK(bg_fs_rmtree(dir) == 0, "rm");
		free(dir);
	}
	/* no template: no links and nothing to explain */
	f.site.commit_url = NULL;
	char *dir = render(&f, &o, NULL, "site-url");
	char *index = site_read(dir, "index.html");
	TF_CHECK(!strstr(index, "commits are not linked") && !strstr(index, "https://"), "links");
	free(index);
	TF_CHECK(bg_fs_rmtree(dir) == 0, "rm");
	free(dir);
	site_fixture_free(&f);
}

TF_TEST(site__commit_links_are_escaped)
{
	struct site_fixture f;
	site_fixture_make(&f);
	f.site.commit_url = "HTTPS://git.example/c?repo=a&id={sha}&again={sha}";
	/* a SHA that is not hex is shown but never put in a URL */
	f.points[0][3].sha = "zz\"><b>not-a-sha";
	struct bg_site_opts o = {.gnuplot = "/nonexistent/gnuplot"};
	char *dir = render(&f, &o, NULL, "site-links");
	char *s0 = site_read(dir, pages[1]);
	char want[256];
	snprintf(want, sizeof(want), "href=\"HTTPS://git.example/c?repo=a&amp;id=%s&amp;again=%s\"",
		 f.shas[39], f.shas[39]);
	TF_CHECK(strstr(s0, want), "no escaped link %s", want);
	TF_CHECK(strstr(s0,
			"<code title=\"zz&quot;&gt;&lt;b&gt;not-a-sha\">zz&quot;&gt;&lt;b&gt;not-"),
		 "the odd SHA is not shown escaped");
	TF_CHECK(!strstr(s0, "id=zz"), "a non-hex SHA in a URL");
	free(s0);
	xmlDoc *doc = NULL;
	char *index = site_read(dir, "index.html");
	doc = parse_xml(index, "index.html");
	xmlFreeDoc(doc);
	free(index);
	TF_CHECK(bg_fs_rmtree(dir) == 0, "rm");
	free(dir);
	site_fixture_free(&f);
}

/* An SVG file: well-formed XML with an <svg> root, nothing fetched from elsewhere. */
static void check_svg(const char *dir, const char *rel)
{
	char *text = site_read(dir, rel);
	xmlDoc *doc = parse_xml(text, rel);
	xmlNode *root = xmlDocGetRootElement(doc);
	TF_CHECK(root && !strcmp((const char *)root->name, "svg"), "%s: root is not <svg>", rel);
	TF_CHECK(!strstr(text, "href=\"http") && !strstr(text, "href='http") &&
			 !strstr(text, "<script"),
		 "%s: an external reference or a script", rel);
	xmlFreeDoc(doc);
	free(text);
}

static void check_png(const char *dir, const char *rel)
{
	char *text = site_read(dir, rel);
	TF_CHECK(!memcmp(text, "\x89PNG\r\n\x1a\n", 8), "%s: not a PNG", rel);
	free(text);
}

TF_TEST(site__svg_plots_are_well_formed)
{
	struct site_fixture f;
	site_fixture_make(&f);
	struct bg_site_opts o = {.gnuplot = site_gnuplot(), .png = 1};
	struct bg_site_stats st;
	char *dir = render(&f, &o, &st, "site-svg");
	TF_CHECK_EQ(st.plots, N_PLOTS);
	for (size_t i = 0; i < N_PLOTS; i++) {
		check_svg(dir, plots[i]);
		char png[256];
		snprintf(png, sizeof(png), "%.*s.png", (int)(strlen(plots[i]) - 4), plots[i]);
		check_png(dir, png);
	}
	/* the large plot has its samples, median, change points and commit tics */
	char *svg = site_read(dir, plots[0]);
	char tic[32];
	snprintf(tic, sizeof(tic), "%.7s 2026-11-0", f.shas[0]);
	TF_CHECK(strstr(svg, tic), "no commit tic label '%s'", tic);
	TF_CHECK(strstr(svg, "+7.2%") && strstr(svg, "-3.1%"), "no change point labels");
	TF_CHECK(strstr(svg, "change: acknowledged") && strstr(svg, "change: detected"), "key");
	TF_CHECK(strstr(svg, "ns per iteration"), "no unit");
	free(svg);
	svg = site_read(dir, "plots/quant-ref-4096.svg");
	TF_CHECK(strstr(svg, "ns per op's ''run'' &lt;&amp;"), "quotes or markup in a unit");
	free(svg);
	char *s0 = site_read(dir, pages[1]);
	TF_CHECK(strstr(s0, "../plots/matmul-avx2-256x256x256-default.png\">PNG</a>"), "PNG link");
	free(s0);
	check_no_leftovers(dir);
	TF_CHECK(bg_fs_rmtree(dir) == 0, "rm");
	free(dir);
	site_fixture_free(&f);
}

TF_TEST(site__thins_commit_tics)
{
	struct site_fixture f;
	site_fixture_make(&f);
	site_fixture_big_series(&f, 0, "big", 1000, 4);
	f.site.n_regressions = 0; /* they point at the series replaced */
	struct bg_site_opts o = {.gnuplot = site_gnuplot()};
	struct bg_site_stats st;
	char *dir = render(&f, &o, &st, "site-thin");
	char *svg = site_read(dir, "plots/big.svg");
	size_t tics = 0;
	for (size_t i = 0; i < 1000; i++) {
		char tic[32];
		snprintf(tic, sizeof(tic), ">%.7s 2026", f.shas[i]);
		tics += strstr(svg, tic) != NULL;
	}
	TF_CHECK(tics >= 20 && tics <= 40, "%zu commit tics on a 1000-commit plot", tics);
	free(svg);
	check_svg(dir, "plots/big.thumb.svg");
	char *page = site_read(dir, "series/big.html");
	/* the newest 50 runs on the page, every run in the CSV (site__merges_dense_plots) */
	TF_CHECK_EQ(count(page, "<tr id=\"run-"), 50);
	TF_CHECK(strstr(page, "<tr id=\"run-950\"") && !strstr(page, "<tr id=\"run-949\""),
		 "the table's oldest run");
	free(page);
	TF_CHECK(bg_fs_rmtree(dir) == 0, "rm");
	free(dir);
	site_fixture_free(&f);
}

/* The CSV's lines (after the header), each with the number of its fields (quotes
 * respected) and ending in CRLF; *samples: the samples of every line (its last field,
 * values separated by spaces). */
static size_t csv_lines(const char *csv, size_t fields, size_t *samples)
{
	const char head[] = "commit,date,run,round,samples\r\n";
	TF_CHECK(!strncmp(csv, head, strlen(head)), "CSV header");
	size_t lines = 0, f = 1;
	int quoted = 0;
	*samples = 0;
	for (const char *p = csv + strlen(head); *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == ',')
			f++;
		else if (!quoted && *p == ' ' && f == fields)
			++*samples;
		else if (!quoted && *p == '\n') {
			TF_CHECK(p[-1] == '\r', "line %zu: no CRLF", lines + 1);
			TF_CHECK_EQ(f, fields);
			TF_CHECK(p[-2] != ',' && p[-2] != ' ', "line %zu: an empty sample",
				 lines + 1);
			lines++, f = 1, ++*samples;
		}
	}
	return lines;
}

/* The samples beyond the whiskers of a merged plot: round dots (lines of a tenth of a pixel
 * or two, or none) in one path. */
static void check_dots(const char *svg)
{
	const char *dots = strstr(svg, "stroke-width=\"3.40\" stroke-linecap=\"round\"");
	const char *d = dots ? strstr(dots, " d='") : NULL, *d_end = d ? strchr(d + 4, '\'') : NULL;
	TF_CHECK(d_end, "no path of dots");
	size_t moves = 0, tiny = 0;
	for (const char *p = d + 4; p < d_end; p++) {
		moves += *p == 'M' || *p == 'm';
		tiny += *p == 'v' &&
			(!strncmp(p, "v-.1", 4) || !strncmp(p, "v-.2", 4) || !strncmp(p, "v0", 2));
	}
	TF_CHECK(moves >= 1 && tiny == moves && moves < 400, "%zu dots, %zu of them tiny", moves,
		 tiny);
}

/* The merged series' samples file (site__merges_dense_plots): a row per commit, commit 6's
 * per run and round, a hostile date quoted, every value exact and in order. */
static void check_merged_csv(const char *dir, const struct site_fixture *f, const long long *runs,
			     const int *rounds)
{
	TF_CHECK(!site_exists(dir, "series/big.csv"), "an uncompressed CSV beside the gzip one");
	char *csv = site_read_gz(dir, "series/big.csv.gz");
	/* one row per commit (its 4 samples), but commit 6's in one row per run and round */
	size_t samples;
	TF_CHECK_EQ(csv_lines(csv, 5, &samples), 1000 + 3);
	TF_CHECK_EQ(samples, 4000);
	char want[160];
	snprintf(want, sizeof(want), "%.12s,\"'=cmd|' /C calc'!A0, \"\"quoted\"\"\r\nnext\",,,",
		 f->shas[5]);
	TF_CHECK(strstr(csv, want), "a hostile date not quoted as RFC 4180 says");
	/* values read back exactly, each row's in their order */
	for (size_t k = 0; k < 4; k++) {
		snprintf(want, sizeof(want), "\r\n%.12s,%s,%lld,%d,", f->shas[6],
			 f->points[0][6].date, runs[k], rounds[k]);
		const char *v = strstr(csv, want);
		TF_CHECK(v, "no row for run %lld round %d", runs[k], rounds[k]);
		char *end;
		TF_CHECK(strtod(v + strlen(want), &end) == f->points[0][6].samples[k] &&
				 *end == '\r',
			 "sample %zu not exact, or not alone in its row", k);
	}
	snprintf(want, sizeof(want), "\r\n%.12s,%s,,,", f->shas[7], f->points[0][7].date);
	const char *v = strstr(csv, want);
	TF_CHECK(v, "commit 7's row");
	v += strlen(want);
	for (size_t k = 0; k < 4; k++) {
		char *end;
		TF_CHECK(strtod(v, &end) == f->points[0][7].samples[k], "sample %zu of commit 7",
			 k);
		TF_CHECK(*end == (k < 3 ? ' ' : '\r'), "separator after sample %zu", k);
		v = end + 1;
	}
	free(csv);
}

TF_TEST(site__merges_dense_plots)
{
	struct site_fixture f;
	site_fixture_make(&f);
	site_fixture_big_series(&f, 0, "big", 1000, 4);
	f.site.n_regressions = 0;
	/* an old change point keeps its run in the table; hostile text in the CSV */
	const struct bg_site_change ch = {100, 0.05, 0.04, 0.06, "detected", NULL};
	f.series[0].changes = &ch;
	f.series[0].n_changes = 1;
	f.points[0][5].date = "=cmd|' /C calc'!A0, \"quoted\"\r\nnext";
	const long long runs[4] = {17, 17, 18, 18};
	const int rounds[4] = {0, 1, 0, 1};
	f.points[0][6].runs = runs;
	f.points[0][6].rounds = rounds;
	/* commit 500, alone on its pixel column: one sample beyond its whiskers, in range */
	double *s500 = f.samples[0] + 500 * 4;
	for (size_t k = 0; k < 4; k++)
		s500[k] = f.points[0][500].median * (k < 3 ? 1 : 1.025);
	struct bg_site_opts o = {.gnuplot = site_gnuplot()};
	struct bg_site_stats st;
	char *dir = render(&f, &o, &st, "site-merge");
	TF_CHECK(!st.gnuplot_failed, "gnuplot failed: %s", st.plot_error);
	char *svg = site_read(dir, "plots/big.svg");
	/* 4,000 samples: unmerged, one <use> each; merged, one per sample beyond a whisker */
	TF_CHECK(count(svg, "<use") < 400, "%zu points drawn", count(svg, "<use"));
	TF_CHECK(strstr(svg, "quartiles") && strstr(svg, "samples (whiskers per column)"), "key");
	check_dots(svg);
	TF_CHECK(strstr(svg, "samples beyond the whiskers"), "the dots' key");
	free(svg);
	check_svg(dir, "plots/big.svg");
	/* the thumbnail's 1,000 medians: at most two (lowest, highest) per column of 290 */
	check_svg(dir, "plots/big.thumb.svg");
	svg = site_read(dir, "plots/big.thumb.svg");
	size_t vertices = path_lines(svg);
	TF_CHECK(vertices > 100 && vertices <= 2 * 290, "%zu vertices on the thumbnail", vertices);
	free(svg);
	char *page = site_read(dir, "series/big.html");
	TF_CHECK(strstr(page, "samples of the commits on one column are merged"), "caption");
	TF_CHECK(strstr(page, "<a href=\"big.csv.gz\">big.csv.gz</a> (a gzip-compressed CSV"),
		 "no link to the CSV");
	TF_CHECK(strstr(page, "950 older ones are only in the CSV"),
		 "the table says what it omits");
	TF_CHECK_EQ(count(page, "<tr id=\"run-"), 51);
	TF_CHECK(strstr(page, "<tr id=\"run-100\" class=\"cp\""), "the change point's run");
	free(page);
	check_merged_csv(dir, &f, runs, rounds);
	/* a small series keeps one dot per sample */
	svg = site_read(dir, "plots/gemv-avx2-2560x6912.svg");
	TF_CHECK(!strstr(svg, "quartiles"), "a series of 600 samples merged");
	free(svg);
	TF_CHECK(bg_fs_rmtree(dir) == 0, "rm");
	free(dir);
	site_fixture_free(&f);
}

/* A series' CSV gives each commit's first 12 hex digits, or every commit whole when two of
 * them share those. */
TF_TEST(site__samples_file_abbreviates_commits)
{
	struct site_fixture f;
	site_fixture_make(&f);
	struct bg_site_opts o = {.gnuplot = "/nonexistent/gnuplot"};
	char rel[300], want[64];
	snprintf(rel, sizeof(rel), "series/%s.csv.gz", f.series[0].key);
	TF_CHECK(f.series[0].n_points > 2, "the series has %zu commits", f.series[0].n_points);
	char *dir = render(&f, &o, NULL, "site-abbrev");
	char *csv = site_read_gz(dir, rel);
	for (size_t i = 0; i < 2; i++) {
		snprintf(want, sizeof(want), "\r\n%.12s,", f.shas[i]);
		TF_CHECK(strstr(csv, want), "commit %zu abbreviated", i);
		TF_CHECK(!strstr(csv, f.shas[i]), "commit %zu whole", i);
	}
	free(csv);
	TF_CHECK(bg_fs_rmtree(dir) == 0, "rm");
	free(dir);

	memcpy(f.shas[1], f.shas[0], 12); /* one abbreviation, two commits */
	dir = render(&f, &o, NULL, "site-abbrev-clash");
	csv = site_read_gz(dir, rel);
	for (size_t i = 0; i < 3; i++) {
		snprintf(want, sizeof(want), "\r\n%s,", f.shas[i]);
		TF_CHECK(strstr(csv, want), "commit %zu not whole", i);
	}
	free(csv);
	TF_CHECK(bg_fs_rmtree(dir) == 0, "rm");
	free(dir);
	site_fixture_free(&f);
}

/* gnuplot's SVG made smaller: paths of moves and lines to a tenth of a pixel, relative, h
 * and v where straight, a line of no length kept (a dot); empty groups and definitions
 * nothing refers to out; everything else as it came. */
TF_TEST(site__svg_compaction)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"<path d='M89.00,307.83 L896.99,307.83  '/>", "<path d='M89 307.8h808'/>"},
		{"<path stroke='x'  d='M0.04,0.06 L-0.5,2.01 M10,10 L10,10.04 L12.26,10'/>",
		 "<path stroke='x'  d='M0 .1l-.5 1.9m10.5 8v0h2.3'/>"},
		{"<path d=\"M1,2 L3,4\"/>", "<path d=\"M1 2l2 2\"/>"},
		/* anything but plain moves and lines, as it came */
		{"<path d='M1,1 L2,2 Z'/>", "<path d='M1,1 L2,2 Z'/>"},
		{"<path d='L1,1'/><path d='M1e400,1'/>", "<path d='L1,1'/><path d='M1e400,1'/>"},
		{"<use xlink:href='#gpPt6' transform='translate(1.23,4.56)'/>",
		 "<use xlink:href='#gpPt6' transform='translate(1.23,4.56)'/>"},
		{"<text> d='M1,2 L3,4'</text><!-- <g a='1'>\n</g> d='M1,2' -->",
		 "<text> d='M1,2 L3,4'</text><!-- <g a='1'>\n</g> d='M1,2' -->"},
		{"<g title='a>b' d='M1,2'>x</g>", "<g title='a>b' d='M1 2'>x</g>"},
		/* groups: an empty one goes with its line break; one with an id or content stays */
		{"<g fill=\"none\" color=\"black\">\n</g>\n<g id=\"k\">\n</g>\n<g a=\"1\"><path "
		 "d='M1,1 L1,3'/></g>",
		 "<g id=\"k\">\n</g>\n<g a=\"1\"><path d='M1 1v2'/></g>"},
		{"<g fill='none'/><path d='M5,5 L6,5", "<g fill='none'/><path d='M5,5 L6,5"},
		/* definitions: those nothing refers to go, one referred to only by them too */
		{"<defs>\n\t<circle id='a' r='1'/>\n\t<use xlink:href='#a' id='b'/>\n\t<path "
		 "id='c' d='M0,0 L1,1'/>\n\t<filter id='f' x='0'>\n\t  <feFlood/>\n\t</filter>\n"
		 "\t<g>x</g>\n</defs>\n<use xlink:href='#c'/><text filter='url(#f)'>t</text>",
		 "<defs>\t<path id='c' d='M0 0l1 1'/>\n\t<filter id='f' x='0'>\n\t  "
		 "<feFlood/>\n\t</filter>\n\t<g>x</g>\n</defs>\n<use xlink:href='#c'/><text "
		 "filter='url(#f)'>t</text>"},
		{"<defs><x id='a'/><y id='b'/></defs><use href=\"#b\"/>",
		 "<defs><y id='b'/></defs><use href=\"#b\"/>"},
	};
	struct bg_buf out = BG_BUF_INIT;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TF_CHECK(site_svg_compact(&out, cases[i].in, strlen(cases[i].in)) == 0, "case %zu",
			 i);
		TF_CHECK(out.len == strlen(cases[i].out) && !strcmp(out.ptr, cases[i].out),
			 "case %zu:\n%s\nwant\n%s", i, out.ptr, cases[i].out);
	}
	bg_buf_free(&out);
}

TF_TEST(site__direction_of_each_metric)
{
	struct site_fixture f;
	site_fixture_make(&f);
	struct bg_site_opts o = {.gnuplot = "/nonexistent/gnuplot"};
	char *dir = render(&f, &o, NULL, "site-dir-time");
	char *page = site_read(dir, pages[1]);
	TF_CHECK(strstr(page, "<dt>Direction</dt><dd>lower is better (a rise is a regression)"),
		 "a time's direction");
	TF_CHECK(strstr(page, "<span class=\"up\">+7.2%</span>") &&
			 strstr(page, "<span class=\"down\">-3.1%</span>"),
		 "a time: the rise marked worse");
	free(page);
	bg_fs_rmtree(dir);
	free(dir);
	/* the same series as a throughput: the drop is the bad one */
	f.series[0].higher_is_better = 1;
	dir = render(&f, &o, NULL, "site-dir-rate");
	page = site_read(dir, pages[1]);
	TF_CHECK(strstr(page, "<dt>Direction</dt><dd>higher is better (a drop is a regression)"),
		 "a throughput's direction");
	TF_CHECK(strstr(page, "<span class=\"down\">+7.2%</span>") &&
			 strstr(page, "<span class=\"up\">-3.1%</span>"),
		 "a throughput: the drop marked worse");
	free(page);
	char *index = site_read(dir, "index.html");
	TF_CHECK(strstr(index, "higher is better") && strstr(index, "lower is better"),
		 "the index names each series' direction");
	free(index);
	bg_fs_rmtree(dir);
	free(dir);
	site_fixture_free(&f);
}

TF_TEST(site__test_suite_pass_rates)
{
	struct site_fixture f;
	site_fixture_make(&f);
	/* 500 commits: all pass but commit 300 (2 of 50 fail) and commit 420 (all skipped) */
	struct bg_site_suite_point *pts = calloc(500, sizeof(*pts));
	for (size_t k = 0; k < 500; k++)
		pts[k] = (struct bg_site_suite_point){f.shas[k], "2026-11-02", 50, 0, 1};
	pts[300].passed = 48, pts[300].failed = 2;
	pts[420] = (struct bg_site_suite_point){f.shas[420], NULL, 0, 0, 51};
	const struct bg_site_suite_point one = {f.shas[1], NULL, 199, 1, 0};
	const struct bg_site_suite suites[] = {
		{"unit <&>", pts, 500},
		{"kernels", &one, 1},
	};
	f.site.suites = suites;
	f.site.n_suites = 2;
	struct bg_site_opts o = {.gnuplot = "/nonexistent/gnuplot"};
	char *dir = render(&f, &o, NULL, "site-suites");
	check_page(dir, "index.html", SITE_COMMIT_PREFIX);
	char *index = site_read(dir, "index.html");
	const char *sec = strstr(index, "<section id=\"tests\">");
	TF_CHECK(sec, "no test suites section");
	TF_CHECK(strstr(sec, "unit &lt;&amp;&gt;") && strstr(sec, "500 commits"), "suite name");
	const char *lowest = strstr(sec, "96.0%</span> (48 of 50)<br/>");
	TF_CHECK(lowest, "the lowest rate");
	char want[160];
	snprintf(want, sizeof(want), "<code title=\"%s\">", f.shas[300]);
	TF_CHECK(strstr(lowest, want) && strstr(lowest, want) < strstr(lowest, "</td>"),
		 "the lowest rate's commit");
	TF_CHECK(strstr(sec, "100.0%</span> (50 of 50)"), "the latest rate");
	/* 199 of 200 rounds to 99.5%, never to 100% */
	TF_CHECK(strstr(sec, "99.5%</span> (199 of 200)"), "a single commit's rate");
	TF_CHECK(strstr(sec, "<td class=\"num\">1</td></tr>"), "commits with a failure");
	/* the strip: 240 columns for 500 commits, less the all-skipped commit's column */
	const char *pl = strstr(sec, "points=\"");
	TF_CHECK(pl, "no strip");
	size_t pts_drawn = 1;
	for (const char *q = pl + 8; *q != '"'; q++)
		pts_drawn += *q == ' ';
	TF_CHECK(pts_drawn == 239 || pts_drawn == 240, "%zu points on the strip", pts_drawn);
	free(index);
	TF_CHECK(bg_fs_rmtree(dir) == 0, "rm");
	free(dir);

	pts[7].failed = -1;
	dir = tf_tmpdir("site-suites-bad");
	TF_CHECK(bg_site_write(&f.site, dir, &o, NULL) == BG_EINPUT, "a negative count taken");
	TF_CHECK(strstr(bg_error_last(), "unit <&>") && strstr(bg_error_last(), "commit 7"), "%s",
		 bg_error_last());
	bg_fs_rmtree(dir);
	free(dir);
	free(pts);
	site_fixture_free(&f);
}

TF_TEST(site__odd_values_still_plot)
{
	/* values gnuplot could choke on: huge, tiny, negative, infinite, all equal; samples
	 * without medians. One bad plot would stop the whole gnuplot run. */
	static const double huge[] = {1e308, -1e308, 0, 5e-324, INFINITY, NAN};
	static const double same[] = {7, 7, 7};
	struct bg_site_point pts[4] = {
		{"aaaaaaa1", "2026-11-01", "huge", huge, 6, 1e308, NULL, NULL},
		{"aaaaaaa2", "2026-11-02", "huge", huge, 6, -1e308, NULL, NULL},
		{"aaaaaaa3", NULL, NULL, same, 3, NAN, NULL, NULL},
		{"aaaaaaa4", "'`x`'", "", same, 3, 7, NULL, NULL},
	};
	struct bg_site_point flat[3] = {
		{"bbbbbbb1", "2026-11-01", "same", same, 3, 7, NULL, NULL},
		{"bbbbbbb2", "2026-11-02", "same", same, 3, 7, NULL, NULL},
		{"bbbbbbb3", "2026-11-03", "same", same, 3, 7, NULL, NULL},
	};
	struct bg_site_point no_median[2] = {
		{"ccccccc1", "2026-11-01", "x", same, 3, NAN, NULL, NULL},
		{"ccccccc2", "2026-11-02", "x", same, 3, NAN, NULL, NULL},
	};
	const struct bg_site_change ch = {2, NAN, NAN, NAN, "weird-state", NULL};
	const struct bg_site_series series[] = {
		{.key = "huge",
		 .benchmark = "huge",
		 .points = pts,
		 .n_points = 4,
		 .changes = &ch,
		 .n_changes = 1},
		{.key = "flat", .benchmark = "flat", .points = flat, .n_points = 3},
		{.key = "no-median", .benchmark = "no-median", .points = no_median, .n_points = 2},
	};
	const struct bg_site site = {.series = series, .n_series = 3};
	struct bg_site_opts o = {.gnuplot = site_gnuplot()};
	struct bg_site_stats st;
	char *dir = tf_tmpdir("site-odd");
	TF_CHECK(bg_site_write(&site, dir, &o, &st) == 0, "%s", bg_error_last());
	TF_CHECK(!st.gnuplot_failed, "gnuplot failed: %s", st.plot_error);
	TF_CHECK_EQ(st.plots, 5); /* no thumbnail without medians */
	check_svg(dir, "plots/huge.svg");
	check_svg(dir, "plots/flat.thumb.svg");
	check_svg(dir, "plots/no-median.svg");
	check_page(dir, "index.html", NULL);
	char *index = site_read(dir, "index.html");
	TF_CHECK(strstr(index, "<title>bitgate dashboard</title>"), "default title");
	free(index);
	TF_CHECK(bg_fs_rmtree(dir) == 0, "rm");
	free(dir);
}

TF_TEST(site__rejects_malformed_input)
{
	struct site_fixture f;
	site_fixture_make(&f);
	struct bg_site_opts o = {.gnuplot = "/nonexistent/gnuplot"};
	char *dir = tf_tmpdir("site-bad");
	struct bg_site_stats st;

	f.series[2].key = "../../etc/passwd";
	TF_CHECK_EQ(bg_site_write(&f.site, dir, &o, &st), BG_EINPUT);
	TF_CHECK(strstr(bg_error_last(), "../../etc/passwd") && strstr(bg_error_last(), "key"),
		 "message: %s", bg_error_last());
	f.series[2].key = "";
	TF_CHECK_EQ(bg_site_write(&f.site, dir, &o, &st), BG_EINPUT);
	f.series[2].key = "Upper";
	TF_CHECK_EQ(bg_site_write(&f.site, dir, &o, &st), BG_EINPUT);
	f.series[2].key = f.series[0].key;
	TF_CHECK_EQ(bg_site_write(&f.site, dir, &o, &st), BG_EINPUT);
	TF_CHECK(strstr(bg_error_last(), "two series"), "message: %s", bg_error_last());
	f.series[2].key = "quant-ref-4096";

	f.changes[1].index = 40; /* one past the last point */
	TF_CHECK_EQ(bg_site_write(&f.site, dir, &o, &st), BG_EINPUT);
	TF_CHECK(strstr(bg_error_last(), "change 1") && strstr(bg_error_last(), "matmul"),
		 "message: %s", bg_error_last());
	f.changes[1].index = 0;
	TF_CHECK_EQ(bg_site_write(&f.site, dir, &o, &st), BG_EINPUT);
	f.changes[1].index = 25;

	f.points[1][3].samples = NULL;
	TF_CHECK_EQ(bg_site_write(&f.site, dir, &o, &st), BG_EINPUT);
	TF_CHECK(!site_exists(dir, "index.html"), "wrote a page from malformed input");
	TF_CHECK_EQ(st.pages, 0);
	TF_CHECK(bg_fs_rmtree(dir) == 0, "rm");
	free(dir);
	site_fixture_free(&f);
}

TF_TEST(site__unwritable_directory_names_the_path)
{
	struct site_fixture f;
	site_fixture_make(&f);
	char *file = tf_tmpfile("site-file");
	struct bg_buf dir = BG_BUF_INIT;
	TF_CHECK(bg_path_join(&dir, file, "site") == 0, "oom");
	int rc = bg_site_write(&f.site, dir.ptr, NULL, NULL);
	TF_CHECK_EQ(rc, BG_EINFRA);
	TF_CHECK(strstr(bg_error_last(), file), "message does not name the path: %s",
		 bg_error_last());
	bg_buf_free(&dir);
	unlink(file);
	free(file);
	site_fixture_free(&f);
}

TF_TEST(site__compare_chart)
{
	double base[3][12], head[3][12];
	tf_seed(7);
	for (size_t i = 0; i < 12; i++) {
		base[0][i] = 40000 * (1 + (double)(tf_rand() % 100) / 5000.0);
		head[0][i] = 43000 * (1 + (double)(tf_rand() % 100) / 5000.0);
		base[1][i] = 2.1e9 * (1 + (double)(tf_rand() % 100) / 2000.0);
		head[1][i] = 2.0e9 * (1 + (double)(tf_rand() % 100) / 2000.0);
		head[2][i] = 812 + (double)i;
	}
	base[0][3] = NAN;
	head[0][4] = 400000; /* an outlier beyond the whiskers */
	const struct bg_plot_cmp_item items[] = {
		{"matmul/avx2/256x256x256", base[0], 12, head[0], 12},
		{"e2e `touch PWNED` @foo 'q' <b>&amp;\" \xFF", base[1], 12, head[1], 12},
		{"gemv/avx2/new", NULL, 0, head[2], 12},
		{"skipped/cuda", NULL, 0, NULL, 0},
	};
	const struct bg_plot_cmp c = {"base 5f3c2a1", "head 'it''s' <b>&amp; 9a8b7c6", items, 4};
	char *dir = tf_tmpdir("site-compare");
	struct bg_buf path = BG_BUF_INIT;
	TF_CHECK(bg_path_join(&path, dir, "ci chart's.svg") == 0, "oom");
	struct bg_site_opts o = {.gnuplot = site_gnuplot(), .png = 1};
	struct bg_site_stats st;
	int rc = bg_plot_compare(&c, path.ptr, &o, &st);
	TF_CHECK(rc == 0, "%s", bg_error_last());
	TF_CHECK(st.plots == 1 && !st.plots_missing && !st.gnuplot_failed, "%s", st.plot_error);
	check_svg(dir, "ci chart's.svg");
	check_png(dir, "ci chart's.png");
	TF_CHECK(!site_exists(dir, "PWNED"), "gnuplot ran a command from a benchmark name");
	char *svg = site_read(dir, "ci chart's.svg");
	TF_CHECK(strstr(svg, "matmul/avx2/256x256x256") && strstr(svg, "@foo") &&
			 strstr(svg, "head 'it''s' &lt;b>&amp;amp; 9a8b7c6"),
		 "labels missing");
	free(svg);

	/* missing gnuplot: no file, the flag, not an error */
	TF_CHECK(bg_path_join(&path, dir, "other.svg") == 0, "oom");
	o.gnuplot = "/nonexistent/gnuplot";
	TF_CHECK(bg_plot_compare(&c, path.ptr, &o, &st) == 0, "%s", bg_error_last());
	TF_CHECK(st.gnuplot_missing && st.plots == 0 && st.plots_missing == 1, "flags");
	TF_CHECK(!site_exists(dir, "other.svg"), "a chart without gnuplot");
	/* nothing to plot: no file either */
	const struct bg_plot_cmp empty = {NULL, NULL, items + 3, 1};
	o.gnuplot = site_gnuplot();
	TF_CHECK(bg_plot_compare(&empty, path.ptr, &o, &st) == 0, "%s", bg_error_last());
	TF_CHECK(st.plots == 0 && st.plots_missing == 1 && strstr(st.plot_error, "nothing"),
		 "empty chart: %s", st.plot_error);
	TF_CHECK(!site_exists(dir, "other.svg"), "an empty chart");
	check_no_leftovers(dir);
	bg_buf_free(&path);
	TF_CHECK(bg_fs_rmtree(dir) == 0, "rm");
	free(dir);
}

#define RANGE_NEAR(a, b) (fabs((a) - (b)) < 1e-9)

TF_TEST(site__plot_range_keeps_the_bulk_in_view)
{
	/* 100 samples 100..199 and one wild 1e6, medians 140..160: the range is the 1st to 99th
	 * percentile (101..199) widened by half its width where samples are (not below 100),
	 * padded by 4%: the wild sample goes to the edge instead of flattening the series */
	double v[101];
	for (int i = 0; i < 100; i++)
		v[i] = 100 + i;
	v[100] = 1e6;
	double lo, hi;
	site_plot_range(v, 101, 140, 160, &lo, &hi);
	TF_CHECK(RANGE_NEAR(lo, 100 - 0.04 * 148) && RANGE_NEAR(hi, 248 + 0.04 * 148),
		 "range [%.10g, %.10g]", lo, hi);
	/* medians outside the samples' bulk are kept in view */
	site_plot_range(v, 101, 90, 300, &lo, &hi);
	TF_CHECK(lo < 90 && hi > 300 && hi < 1e6, "range [%.10g, %.10g]", lo, hi);
}

TF_TEST(site__plot_range_of_flat_and_partial_series)
{
	double lo, hi;
	/* all equal: a band of 2% of the level around it */
	const double same[] = {7, 7, 7};
	site_plot_range(same, 3, 7, 7, &lo, &hi);
	TF_CHECK(RANGE_NEAR(lo, 6.93) && RANGE_NEAR(hi, 7.07), "flat [%.10g, %.10g]", lo, hi);
	/* all zero: a unit band */
	const double zero[] = {0, 0};
	site_plot_range(zero, 2, 0, 0, &lo, &hi);
	TF_CHECK(RANGE_NEAR(lo, -0.5) && RANGE_NEAR(hi, 0.5), "zero [%.10g, %.10g]", lo, hi);
	/* medians without samples */
	site_plot_range(NULL, 0, 5, 10, &lo, &hi);
	TF_CHECK(RANGE_NEAR(lo, 4.8) && RANGE_NEAR(hi, 10.2), "medians only [%.10g, %.10g]", lo,
		 hi);
	/* samples without medians */
	const double v[] = {1, 2, 3, 4, 5};
	site_plot_range(v, 5, NAN, NAN, &lo, &hi);
	TF_CHECK(RANGE_NEAR(lo, 0.84) && RANGE_NEAR(hi, 5.16), "samples only [%.10g, %.10g]", lo,
		 hi);
}
