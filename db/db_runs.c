/* Runs and what they hold: begin, bench results (series, results, samples), test suites,
 * errors, finish; and the queries that read them back, results grouped per series. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "bg_db.h"
#include "bg_error.h"
#include "bg_hash.h"
#include "db_int.h"

/* --- runs ------------------------------------------------------------------------------ */

int db_kind_valid(const char *kind)
{
	return kind && (!strcmp(kind, "ci") || !strcmp(kind, "nightly") || !strcmp(kind, "local"));
}

/* A random (version 4) UUID in out (37 bytes). */
static int make_uuid(char out[37])
{
	uint8_t r[16];
	size_t got = 0;
	while (got < sizeof(r)) {
		ssize_t n = getrandom(r + got, sizeof(r) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return bg_error_set(BG_EINFRA, "making a run id: getrandom: %s",
					    strerror(errno));
		}
		got += (size_t)n;
	}
	r[6] = (uint8_t)((r[6] & 0x0f) | 0x40);
	r[8] = (uint8_t)((r[8] & 0x3f) | 0x80);
	char hex[33];
	bg_hex(hex, r, sizeof(r));
	static const int groups[] = {8, 4, 4, 4, 12};
	char *p = out;
	const char *h = hex;
	for (int g = 0; g < 5; g++) {
		if (g)
			*p++ = '-';
		memcpy(p, h, (size_t)groups[g]);
		p += groups[g];
		h += groups[g];
	}
	*p = '\0';
	return 0;
}

int db_run_insert(struct bg_db *db, const struct bg_run_rec *r, int64_t commit_id, int64_t *id)
{
	struct db_sql_stmt *s;
	int err;
	if ((err = db_stmt(db, ST_RUN_INSERT, &s)) < 0)
		return err;
	db_sql_bind_text(s, 1, r->uuid);
	db_sql_bind_text(s, 2, r->kind);
	db_sql_bind_int64(s, 3, commit_id);
	db_sql_bind_int64(s, 4, r->worktree ? 1 : 0);
	db_sql_bind_text(s, 5, r->tree);
	db_sql_bind_int64(s, 6, r->machine_id);
	if (r->build_id)
		db_sql_bind_int64(s, 7, r->build_id);
	db_sql_bind_text(s, 8, r->config_hash);
	db_sql_bind_text(s, 9, r->env_json);
	db_sql_bind_text(s, 10, r->harness_version);
	db_sql_bind_text(s, 11, r->label);
	db_sql_bind_int64(s, 12, r->started);
	db_sql_bind_int64(s, 13, r->finished);
	db_sql_bind_int64(s, 14, r->complete ? 1 : 0);
	db_sql_bind_text(s, 15, r->status);
	if ((err = db_step_id(db, s, "storing a run", id)) < 0 && db_sql_failed_unique(s))
		return bg_error_set(BG_EINPUT, "%s: storing run %s: a run with this uuid exists",
				    db->path, r->uuid);
	return err;
}

int bg_db_run_begin(struct bg_db *db, struct bg_run_rec *run)
{
	char uuid[37];
	char *made = NULL;
	int64_t commit_id, id = 0;
	int err, exists;
	if (!db_kind_valid(run->kind))
		return bg_error_set(BG_EINPUT,
				    "%s: starting a run: kind \"%s\" is not ci, nightly or local",
				    db->path, run->kind ? run->kind : "(none)");
	if (!run->commit_sha || !*run->commit_sha)
		return bg_error_set(BG_EINPUT, "%s: starting a run: no commit", db->path);
	struct bg_run_rec r = *run;
	if (!r.uuid) {
		if ((err = make_uuid(uuid)) < 0)
			return err;
		if (!(made = bg_strdup(uuid)))
			return BG_ENOMEM;
		r.uuid = made;
	}
	if (!r.started)
		r.started = bg_unix_time();
	r.finished = 0;
	r.complete = 0;
	r.status = "running";
	if ((err = db_begin(db, "starting a run")) < 0)
		goto done;
	if ((err = db_row_exists(db, ST_MACHINE_GET, r.machine_id, &exists)) < 0)
		goto end;
	if (!exists) {
		err = bg_error_set(BG_ENOTFOUND, "%s: starting a run: no machine with id %lld",
				   db->path, (long long)r.machine_id);
		goto end;
	}
	if (r.build_id) {
		if ((err = db_row_exists(db, ST_BUILD_EXISTS, r.build_id, &exists)) < 0)
			goto end;
		if (!exists) {
			err = bg_error_set(BG_ENOTFOUND,
					   "%s: starting a run: no build with id %lld", db->path,
					   (long long)r.build_id);
			goto end;
		}
	}
	if ((err = db_commit_ensure(db, r.commit_sha, &commit_id)) < 0)
		goto end;
	err = db_run_insert(db, &r, commit_id, &id);
end:
	if ((err = db_end(db, err, "starting a run")) < 0)
		goto done;
	run->id = id;
	run->started = r.started;
	if (made) {
		run->uuid = made;
		made = NULL;
	}
done:
	free(made);
	return err;
}

