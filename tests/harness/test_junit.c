/* JUnit XML: ctest's output (the fixture is what ctest 3.25 --output-junit wrote for a
 * passing, failing, skipped, disabled and missing-executable test), pytest's, nested suites,
 * malformed XML, external entities that must never be loaded, and a missing file. */
#include <fcntl.h>
#include <libxml/parser.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_junit.h"
#include "tf.h"

static const char ctest_xml[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<testsuite name=\"(empty)\"\n"
	"\ttests=\"5\"\n"
	"\tfailures=\"1\"\n"
	"\tdisabled=\"1\"\n"
	"\tskipped=\"2\"\n"
	"\thostname=\"\"\n"
	"\ttime=\"0\"\n"
	"\ttimestamp=\"2026-11-24T07:46:23\"\n"
	"\t>\n"
	"\t<testcase name=\"ok\" classname=\"ok\" time=\"0.0033377\" status=\"run\">\n"
	"\t\t<system-out></system-out>\n"
	"\t</testcase>\n"
	"\t<testcase name=\"bad\" classname=\"bad\" time=\"0.00226915\" status=\"fail\">\n"
	"\t\t<failure message=\"\"/>\n"
	"\t\t<system-out>boom &lt;x&gt; &amp; y\n"
	"</system-out>\n"
	"\t</testcase>\n"
	"\t<testcase name=\"skip\" classname=\"skip\" time=\"0.00216936\" status=\"notrun\">\n"
	"\t\t<skipped message=\"SKIP_RETURN_CODE=77\"/>\n"
	"\t\t<system-out>skipping\n"
	"</system-out>\n"
	"\t</testcase>\n"
	"\t<testcase name=\"dis\" classname=\"dis\" time=\"0\" status=\"disabled\">\n"
	"\t\t<system-out>Disabled</system-out>\n"
	"\t</testcase>\n"
	"\t<testcase name=\"notfound\" classname=\"notfound\" time=\"0\" status=\"notrun\">\n"
	"\t\t<skipped message=\"Unable to find executable\"/>\n"
	"\t\t<system-out>Unable to find executable: /nonexistent/prog</system-out>\n"
	"\t</testcase>\n"
	"</testsuite>\n";

/* As pytest --junitxml writes it (junit_family=xunit2). */
static const char pytest_xml[] =
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>"
	"<testsuites><testsuite name=\"pytest\" errors=\"1\" failures=\"1\" skipped=\"2\" "
	"tests=\"6\" time=\"0.412\" timestamp=\"2026-11-24T08:00:00.000000\" hostname=\"ci\">\n"
	"<properties><property name=\"seed\" value=\"42\"/></properties>\n"
	"<testcase classname=\"tests.test_model\" name=\"test_load\" time=\"0.011\" />\n"
	"<testcase classname=\"tests.test_model\" name=\"test_logits[avx2]\" time=\"0.120\">"
	"<failure message=\"AssertionError: max abs diff 0.5 &gt; 1e-3\">def test_logits():\n"
	">       assert diff &lt; 1e-3\nE       AssertionError</failure></testcase>\n"
	"<testcase classname=\"tests.test_model\" name=\"test_fixture\" time=\"0.002\">"
	"<error message=\"failed on setup with &quot;FileNotFoundError: model.gguf&quot;\">"
	"trace</error></testcase>\n"
	"<testcase classname=\"tests.test_gpu\" name=\"test_cuda\" time=\"0.000\">"
	"<skipped type=\"pytest.skip\" message=\"no CUDA device\">tests/test_gpu.py:8: no CUDA "
	"device</skipped></testcase>\n"
	"<testcase classname=\"tests.test_gpu\" name=\"test_xfail\" time=\"0.001\">"
	"<skipped type=\"pytest.xfail\" message=\"\">  known bug #12  </skipped></testcase>\n"
	"<testcase classname=\"tests.test_model\" name=\"test_teardown\" time=\"0.050\">"
	"<failure message=\"assert 1 == 2\">x</failure>"
	"<error message=\"teardown failed\">y</error></testcase>\n"
	"</testsuite></testsuites>\n";

static struct bg_test_suite *parse_ok(const char *xml, const char *suite)
{
	struct bg_test_suite *s = NULL;
	int rc = bg_junit_parse(&s, suite, xml, strlen(xml), "report.xml");
	TF_CHECK(rc == 0, "rc %d: %s", rc, bg_error_last());
	TF_CHECK(s != NULL, "no suite");
	return s;
}

static void expect_fail(const char *xml, const char *want)
{
	struct bg_test_suite *s = (struct bg_test_suite *)&s;
	int rc = bg_junit_parse(&s, "cpu", xml, strlen(xml), "report.xml");
	TF_CHECK(rc == BG_EINPUT, "rc %d for %s", rc, xml);
	TF_CHECK(s == NULL, "a suite came back with an error");
	TF_CHECK(!strncmp(bg_error_last(), want, strlen(want)), "message \"%s\", wanted \"%s...\"",
		 bg_error_last(), want);
}

static void check_case(const struct bg_test_case *c, const char *name, const char *classname,
		       enum bg_outcome outcome, const char *message)
{
	TF_CHECK(!strcmp(c->name, name), "name %s, want %s", c->name, name);
	TF_CHECK(classname ? c->classname && !strcmp(c->classname, classname) : !c->classname,
		 "%s: classname %s, want %s", name, c->classname ? c->classname : "(null)",
		 classname ? classname : "(null)");
	TF_CHECK(c->outcome == outcome, "%s: outcome %s, want %s", name,
		 bg_outcome_name(c->outcome), bg_outcome_name(outcome));
	TF_CHECK(message ? c->message && !strcmp(c->message, message) : !c->message,
		 "%s: message \"%s\", want \"%s\"", name, c->message ? c->message : "(null)",
		 message ? message : "(null)");
}

TF_TEST(junit__ctest)
{
	struct bg_test_suite *s = parse_ok(ctest_xml, "cpu");
	TF_CHECK(!strcmp(s->suite, "cpu"), "suite is the configured name, not the file's");
	TF_CHECK_EQ(s->n, 5);
	check_case(&s->cases[0], "ok", "ok", BG_TEST_PASSED, NULL);
	TF_CHECK(s->cases[0].time_s == 0.0033377, "time %g", s->cases[0].time_s);
	/* ctest's failure says nothing: what the test printed stands in. */
	check_case(&s->cases[1], "bad", "bad", BG_TEST_FAILED, "boom <x> & y");
	check_case(&s->cases[2], "skip", "skip", BG_TEST_SKIPPED, "SKIP_RETURN_CODE=77");
	/* Disabled: only the status attribute says so. */
	check_case(&s->cases[3], "dis", "dis", BG_TEST_SKIPPED, "Disabled");
	TF_CHECK(s->cases[3].time_s == 0.0, "time");
	check_case(&s->cases[4], "notfound", "notfound", BG_TEST_SKIPPED,
		   "Unable to find executable");
	TF_CHECK_EQ(s->passed, 1);
	TF_CHECK_EQ(s->failed, 1);
	TF_CHECK_EQ(s->skipped, 3);
	TF_CHECK_EQ(s->errored, 0);
	bg_test_suite_free(s);
}

TF_TEST(junit__pytest)
{
	struct bg_test_suite *s = parse_ok(pytest_xml, "py");
	TF_CHECK_EQ(s->n, 6);
	check_case(&s->cases[0], "test_load", "tests.test_model", BG_TEST_PASSED, NULL);
	TF_CHECK(s->cases[0].time_s == 0.011, "time");
	check_case(&s->cases[1], "test_logits[avx2]", "tests.test_model", BG_TEST_FAILED,
		   "AssertionError: max abs diff 0.5 > 1e-3");
	check_case(&s->cases[2], "test_fixture", "tests.test_model", BG_TEST_ERRORED,
		   "failed on setup with \"FileNotFoundError: model.gguf\"");
	check_case(&s->cases[3], "test_cuda", "tests.test_gpu", BG_TEST_SKIPPED, "no CUDA device");
	/* An empty message attribute: the text, trimmed. */
	check_case(&s->cases[4], "test_xfail", "tests.test_gpu", BG_TEST_SKIPPED, "known bug #12");
	/* A failed call and a teardown error: the first verdict decides. */
	check_case(&s->cases[5], "test_teardown", "tests.test_model", BG_TEST_FAILED,
		   "assert 1 == 2");
	/* Counted from the cases, not from the attributes (which say 2 skipped, 1 error). */
	TF_CHECK_EQ(s->passed, 1);
	TF_CHECK_EQ(s->failed, 2);
	TF_CHECK_EQ(s->skipped, 2);
	TF_CHECK_EQ(s->errored, 1);
	bg_test_suite_free(s);
}

TF_TEST(junit__nested_suites)
{
	static const char xml[] =
		"<testsuites name=\"all\" tests=\"99\">\n"
		"  <testsuite name=\"outer\">\n"
		"    <testcase name=\"a\"/>\n"
		"    <testsuite name=\"inner\">\n"
		"      <testcase name=\"b\" classname=\"\" time=\"1,234.5\"><skipped/></testcase>\n"
		"      <testsuite name=\"innermost\"><testcase name=\"c\" time=\"-3\">"
		"<error/></testcase></testsuite>\n"
		"    </testsuite>\n"
		"    <testcase name=\"d\" time=\"2.5\"><system-out>fine</system-out></testcase>\n"
		"  </testsuite>\n"
		"  <testsuite name=\"second\"><testcase name=\"e\" status=\"fail\">"
		"<system-out>assert failed at x.c:3</system-out></testcase></testsuite>\n"
		"</testsuites>\n";
	struct bg_test_suite *s = parse_ok(xml, "nested");
	TF_CHECK_EQ(s->n, 5);
	check_case(&s->cases[0], "a", NULL, BG_TEST_PASSED, NULL);
	/* An empty classname is no classname; an odd time reads as 0. */
	check_case(&s->cases[1], "b", NULL, BG_TEST_SKIPPED, NULL);
	TF_CHECK(s->cases[1].time_s == 0.0, "time");
	check_case(&s->cases[2], "c", NULL, BG_TEST_ERRORED, NULL);
	TF_CHECK(s->cases[2].time_s == 0.0, "negative time");
	check_case(&s->cases[3], "d", NULL, BG_TEST_PASSED, NULL);
	TF_CHECK(s->cases[3].time_s == 2.5, "time");
	/* status="fail" without a <failure> element (ctest-like writers). */
	check_case(&s->cases[4], "e", NULL, BG_TEST_FAILED, "assert failed at x.c:3");
	TF_CHECK(s->passed == 2 && s->failed == 1 && s->skipped == 1 && s->errored == 1,
		 "counts %d %d %d %d", s->passed, s->failed, s->skipped, s->errored);
	bg_test_suite_free(s);
}

TF_TEST(junit__empty_suite)
{
	struct bg_test_suite *s = parse_ok("<?xml version=\"1.0\"?>\n<testsuite name=\"x\" "
					   "tests=\"3\" failures=\"1\"/>\n",
					   "cpu");
	TF_CHECK(s->n == 0 && s->cases == NULL, "no cases");
	TF_CHECK(s->passed == 0 && s->failed == 0 && s->skipped == 0 && s->errored == 0,
		 "attributes are not trusted");
	TF_CHECK(!strcmp(s->suite, "cpu"), "suite");
	bg_test_suite_free(s);
	s = parse_ok("<testsuites/>", "cpu");
	TF_CHECK_EQ(s->n, 0);
	bg_test_suite_free(s);
}

TF_TEST(junit__malformed)
{
	/* The origin and line are ours; the wording after them is libxml2's. */
	expect_fail("<testsuite>\n  <testcase name=\"a\">\n  </testsuite>\n", "report.xml:3: ");
	expect_fail("<testsuite>\n<testcase name=\"a\"/>\n", "report.xml:");
	expect_fail("Segmentation fault\n", "report.xml:1: ");
	expect_fail("", "report.xml:");
	expect_fail("<testsuite>\n\n<testcase name=\"a\" name=\"b\"/></testsuite>",
		    "report.xml:3: ");
	/* An undefined entity is an error, not an empty string. */
	expect_fail("<testsuite>\n<testcase name=\"&nope;\"/></testsuite>", "report.xml:2: ");
	/* A namespace error libxml2 recovers from still rejects the report. */
	expect_fail("<testsuite>\n<x:testcase name=\"a\"/></testsuite>", "report.xml:2: ");
}

TF_TEST(junit__structure_errors)
{
	expect_fail("<testsuite>\n  <testcase name=\"a\"/>\n  <testcase classname=\"b\"/>\n"
		    "</testsuite>\n",
		    "report.xml:3: <testcase> without a name attribute");
	expect_fail("<testsuites>\n<testsuite>\n\n<testcase name=\"\"/></testsuite></testsuites>",
		    "report.xml:4: <testcase> without a name attribute");
	expect_fail("<?xml version=\"1.0\"?>\n<html><body/></html>",
		    "report.xml:2: expected <testsuites> or <testsuite> at the root, got <html>");
}

TF_TEST(junit__message_trimmed)
{
	size_t big = 10000;
	char *xml = malloc(big + 200);
	TF_CHECK(xml, "malloc");
	int n = snprintf(xml, 200, "<testsuite><testcase name=\"t\"><failure>");
	/* "é" is two bytes: a cut must not split it. */
	for (size_t i = 0; i < big; i += 2)
		memcpy(xml + n + i, "\xc3\xa9", 2);
	const char *end = "</failure></testcase></testsuite>";
	memcpy(xml + n + big, end, strlen(end) + 1);
	struct bg_test_suite *s = parse_ok(xml, "cpu");
	size_t len = strlen(s->cases[0].message);
	TF_CHECK(len <= 4096 && len >= 4090, "message length %zu", len);
	TF_CHECK(len % 2 == 0, "cut inside a UTF-8 character");
	TF_CHECK(!memcmp(s->cases[0].message, "\xc3\xa9", 2), "head kept");
	bg_test_suite_free(s);
	free(xml);
}

/* A report made of head, then rep repeated n times, then tail; free() it. */
static char *repeat_doc(const char *head, const char *rep, size_t n, const char *tail)
{
	size_t h = strlen(head), r = strlen(rep), t = strlen(tail);
	char *xml = malloc(h + r * n + t + 1);
	TF_CHECK(xml, "malloc");
	memcpy(xml, head, h);
	for (size_t i = 0; i < n; i++)
		memcpy(xml + h + r * i, rep, r);
	memcpy(xml + h + r * n, tail, t + 1);
	return xml;
}

/* One 10 KB internal entity referenced 3000 times: a 40 KB report that xmlNodeGetContent
 * expanded to 30 MB of message (a 221 KB one took 2.4 GB). A report that declares an entity
 * is refused, with the line of the declaration, and nothing of it comes back. */
TF_TEST(junit__entity_expansion_refused)
{
	char head[10200];
	int n = snprintf(head, sizeof(head),
			 "<?xml version=\"1.0\"?>\n<!DOCTYPE testsuites [<!ENTITY big \"");
	memset(head + n, 'x', 10000);
	snprintf(head + n + 10000, sizeof(head) - (size_t)n - 10000,
		 "\">]>\n<testsuites><testsuite><testcase name=\"t\"><failure>");
	char *xml =
		repeat_doc(head, "&big;", 3000, "</failure></testcase></testsuite></testsuites>\n");
	struct bg_test_suite *s = (struct bg_test_suite *)&s;
	int rc = bg_junit_parse(&s, "cpu", xml, strlen(xml), "report.xml");
	TF_CHECK(rc == BG_EINPUT,
		 "rc %d: a report declaring an entity was read (message of %zu "
		 "bytes kept)",
		 rc, rc == 0 && s->n && s->cases[0].message ? strlen(s->cases[0].message) : 0);
	TF_CHECK(s == NULL, "a suite came back with an error");
	TF_CHECK(!strncmp(bg_error_last(), "report.xml:2: ", 14) && strstr(bg_error_last(), "big"),
		 "message: %s", bg_error_last());
	free(xml);

	/* the same through an attribute, and a parameter entity */
	expect_fail("<!DOCTYPE testsuite [<!ENTITY e \"xxxx\">]>\n"
		    "<testsuite><testcase name=\"t\"><failure message=\"&e;&e;\"/></testcase>"
		    "</testsuite>",
		    "report.xml:1: ");
	expect_fail("<!DOCTYPE testsuite [\n<!ENTITY % p \"<!ENTITY e 'x'>\">]>\n"
		    "<testsuite/>",
		    "report.xml:2: <!ENTITY % p>: ");
}

/* What a report may still use: a DOCTYPE without declarations, the predefined entities and
 * character references (all read as their characters), CDATA and text in sub-elements. */
TF_TEST(junit__entities_without_declarations)
{
	struct bg_test_suite *s = parse_ok(
		"<?xml version=\"1.0\"?>\n<!DOCTYPE testsuites>\n<testsuites><testsuite>"
		"<testcase name=\"a&amp;b&#233;\"><failure message=\"x &lt; &#x31;\"/></testcase>"
		"<testcase name=\"c\"><error>one <![CDATA[<two>]]> <b>three</b> &quot;</error>"
		"</testcase></testsuite></testsuites>",
		"cpu");
	TF_CHECK_EQ(s->n, 2);
	check_case(&s->cases[0], "a&b\xc3\xa9", NULL, BG_TEST_FAILED, "x < 1");
	check_case(&s->cases[1], "c", NULL, BG_TEST_ERRORED, "one <two> three \"");
	bg_test_suite_free(s);
}

/* Captured output far beyond what a message keeps, in many text and CDATA nodes: its end is
 * kept, within MESSAGE_MAX. */
TF_TEST(junit__output_tail_bounded)
{
	char *xml = repeat_doc("<testsuite><testcase name=\"t\"><failure message=\"\"/>"
			       "<system-out>",
			       "line of output\n<![CDATA[<cdata>]]>\xc3\xa9", 50000,
			       "LAST</system-out></testcase></testsuite>");
	struct bg_test_suite *s = parse_ok(xml, "cpu");
	const char *m = s->cases[0].message;
	size_t len = m ? strlen(m) : 0;
	TF_CHECK(len > 4000 && len <= 4096, "message length %zu", len);
	TF_CHECK(len >= 4 && !strcmp(m + len - 4, "LAST"), "tail not kept: ...%s",
		 len > 40 ? m + len - 40
		 : m      ? m
			  : "(null)");
	TF_CHECK((m[0] & 0xc0) != 0x80, "cut inside a UTF-8 character");
	bg_test_suite_free(s);
	free(xml);
}

/* Counts what libxml2 tries to load from outside the document. */
static int loads;
static xmlParserInputPtr refuse_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	loads++;
	return NULL;
}

