/* A throwaway PostgreSQL server for the tests (pg_fixture.h): the Debian binaries run as
 * they are, as nobody when the tests run as root (CI does); fsync off, the data being
 * scratch. */
#include "pg_fixture.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "db_sql.h"
#include "tf.h"

#define DB_NAME PG_FIXTURE_DB
#define DB_USER "bitgate"
/* the user that must give PG_FIXTURE_PASSWORD (pg_hba.conf: scram-sha-256 over TCP) */
#define PW_USER "bitgate_pw"
/* nobody and nogroup on Debian: the server refuses to run as root */
#define NOBODY 65534
/* a port taken between free_port and the server's bind: try another */
#define START_TRIES 3

/* This program's server: dir holds data/, server.log and the socket. */
static struct {
	char bindir[320];
	char dir[256];
	char conninfo[512];
	int started; /* pg_ctl start succeeded: stop it */
	int mine;    /* stop and remove it at exit (not the ctest run's shared one) */
} srv;

static int has_tools(const char *dir)
{
	char p[400];
	static const char *const tools[] = {"initdb", "pg_ctl", "postgres"};
	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, tools[i]);
		if (access(p, X_OK) < 0)
			return 0;
	}
	return 1;
}

/* $BITGATE_PG_BINDIR, or the newest /usr/lib/postgresql/N/bin (Debian's layout): 0, or -1
 * when neither holds initdb, pg_ctl and postgres. */
static int find_bindir(char *out, size_t size)
{
	const char *env = getenv("BITGATE_PG_BINDIR");
	if (env && *env) {
		snprintf(out, size, "%s", env);
		return has_tools(out) ? 0 : -1;
	}
	DIR *d = opendir("/usr/lib/postgresql");
	long best = -1;
	char p[300];
	for (struct dirent *e; d && (e = readdir(d));) {
		long v = isdigit((unsigned char)e->d_name[0]) ? strtol(e->d_name, NULL, 10) : -1;
		snprintf(p, sizeof(p), "/usr/lib/postgresql/%s/bin", e->d_name);
		if (v > best && has_tools(p)) {
			best = v;
			snprintf(out, size, "%s", p);
		}
	}
	if (d)
		closedir(d);
	return best >= 0 ? 0 : -1;
}

/* A free TCP port on 127.0.0.1, the kernel's pick, released for the server. */
static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	TF_CHECK(fd >= 0, "socket failed");
	TF_CHECK(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
			 getsockname(fd, (struct sockaddr *)&a, &len) == 0,
		 "no free port on 127.0.0.1");
	close(fd);
	return ntohs(a.sin_port);
}