/* BG_ENOTFOUND unless the run exists. */
static int need_run(struct bg_db *db, int64_t run_id, const char *what)
{
	int exists, err;
	if ((err = db_row_exists(db, ST_RUN_EXISTS, run_id, &exists)) < 0)
		return err;
	return exists ? 0
		      : bg_error_set(BG_ENOTFOUND, "%s: %s: no run with id %lld", db->path, what,
				     (long long)run_id);
}

int db_series_id(struct bg_db *db, const char *benchmark, const char *params, const char *metric,
		 const char *mode, int64_t *id)
{
	struct db_sql_stmt *s;
	int err;
	for (int insert = 0; insert < 2; insert++) {
		if ((err = db_stmt(db, insert ? ST_SERIES_INSERT : ST_SERIES_FIND, &s)) < 0)
			return err;
		db_sql_bind_text(s, 1, benchmark);
		db_sql_bind_text(s, 2, params);
		db_sql_bind_text(s, 3, metric);
		db_sql_bind_text(s, 4, mode);
		int rc = db_sql_step(s, "storing a series");
		if (rc == 1) {
			*id = db_sql_col_int64(s, 0);
			db_sql_reset(s);
			return 0;
		}
		if (rc < 0)
			return rc;
		db_sql_reset(s);
	}
	return bg_error_set(BG_EDB, "%s: storing a series: no id came back", db->path);
}

int db_result_insert(struct bg_db *db, const struct db_result_row *r, const char *benchmark,
		     int64_t *id)
{
	struct db_sql_stmt *s;
	int err;
	if ((err = db_stmt(db, ST_RESULT_INSERT, &s)) < 0)
		return err;
	db_sql_bind_int64(s, 1, r->run_id);
	db_sql_bind_int64(s, 2, r->series_id);
	db_sql_bind_int64(s, 3, r->round);
	db_sql_bind_text(s, 4, r->kernel);
	if (r->checked == 0 || r->checked == 1)
		db_sql_bind_int64(s, 5, r->checked);
	db_sql_bind_text(s, 6, r->skipped);
	db_sql_bind_int64(s, 7, r->iterations);
	db_sql_bind_double(s, 8, isfinite(r->elements) ? r->elements : 0);
	db_sql_bind_double(s, 9, isfinite(r->bytes) ? r->bytes : 0);
	err = db_sql_step_insert(s, "storing a result", id);
	db_sql_reset(s);
	if (err < 0 && db_sql_failed_unique(s))
		return db_result_twice(db, r, benchmark);
	return err;
}

int db_result_twice(struct bg_db *db, const struct db_result_row *r, const char *benchmark)
{
	return bg_error_set(BG_EINPUT,
			    "%s: storing results of run %lld: benchmark %s appears twice in round "
			    "%lld",
			    db->path, (long long)r->run_id, benchmark, (long long)r->round);
}

int db_results_begin(struct bg_db *db, struct db_sql_bulk **out)
{
	return db_sql_bulk_begin(db->sql, "results",
				 "id, run_id, series_id, round, kernel, checked, skipped, "
				 "iterations, elements, bytes",
				 "storing results", out);
}

