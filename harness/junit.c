/* JUnit XML test reports (ctest --output-junit, pytest, nextest, go-junit-report) read with
 * libxml2 into a bg_test_suite. Outcomes and counts come from the test cases themselves;
 * the totals a writer puts in attributes are not trusted. The parser never loads anything
 * from outside the document: no network, no external entities, no external DTD; a report
 * that declares entities is refused, and text is read without expanding any. */
#include "bg_junit.h"

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_fs.h"

/* Messages are cut to this many bytes: enough for an assertion and a short trace. */
#define MESSAGE_MAX 4096

/* The text read from one element: far more than a message keeps once trimmed, and bounded
 * whatever the element holds. */
#define TEXT_MAX (16 * MESSAGE_MAX)

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

static bool utf8_cont(char c)
{
	return ((unsigned char)c & 0xc0) == 0x80;
}

/* Text gathered from the tree: skip bytes passed over, then at most room bytes kept; a cut
 * never splits a UTF-8 character. */
struct text {
	struct bg_buf b;
	size_t skip; /* bytes still to pass over before keeping any */
	size_t room; /* bytes that may still be kept */
	size_t seen; /* bytes met in all, kept or not */
};

static int text_put(struct text *t, const char *s, size_t n)
{
	t->seen += n;
	size_t k = n < t->skip ? n : t->skip;
	t->skip -= k;
	s += k;
	n -= k;
	if (k && !t->skip)
		for (; n && utf8_cont(*s); s++, n--)
			;
	if (n > t->room) {
		n = t->room;
		while (n && utf8_cont(s[n]))
			n--;
		t->room = 0;
	} else {
		t->room -= n;
	}
	return n ? bg_buf_put(&t->b, s, n) : 0;
}

/* An entity reference as written: "&name;". */
static int text_put_ref(struct text *t, const char *name)
{
	int rc = text_put(t, "&", 1);
	if (rc == 0)
		rc = text_put(t, name, strlen(name));
	if (rc == 0)
		rc = text_put(t, ";", 1);
	return rc;
}

/* The text of the nodes from first on and of the elements among them, as xmlNodeGetContent
 * reads it except that an entity reference stays "&name;": libxml2 builds no copies of an
 * entity, but expanding one 10 KB entity referenced thousands of times would. */
