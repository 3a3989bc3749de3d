/* Internal: a small pool of persistent worker threads. bn_pool_run() runs fn on every
 * thread (the caller is thread 0) and returns when all are done. Workers spin briefly
 * between jobs, then sleep, so back-to-back kernel calls do not pay a wake-up each. */
#ifndef BN_POOL_H
#define BN_POOL_H

struct bn_pool;

typedef void (*bn_pool_fn)(void *arg, int tid);

int bn_pool_new(struct bn_pool **out, int threads);
void bn_pool_free(struct bn_pool *pool);
void bn_pool_run(struct bn_pool *pool, bn_pool_fn fn, void *arg);

#endif