int db_result_row(struct db_sql_bulk *results, int64_t id, const struct db_result_row *r)
{
	db_sql_bulk_int64(results, id);
	db_sql_bulk_int64(results, r->run_id);
	db_sql_bulk_int64(results, r->series_id);
	db_sql_bulk_int64(results, r->round);
	db_sql_bulk_text(results, r->kernel);
	if (r->checked == 0 || r->checked == 1)
		db_sql_bulk_int64(results, r->checked);
	else
		db_sql_bulk_text(results, NULL);
	db_sql_bulk_text(results, r->skipped);
	db_sql_bulk_int64(results, r->iterations);
	db_sql_bulk_double(results, isfinite(r->elements) ? r->elements : 0);
	db_sql_bulk_double(results, isfinite(r->bytes) ? r->bytes : 0);
	return db_sql_bulk_row(results);
}

int db_samples_begin(struct bg_db *db, struct db_sql_bulk **out)
{
	return db_sql_bulk_begin(db->sql, "samples", "result_id, idx, value", "storing samples",
				 out);
}

int db_samples_insert(struct db_sql_bulk *samples, int64_t result_id, const double *values,
		      size_t n)
{
	int err = 0;
	for (size_t i = 0; i < n && err == 0; i++) {
		db_sql_bulk_int64(samples, result_id);
		db_sql_bulk_int64(samples, (int64_t)i);
		db_sql_bulk_double(samples, values[i]);
		err = db_sql_bulk_row(samples);
	}
	return err;
}

int db_bench_output_insert(struct bg_db *db, int64_t run_id, int64_t round, const char *mode,
			   const char *params, const char *format, const char *context)
{
	struct db_sql_stmt *s;
	int err;
	if ((err = db_stmt(db, ST_BENCH_OUTPUT_INSERT, &s)) < 0)
		return err;
	db_sql_bind_int64(s, 1, run_id);
	db_sql_bind_int64(s, 2, round);
	db_sql_bind_text(s, 3, mode);
	db_sql_bind_text(s, 4, params);
	db_sql_bind_text(s, 5, format);
	db_sql_bind_text(s, 6, context);
	return db_step_done(db, s, "storing a bench context");
}

int bg_db_run_add_bench(struct bg_db *db, int64_t run_id, int round, const char *mode,
			const char *params, const struct bg_bench_set *set)
{
	const char *what = "storing benchmark results";
	struct db_sql_bulk *samples = NULL;
	int err;
	if (!mode || !*mode)
		mode = "default";
	if (!params)
		params = "";
	/* check the input before taking the write lock */
	for (size_t i = 0; i < set->n; i++) {
		const struct bg_bench *b = &set->v[i];
		if (!b->name || !*b->name)
			return bg_error_set(BG_EINPUT,
					    "%s: %s of run %lld: benchmark %zu has no name",
					    db->path, what, (long long)run_id, i);
		for (size_t k = 0; k < b->n_samples; k++)
			if (!isfinite(b->samples[k]))
				return bg_error_set(BG_EINPUT,
						    "%s: %s of run %lld: benchmark %s: sample %zu "
						    "is not a finite number",
						    db->path, what, (long long)run_id, b->name, k);
	}
	if ((err = db_begin(db, what)) < 0)
		return err;
	if ((err = need_run(db, run_id, what)) < 0 || (err = db_samples_begin(db, &samples)) < 0)
		goto done;
	if ((err = db_bench_output_insert(db, run_id, round, mode, params, set->format,
					  set->ctx.json)) < 0)
		goto done;
	for (size_t i = 0; i < set->n; i++) {
		const struct bg_bench *b = &set->v[i];
		struct db_result_row row = {
			.run_id = run_id,
			.round = round,
			.kernel = b->kernel,
			.checked = b->checked,
			.skipped = b->skipped,
			.iterations = b->iterations,
			.elements = b->elements,
			.bytes = b->bytes,
		};
		int64_t result_id;
		if ((err = db_series_id(db, b->name, params, b->unit ? b->unit : "", mode,
					&row.series_id)) < 0 ||
		    (err = db_result_insert(db, &row, b->name, &result_id)) < 0)
			goto done;
		if ((err = db_samples_insert(samples, result_id, b->samples, b->n_samples)) < 0)
			goto done;
	}
done:
	err = db_sql_bulk_end(samples, err);
	return db_end(db, err, what);
}

