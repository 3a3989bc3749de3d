/* bitgate db: pooling results of several machines (export / import as JSON lines), copying a
 * history between two databases (harness/copy.c), and an integrity check. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bg_app.h"
#include "bg_cmds.h"
#include "bg_copy.h"
#include "bg_error.h"
#include "bg_log.h"
#include "bg_report.h"

static const struct bg_cmd_info info = {
	"db",
	"bitgate db export [--since WHEN] [-o FILE] | import FILE... | check\n"
	"       bitgate db copy [--from DB] --to DB [--since WHEN]",
	"export writes every run (with its machine, commit, build, samples, tests and errors)\n"
	"as one JSON object per line, then every decision of compare and ci (naming its runs\n"
	"by uuid); import merges such files into this database (a run or decision already\n"
	"present is skipped, so importing twice adds nothing; a file is all or nothing);\n"
	"copy moves a history from one database to another, either a SQLite file or a\n"
	"PostgreSQL database (--from defaults to this one, --db): the export of --from is\n"
	"imported into --to (created when a missing file) through a temporary file, all or\n"
	"nothing, so copying twice adds nothing; check runs SQLite's integrity and foreign-key\n"
	"checks and bitgate's own.",
	"WHEN is a date (2026-11-24), a date and time (2026-11-24T13:00:00, UTC) or Unix\n"
	"seconds. DB is a path or a PostgreSQL URI or conninfo, as --db takes it\n"
	"(postgresql://user@host/bitgate?sslmode=require); a password in it is never printed.\n\n"
	"exit status: 0 done (check: clean); 2 bad usage or a malformed import file; 3 the\n"
	"database is unusable or damaged.\n",
};

static int parse_when(const char *s, int64_t *out)
{
	if (bg_parse_i64(s, out) == 0)
		return 0;
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end || *end) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
	}
	if (!end || *end)
		return BG_EINPUT;
	*out = (int64_t)timegm(&tm);
	return 0;
}

static int export(struct bg_app *app, const char *out_path, int64_t since)
{
	FILE *f = out_path ? fopen(out_path, "w") : stdout;
	size_t n = 0, nd = 0;
	int rc;
	if (!f)
		return bg_error_set(BG_EINFRA, "%s: %s", out_path, strerror(errno));
	rc = bg_db_export(app->db, f, since, bg_decision_json_set_ids, &n, &nd);
	if (out_path && fclose(f) != 0 && rc == 0)
		rc = bg_error_set(BG_EINFRA, "%s: %s", out_path, strerror(errno));
	else if (!out_path)
		fflush(stdout);
	if (rc == 0)
		bg_log_info("exported %zu run%s and %zu decision%s", n, n == 1 ? "" : "s", nd,
			    nd == 1 ? "" : "s");
	return rc;
}

/* Merges each file ("-": standard input) in turn, stopping at the first that fails. */
static int import(struct bg_app *app, char **files, int n)
{
	int rc = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		FILE *f = strcmp(files[i], "-") ? fopen(files[i], "r") : stdin;
		if (!f)
			return bg_error_set(errno == ENOENT ? BG_ENOTFOUND : BG_EINFRA, "%s: %s",
					    files[i], strerror(errno));
		struct bg_import_stats st;
		memset(&st, 0, sizeof(st));
		rc = bg_db_import(app->db, f, files[i], bg_decision_json_set_ids, &st);
		if (f != stdin)
			fclose(f);
		if (rc == 0)
			bg_log_info("%s: %zu run%s added (%zu samples), %zu already present; %zu "
				    "decision%s added, %zu already present",
				    files[i], st.runs_added, st.runs_added == 1 ? "" : "s",
				    st.samples_added, st.runs_present, st.decisions_added,
				    st.decisions_added == 1 ? "" : "s", st.decisions_present);
	}
	return rc;
}

static int check(struct bg_app *app)
{
	struct bg_buf report = BG_BUF_INIT;
	int rc = bg_db_check(app->db, &report);
	printf("%s%s", bg_buf_cstr(&report),
	       report.len && report.ptr[report.len - 1] != '\n' ? "\n" : "");
	bg_buf_free(&report);
	if (rc < 0 && !bg_error_last()[0])
		bg_error_set(rc, "%s: the database has problems (listed above)",
			     bg_db_name(app->db));
	return rc;
}