/* Runs bindir/name with args (NULL-terminated), as nobody when root; its output in *r. */
static void run_tool(const char *name, const char *const *args, struct tf_output *r)
{
	char path[400];
	const char *argv[24] = {"--reuid=65534", "--regid=65534", "--clear-groups", path};
	int n = 4;
	snprintf(path, sizeof(path), "%s/%s", srv.bindir, name);
	for (int i = 0; args[i] && n < 23; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	*r = geteuid() == 0 ? tf_run("/usr/bin/setpriv", argv, NULL, NULL)
			    : tf_run(path, argv + 4, NULL, NULL);
}

/* run_tool, failing the case with the tool's output when it fails. */
static void tool(const char *name, const char *const *args)
{
	struct tf_output r;
	run_tool(name, args, &r);
	TF_CHECK(r.status == 0, "%s failed (%d): %s%s", name, r.status, r.out, r.err);
	tf_output_free(&r);
}

/* Stops the server in dir, if any, and removes dir; never fails (runs at exit too). */
static void stop(const char *dir)
{
	char data[300];
	struct tf_output r;
	snprintf(data, sizeof(data), "%s/data", dir);
	if (srv.bindir[0] || find_bindir(srv.bindir, sizeof(srv.bindir)) == 0) {
		run_tool("pg_ctl",
			 (const char *const[]){"-D", data, "-m", "immediate", "-w", "stop", "-s",
					       NULL},
			 &r);
		tf_output_free(&r);
	}
	bg_fs_rmtree(dir);
}

static void stop_at_exit(void)
{
	if (srv.mine && srv.dir[0])
		stop(srv.dir);
}

/* pg_ctl start on a free port, tried START_TRIES times; the port. */
static int start_server(const char *data)
{
	char log[300], opts[512];
	struct tf_output r = {0};
	snprintf(log, sizeof(log), "%s/server.log", srv.dir);
	for (int attempt = 1;; attempt++) {
		int port = free_port();
		snprintf(opts, sizeof(opts),
			 "-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off "
			 "-c synchronous_commit=off -c full_page_writes=off",
			 port, srv.dir);
		run_tool("pg_ctl",
			 (const char *const[]){"-D", data, "-l", log, "-w", "-t", "60", "-o", opts,
					       "start", NULL},
			 &r);
		if (r.status == 0) {
			tf_output_free(&r);
			return port;
		}
		TF_CHECK(attempt < START_TRIES, "pg_ctl start failed (%d): %s%s (see %s)", r.status,
			 r.out, r.err, log);
		tf_output_free(&r);
	}
}

/* pg_hba.conf's first line: PW_USER over TCP gives its password (the rest trust). */
static void require_password(const char *data)
{
	char path[320];
	struct bg_buf b = BG_BUF_INIT;
	snprintf(path, sizeof(path), "%s/pg_hba.conf", data);
	TF_CHECK(bg_buf_puts(&b, "host all " PW_USER " 127.0.0.1/32 scram-sha-256\n") == 0 &&
			 bg_fs_read(&b, path) == 0,
		 "reading %s: %s", path, bg_error_last());
	FILE *f = fopen(path, "w"); /* in place: its owner stays the server's */
	TF_CHECK(f && fwrite(b.ptr, 1, b.len, f) == b.len && fclose(f) == 0, "writing %s", path);
	bg_buf_free(&b);
}

/* PW_USER, with PG_FIXTURE_PASSWORD, allowed all the first user may. */
static void make_password_user(void)
{
	struct db_sql *admin;
	int rc = db_sql_open_pg(&admin, srv.conninfo);
	TF_CHECK(rc == 0, "connecting to the test server: %s", bg_error_last());
	rc = db_sql_exec(admin,
			 "SET password_encryption = 'scram-sha-256'; CREATE ROLE " PW_USER
			 " LOGIN SUPERUSER PASSWORD '" PG_FIXTURE_PASSWORD "'",
			 "making the password user");
	db_sql_close(admin);
	TF_CHECK(rc == 0, "%s", bg_error_last());
}

/* A server in a new scratch directory, with database DB_NAME: srv.conninfo. */
static void start(void)
{
	char data[300], port[16];
	tf_tmpdir_in(srv.dir, sizeof(srv.dir), "bgpg");
	if (geteuid() == 0)
		TF_CHECK(chown(srv.dir, NOBODY, NOBODY) == 0, "chown %s to nobody", srv.dir);
	snprintf(data, sizeof(data), "%s/data", srv.dir);
	tool("initdb", (const char *const[]){"-D", data, "-U", DB_USER, "--auth=trust", "-E",
					     "UTF8", "--locale=C", "-N", NULL});
	require_password(data);
	snprintf(port, sizeof(port), "%d", start_server(data));
	srv.started = 1;
	tool("createdb",
	     (const char *const[]){"-h", srv.dir, "-p", port, "-U", DB_USER, DB_NAME, NULL});
	snprintf(srv.conninfo, sizeof(srv.conninfo), "host=%s port=%s dbname=%s user=%s", srv.dir,
		 port, DB_NAME, DB_USER);
	make_password_user();
}

/* The state file's conninfo and directory (two lines): 1, or 0 when there is none. */
static int read_state(const char *state)
{
	struct bg_buf b = BG_BUF_INIT;
	int ok = 0;
	if (bg_fs_read(&b, state) == 0) {
		char *nl = strchr(b.ptr, '\n');
		if (nl && (*nl = '\0', strchr(nl + 1, '\n'))) {
			*strchr(nl + 1, '\n') = '\0';
			snprintf(srv.conninfo, sizeof(srv.conninfo), "%s", b.ptr);
			snprintf(srv.dir, sizeof(srv.dir), "%s", nl + 1);
			ok = 1;
		}
	}
	bg_buf_free(&b);
	return ok;
}

const char *pg_fixture_conninfo(void)
{
	const char *state = getenv("BITGATE_PG_FIXTURE");
	if (srv.conninfo[0])
		return srv.conninfo;
	if (state && *state && read_state(state))
		return srv.conninfo; /* the ctest run's, stopped by its cleanup case */
	if (find_bindir(srv.bindir, sizeof(srv.bindir)) < 0)
		TF_SKIP("PostgreSQL's server binaries (initdb, pg_ctl, postgres) are not in "
			"/usr/lib/postgresql/N/bin nor $BITGATE_PG_BINDIR: install the Debian "
			"package 'postgresql' (scripts/bootstrap does)");
	srv.mine = 1;
	atexit(stop_at_exit);
	start();
	return srv.conninfo;
}

const char *pg_fixture_new_db(const char *tag)
{
	static char conninfo[768];
	char schema[64], sql[200];
	int n = snprintf(schema, sizeof(schema), "t%ld_", (long)getpid());
	for (const char *p = tag; *p && n < (int)sizeof(schema) - 1; p++)
		schema[n++] = isalnum((unsigned char)*p) ? (char)tolower((unsigned char)*p) : '_';
	schema[n] = '\0';
	const char *server = pg_fixture_conninfo();
	struct db_sql *admin;
	int rc = db_sql_open_pg(&admin, server);
	TF_CHECK(rc == 0, "connecting to the test server: %s", bg_error_last());
	snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", schema,
		 schema);
	rc = db_sql_exec(admin, sql, "making the case's schema");
	db_sql_close(admin);
	TF_CHECK(rc == 0, "%s", bg_error_last());
	snprintf(conninfo, sizeof(conninfo), "%s options=-csearch_path=%s", server, schema);
	return conninfo;
}