int db_cases_begin(struct bg_db *db, struct db_sql_bulk **out)
{
	return db_sql_bulk_begin(db->sql, "test_cases",
				 "suite_id, idx, name, classname, outcome, time_s, message",
				 "storing test cases", out);
}

int db_suite_insert(struct bg_db *db, struct db_sql_bulk *cases, int64_t run_id,
		    const struct bg_test_suite *suite)
{
	struct db_sql_stmt *s;
	int err;
	if ((err = db_stmt(db, ST_SUITE_INSERT, &s)) < 0)
		return err;
	db_sql_bind_int64(s, 1, run_id);
	db_sql_bind_text(s, 2, suite->suite);
	db_sql_bind_int64(s, 3, suite->passed);
	db_sql_bind_int64(s, 4, suite->failed);
	db_sql_bind_int64(s, 5, suite->skipped);
	db_sql_bind_int64(s, 6, suite->errored);
	int64_t suite_id;
	if ((err = db_step_id(db, s, "storing a test suite", &suite_id)) < 0)
		return err;
	for (size_t i = 0; i < suite->n && err == 0; i++) {
		const struct bg_test_case *c = &suite->cases[i];
		db_sql_bulk_int64(cases, suite_id);
		db_sql_bulk_int64(cases, (int64_t)i);
		db_sql_bulk_text(cases, c->name);
		db_sql_bulk_text(cases, c->classname);
		db_sql_bulk_text(cases, bg_outcome_name(c->outcome));
		db_sql_bulk_double(cases, isfinite(c->time_s) ? c->time_s : 0);
		db_sql_bulk_text(cases, c->message);
		err = db_sql_bulk_row(cases);
	}
	return err;
}

int bg_db_run_add_tests(struct bg_db *db, int64_t run_id, const struct bg_test_suite *suite)
{
	const char *what = "storing test results";
	int err;
	if (!suite->suite || !*suite->suite)
		return bg_error_set(BG_EINPUT, "%s: %s of run %lld: the suite has no name",
				    db->path, what, (long long)run_id);
	for (size_t i = 0; i < suite->n; i++) {
		if (!suite->cases[i].name)
			return bg_error_set(BG_EINPUT, "%s: %s of suite %s: case %zu has no name",
					    db->path, what, suite->suite, i);
		if ((unsigned)suite->cases[i].outcome > BG_TEST_ERRORED)
			return bg_error_set(BG_EINPUT, "%s: %s of suite %s: case %s has outcome %d",
					    db->path, what, suite->suite, suite->cases[i].name,
					    (int)suite->cases[i].outcome);
	}
	if ((err = db_begin(db, what)) < 0)
		return err;
	struct db_sql_bulk *cases = NULL;
	if ((err = need_run(db, run_id, what)) == 0 && (err = db_cases_begin(db, &cases)) == 0)
		err = db_suite_insert(db, cases, run_id, suite);
	err = db_sql_bulk_end(cases, err);
	return db_end(db, err, what);
}

int db_error_insert(struct bg_db *db, int64_t run_id, const char *stage, const char *message,
		    const char *detail, int64_t time)
{
	struct db_sql_stmt *s;
	int err;
	if ((err = db_stmt(db, ST_ERROR_INSERT, &s)) < 0)
		return err;
	db_sql_bind_int64(s, 1, run_id);
	db_sql_bind_text(s, 2, stage);
	db_sql_bind_text(s, 3, message);
	db_sql_bind_text(s, 4, detail);
	db_sql_bind_int64(s, 5, time);
	return db_step_done(db, s, "storing an error");
}

int bg_db_run_add_error(struct bg_db *db, int64_t run_id, const char *stage, const char *message,
			const char *detail)
{
	const char *what = "storing an error";
	int err;
	if (!stage || !message)
		return bg_error_set(BG_EINPUT, "%s: %s of run %lld: stage and message are required",
				    db->path, what, (long long)run_id);
	if ((err = db_begin(db, what)) < 0)
		return err;
	if ((err = need_run(db, run_id, what)) == 0)
		err = db_error_insert(db, run_id, stage, message, detail, bg_unix_time());
	return db_end(db, err, what);
}

