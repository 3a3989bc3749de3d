/* common/proc.c's phases beyond test_common.c's outcomes: the output files opened before
 * anything is started (each failure naming its path), an empty command, and the progress
 * tick and wall time while the child runs. */
#include <string.h>

#include "bg_error.h"
#include "bg_proc.h"
#include "tf.h"

TF_TEST(proc__output_files_fail_before_the_start)
{
	char *argv[] = {"/bin/sh", "-c", "exit 0", NULL};
	struct bg_proc_opts o = {
		.argv = argv, .stdout_path = "/nonexistent-bitgate-dir/out", .pin_cpu = -1};
	struct bg_proc_result r;
	TF_CHECK_EQ(bg_proc_run(&o, &r), BG_EINFRA);
	TF_CHECK(strstr(bg_error_last(), "/nonexistent-bitgate-dir/out") != NULL, "message: %s",
		 bg_error_last());
	TF_CHECK(!r.exited && r.wall_s == 0, "nothing ran");
	o.stdout_path = NULL;
	o.stderr_path = "/nonexistent-bitgate-dir/err";
	TF_CHECK_EQ(bg_proc_run(&o, &r), BG_EINFRA);
	TF_CHECK(strstr(bg_error_last(), "/nonexistent-bitgate-dir/err") != NULL, "message: %s",
		 bg_error_last());
	TF_CHECK(!r.exited, "nothing ran");

	char *none[] = {NULL};
	o.argv = none;
	o.stderr_path = NULL;
	TF_CHECK_EQ(bg_proc_run(&o, &r), BG_EINPUT);
	TF_CHECK(strstr(bg_error_last(), "empty command") != NULL, "message: %s", bg_error_last());
}

struct ticks {
	int n;
	double last;
	int backwards;
};

static void count_tick(void *arg, double elapsed)
{
	struct ticks *t = arg;
	t->backwards += elapsed < t->last;
	t->last = elapsed;
	t->n++;
}

TF_TEST(proc__ticks_while_the_child_runs)
{
	char *argv[] = {"/bin/sh", "-c", "sleep 0.7", NULL};
	struct ticks t = {0};
	struct bg_proc_opts o = {.argv = argv, .pin_cpu = -1, .tick = count_tick, .tick_arg = &t};
	struct bg_proc_result r;
	TF_CHECK_EQ(bg_proc_run(&o, &r), 0);
	TF_CHECK(bg_proc_ok(&r), "ok");
	/* about every 200 ms: two at the least in 0.7 s, each later than the one before */
	TF_CHECK(t.n >= 2, "%d ticks", t.n);
	TF_CHECK(!t.backwards, "elapsed went backwards");
	TF_CHECK(r.wall_s >= 0.6 && r.wall_s < 30, "wall %.2f s", r.wall_s);
	TF_CHECK(t.last <= r.wall_s, "a tick after the end: %.2f > %.2f", t.last, r.wall_s);
}
