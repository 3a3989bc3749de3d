/* common/error.c: the thread's last message and code, wrapping with context (cut to fit,
 * never overrun), and the exit status each code maps to. */
#include <pthread.h>
#include <string.h>

#include "bg_error.h"
#include "tf.h"

TF_TEST(error__set_wrap_and_clear)
{
	TF_CHECK_EQ(bg_error_set(BG_ENOTFOUND, "%s: no such run", "r7"), BG_ENOTFOUND);
	TF_CHECK(!strcmp(bg_error_last(), "r7: no such run"), "%s", bg_error_last());
	TF_CHECK_EQ(bg_error_code(), BG_ENOTFOUND);
	TF_CHECK_EQ(bg_error_wrap("f.jsonl:%d", 3), BG_ENOTFOUND);
	TF_CHECK(!strcmp(bg_error_last(), "f.jsonl:3: r7: no such run"), "%s", bg_error_last());
	TF_CHECK_EQ(bg_error_oom(), BG_ENOMEM);
	TF_CHECK(!strcmp(bg_error_last(), "out of memory"), "%s", bg_error_last());
	bg_error_clear();
	TF_CHECK(!bg_error_last()[0] && bg_error_code() == 0, "cleared");
}

TF_TEST(error__long_messages_are_cut_not_overrun)
{
	char big[3000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	bg_error_set(BG_EINPUT, "%s", big);
	size_t n = strlen(bg_error_last());
	TF_CHECK(n > 0 && n < sizeof(big) - 1, "cut: %zu", n);
	bg_error_wrap("%s", big);
	const char *m = bg_error_last();
	TF_CHECK(strlen(m) == n && m[0] == 'x', "wrapped and cut to the same room: %zu", strlen(m));
}

static void *other_thread(void *arg)
{
	(void)arg;
	bg_error_set(BG_EDB, "other thread");
	return NULL;
}

TF_TEST(error__each_thread_has_its_own)
{
	bg_error_set(BG_EINPUT, "this thread");
	pthread_t t;
	TF_CHECK_EQ(pthread_create(&t, NULL, other_thread, NULL), 0);
	pthread_join(t, NULL);
	TF_CHECK(!strcmp(bg_error_last(), "this thread") && bg_error_code() == BG_EINPUT, "%s",
		 bg_error_last());
}

TF_TEST(error__exit_codes)
{
	TF_CHECK_EQ(bg_error_exit_code(0), BG_EXIT_OK);
	TF_CHECK_EQ(bg_error_exit_code(BG_EINPUT), BG_EXIT_USAGE);
	TF_CHECK_EQ(bg_error_exit_code(BG_ENOTFOUND), BG_EXIT_USAGE);
	TF_CHECK_EQ(bg_error_exit_code(BG_EINFRA), BG_EXIT_INFRA);
	TF_CHECK_EQ(bg_error_exit_code(BG_EDB), BG_EXIT_INFRA);
	TF_CHECK_EQ(bg_error_exit_code(BG_ENOMEM), BG_EXIT_INFRA);
	TF_CHECK_EQ(bg_error_exit_code(BG_EINTR), BG_EXIT_INFRA);
}
