/* common/json.c, the one JSON reader: the cursor's paths and messages, each typed getter
 * (required, optional, null as absent; wrong type; out of range) and the parse of a
 * document that must be an object. */
#include <cJSON.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "bg_error.h"
#include "bg_json.h"
#include "tf.h"

/* The message of the last error is exactly want. */
#define CHECK_MSG(want)                                                                            \
	TF_CHECK(!strcmp(bg_error_last(), (want)), "message \"%s\", want \"%s\"", bg_error_last(), \
		 (want))

static cJSON *doc(const char *text)
{
	cJSON *j = NULL;
	TF_CHECK(bg_json_parse(&j, text, strlen(text), "t.json") == 0, "parse: %s",
		 bg_error_last());
	return j;
}

TF_TEST(json__cursor_paths_and_messages)
{
	struct bg_json_at root, a, b, c;
	bg_json_at_root(&root, "t.json");
	TF_CHECK_EQ(bg_json_at_fail(&root, "empty"), BG_EINPUT);
	CHECK_MSG("t.json: empty");
	bg_json_at_key(&a, &root, "tests");
	bg_json_at_index(&b, &a, 2);
	bg_json_at_key(&c, &b, "junit");
	TF_CHECK(!strcmp(c.path, "tests[2].junit"), "path %s", c.path);
	TF_CHECK_EQ(bg_json_at_fail(&c, "expected %s", "a string"), BG_EINPUT);
	CHECK_MSG("t.json: tests[2].junit: expected a string");
	bg_json_at_key(&c, &root, "");
	TF_CHECK(!strcmp(c.path, "\"\""), "an empty key stays visible: %s", c.path);
	char longkey[400];
	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	bg_json_at_key(&c, &a, longkey);
	TF_CHECK(strlen(c.path) == sizeof(c.path) - 1 &&
			 !strcmp(c.path + strlen(c.path) - 3, "..."),
		 "a long path is cut with ...: %zu", strlen(c.path));
}

TF_TEST(json__get_string_required_optional_nullable)
{
	cJSON *j = doc("{\"s\": \"x\", \"n\": null, \"i\": 3}");
	struct bg_json_at at;
	const char *s = "untouched";
	bg_json_at_root(&at, "t.json");
	TF_CHECK_EQ(bg_json_get_string(&at, j, "s", BG_JSON_REQUIRED, &s), 1);
	TF_CHECK(!strcmp(s, "x"), "value %s", s);
	s = "untouched";
	TF_CHECK_EQ(bg_json_get_string(&at, j, "absent", BG_JSON_OPTIONAL, &s), 0);
	TF_CHECK(!strcmp(s, "untouched"), "absent leaves out alone");
	TF_CHECK_EQ(bg_json_get_string(&at, j, "n", BG_JSON_NULLABLE, &s), 0);
	TF_CHECK_EQ(bg_json_get_string(&at, j, "absent", BG_JSON_REQUIRED, &s), BG_EINPUT);
	CHECK_MSG("t.json: absent: required");
	TF_CHECK_EQ(bg_json_get_string(&at, j, "n", BG_JSON_OPTIONAL, &s), BG_EINPUT);
	CHECK_MSG("t.json: n: expected a string, got null");
	TF_CHECK_EQ(bg_json_get_string(&at, j, "i", BG_JSON_NULLABLE, &s), BG_EINPUT);
	CHECK_MSG("t.json: i: expected a string, got a number");
	/* keys are case-sensitive */
	TF_CHECK_EQ(bg_json_get_string(&at, j, "S", BG_JSON_OPTIONAL, &s), 0);
	cJSON_Delete(j);
}

TF_TEST(json__numbers_and_integers_in_range)
{
	cJSON *j = doc("{\"half\": 0.5, \"two\": 2, \"big\": 1e300, \"frac\": 1.5, \"s\": \"1\", "
		       "\"huge\": 18014398509481984, \"inf\": 1e999}");
	struct bg_json_at at;
	double d = 0;
	int64_t i = 0;
	bg_json_at_root(&at, "t.json");
	TF_CHECK(bg_json_get_number(&at, j, "half", BG_JSON_REQUIRED, 0, 1, &d) == 1 && d == 0.5,
		 "half");
	TF_CHECK_EQ(bg_json_get_number(&at, j, "two", BG_JSON_REQUIRED, 0, 1, &d), BG_EINPUT);
	CHECK_MSG("t.json: two: expected a number in [0, 1], got 2");
	TF_CHECK_EQ(bg_json_get_number(&at, j, "s", BG_JSON_REQUIRED, 0, 1, &d), BG_EINPUT);
	CHECK_MSG("t.json: s: expected a number, got a string");
	TF_CHECK_EQ(bg_json_get_number(&at, j, "inf", BG_JSON_REQUIRED, 0, 1, &d), BG_EINPUT);
	CHECK_MSG("t.json: inf: expected a finite number, got inf");
	TF_CHECK(bg_json_get_integer(&at, j, "two", BG_JSON_REQUIRED, 1, 10, &i) == 1 && i == 2,
		 "two");
	TF_CHECK_EQ(bg_json_get_integer(&at, j, "two", BG_JSON_REQUIRED, 3, 10, &i), BG_EINPUT);
	CHECK_MSG("t.json: two: expected an integer in [3, 10], got a number");
	TF_CHECK_EQ(bg_json_get_integer(&at, j, "frac", BG_JSON_REQUIRED, 0, INT_MAX, &i),
		    BG_EINPUT);
	CHECK_MSG("t.json: frac: expected an integer >= 0, got a number");
	TF_CHECK_EQ(bg_json_get_integer(&at, j, "s", BG_JSON_REQUIRED, INT64_MIN, INT64_MAX, &i),
		    BG_EINPUT);
	CHECK_MSG("t.json: s: expected an integer, got a string");
	/* beyond 2^53 a double does not hold every integer: not exact, so not one */
	TF_CHECK_EQ(bg_json_get_integer(&at, j, "huge", BG_JSON_REQUIRED, 0, INT64_MAX, &i),
		    BG_EINPUT);
	TF_CHECK_EQ(bg_json_get_integer(&at, j, "big", BG_JSON_REQUIRED, 0, INT64_MAX, &i),
		    BG_EINPUT);
	cJSON_Delete(j);
}