static int text_walk(struct text *t, const xmlNode *first)
{
	for (const xmlNode *c = first; c; c = c->next) {
		int rc = 0;
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
			rc = text_put(t, (const char *)c->content,
				      strlen((const char *)c->content));
		else if (c->type == XML_ENTITY_REF_NODE && c->name)
			rc = text_put_ref(t, (const char *)c->name);
		else if (c->type == XML_ELEMENT_NODE) /* depth: libxml2 bounds it */
			rc = text_walk(t, c->children);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* An element's text, trimmed and cut to MESSAGE_MAX (see clip); NULL when blank. For the tail,
 * a first walk counts the text so that only its last TEXT_MAX bytes are gathered. */
static int element_text(char **out, const xmlNode *n, bool keep_tail)
{
	struct text t = {BG_BUF_INIT, 0, TEXT_MAX, 0};
	if (keep_tail) {
		struct text count = {BG_BUF_INIT, 0, 0, 0};
		text_walk(&count, n->children); /* keeps nothing, so cannot fail */
		t.skip = count.seen > TEXT_MAX ? count.seen - TEXT_MAX : 0;
	}
	int rc = text_walk(&t, n->children);
	if (rc == 0)
		rc = clip(out, bg_buf_cstr(&t.b), keep_tail);
	bg_buf_free(&t.b);
	return rc;
}

/* An attribute without namespace (DTD-declared defaults are not consulted), malloc'd into
 * *out; NULL when absent. Its entity references stay unexpanded, so it is no longer than
 * the document. */
static int attr(char **out, const xmlNode *n, const char *name)
{
	*out = NULL;
	for (const xmlAttr *a = n->properties; a; a = a->next) {
		if (a->ns || strcmp((const char *)a->name, name))
			continue;
		struct text t = {BG_BUF_INIT, 0, SIZE_MAX, 0};
		int rc = text_walk(&t, a->children);
		if (rc == 0 && !(*out = bg_buf_detach(&t.b)))
			rc = BG_ENOMEM;
		bg_buf_free(&t.b);
		return rc;
	}
	return 0;
}

/* The message attribute when it says something, else the element's text. */
static int element_message(char **out, const xmlNode *n)
{
	char *m;
	int rc = attr(&m, n, "message");
	if (rc == 0)
		rc = clip(out, m, false);
	free(m);
	if (rc < 0 || *out)
		return rc;
	return element_text(out, n, false);
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
	char *classname = NULL, *tattr = NULL;
	int rc = attr(&classname, node, "classname");
	if (rc == 0 && classname && classname[0]) {
		tc->classname = classname;
		classname = NULL;
	}
	double t;
	if (rc == 0 && (rc = attr(&tattr, node, "time")) == 0 && tattr &&
	    bg_parse_double(tattr, &t) == 0 && isfinite(t) && t >= 0)
		tc->time_s = t;
	free(classname);
	free(tattr);
	return rc;
}

/* The case's outcome, the element that gave it (*verdict) and its first <system-out>. The
 * first <failure> or <error> decides; <skipped> counts only when neither is there (pytest
 * writes a failed call and a teardown error on one testcase). */
static int case_outcome(enum bg_outcome *out, const xmlNode *node, const xmlNode **verdict,
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
	char *status;
	int rc = attr(&status, node, "status");
	if (outcome == BG_TEST_PASSED && status) {
		if (!strcmp(status, "fail"))
			outcome = BG_TEST_FAILED;
		else if (!strcmp(status, "notrun") || !strcmp(status, "disabled"))
			outcome = BG_TEST_SKIPPED;
	}
	free(status);
	*out = outcome;
	return rc;
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
	return element_text(&tc->message, output, true);
}

static int add_case(struct bg_test_suite *suite, size_t *cap, const xmlNode *node,
		    const char *origin)
{
	struct bg_test_case *tc = NULL;
	const xmlNode *verdict, *output;
	char *name;
	int rc = attr(&name, node, "name");
	if (rc < 0)
		return rc;
	if (!name || !name[0])
		rc = bg_error_set(BG_EINPUT, "%s:%ld: <testcase> without a name attribute", origin,
				  xmlGetLineNo(node));
	else if ((rc = new_case(suite, cap, &tc)) == 0 && !(tc->name = bg_strdup(name)))
		rc = BG_ENOMEM;
	free(name);
	if (rc < 0 || (rc = case_attrs(tc, node)) < 0 ||
	    (rc = case_outcome(&tc->outcome, node, &verdict, &output)) < 0 ||
	    (rc = case_message(tc, verdict, output)) < 0)
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

/* The first entity declaration of the document, where one is refused. */
struct entity_refusal {
	int line;      /* 0 while there is none */
	char name[64]; /* as declared: "big", "% p" for a parameter entity */
};

/* libxml2's SAX entityDecl: no JUnit writer declares entities, and one internal entity
 * referenced many times multiplies the document, so the first declaration (general or
 * parameter) stops the parse. */
static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
			   const xmlChar *system_id, xmlChar *content)
{
	(void)public_id, (void)system_id, (void)content;
	xmlParserCtxtPtr ctxt = ctx;
	struct entity_refusal *r = ctxt->_private;
	if (!r->line) {
		bool pe = type == XML_INTERNAL_PARAMETER_ENTITY ||
			  type == XML_EXTERNAL_PARAMETER_ENTITY;
		r->line = xmlSAX2GetLineNumber(ctx);
		snprintf(r->name, sizeof(r->name), "%s%s", pe ? "% " : "",
			 name ? (const char *)name : "");
	}
	xmlStopParser(ctxt);
}

/* ---- a bound libxml2 lacks ----
 * libxml2 2.9 checks an element's attributes for duplicates pair by pair: 80,000
 * attributes on one element take 12 s in xmllint, and 64 MiB of them days. A scan before
 * parsing counts each start tag's attributes (every '=' outside quotes) and skips what
 * holds no tag: comments, CDATA sections, processing instructions, declarations. */

/* Where the markup that starts at xml[i] ends when it holds no tag ("<!--" to "-->",
 * "<![CDATA[" to "]]>", "<?" to "?>"): past its closing string, or len when it has none
 * (libxml2 then refuses the document); 0 when no such markup starts there. */
static size_t skip_tagless(const char *xml, size_t len, size_t i)
{
	static const char *const kinds[][2] = {{"<!--", "-->"}, {"<![CDATA[", "]]>"}, {"<?", "?>"}};
	for (size_t k = 0; k < BG_COUNTOF(kinds); k++) {
		size_t no = strlen(kinds[k][0]), nc = strlen(kinds[k][1]);
		if (len - i < no || memcmp(xml + i, kinds[k][0], no) != 0)
			continue;
		for (size_t j = i + no; j + nc <= len; j++)
			if (!memcmp(xml + j, kinds[k][1], nc))
				return j + nc;
		return len;
	}
	return 0;
}

/* Scans the tag or declaration at xml[i] ('<') to its '>' outside quotes: *count gets its
 * '=' outside quotes (the attributes of a start tag); returns where it ends. */
static size_t scan_tag(const char *xml, size_t len, size_t i, size_t *count, int *line)
{
	char quote = 0;
	*count = 0;
	for (i++; i < len && (quote || xml[i] != '>'); i++) {
		if (xml[i] == '\n')
			(*line)++;
		else if (quote)
			quote = xml[i] == quote ? 0 : quote;
		else if (xml[i] == '"' || xml[i] == '\'')
			quote = xml[i];
		else if (xml[i] == '=')
			(*count)++;
	}
	return i;
}

static int attributes_bounded(const char *xml, size_t len, const char *origin)
{
	int line = 1;
	for (size_t i = 0; i < len; i++) {
		if (xml[i] == '\n')
			line++;
		if (xml[i] != '<')
			continue;
		size_t end = skip_tagless(xml, len, i);
		if (end) {
			for (; i < end; i++)
				line += xml[i] == '\n';
			i--;
			continue;
		}
		size_t count;
		int at = line;
		i = scan_tag(xml, len, i, &count, &line);
		if (count > BG_JUNIT_MAX_ATTRIBUTES)
			return bg_error_set(BG_EINPUT,
					    "%s:%d: an element with more than %d attributes",
					    origin, at, BG_JUNIT_MAX_ATTRIBUTES);
	}
	return 0;
}

/* The document, or BG_EINPUT naming origin, the line and what is wrong. libxml2's error
 * handlers are per thread: ours are set around the parse and the caller's put back.
 * NOENT is left off so entities stay unexpanded and external ones unloaded; NONET forbids
 * the network even if something asked for it. */
static int read_doc(xmlDocPtr *out, const char *xml, size_t len, const char *origin)
{
	struct xml_error err = {0};
	struct entity_refusal refusal = {0};
	*out = NULL;
	xmlGenericErrorFunc old_generic = xmlGenericError;
	void *old_generic_ctx = xmlGenericErrorContext;
	xmlStructuredErrorFunc old_structured = xmlStructuredError;
	void *old_structured_ctx = xmlStructuredErrorContext;
	xmlSetGenericErrorFunc(NULL, silent);
	xmlSetStructuredErrorFunc(&err, on_xml_error);
	xmlParserCtxtPtr ctxt = xmlCreateMemoryParserCtxt(xml, (int)len);
	if (ctxt) {
		xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_BIG_LINES);
		ctxt->sax->entityDecl = on_entity_decl;
		ctxt->_private = &refusal;
		xmlParseDocument(ctxt);
		*out = ctxt->myDoc;
		if (!ctxt->wellFormed || refusal.line || err.have) {
			xmlFreeDoc(*out);
			*out = NULL;
		}
		xmlFreeParserCtxt(ctxt);
	}
	xmlSetStructuredErrorFunc(old_structured_ctx, old_structured);
	xmlSetGenericErrorFunc(old_generic_ctx, old_generic);

	if (!ctxt && len) /* libxml2 makes none for empty input */
		return bg_error_oom();
	if (refusal.line)
		return bg_error_set(BG_EINPUT,
				    "%s:%d: <!ENTITY %s>: a test report may not declare entities",
				    origin, refusal.line, refusal.name);
	/* Errors libxml2 recovers from (a namespace error) still make the report suspect. */
	if (err.have)
		return bg_error_set(BG_EINPUT, "%s:%d: %s", origin, err.line, err.msg);
	if (!*out)
		return bg_error_set(BG_EINPUT, "%s: %s", origin,
				    len ? "not well-formed XML" : "empty, not XML");
	return 0;
}

int bg_junit_parse(struct bg_test_suite **out, const char *suite_name, const char *xml, size_t len,
		   const char *origin)
{
	struct bg_test_suite *suite = NULL;
	xmlDocPtr doc = NULL;
	int rc = 0;

	*out = NULL;
	if (!origin)
		origin = "JUnit XML";
	if (len > INT_MAX)
		return bg_error_set(BG_EINPUT, "%s: too large for a test report (%zu bytes)",
				    origin, len);
	if ((rc = attributes_bounded(xml, len, origin)) < 0 ||
	    (rc = read_doc(&doc, xml, len, origin)) < 0)
		return rc;
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
	int rc = bg_fs_read_max(&text, path, BG_JUNIT_MAX_FILE);
	if (rc == 0)
		rc = bg_junit_parse(out, suite, bg_buf_cstr(&text), text.len, path);
	bg_buf_free(&text);
	return rc;
}