static char tcp_conninfo[256];

const char *pg_fixture_tcp_conninfo(const char *password)
{
	const char *port = strstr(pg_fixture_conninfo(), "port=");
	TF_CHECK(port, "no port in %s", srv.conninfo);
	snprintf(tcp_conninfo, sizeof(tcp_conninfo),
		 "host=127.0.0.1 port=%d dbname=" DB_NAME " user=" PW_USER
		 " password=%s connect_timeout=10",
		 atoi(port + 5), password);
	return tcp_conninfo;
}

const char *pg_fixture_dead_conninfo(const char *password)
{
	snprintf(tcp_conninfo, sizeof(tcp_conninfo),
		 "postgresql://" PW_USER ":%s@127.0.0.1:%d/" DB_NAME "?connect_timeout=10",
		 password, free_port());
	return tcp_conninfo;
}

void pg_fixture_setup(void)
{
	const char *state = getenv("BITGATE_PG_FIXTURE");
	struct bg_buf b = BG_BUF_INIT;
	if (!state || !*state) {
		printf("no $BITGATE_PG_FIXTURE: each program starts its own server\n");
		return;
	}
	pg_fixture_cleanup(); /* a server a killed run left behind */
	if (find_bindir(srv.bindir, sizeof(srv.bindir)) < 0) {
		printf("no PostgreSQL server binaries: the PostgreSQL cases skip\n");
		return;
	}
	srv.mine = 1; /* until it is handed over below */
	atexit(stop_at_exit);
	start();
	TF_CHECK(bg_buf_printf(&b, "%s\n%s\n", srv.conninfo, srv.dir) == 0, "out of memory");
	TF_CHECK(bg_fs_write(state, b.ptr, b.len) == 0, "writing %s: %s", state, bg_error_last());
	bg_buf_free(&b);
	srv.mine = 0;
	printf("PostgreSQL for this run: %s\n", srv.conninfo);
}

void pg_fixture_cleanup(void)
{
	const char *state = getenv("BITGATE_PG_FIXTURE");
	if (!state || !*state || !read_state(state))
		return;
	stop(srv.dir);
	TF_CHECK(access(srv.dir, F_OK) < 0, "%s: still there after the server's stop", srv.dir);
	unlink(state);
	srv.conninfo[0] = srv.dir[0] = '\0';
}