int bg_db_run_finish(struct bg_db *db, int64_t run_id, const char *status, int complete)
{
	const char *what = "finishing a run";
	struct db_sql_stmt *s;
	int err;
	if (!status || !*status)
		return bg_error_set(BG_EINPUT, "%s: %s: no status", db->path, what);
	if ((err = db_begin(db, what)) < 0)
		return err;
	if ((err = db_stmt(db, ST_RUN_FINISH, &s)) < 0)
		goto done;
	db_sql_bind_int64(s, 1, run_id);
	db_sql_bind_text(s, 2, status);
	db_sql_bind_int64(s, 3, bg_unix_time());
	db_sql_bind_int64(s, 4, complete ? 1 : 0);
	if ((err = db_step_done(db, s, what)) < 0)
		goto done;
	if (db_sql_changes(s) == 0)
		err = bg_error_set(BG_ENOTFOUND, "%s: %s: no run with id %lld", db->path, what,
				   (long long)run_id);
done:
	return db_end(db, err, what);
}

int bg_db_run_set_build(struct bg_db *db, int64_t run_id, int64_t build_id)
{
	const char *what = "linking a run to its build";
	struct db_sql_stmt *s;
	int err, exists;
	if ((err = db_begin(db, what)) < 0)
		return err;
	if ((err = db_row_exists(db, ST_BUILD_EXISTS, build_id, &exists)) < 0)
		goto done;
	if (!exists) {
		err = bg_error_set(BG_ENOTFOUND, "%s: %s: no build with id %lld", db->path, what,
				   (long long)build_id);
		goto done;
	}
	if ((err = db_stmt(db, ST_RUN_SET_BUILD, &s)) < 0)
		goto done;
	db_sql_bind_int64(s, 1, run_id);
	db_sql_bind_int64(s, 2, build_id);
	if ((err = db_step_done(db, s, what)) < 0)
		goto done;
	if (db_sql_changes(s) == 0)
		err = bg_error_set(BG_ENOTFOUND, "%s: %s: no run with id %lld", db->path, what,
				   (long long)run_id);
done:
	return db_end(db, err, what);
}

/* Fills r from a row of RUN_COLS. */
static int read_run(struct db_sql_stmt *s, struct bg_run_rec *r)
{
	int err;
	memset(r, 0, sizeof(*r));
	r->id = db_sql_col_int64(s, 0);
	r->worktree = db_sql_col_int(s, 4);
	r->machine_id = db_sql_col_int64(s, 6);
	r->build_id = db_sql_col_int64(s, 7); /* NULL reads as 0 */
	r->started = db_sql_col_int64(s, 12);
	r->finished = db_sql_col_int64(s, 13);
	r->complete = db_sql_col_int(s, 14);
	r->n_samples = db_sql_col_int64(s, 16);
	if ((err = db_col_str(s, 1, &r->uuid)) < 0 || (err = db_col_str(s, 2, &r->kind)) < 0 ||
	    (err = db_col_str(s, 3, &r->commit_sha)) < 0 ||
	    (err = db_col_str(s, 5, &r->tree)) < 0 ||
	    (err = db_col_str(s, 8, &r->config_hash)) < 0 ||
	    (err = db_col_str(s, 9, &r->env_json)) < 0 ||
	    (err = db_col_str(s, 10, &r->harness_version)) < 0 ||
	    (err = db_col_str(s, 11, &r->label)) < 0 || (err = db_col_str(s, 15, &r->status)) < 0)
		bg_db_run_clear(r);
	return err;
}

int bg_db_run_get(struct bg_db *db, int64_t id, struct bg_run_rec *out)
{
	struct db_sql_stmt *s;
	int err;
	memset(out, 0, sizeof(*out));
	if ((err = db_stmt(db, ST_RUN_GET, &s)) < 0)
		return err;
	db_sql_bind_int64(s, 1, id);
	int rc = db_sql_step(s, "reading a run");
	if (rc == 1)
		err = read_run(s, out);
	else if (rc == 0)
		err = bg_error_set(BG_ENOTFOUND, "%s: no run with id %lld", db->path,
				   (long long)id);
	else
		err = rc;
	db_idle(db);
	return err;
}

