/* A small test framework: BN_TEST(module__case) registers a case; the test program runs
 * one case by name (ctest runs each in its own process) or all of them. Exit status 0 pass,
 * 1 fail, 77 skip (ctest SKIP_RETURN_CODE), with the reason printed. */
#ifndef BN_TEST_H
#define BN_TEST_H

#include <stdio.h>
#include <stdlib.h>

typedef void (*bn_test_fn)(void);
void bn_test_register(const char *name, bn_test_fn fn);
void bn_test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
void bn_test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define BN_TEST(name)                                                                              \
	static void name(void);                                                                    \
	__attribute__((constructor)) static void bn_test_reg_##name(void)                          \
	{                                                                                          \
		bn_test_register(#name, name);                                                     \
	}                                                                                          \
	static void name(void)

#define BN_CHECK(cond, ...)                                                                        \
	do {                                                                                       \
		if (!(cond))                                                                       \
			bn_test_fail(__FILE__, __LINE__, __VA_ARGS__);                             \
	} while (0)

#define BN_CHECK_EQ(a, b)                                                                          \
	do {                                                                                       \
		long long bn_a_ = (long long)(a), bn_b_ = (long long)(b);                          \
		if (bn_a_ != bn_b_)                                                                \
			bn_test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, bn_a_,  \
				     bn_b_);                                                       \
	} while (0)

#define BN_SKIP(...) bn_test_skip(__VA_ARGS__)

/* want, or fewer where threads cannot be made: BN_TEST_MAX_THREADS in the environment, or
 * the BN_TEST_THREADS_CAP build definition (static builds run under the AVX-512/AMX
 * emulator, which has no threads). */
int bn_test_max_threads(int want);

/* A new empty file under $TMPDIR (default /tmp) named after tag; malloc'd path. The
 * caller unlinks and frees it. Fails the test when it cannot be made. */
char *bn_test_tmpfile(const char *tag);

/* What a program run by bn_test_run printed and how it ended. */
struct bn_test_output {
	int status; /* exit code, or 128 + signal */
	char *out;  /* stdout, NUL-terminated */
	char *err;  /* stderr */
};

/* Runs path with args (NULL-terminated, argv[0] excluded) and no shell; the child first
 * unsets each name in unset (NULL-terminated or NULL), then puts each NAME=VALUE of env. */
struct bn_test_output bn_test_run(const char *path, const char *const *args,
				  const char *const *unset, const char *const *env);
void bn_test_output_free(struct bn_test_output *r);

/* Deterministic random numbers for test data. */
unsigned long long bn_test_rand(void);
void bn_test_seed(unsigned long long seed);

#endif
