/* JUnit XML test reports (ctest --output-junit, pytest, nextest, go-junit-report) read with
 * libxml2 into a bg_test_suite. Outcomes and counts come from the test cases themselves;
 * the totals a writer puts in attributes are not trusted. The parser never loads anything
 * from outside the document: no network, no external entities, no external DTD. */
#include "bg_junit.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_fs.h"

/* Messages are cut to this many bytes: enough for an assertion and a short trace. */
#define MESSAGE_MAX 4096

/* The first error libxml2 reports while parsing; warnings are not kept. */
struct xml_error {
	bool have;
	int line;
	char msg[512];
};

static void on_xml_error(void *ctx, xmlErrorPtr err)
{
	struct xml_error *e = ctx;
	if (!err || e->have || err->level < XML_ERR_ERROR)
		return;
	e->have = true;
	e->line = err->line;
	const char *m = err->message ? err->message : "malformed XML";
	size_t n = strlen(m);
	while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
		n--;
	if (n >= sizeof(e->msg))
		n = sizeof(e->msg) - 1;
	memcpy(e->msg, m, n);
	e->msg[n] = '\0';
}

/* libxml2 prints to stderr by default; our message carries the problem instead. */
static void silent(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static bool is_elem(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A trimmed copy of s cut to MESSAGE_MAX bytes on a UTF-8 boundary: its head, or its tail
 * for captured output (where the last lines say what went wrong). NULL for blank input. */
static int clip(char **out, const char *s, bool keep_tail)
{
	*out = NULL;
	if (!s)
		return 0;
	while (is_space(*s))
		s++;
	size_t n = strlen(s);
	while (n && is_space(s[n - 1]))
		n--;
	if (!n)
		return 0;
	if (n > MESSAGE_MAX) {
		if (keep_tail) {
			s += n - MESSAGE_MAX;
			n = MESSAGE_MAX;
			while (n && ((unsigned char)*s & 0xc0) == 0x80) {
				s++;
				n--;
			}
		} else {
			n = MESSAGE_MAX;
			while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
				n--;
		}
	}
	char *p = malloc(n + 1);
	if (!p)
		return bg_error_oom();
	memcpy(p, s, n);
	p[n] = '\0';
	*out = p;
	return 0;
}

/* An attribute without namespace; DTD-declared defaults are not consulted. */
static char *attr(const xmlNode *n, const char *name)
{
	return (char *)xmlGetNoNsProp(n, (const xmlChar *)name);
}

/* The message attribute when it says something, else the element's text. */
static int element_message(char **out, const xmlNode *n)
{
	char *m = attr(n, "message");
	int rc = clip(out, m, false);
	xmlFree(m);
	if (rc < 0 || *out)
		return rc;
	char *text = (char *)xmlNodeGetContent(n);
	rc = clip(out, text, false);
	xmlFree(text);
	return rc;
}

/* A new, zeroed case at the end of the suite; counted before it is filled so a failure
 * half-way is freed with the suite. */
static int new_case(struct bg_test_suite *suite, size_t *cap, struct bg_test_case **out)
{
	if (bg_grow((void **)&suite->cases, cap, suite->n, sizeof(*suite->cases), 16) < 0)
		return BG_ENOMEM;
	*out = &suite->cases[suite->n++];
	memset(*out, 0, sizeof(**out));
	return 0;
}

/* classname and time. The time is informational only, so a time a writer formats oddly
 * ("1,234.5") reads as 0 rather than rejecting the whole report. */
static int case_attrs(struct bg_test_case *tc, const xmlNode *node)
{
	int rc = 0;
	char *classname = attr(node, "classname"), *tattr = attr(node, "time");
	if (classname && classname[0] && !(tc->classname = bg_strdup(classname)))
		rc = BG_ENOMEM;
	double t;
	if (tattr && bg_parse_double(tattr, &t) == 0 && isfinite(t) && t >= 0)
		tc->time_s = t;
	xmlFree(classname);
	xmlFree(tattr);
	return rc;
}

/* The case's outcome, the element that gave it (*verdict) and its first <system-out>. The
 * first <failure> or <error> decides; <skipped> counts only when neither is there (pytest
 * writes a failed call and a teardown error on one testcase). */
static enum bg_outcome case_outcome(const xmlNode *node, const xmlNode **verdict,
				    const xmlNode **output)
{
	enum bg_outcome outcome = BG_TEST_PASSED;
	*verdict = *output = NULL;
	for (const xmlNode *c = node->children; c; c = c->next) {
		bool failed = is_elem(c, "failure"), errored = is_elem(c, "error");
		if ((failed || errored) &&
		    (outcome == BG_TEST_PASSED || outcome == BG_TEST_SKIPPED)) {
			outcome = failed ? BG_TEST_FAILED : BG_TEST_ERRORED;
			*verdict = c;
		} else if (is_elem(c, "skipped") && outcome == BG_TEST_PASSED) {
			outcome = BG_TEST_SKIPPED;
			*verdict = c;
		} else if (is_elem(c, "system-out") && !*output) {
			*output = c;
		}
	}
	/* ctest's own status attribute covers what it writes no element for (disabled). */
	char *status = attr(node, "status");
	if (outcome == BG_TEST_PASSED && status) {
		if (!strcmp(status, "fail"))
			outcome = BG_TEST_FAILED;
		else if (!strcmp(status, "notrun") || !strcmp(status, "disabled"))
			outcome = BG_TEST_SKIPPED;
	}
	xmlFree(status);
	return outcome;
}

/* The verdict element's message; for a case that did not pass without one, the end of its
 * output: ctest writes <failure message=""/> and puts what the test printed in system-out,
 * the best account of the failure there is. */
static int case_message(struct bg_test_case *tc, const xmlNode *verdict, const xmlNode *output)
{
	int rc;
	if (verdict && (rc = element_message(&tc->message, verdict)) < 0)
		return rc;
	if (tc->outcome == BG_TEST_PASSED || tc->message || !output)
		return 0;
	char *text = (char *)xmlNodeGetContent(output);
	rc = clip(&tc->message, text, true);
	xmlFree(text);
	return rc;
}

static int add_case(struct bg_test_suite *suite, size_t *cap, const xmlNode *node,
		    const char *origin)
{
	struct bg_test_case *tc = NULL;
	const xmlNode *verdict, *output;
	int rc = 0;
	char *name = attr(node, "name");
	if (!name || !name[0])
		rc = bg_error_set(BG_EINPUT, "%s:%ld: <testcase> without a name attribute", origin,
				  xmlGetLineNo(node));
	else if ((rc = new_case(suite, cap, &tc)) == 0 && !(tc->name = bg_strdup(name)))
		rc = BG_ENOMEM;
	xmlFree(name);
	if (rc < 0 || (rc = case_attrs(tc, node)) < 0)
		return rc;
	tc->outcome = case_outcome(node, &verdict, &output);
	if ((rc = case_message(tc, verdict, output)) < 0)
		return rc;
	switch (tc->outcome) {
	case BG_TEST_PASSED: suite->passed++; break;
	case BG_TEST_FAILED: suite->failed++; break;
	case BG_TEST_SKIPPED: suite->skipped++; break;
	case BG_TEST_ERRORED: suite->errored++; break;
	}
	return 0;
}

/* Walks <testsuites> and <testsuite> alike, to any depth (libxml2 bounds the depth);
 * properties, system-out and other elements between cases are not results. */
static int walk(struct bg_test_suite *suite, size_t *cap, const xmlNode *node, const char *origin)
{
	for (const xmlNode *c = node->children; c; c = c->next) {
		int rc = 0;
		if (is_elem(c, "testsuite") || is_elem(c, "testsuites"))
			rc = walk(suite, cap, c, origin);
		else if (is_elem(c, "testcase"))
			rc = add_case(suite, cap, c, origin);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int bg_junit_parse(struct bg_test_suite **out, const char *suite_name, const char *xml, size_t len,
		   const char *origin)
{
	struct bg_test_suite *suite = NULL;
	xmlDocPtr doc = NULL;
	struct xml_error err = {0};
	int rc = 0;

	*out = NULL;
	if (!origin)
		origin = "JUnit XML";
	if (len > INT_MAX)
		return bg_error_set(BG_EINPUT, "%s: too large for a test report (%zu bytes)",
				    origin, len);

	/* libxml2's handlers are per thread: set ours around the parse and put the caller's
	 * back. NOENT is left off so entities stay unexpanded and external ones unloaded;
	 * NONET forbids the network even if something asked for it. */
	xmlGenericErrorFunc old_generic = xmlGenericError;
	void *old_generic_ctx = xmlGenericErrorContext;
	xmlStructuredErrorFunc old_structured = xmlStructuredError;
	void *old_structured_ctx = xmlStructuredErrorContext;
	xmlSetGenericErrorFunc(NULL, silent);
	xmlSetStructuredErrorFunc(&err, on_xml_error);
	doc = xmlReadMemory(xml, (int)len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_BIG_LINES);
	xmlSetStructuredErrorFunc(old_structured_ctx, old_structured);
	xmlSetGenericErrorFunc(old_generic_ctx, old_generic);

	/* Errors libxml2 recovers from (a namespace error) still make the report suspect. */
	if (!doc || err.have) {
		if (err.have)
			rc = bg_error_set(BG_EINPUT, "%s:%d: %s", origin, err.line, err.msg);
		else
			rc = bg_error_set(BG_EINPUT, "%s: not well-formed XML", origin);
		goto done;
	}
	const xmlNode *root = xmlDocGetRootElement(doc);
	if (!root || !(is_elem(root, "testsuites") || is_elem(root, "testsuite"))) {
		rc = bg_error_set(
			BG_EINPUT,
			"%s:%ld: expected <testsuites> or <testsuite> at the root, got <%s>",
			origin, root ? xmlGetLineNo(root) : 1L,
			root ? (const char *)root->name : "");
		goto done;
	}
	suite = calloc(1, sizeof(*suite));
	if (!suite) {
		rc = bg_error_oom();
		goto done;
	}
	if (suite_name && !(suite->suite = bg_strdup(suite_name))) {
		rc = BG_ENOMEM;
		goto done;
	}
	size_t cap = 0;
	rc = walk(suite, &cap, root, origin);
done:
	xmlFreeDoc(doc);
	if (rc < 0)
		bg_test_suite_free(suite);
	else
		*out = suite;
	return rc;
}

int bg_junit_parse_file(struct bg_test_suite **out, const char *suite, const char *path)
{
	struct bg_buf text = BG_BUF_INIT;
	*out = NULL;
	int rc = bg_fs_read(&text, path);
	if (rc == 0)
		rc = bg_junit_parse(out, suite, bg_buf_cstr(&text), text.len, path);
	bg_buf_free(&text);
	return rc;
}