static void write_file(char *path, size_t size, const char *content)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(path, size, "%s/bitgate-junit-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	int fd = mkstemp(path);
	TF_CHECK(fd >= 0, "mkstemp");
	size_t n = strlen(content);
	TF_CHECK(write(fd, content, n) == (ssize_t)n, "write");
	close(fd);
}

TF_TEST(junit__external_entity_not_loaded)
{
	char secret[512];
	write_file(secret, sizeof(secret), "TOP-SECRET-CONTENT");
	xmlExternalEntityLoader old = xmlGetExternalEntityLoader();
	xmlSetExternalEntityLoader(refuse_loader);

	/* A general entity in text: stays unexpanded; nothing is read. */
	char xml[2048];
	snprintf(xml, sizeof(xml),
		 "<?xml version=\"1.0\"?>\n"
		 "<!DOCTYPE testsuite [<!ENTITY xxe SYSTEM \"file://%s\">]>\n"
		 "<testsuite><testcase name=\"t\"><failure>leak: &xxe;</failure></testcase>"
		 "</testsuite>\n",
		 secret);
	struct bg_test_suite *s = NULL;
	int rc = bg_junit_parse(&s, "cpu", xml, strlen(xml), "report.xml");
	if (rc == 0) {
		TF_CHECK(s->n == 1 && s->cases[0].outcome == BG_TEST_FAILED, "case");
		TF_CHECK(!s->cases[0].message || !strstr(s->cases[0].message, "TOP-SECRET"),
			 "external entity expanded: %s", s->cases[0].message);
		bg_test_suite_free(s);
	} else {
		TF_CHECK(rc == BG_EINPUT && s == NULL, "rc %d", rc);
	}

	/* In an attribute: an error (XML forbids external entities there). */
	snprintf(xml, sizeof(xml),
		 "<!DOCTYPE testsuite [<!ENTITY xxe SYSTEM \"file://%s\">]>\n"
		 "<testsuite><testcase name=\"&xxe;\"/></testsuite>\n",
		 secret);
	rc = bg_junit_parse(&s, "cpu", xml, strlen(xml), "report.xml");
	TF_CHECK(rc == BG_EINPUT && s == NULL, "rc %d", rc);
	TF_CHECK(!strstr(bg_error_last(), "TOP-SECRET"), "%s", bg_error_last());

	/* A parameter entity and an external DTD: neither is fetched. */
	snprintf(xml, sizeof(xml),
		 "<!DOCTYPE testsuite SYSTEM \"http://127.0.0.1:9/junit.dtd\" "
		 "[<!ENTITY %% p SYSTEM \"file://%s\"> %%p;]>\n"
		 "<testsuite><testcase name=\"t\"/></testsuite>\n",
		 secret);
	rc = bg_junit_parse(&s, "cpu", xml, strlen(xml), "report.xml");
	if (rc == 0) {
		TF_CHECK(s->n == 1 && !strcmp(s->cases[0].name, "t"), "case");
		bg_test_suite_free(s);
	}
	TF_CHECK(loads == 0, "libxml2 tried to load %d external resources", loads);

	xmlSetExternalEntityLoader(old);
	unlink(secret);
}

