/* common/regex.c: patterns from files and command lines bounded before regcomp (the issue's
 * "a" and 21 '+' took 1.5 GB in glibc), each refusal saying why, and ordinary filters kept. */
#include <regex.h>
#include <string.h>

#include "bg_error.h"
#include "bg_regex.h"
#include "tf.h"

/* re is refused by the check alone (regcomp never sees it), with want in the reason. */
static void expect_refused(const char *re, const char *want)
{
	char why[256] = "";
	TF_CHECK(bg_regex_check(re, why, sizeof(why)) == BG_EINPUT, "%s: accepted", re);
	TF_CHECK(strstr(why, want) != NULL, "%s: \"%s\", want \"%s\"", re, why, want);
}

TF_TEST(regex__blow_ups_refused_before_regcomp)
{
	char plus[32] = "a";
	memset(plus + 1, '+', 21);
	plus[22] = '\0';
	expect_refused(plus, "too large once its repetitions are expanded");
	expect_refused("a{40}{40}{40}", "too large once its repetitions are expanded");
	expect_refused("((((((((((a+)+)+)+)+)+)+)+)+)+)+", "too large once its repetitions");
	expect_refused("(a{46}){46}", "too large once its repetitions");
	expect_refused("((.{1,20}){1,20}){1,20}", "too large once its repetitions");
	expect_refused("(a|b|c|d|e|f|g|h|i|j|k|l|m|n){80}", "too large");
	/* small once expanded, but regcomp's time grows with the square of the optional
	 * elements: 3.4 s under ASan, and CI's fuzz run found one over 10 s */
	expect_refused("(x*y){0,500}", "too costly to compile once its repetitions are expanded");
	expect_refused("(a|bc){0,300}", "more than 512 optional elements");
	expect_refused(".{0,513}", "more than 512 optional elements");
	/* copies of, or a loop over, what can match nothing: exponential in regcomp
	 * ("x*{0,16}{4,}" and "^x**0**v**..." 20 times: over 20 s; fuzz_regex found the first
	 * and "^^#*\xfd" and 13 '*' ...) */
	static const char *const empty_copies[] = {
		"h,1{512}a*)*{0,64}{4,}a*)*JJJ65!}",
		"x*{0,8}{4,}",
		"(a*)*{0,64}",
		"(|a){0,3}",
		"(a?){2}",
		"x{0,8}{4,}",
		"^{2}",
		"\\b+",
		"(a*)+",
		".*+",
		"5+{1,}{,}{50,}{5,}",
		"a**",
		"(a*)*",
		"(a?)*",
		"(|b)*",
		"x?{1,}",
		"((((())){2,255})*))+)", /* from fuzz_config */
		"^^#*\xfd*************0*****************v*********\xd6**********?Z\xbf",
		"^x**0**v**d**e**f**g**h**i**j**k**l**m**n**o**p**q**r**s**t**"};
	for (size_t i = 0; i < sizeof(empty_copies) / sizeof(empty_copies[0]); i++)
		expect_refused(empty_copies[i],
			       "a repetition of something that can match the empty string");
	expect_refused(")*{3}", "can match the empty string (regcomp can take exponential time; "
				"(x*)* is x*) at byte 3");
	expect_refused("a{2049}", "a repetition count above 2048 at byte 2");
	/* inside an interval glibc reads "\\0" as 0 and "\\," as a comma: {,4031} */
	expect_refused("sa{,4\\031}", "a repetition count above 2048 at byte 3");
	expect_refused(".{0\\,5\\0\\0\\0}", "a repetition count above 2048");
	expect_refused("a{1,99999999999999999999999}", "a repetition count above 2048");
	expect_refused("(a*)b\\1", "a back-reference (not supported) at byte 6");
	char longre[1100];
	memset(longre, 'a', sizeof(longre) - 1);
	longre[sizeof(longre) - 1] = '\0';
	expect_refused(longre, "1099 bytes long, more than the 1024");
}

TF_TEST(regex__ordinary_filters_compile_and_match)
{
	static const char *const ok[] = {
		"^gemv/",
		"^(matmul|gemv)/avx2/[0-9]+x[0-9]+$",
		"[[:alpha:]]+/[^/]*\\.x{1,3}",
		"(a{30}){30}",
		"a{255}",
		"a{1000}",
		".{0,300}",
		".{0,511}",
		"(a*)?",
		"a*?b??",
		"((x*y){0,16}y){4,}",
		"(^a){3}",
		"a{,1\\0}",
		"a{1\\,2}",
		"BM_.*?foo",
		"matmul/.+?x",
		"x{2}{3}",
		"[]{]{2}",
		"a{,3}",
		")",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		regex_t re;
		char why[256] = "";
		TF_CHECK(bg_regex_compile(&re, ok[i], why, sizeof(why)) == 0, "%s: %s", ok[i], why);
		regfree(&re);
	}
	regex_t re;
	char why[256] = "";
	/* an exact name, as bisect builds one: long, every element a literal */
	char exact[1024] = "^";
	for (size_t i = 1; i < 1000; i++)
		exact[i] = i % 3 ? 'x' : '/';
	strcpy(exact + 1000, "\\.\\[1\\]$");
	TF_CHECK(bg_regex_compile(&re, exact, why, sizeof(why)) == 0, "%s", why);
	regfree(&re);
	TF_CHECK_EQ(bg_regex_compile(&re, "^matmul/(avx2|ref)/", why, sizeof(why)), 0);
	TF_CHECK(regexec(&re, "matmul/avx2/64", 0, NULL, 0) == 0, "match");
	TF_CHECK(regexec(&re, "gemv/avx2/64", 0, NULL, 0) != 0, "no match");
	regfree(&re);
	/* within the bounds but invalid: regcomp's reason */
	TF_CHECK_EQ(bg_regex_compile(&re, "(", why, sizeof(why)), BG_EINPUT);
	TF_CHECK(strstr(why, "not a valid regular expression (") == why, "%s", why);
}
