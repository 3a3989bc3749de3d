/* A small test framework: TF_TEST(module__case) registers a case; the test program runs
 * one case by name (ctest runs each in its own process) or all of them. Exit status 0 pass,
 * 1 fail, 77 skip (ctest SKIP_RETURN_CODE), with the reason printed. */
#ifndef TF_H
#define TF_H

#include <stdio.h>
#include <stdlib.h>

typedef void (*tf_fn)(void);
void tf_register(const char *name, tf_fn fn);
void tf_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
/* The name of the case running now (for names of its scratch things). */
const char *tf_case_name(void);
void tf_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define TF_TEST(name)                                                                              \
	static void name(void);                                                                    \
	__attribute__((constructor)) static void tf_reg_##name(void)                               \
	{                                                                                          \
		tf_register(#name, name);                                                          \
	}                                                                                          \
	static void name(void)

#define TF_CHECK(cond, ...)                                                                        \
	do {                                                                                       \
		if (!(cond))                                                                       \
			tf_fail(__FILE__, __LINE__, __VA_ARGS__);                                  \
	} while (0)

#define TF_CHECK_EQ(a, b)                                                                          \
	do {                                                                                       \
		long long tf_a_ = (long long)(a), tf_b_ = (long long)(b);                          \
		if (tf_a_ != tf_b_)                                                                \
			tf_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, tf_a_,       \
				tf_b_);                                                            \
	} while (0)

#define TF_SKIP(...) tf_skip(__VA_ARGS__)

/* want, or fewer where threads cannot be made: TF_MAX_THREADS in the environment, or
 * the TF_THREADS_CAP build definition (static builds run under the AVX-512/AMX
 * emulator, which has no threads). */
int tf_max_threads(int want);

/* A new empty file under $TMPDIR (default /tmp) named after tag; malloc'd path. The
 * caller unlinks and frees it. Fails the test when it cannot be made. */
char *tf_tmpfile(const char *tag);

/* A new empty directory under $TMPDIR (default /tmp) named after tag; malloc'd path. The
 * caller removes and frees it. Fails the test when it cannot be made. */
char *tf_tmpdir(const char *tag);

/* tf_tmpdir into a buffer of size bytes, for fixtures that keep the path in an array. */
void tf_tmpdir_in(char *out, size_t size, const char *tag);

/* What a program run by tf_run printed and how it ended. */
struct tf_output {
	int status; /* exit code, or 128 + signal */
	char *out;  /* stdout, NUL-terminated */
	char *err;  /* stderr */
};

/* Runs path with args (NULL-terminated, argv[0] excluded) and no shell; the child first
 * unsets each name in unset (NULL-terminated or NULL), then puts each NAME=VALUE of env. */
struct tf_output tf_run(const char *path, const char *const *args, const char *const *unset,
			const char *const *env);
void tf_output_free(struct tf_output *r);

/* Deterministic random numbers for test data. */
unsigned long long tf_rand(void);
void tf_seed(unsigned long long seed);

#endif