int bg_db_run_list(struct bg_db *db, const struct bg_run_filter *f, struct bg_run_rec **out,
		   size_t *n)
{
	static const struct bg_run_filter all;
	struct bg_run_rec *v = NULL;
	size_t len = 0, cap = 0;
	char lo[80], hi[80];
	struct db_sql_stmt *s;
	int err, rc;
	*out = NULL;
	*n = 0;
	if (!f)
		f = &all;
	if ((err = db_stmt(db, ST_RUN_LIST, &s)) < 0)
		return err;
	if (f->commit_prefix) {
		/* not a SHA prefix: no commit can match, so no run does */
		if (db_sha_range(f->commit_prefix, lo, hi, sizeof(lo)) < 0)
			return 0;
		db_sql_bind_text(s, 1, lo);
		db_sql_bind_text(s, 2, hi);
	}
	db_sql_bind_text(s, 3, f->kind);
	db_sql_bind_int64(s, 4, f->only_complete ? 1 : 0);
	db_sql_bind_int64(s, 5, f->since);
	/* no limit: the largest one (LIMIT -1 is SQLite's alone) */
	db_sql_bind_int64(s, 6, f->limit ? (int64_t)f->limit : INT64_MAX);
	while ((rc = db_sql_step(s, "listing runs")) == 1) {
		if ((err = bg_grow((void **)&v, &cap, len, sizeof(*v), 16)) < 0)
			goto done;
		if ((err = read_run(s, &v[len])) < 0)
			goto done;
		len++;
	}
	if (rc < 0)
		err = rc;
done:
	db_idle(db);
	if (err < 0) {
		bg_db_run_list_free(v, len);
		return err;
	}
	*out = v;
	*n = len;
	return 0;
}

void bg_db_run_clear(struct bg_run_rec *r)
{
	if (!r)
		return;
	free(r->uuid);
	free(r->kind);
	free(r->commit_sha);
	free(r->tree);
	free(r->config_hash);
	free(r->env_json);
	free(r->harness_version);
	free(r->label);
	free(r->status);
	memset(r, 0, sizeof(*r));
}

void bg_db_run_list_free(struct bg_run_rec *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bg_db_run_clear(&v[i]);
	free(v);
}

/* --- results --------------------------------------------------------------------------- */

/* Appends kernel to the comma-separated list *list unless it is already in it. */
static int add_kernel(char **list, const char *kernel)
{
	if (!kernel)
		return 0;
	size_t kn = strlen(kernel);
	if (*list) {
		for (const char *p = *list; *p;) {
			size_t len = strcspn(p, ",");
			if (len == kn && !memcmp(p, kernel, kn))
				return 0;
			p += len + (p[len] == ',');
		}
	}
	struct bg_buf b = BG_BUF_INIT;
	if ((*list && (bg_buf_puts(&b, *list) < 0 || bg_buf_putc(&b, ',') < 0)) ||
	    bg_buf_puts(&b, kernel) < 0) {
		bg_buf_free(&b);
		return BG_ENOMEM;
	}
	free(*list);
	*list = bg_buf_detach(&b);
	return 0;
}

/* Appends one round's samples to r. */
static int add_samples(struct bg_db *db, struct bg_result_rec *r, int64_t result_id, int round)
{
	struct db_sql_stmt *s;
	int err, rc;
	size_t cap = r->n;
	if ((err = db_stmt(db, ST_SAMPLES_OF_RESULT, &s)) < 0)
		return err;
	db_sql_bind_int64(s, 1, result_id);
	while ((rc = db_sql_step(s, "reading samples")) == 1)
		if ((err = db_push_sample(&r->samples, &r->rounds, &r->n, &cap,
					  db_sql_col_double(s, 0), round)) < 0)
			return err;
	db_sql_reset(s);
	return rc < 0 ? rc : 0;
}

static void result_clear(struct bg_result_rec *r)
{
	free(r->benchmark);
	free(r->params);
	free(r->metric);
	free(r->mode);
	free(r->kernel);
	free(r->skipped);
	free(r->samples);
	free(r->rounds);
	memset(r, 0, sizeof(*r));
}