TF_TEST(junit__quiet_on_errors)
{
	/* libxml2 prints parse errors to stderr unless told otherwise: the message is ours. */
	char path[512];
	write_file(path, sizeof(path), "");
	fflush(stderr);
	int saved = dup(2);
	int fd = open(path, O_WRONLY | O_TRUNC);
	TF_CHECK(saved >= 0 && fd >= 0, "open");
	dup2(fd, 2);
	close(fd);
	struct bg_test_suite *s = NULL;
	int rc = bg_junit_parse(&s, "cpu", "<a><b></a>", 10, "report.xml");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	TF_CHECK(rc == BG_EINPUT, "rc %d", rc);
	FILE *f = fopen(path, "r");
	TF_CHECK(f, "fopen");
	int c = fgetc(f);
	fclose(f);
	unlink(path);
	TF_CHECK(c == EOF, "libxml2 wrote to stderr");
}

TF_TEST(junit__files)
{
	char path[512];
	write_file(path, sizeof(path), ctest_xml);
	struct bg_test_suite *s = NULL;
	int rc = bg_junit_parse_file(&s, "cpu", path);
	TF_CHECK(rc == 0, "%s", bg_error_last());
	TF_CHECK(s->n == 5 && s->failed == 1, "parsed");
	bg_test_suite_free(s);

	/* Errors name the file and the line. */
	FILE *f = fopen(path, "w");
	TF_CHECK(f, "fopen");
	fputs("<testsuite>\n<testcase/>\n</testsuite>\n", f);
	fclose(f);
	rc = bg_junit_parse_file(&s, "cpu", path);
	TF_CHECK(rc == BG_EINPUT && s == NULL, "rc %d", rc);
	char want[600];
	snprintf(want, sizeof(want), "%s:2: <testcase> without a name attribute", path);
	TF_CHECK(!strcmp(bg_error_last(), want), "%s", bg_error_last());

	/* a report larger than bitgate reads (sparse: no disk used) is refused unread */
	TF_CHECK_EQ(truncate(path, (off_t)BG_JUNIT_MAX_FILE + 1), 0);
	rc = bg_junit_parse_file(&s, "cpu", path);
	TF_CHECK(rc == BG_EINPUT && s == NULL, "rc %d", rc);
	snprintf(want, sizeof(want), "%s: larger than the 67108864 bytes bitgate reads of it",
		 path);
	TF_CHECK(!strcmp(bg_error_last(), want), "%s", bg_error_last());

	unlink(path);
	s = (struct bg_test_suite *)&s;
	rc = bg_junit_parse_file(&s, "cpu", path);
	TF_CHECK(rc == BG_ENOTFOUND && s == NULL, "rc %d", rc);
	TF_CHECK(strstr(bg_error_last(), path), "message names the path: %s", bg_error_last());
}

