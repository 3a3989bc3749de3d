/* The test runner behind tf.h. */
#include "tf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TESTS 256

static struct {
	const char *name;
	tf_fn fn;
} tests[MAX_TESTS];
static int ntests;
static const char *current = "?";

const char *tf_case_name(void)
{
	return current;
}
static jmp_buf skip_jump; /* a skipped case returns here so the others still run */
static int skipped;

void tf_register(const char *name, tf_fn fn)
{
	if (ntests < MAX_TESTS) {
		tests[ntests].name = name;
		tests[ntests].fn = fn;
		ntests++;
	}
}

void tf_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "FAIL %s: %s:%d: ", current, file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void tf_skip(const char *fmt, ...)
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

int tf_max_threads(int want)
{
#ifdef TF_THREADS_CAP
	int cap = TF_THREADS_CAP;
#else
	int cap = 256;
#endif
	const char *v = getenv("TF_MAX_THREADS");
	if (v && atoi(v) >= 1)
		cap = atoi(v);
	return want < cap ? want : cap;
}

static unsigned long long rng = 0x243f6a8885a308d3ull;

void tf_seed(unsigned long long seed)
{
	rng = seed ? seed : 1;
}

/* $TMPDIR/tag-XXXXXX (default /tmp), malloc'd, for mkstemp or mkdtemp to fill in. */
static char *tmp_template(const char *tag)
{
	const char *dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	size_t n = strlen(dir) + strlen(tag) + 16;
	char *p = malloc(n);
	TF_CHECK(p, "out of memory");
	snprintf(p, n, "%s/%s-XXXXXX", dir, tag);
	return p;
}

char *tf_tmpfile(const char *tag)
{
	char *p = tmp_template(tag);
	int fd = mkstemp(p);
	TF_CHECK(fd >= 0, "mkstemp %s", p);
	close(fd);
	return p;
}

char *tf_tmpdir(const char *tag)
{
	char *p = tmp_template(tag);
	TF_CHECK(mkdtemp(p), "mkdtemp %s", p);
	return p;
}

void tf_tmpdir_in(char *out, size_t size, const char *tag)
{
	char *p = tf_tmpdir(tag);
	TF_CHECK(strlen(p) < size, "scratch directory name too long: %s", p);
	memcpy(out, p, strlen(p) + 1);
	free(p);
}

static char *slurp(FILE *f)
{
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *s = malloc((size_t)(n > 0 ? n : 0) + 1);
	TF_CHECK(s, "out of memory");
	size_t got = n > 0 ? fread(s, 1, (size_t)n, f) : 0;
	s[got] = '\0';
	return s;
}

struct tf_output tf_run(const char *path, const char *const *args, const char *const *unset,
			const char *const *env)
{
	FILE *o = tmpfile(), *e = tmpfile();
	TF_CHECK(o && e, "tmpfile failed");
	fflush(NULL);
	pid_t pid = fork();
	TF_CHECK(pid >= 0, "fork failed");
	if (pid == 0) {
		dup2(fileno(o), 1);
		dup2(fileno(e), 2);
		for (int i = 0; unset && unset[i]; i++)
			unsetenv(unset[i]);
		for (int i = 0; env && env[i]; i++)
			putenv((char *)env[i]);
		const char *argv[64] = {path};
		int n = 1;
		for (int i = 0; args[i] && n < 63; i++)
			argv[n++] = args[i];
		argv[n] = NULL;
		execv(path, (char *const *)argv);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	struct tf_output r = {.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st)};
	r.out = slurp(o);
	r.err = slurp(e);
	fclose(o);
	fclose(e);
	return r;
}

void tf_output_free(struct tf_output *r)
{
	free(r->out);
	free(r->err);
}

unsigned long long tf_rand(void)
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