static int read_results(struct bg_db *db, int64_t run_id, struct bg_result_rec **out, size_t *n)
{
	struct bg_result_rec *v = NULL;
	size_t len = 0, cap = 0;
	int64_t series = -1;
	int ran = 0; /* the current series has a round that was not skipped */
	struct db_sql_stmt *s;
	int err, rc;
	if ((err = db_stmt(db, ST_RESULTS_OF_RUN, &s)) < 0)
		return err;
	db_sql_bind_int64(s, 1, run_id);
	while ((rc = db_sql_step(s, "reading results")) == 1) {
		int64_t result_id = db_sql_col_int64(s, 0);
		int round = db_sql_col_int(s, 6);
		const char *skipped = db_sql_col_text(s, 9);
		struct bg_result_rec *r;
		if (db_sql_col_int64(s, 1) != series) {
			if ((err = bg_grow((void **)&v, &cap, len, sizeof(*v), 16)) < 0)
				goto done;
			r = &v[len++];
			memset(r, 0, sizeof(*r));
			series = db_sql_col_int64(s, 1);
			ran = 0;
			r->checked = -1;
			if ((err = db_col_str(s, 2, &r->benchmark)) < 0 ||
			    (err = db_col_str(s, 3, &r->params)) < 0 ||
			    (err = db_col_str(s, 4, &r->metric)) < 0 ||
			    (err = db_col_str(s, 5, &r->mode)) < 0)
				goto done;
		}
		r = &v[len - 1];
		if ((err = add_kernel(&r->kernel, db_sql_col_text(s, 7))) < 0)
			goto done;
		/* any round not verified makes the series not verified */
		if (!db_sql_col_is_null(s, 8)) {
			int checked = db_sql_col_int(s, 8);
			if (checked == 0 || r->checked == -1)
				r->checked = checked;
		}
		if (!skipped) {
			ran = 1;
			free(r->skipped);
			r->skipped = NULL;
		} else if (!ran) {
			free(r->skipped);
			if (!(r->skipped = bg_strdup(skipped))) {
				err = BG_ENOMEM;
				goto done;
			}
		}
		if (db_sql_col_int64(s, 10))
			r->iterations = db_sql_col_int64(s, 10);
		if (db_sql_col_double(s, 11) != 0)
			r->elements = db_sql_col_double(s, 11);
		if (db_sql_col_double(s, 12) != 0)
			r->bytes = db_sql_col_double(s, 12);
		if ((err = add_samples(db, r, result_id, round)) < 0)
			goto done;
	}
	if (rc < 0)
		err = rc;
done:
	if (err < 0) {
		bg_db_results_free(v, len);
		return err;
	}
	*out = v;
	*n = len;
	return 0;
}

/* A read snapshot in which run_id is known to exist; on success the caller ends it with
 * db_end, on failure it is already ended. */
static int begin_run_read(struct bg_db *db, int64_t run_id, const char *what)
{
	int err = db_begin_read(db, what);
	if (err < 0)
		return err;
	if ((err = need_run(db, run_id, what)) < 0)
		return db_end(db, err, what);
	return 0;
}

int bg_db_run_results(struct bg_db *db, int64_t run_id, struct bg_result_rec **out, size_t *n)
{
	int err;
	*out = NULL;
	*n = 0;
	if ((err = begin_run_read(db, run_id, "reading results")) < 0)
		return err;
	return db_end(db, read_results(db, run_id, out, n), "reading results");
}

void bg_db_results_free(struct bg_result_rec *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		result_clear(&v[i]);
	free(v);
}

/* --- tests and errors ------------------------------------------------------------------ */