/* A report whose testcase has n attributes (a0="x=1" ...), after a comment and a CDATA
 * section full of '=' and '<' that hold no attribute. */
static char *many_attributes(int n)
{
	struct bg_buf b = BG_BUF_INIT;
	bg_buf_puts(&b, "<testsuite>\n<!-- a=1 b=2 <x c=3> -->\n<testcase name=\"a\"><system-out>"
			"<![CDATA[ <y d=4 e=5> ]]></system-out></testcase>\n<testcase");
	for (int i = 1; i < n; i++)
		bg_buf_printf(&b, " a%d='x=1>'", i);
	bg_buf_puts(&b, " name=\"b\"/>\n</testsuite>\n");
	return bg_buf_detach(&b);
}

TF_TEST(junit__attributes_bounded_before_libxml2)
{
	/* libxml2 checks attributes pair by pair (80,000 on one element: 12 s in xmllint) */
	char *xml = many_attributes(BG_JUNIT_MAX_ATTRIBUTES);
	struct bg_test_suite *s = NULL;
	TF_CHECK(bg_junit_parse(&s, "cpu", xml, strlen(xml), "report.xml") == 0, "%s",
		 bg_error_last());
	TF_CHECK(s && s->n == 2 && !strcmp(s->cases[1].name, "b"), "parsed");
	bg_test_suite_free(s);
	free(xml);
	xml = many_attributes(BG_JUNIT_MAX_ATTRIBUTES + 1);
	expect_fail(xml, "report.xml:4: an element with more than 256 attributes");
	free(xml);
	xml = many_attributes(80000);
	expect_fail(xml, "report.xml:4: an element with more than 256 attributes");
	free(xml);
}
