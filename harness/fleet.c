/* A runner of a fleet (bg_fleet.h): claims the pool's queued commits one at a time, renews
 * the claim's lease from a thread with its own database connection while the commit is
 * measured (a build or a bench round may take longer than a lease; the main thread's
 * connection is busy with the run), and releases it done or failed. */
#include "bg_fleet.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "bg_error.h"
#include "bg_hash.h"
#include "bg_log.h"
#include "bg_proc.h"

void bg_fleet_default_pool(char *out, size_t cap, const struct bg_machine_rec *m)
{
	size_t n = 0;
	for (const char *p = m->cpu ? m->cpu : ""; *p && n < 32 && n + 1 < cap; p++) {
		char c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			out[n++] = c;
		else if (n && out[n - 1] != '-')
			out[n++] = '-';
	}
	while (n && out[n - 1] == '-')
		n--;
	snprintf(out + n, cap - n, "%s%.8s", n ? "-" : "", m->fingerprint ? m->fingerprint : "");
}

int bg_fleet_check_pool(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	int ok = n >= 1 && n <= 64;
	for (size_t i = 0; ok && i < n; i++) {
		char c = name[i];
		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		     c == '.' || c == '_' || c == '-';
	}
	if (!ok)
		return bg_error_set(
			BG_EINPUT, "pool \"%s\": expected 1 to 64 letters, digits, '.', '_' or '-'",
			name ? name : "");
	return 0;
}

int bg_fleet_init(struct bg_fleet *f, struct bg_app *app, const char *pool, int lease_s)
{
	memset(f, 0, sizeof(*f));
	f->app = app;
	f->pool = pool;
	f->lease_s = lease_s;
	char host[64] = "";
	unsigned char r[4];
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return bg_error_set(BG_EINFRA, "naming this runner: getrandom: %s",
				    strerror(errno));
	char hex[9];
	bg_hex(hex, r, sizeof(r));
	gethostname(host, sizeof(host) - 1);
	snprintf(f->runner, sizeof(f->runner), "%s:%ld:%s", host[0] ? host : "host", (long)getpid(),
		 hex);
	return 0;
}

/* The thread that keeps one claim's lease alive while the main thread measures. */
struct renewer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;                    /* set by the main thread when the work is done */
	int lost;                    /* the claim was taken back: the lease ran out */
	char msg[512];               /* why the lease could not be renewed, when it could not */
	const char *db_path;         /* its own connection's database */
	struct bg_queue_claim claim; /* its copy */
	const char *runner;
	int lease_s;
};

/* Waits a third of the lease, or until told to stop: 1 when told to stop. */
static int renewer_wait(struct renewer *r)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	long ms = r->lease_s * 1000L / 3;
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L)
		until.tv_sec++, until.tv_nsec -= 1000000000L;
	pthread_mutex_lock(&r->mu);
	while (!r->stop && pthread_cond_timedwait(&r->cv, &r->mu, &until) != ETIMEDOUT)
		;
	int stop = r->stop;
	pthread_mutex_unlock(&r->mu);
	return stop;
}

static void *renewer_main(void *arg)
{
	struct renewer *r = arg;
	struct bg_db *db = NULL;
	if (bg_db_open(&db, r->db_path) < 0) {
		snprintf(r->msg, sizeof(r->msg), "%s", bg_error_last());
		return NULL;
	}
	while (!renewer_wait(r)) {
		int rc = bg_db_queue_renew(db, &r->claim, r->runner, r->lease_s * 1000LL);
		if (rc == 0)
			continue;
		pthread_mutex_lock(&r->mu);
		snprintf(r->msg, sizeof(r->msg), "%s", bg_error_last());
		r->lost = rc == BG_EINFRA;
		pthread_mutex_unlock(&r->mu);
		if (r->lost)
			break; /* another runner has it now; a database error is tried again */
	}
	bg_db_close(db);
	return NULL;
}

static int renewer_start(struct renewer *r, const struct bg_fleet *f,
			 const struct bg_queue_claim *c)
{
	memset(r, 0, sizeof(*r));
	r->db_path = f->app->db_path;
	r->claim = *c;
	r->runner = f->runner;
	r->lease_s = f->lease_s;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	int e = pthread_create(&r->thread, NULL, renewer_main, r);
	if (e) {
		pthread_mutex_destroy(&r->mu);
		pthread_cond_destroy(&r->cv);
		return bg_error_set(BG_EINFRA, "starting the thread that renews leases: %s",
				    strerror(e));
	}
	return 0;
}

/* Stops and joins the thread; 1 when the claim was lost meanwhile (its message logged). */
static int renewer_stop(struct renewer *r)
{
	pthread_mutex_lock(&r->mu);
	r->stop = 1;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->thread, NULL);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	if (r->msg[0])
		bg_log_warn("renewing the lease: %s", r->msg);
	return r->lost;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL); /* a signal ends it early: the loop looks at bg_interrupted */
}

/* One claimed commit: measured under its renewed lease, then released. */
static int work_one(struct bg_fleet *f, const struct bg_queue_claim *c, bg_fleet_measure_fn measure,
		    void *arg)
{
	struct renewer r;
	int done = 0, rc = renewer_start(&r, f, c);
	char *uuid = NULL;
	if (rc < 0)
		return rc;
	bg_log_info("pool %s: claimed %.10s (attempt %d) as %s", f->pool, c->sha, c->attempts,
		    f->runner);
	rc = measure(arg, c->sha, &done, &uuid);
	f->lost += (size_t)renewer_stop(&r);
	int rel = bg_db_queue_release(f->app->db, c, f->runner, rc == 0 && done, uuid);
	free(uuid);
	if (rel == BG_EINFRA) {
		bg_log_warn("%s: it was measured here all the same", bg_error_last());
		rel = 0;
	} else if (rel == 0 && rc == 0 && done) {
		f->measured++;
	}
	return rc < 0 ? rc : rel;
}

int bg_fleet_work(struct bg_fleet *f, const char *kind, bg_fleet_measure_fn measure, void *arg)
{
	long poll_ms = f->lease_s * 1000L / 4;
	poll_ms = poll_ms < 200 ? 200 : poll_ms > 5000 ? 5000 : poll_ms;
	int waiting = 0;
	for (;;) {
		struct bg_queue_claim c;
		int found = 0;
		size_t held = 0, taken = 0;
		if (bg_interrupted(NULL))
			return bg_error_set(BG_EINTR, "interrupted");
		int rc = bg_db_queue_claim(f->app->db, f->pool, kind, f->runner,
					   f->lease_s * 1000LL, &c, &found, &held, &taken);
		if (rc < 0)
			return rc;
		if (taken)
			bg_log_warn(
				"pool %s: took back %zu claim%s whose lease ran out (its runner "
				"stopped?)",
				f->pool, taken, taken == 1 ? "" : "s");
		if (found) {
			waiting = 0;
			if ((rc = work_one(f, &c, measure, arg)) < 0)
				return rc;
			continue;
		}
		if (held == 0)
			return 0;
		if (!waiting++)
			bg_log_info("pool %s: nothing queued; waiting for %zu claim%s of other "
				    "runners (one whose runner stopped comes back when its lease "
				    "runs out)",
				    f->pool, held, held == 1 ? "" : "s");
		sleep_ms(poll_ms);
	}
}