/* bitgate db copy: from (NULL: the app's database) into to. */
static int copy(struct bg_app *app, const char *from, const char *to, int64_t since)
{
	struct bg_copy_stats st;
	int rc = bg_copy_run(from ? from : app->db_path, to, since, &st);
	if (rc == 0)
		bg_log_info("copied %zu run%s (%zu samples) and %zu decision%s; %zu run%s and %zu "
			    "decision%s already there (%zu runs and %zu decisions read)",
			    st.imp.runs_added, st.imp.runs_added == 1 ? "" : "s",
			    st.imp.samples_added, st.imp.decisions_added,
			    st.imp.decisions_added == 1 ? "" : "s", st.imp.runs_present,
			    st.imp.runs_present == 1 ? "" : "s", st.imp.decisions_present,
			    st.imp.decisions_present == 1 ? "" : "s", st.runs_read,
			    st.decisions_read);
	return rc;
}

/* copy's options: --from and --to with copy only, --to required. */
static int check_copy_usage(const char *sub, const char *from, const char *to)
{
	int is_copy = !strcmp(sub, "copy");
	if (!is_copy && (from || to))
		return bg_cli_usage_error(&info, "--from and --to go with copy only");
	if (is_copy && !to)
		return bg_cli_usage_error(&info, "copy needs --to DB");
	if (is_copy && from && !*from)
		return bg_cli_usage_error(&info, "--from: an empty name");
	if (is_copy && !*to)
		return bg_cli_usage_error(&info, "--to: an empty name");
	return 0;
}

/* The subcommand and its arguments against what each takes: 0 or the usage error's status. */
static int check_usage(const char *sub, int npos, const char *since_s, int64_t *since)
{
	if (strcmp(sub, "export") && strcmp(sub, "import") && strcmp(sub, "check") &&
	    strcmp(sub, "copy"))
		return bg_cli_usage_error(&info, "expected export, import, copy or check");
	if (!strcmp(sub, "import") && npos < 2)
		return bg_cli_usage_error(&info, "import needs at least one FILE");
	if (strcmp(sub, "import") && npos > 1)
		return bg_cli_usage_error(&info, "%s takes no file argument", sub);
	if (since_s && parse_when(since_s, since) < 0)
		return bg_cli_usage_error(&info, "--since %s: expected a date or Unix seconds",
					  since_s);
	return 0;
}

int cmd_db(struct bg_app *app, int argc, char **argv)
{
	const char *since_s = NULL, *out_path = NULL, *from = NULL, *to = NULL;
	const struct bg_opt opts[] = {
		{"since", 0, BG_OPT_STR, &since_s, "WHEN",
		 "export, copy: runs started and decisions made at or after WHEN"},
		{"from", 0, BG_OPT_STR, &from, "DB",
		 "copy: the database to copy (default: this one, --db)"},
		{"to", 0, BG_OPT_STR, &to, "DB", "copy: the database to copy into"},
		{"output", 'o', BG_OPT_STR, &out_path, "FILE",
		 "export: write to FILE (default stdout)"},
		BG_OPT_ROW_END,
	};
	char **pos = NULL;
	int npos = 0;
	int rc = bg_cli_parse(&info, opts, argc, argv, &pos, &npos);
	if (rc)
		return bg_cli_exit_status(rc);
	const char *sub = npos ? pos[0] : "";
	int64_t since = 0;
	int status = check_usage(sub, npos, since_s, &since);
	if (!status)
		status = check_copy_usage(sub, from, to);
	/* a copy with --from needs neither this database nor a repository */
	if (!status && !strcmp(sub, "copy") && from)
		bg_log_init(bg_cli_global()->quiet, bg_cli_global()->verbose);
	else if (!status)
		status = bg_app_setup(app);
	if (!status) {
		if (!strcmp(sub, "copy"))
			rc = copy(app, from, to, since);
		else if (!strcmp(sub, "export"))
			rc = export(app, out_path, since);
		else if (!strcmp(sub, "import"))
			rc = import(app, pos + 1, npos - 1);
		else
			rc = check(app);
		status = rc < 0 ? bg_app_fail(rc) : BG_EXIT_OK;
	}
	free(pos);
	return status;
}
