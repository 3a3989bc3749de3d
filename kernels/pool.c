/* Persistent worker threads for the kernels (see bn_pool.h). */
#include "bn_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "bn_error.h"

#define BN_POOL_SPIN_NS 200000 /* spin this long before sleeping on the condition */

struct bn_worker {
	struct bn_pool *pool;
	int tid;
	pthread_t thread;
};

struct bn_pool {
	int threads;
	struct bn_worker *workers; /* threads - 1 of them; the caller is thread 0 */
	pthread_mutex_t mu;
	pthread_cond_t start; /* gen changed or stop */
	pthread_cond_t done;  /* remaining reached 0 */
	atomic_uint gen;      /* incremented for each job */
	atomic_int remaining; /* workers still running the current job */
	atomic_int stop;
	bn_pool_fn fn; /* the current job, written before gen is bumped */
	void *arg;
};

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Waits until pred(pool, v) is false by spinning, then sleeping on cv. */
static void wait_gen(struct bn_pool *p, unsigned seen)
{
	long long t0 = now_ns();
	for (unsigned i = 1;; i++) {
		if (atomic_load_explicit(&p->gen, memory_order_acquire) != seen ||
		    atomic_load_explicit(&p->stop, memory_order_acquire))
			return;
		cpu_relax();
		if ((i & 255) == 0 && now_ns() - t0 > BN_POOL_SPIN_NS)
			break;
	}
	pthread_mutex_lock(&p->mu);
	while (atomic_load(&p->gen) == seen && !atomic_load(&p->stop))
		pthread_cond_wait(&p->start, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

static void wait_done(struct bn_pool *p)
{
	long long t0 = now_ns();
	for (unsigned i = 1;; i++) {
		if (atomic_load_explicit(&p->remaining, memory_order_acquire) == 0)
			return;
		cpu_relax();
		if ((i & 255) == 0 && now_ns() - t0 > BN_POOL_SPIN_NS)
			break;
	}
	pthread_mutex_lock(&p->mu);
	while (atomic_load(&p->remaining) != 0)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

static void *worker_main(void *arg)
{
	struct bn_worker *w = arg;
	struct bn_pool *p = w->pool;
	unsigned seen = 0;
	for (;;) {
		wait_gen(p, seen);
		if (atomic_load_explicit(&p->stop, memory_order_acquire))
			return NULL;
		seen = atomic_load_explicit(&p->gen, memory_order_acquire);
		p->fn(p->arg, w->tid);
		if (atomic_fetch_sub_explicit(&p->remaining, 1, memory_order_acq_rel) == 1) {
			pthread_mutex_lock(&p->mu);
			pthread_cond_signal(&p->done);
			pthread_mutex_unlock(&p->mu);
		}
	}
}

int bn_pool_new(struct bn_pool **out, int threads)
{
	*out = NULL;
	if (threads < 1 || threads > 256)
		return bn_error_set(BN_EINVAL, "thread count %d: expected 1..256", threads);
	struct bn_pool *p = calloc(1, sizeof(*p));
	if (!p)
		return bn_error_set(BN_ENOMEM, "thread pool: out of memory");
	p->threads = threads;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->start, NULL);
	pthread_cond_init(&p->done, NULL);
	if (threads > 1) {
		p->workers = calloc((size_t)threads - 1, sizeof(*p->workers));
		if (!p->workers) {
			bn_pool_free(p);
			return bn_error_set(BN_ENOMEM, "thread pool: out of memory");
		}
	}
	for (int i = 1; i < threads; i++) {
		struct bn_worker *w = &p->workers[i - 1];
		w->pool = p;
		w->tid = i;
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			p->threads = i; /* join only those that started */
			bn_pool_free(p);
			return bn_error_set(BN_EIO, "thread pool: could not start thread %d of %d",
					    i, threads);
		}
	}
	*out = p;
	return 0;
}

void bn_pool_free(struct bn_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	atomic_store(&p->stop, 1);
	pthread_cond_broadcast(&p->start);
	pthread_mutex_unlock(&p->mu);
	for (int i = 1; i < p->threads; i++)
		pthread_join(p->workers[i - 1].thread, NULL);
	pthread_cond_destroy(&p->start);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->mu);
	free(p->workers);
	free(p);
}

void bn_pool_run(struct bn_pool *p, bn_pool_fn fn, void *arg)
{
	if (p->threads == 1) {
		fn(arg, 0);
		return;
	}
	p->fn = fn;
	p->arg = arg;
	atomic_store_explicit(&p->remaining, p->threads - 1, memory_order_relaxed);
	pthread_mutex_lock(&p->mu);
	atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
	pthread_cond_broadcast(&p->start);
	pthread_mutex_unlock(&p->mu);
	fn(arg, 0);
	wait_done(p);
}
