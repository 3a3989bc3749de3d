/* A runner of a fleet (bitgate nightly --claim): its pool and name, and the loop that claims
 * the pool's queued commits one at a time from the shared database, keeps each claim's
 * lease alive from a thread with its own connection while the commit is measured, and
 * releases it. The queue itself is db/'s (bg_db_queue_*). */
#ifndef BG_FLEET_H
#define BG_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "bg_app.h"

/* The pool a runner joins without --pool: its machine class, a short stable name from the
 * machine's fingerprint (the CPU model in [a-z0-9-], cut at 32 characters, and the first 8
 * hex digits of the fingerprint) into out (cap bytes). */
void bg_fleet_default_pool(char *out, size_t cap, const struct bg_machine_rec *m);

/* 0 when name is a pool's name: 1 to 64 characters of [A-Za-z0-9._-]; else BG_EINPUT
 * naming it. */
int bg_fleet_check_pool(const char *name);

struct bg_fleet {
	struct bg_app *app; /* its database, and its path for the renewing thread's own */
	const char *pool;   /* borrowed */
	char runner[128];   /* this process: host:pid:random */
	int lease_s;        /* each claim's lease; renewed every third of it */
	size_t measured;    /* commits this runner released done */
	size_t lost;        /* claims whose lease ran out while this runner worked on them */
};

/* A fleet runner of pool on app (database open) with leases of lease_s seconds. */
int bg_fleet_init(struct bg_fleet *f, struct bg_app *app, const char *pool, int lease_s);

/* Measures one claimed commit: 0 with *done 1 (measured, or found unmeasurable) or 0 (a
 * failure worth another try by a later nightly) and *run_uuid the run's uuid (malloc'd; may
 * stay NULL), or a negative code to stop the runner (the claim is released as failed). */
typedef int (*bg_fleet_measure_fn)(void *arg, const char *sha, int *done, char **run_uuid);

/* Claims and measures the pool's queued commits of kind until none is left, waiting while
 * other runners hold claims (a dead one's lease runs out and its commit comes back) unless
 * interrupted. Returns 0, or the first negative code (from measure, or the database). */
int bg_fleet_work(struct bg_fleet *f, const char *kind, bg_fleet_measure_fn measure, void *arg);

#endif
