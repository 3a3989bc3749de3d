/* The test runner behind bn_test.h. */
#include "bn_test.h"

#include <setjmp.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#define MAX_TESTS 256

static struct {
	const char *name;
	bn_test_fn fn;
} tests[MAX_TESTS];
static int ntests;
static const char *current = "?";
static jmp_buf skip_jump; /* a skipped case returns here so the others still run */
static int skipped;

void bn_test_register(const char *name, bn_test_fn fn)
{
	if (ntests < MAX_TESTS) {
		tests[ntests].name = name;
		tests[ntests].fn = fn;
		ntests++;
	}
}

void bn_test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "FAIL %s: %s:%d: ", current, file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void bn_test_skip(const char *fmt, ...)
{
	va_list ap;
	printf("SKIP %s: ", current);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	longjmp(skip_jump, 1);
}

int bn_test_max_threads(int want)
{
#ifdef BN_TEST_THREADS_CAP
	int cap = BN_TEST_THREADS_CAP;
#else
	int cap = 256;
#endif
	const char *v = getenv("BN_TEST_MAX_THREADS");
	if (v && atoi(v) >= 1)
		cap = atoi(v);
	return want < cap ? want : cap;
}

static unsigned long long rng = 0x243f6a8885a308d3ull;

void bn_test_seed(unsigned long long seed)
{
	rng = seed ? seed : 1;
}

char *bn_test_tmpfile(const char *tag)
{
	const char *dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	size_t n = strlen(dir) + strlen(tag) + 16;
	char *p = malloc(n);
	BN_CHECK(p, "out of memory");
	snprintf(p, n, "%s/%s-XXXXXX", dir, tag);
	int fd = mkstemp(p);
	BN_CHECK(fd >= 0, "mkstemp %s", p);
	close(fd);
	return p;
}

unsigned long long bn_test_rand(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (int i = 0; i < ntests; i++)
			printf("%s\n", tests[i].name);
		return 0;
	}
	int ran = 0;
	for (int i = 0; i < ntests; i++) {
		if (argc > 1 && strcmp(argv[1], tests[i].name))
			continue;
		current = tests[i].name;
		ran++;
		if (setjmp(skip_jump)) {
			skipped++;
			continue;
		}
		tests[i].fn();
		printf("ok %s\n", current);
	}
	if (argc > 1 && ran == 0) {
		fprintf(stderr, "no test named %s (--list shows them)\n", argv[1]);
		return 2;
	}
	/* one case asked for and skipped: tell ctest (SKIP_RETURN_CODE) */
	return argc > 1 && skipped ? 77 : 0;
}