TF_TEST(json__bools_objects_and_arrays)
{
	cJSON *j = doc("{\"t\": true, \"o\": {\"k\": [1, 2]}, \"z\": 0}");
	struct bg_json_at at, sub;
	const cJSON *o = NULL, *a = NULL;
	int b = -1;
	bg_json_at_root(&at, "t.json");
	TF_CHECK(bg_json_get_bool(&at, j, "t", BG_JSON_REQUIRED, &b) == 1 && b == 1, "true");
	TF_CHECK_EQ(bg_json_get_bool(&at, j, "z", BG_JSON_REQUIRED, &b), BG_EINPUT);
	CHECK_MSG("t.json: z: expected a boolean, got a number");
	TF_CHECK_EQ(bg_json_get_object(&at, j, "o", BG_JSON_REQUIRED, &o, &sub), 1);
	TF_CHECK(o && !strcmp(sub.path, "o"), "object and its cursor");
	TF_CHECK_EQ(bg_json_get_array(&sub, o, "k", BG_JSON_REQUIRED, &a, &sub), 1);
	TF_CHECK(a && cJSON_GetArraySize(a) == 2, "array");
	TF_CHECK_EQ(bg_json_get_array(&at, j, "o", BG_JSON_REQUIRED, &a, NULL), BG_EINPUT);
	CHECK_MSG("t.json: o: expected an array, got an object");
	TF_CHECK(a == NULL, "out cleared on a wrong type");
	TF_CHECK_EQ(bg_json_get_object(&at, j, "z", BG_JSON_OPTIONAL, &o, NULL), BG_EINPUT);
	CHECK_MSG("t.json: z: expected an object, got a number");
	TF_CHECK_EQ(bg_json_get_object(&at, j, "none", BG_JSON_OPTIONAL, &o, NULL), 0);
	TF_CHECK(o == NULL, "absent reads as NULL");
	cJSON_Delete(j);
}

TF_TEST(json__parse_object_and_blank)
{
	cJSON *j = (cJSON *)1;
	TF_CHECK_EQ(bg_json_parse_object(&j, "[1]", 3, "t.json"), BG_EINPUT);
	CHECK_MSG("t.json: expected a JSON object at the top level, got an array");
	TF_CHECK(j == NULL, "nothing returned");
	TF_CHECK_EQ(bg_json_parse_object(&j, "{\"a\": ", 6, "t.json"), BG_EINPUT);
	TF_CHECK(strstr(bg_error_last(), "t.json: JSON ends early at line 1"), "%s",
		 bg_error_last());
	TF_CHECK_EQ(bg_json_parse_object(&j, " {} ", 4, "t.json"), 0);
	TF_CHECK(cJSON_IsObject(j), "object");
	cJSON_Delete(j);
	TF_CHECK(bg_json_blank(" \t\r\n", 4) && bg_json_blank("", 0), "blank");
	TF_CHECK(!bg_json_blank(" x", 2), "not blank");
}

TF_TEST(json__unique_keys)
{
	cJSON *j = doc("{\"b\": 1, \"a\": {\"x\": 1, \"y\": 2, \"x\": 3}, \"c\": 2, \"a\": 0, "
		       "\"b\": 3, \"\": 1, \"\": 2}");
	struct bg_json_at at, sub;
	bg_json_at_root(&at, "t.json");
	/* the first member that repeats an earlier key, in document order: a, not b */
	TF_CHECK_EQ(bg_json_unique_keys(&at, j), BG_EINPUT);
	CHECK_MSG("t.json: a: duplicate key");
	bg_json_at_key(&sub, &at, "a");
	TF_CHECK_EQ(bg_json_unique_keys(&sub, bg_json_member(j, "a")), BG_EINPUT);
	CHECK_MSG("t.json: a.x: duplicate key");
	cJSON_Delete(j);
	j = doc("{\"\": 1, \"k\": [1, 1], \"K\": {}, \"\": 2}");
	TF_CHECK_EQ(bg_json_unique_keys(&at, j), BG_EINPUT);
	CHECK_MSG("t.json: \"\": duplicate key");
	cJSON_Delete(j);
	j = doc("{\"k\": {}, \"K\": {\"k\": 1}, \"kk\": [\"k\", \"k\"]}");
	TF_CHECK_EQ(bg_json_unique_keys(&at, j), 0); /* case-sensitive; only this object */
	TF_CHECK_EQ(bg_json_unique_keys(&at, bg_json_member(j, "kk")), 0); /* not an object */
	cJSON_Delete(j);
	j = doc("{}");
	TF_CHECK_EQ(bg_json_unique_keys(&at, j), 0);
	cJSON_Delete(j);
}