static int read_cases(struct bg_db *db, int64_t suite_id, struct bg_test_suite *t)
{
	size_t cap = 0;
	struct db_sql_stmt *s;
	int err, rc;
	if ((err = db_stmt(db, ST_CASES_OF_SUITE, &s)) < 0)
		return err;
	db_sql_bind_int64(s, 1, suite_id);
	while ((rc = db_sql_step(s, "reading test cases")) == 1) {
		if ((err = bg_grow((void **)&t->cases, &cap, t->n, sizeof(*t->cases), 16)) < 0)
			return err;
		struct bg_test_case *c = &t->cases[t->n];
		memset(c, 0, sizeof(*c));
		t->n++;
		int outcome = bg_outcome_parse(db_sql_col_text(s, 2));
		c->outcome = outcome < 0 ? BG_TEST_ERRORED : (enum bg_outcome)outcome;
		c->time_s = db_sql_col_double(s, 3);
		if ((err = db_col_str(s, 0, &c->name)) < 0 ||
		    (err = db_col_str(s, 1, &c->classname)) < 0 ||
		    (err = db_col_str(s, 4, &c->message)) < 0)
			return err;
	}
	db_sql_reset(s);
	return rc < 0 ? rc : 0;
}

static int read_suites(struct bg_db *db, int64_t run_id, struct bg_test_suite ***out, size_t *n)
{
	struct bg_test_suite **v = NULL;
	size_t len = 0, cap = 0;
	struct db_sql_stmt *s;
	int err, rc;
	if ((err = db_stmt(db, ST_SUITES_OF_RUN, &s)) < 0)
		return err;
	db_sql_bind_int64(s, 1, run_id);
	while ((rc = db_sql_step(s, "reading test suites")) == 1) {
		if ((err = bg_grow((void **)&v, &cap, len, sizeof(*v), 8)) < 0)
			goto done;
		struct bg_test_suite *t = calloc(1, sizeof(*t));
		if (!t) {
			err = bg_error_oom();
			goto done;
		}
		v[len++] = t;
		t->passed = db_sql_col_int(s, 2);
		t->failed = db_sql_col_int(s, 3);
		t->skipped = db_sql_col_int(s, 4);
		t->errored = db_sql_col_int(s, 5);
		if ((err = db_col_str(s, 1, &t->suite)) < 0 ||
		    (err = read_cases(db, db_sql_col_int64(s, 0), t)) < 0)
			goto done;
	}
	if (rc < 0)
		err = rc;
done:
	if (err < 0) {
		bg_db_tests_free(v, len);
		return err;
	}
	*out = v;
	*n = len;
	return 0;
}

int bg_db_run_tests(struct bg_db *db, int64_t run_id, struct bg_test_suite ***out, size_t *n)
{
	int err;
	*out = NULL;
	*n = 0;
	if ((err = begin_run_read(db, run_id, "reading test results")) < 0)
		return err;
	return db_end(db, read_suites(db, run_id, out, n), "reading test results");
}

void bg_db_tests_free(struct bg_test_suite **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bg_test_suite_free(v[i]);
	free(v);
}

static int read_errors(struct bg_db *db, int64_t run_id, struct bg_error_rec **out, size_t *n)
{
	struct bg_error_rec *v = NULL;
	size_t len = 0, cap = 0;
	struct db_sql_stmt *s;
	int err, rc;
	if ((err = db_stmt(db, ST_ERRORS_OF_RUN, &s)) < 0)
		return err;
	db_sql_bind_int64(s, 1, run_id);
	while ((rc = db_sql_step(s, "reading errors")) == 1) {
		if ((err = bg_grow((void **)&v, &cap, len, sizeof(*v), 8)) < 0)
			goto done;
		struct bg_error_rec *e = &v[len++];
		memset(e, 0, sizeof(*e));
		e->time = db_sql_col_int64(s, 3);
		if ((err = db_col_str(s, 0, &e->stage)) < 0 ||
		    (err = db_col_str(s, 1, &e->message)) < 0 ||
		    (err = db_col_str(s, 2, &e->detail)) < 0)
			goto done;
	}
	if (rc < 0)
		err = rc;
done:
	if (err < 0) {
		bg_db_errors_free(v, len);
		return err;
	}
	*out = v;
	*n = len;
	return 0;
}

int bg_db_run_errors(struct bg_db *db, int64_t run_id, struct bg_error_rec **out, size_t *n)
{
	int err;
	*out = NULL;
	*n = 0;
	if ((err = begin_run_read(db, run_id, "reading errors")) < 0)
		return err;
	return db_end(db, read_errors(db, run_id, out, n), "reading errors");
}

void bg_db_errors_free(struct bg_error_rec *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].stage);
		free(v[i].message);
		free(v[i].detail);
	}
	free(v);
}
