/* A real PostgreSQL server for the tests of db/'s PostgreSQL side: initdb in a scratch
 * directory, pg_ctl start on a free local port and a unix socket in that directory (as
 * nobody when running as root: the server refuses root), one database, stopped and
 * removed at exit. Started once per test program; under ctest once per run, by the setup
 * and cleanup cases that share it through a state file (pg_fixture_setup). */
#ifndef PG_FIXTURE_H
#define PG_FIXTURE_H

/* The database the server has, which messages about it name. */
#define PG_FIXTURE_DB "bitgate_test"

/* The conninfo of this program's server (libpq's key=value form, the socket directory as
 * host), starting it on first use and stopping it at exit; or the shared one that
 * $BITGATE_PG_FIXTURE names, when its setup case started one. Skips the case (TF_SKIP,
 * with the reason) when the server binaries are missing; fails it when they are there
 * but the server does not start. Borrowed, for the program's life. */
const char *pg_fixture_conninfo(void);

/* The conninfo of a new, empty database for one case on the server pg_fixture_conninfo
 * gives (a schema of its own, named after tag and this process, first on the search path),
 * as bg_db_open and --db take it. Skips or fails as pg_fixture_conninfo. Borrowed, valid
 * until the next call. */
const char *pg_fixture_new_db(const char *tag);

/* The password of the server's user that must give one (over TCP, SCRAM). */
#define PG_FIXTURE_PASSWORD "fixture-password-1"

/* A conninfo for the server's database over TCP on 127.0.0.1 as the user that must give a
 * password, with password (right or wrong); and one for a port where no server listens.
 * Borrowed, valid until the next call of either. */
const char *pg_fixture_tcp_conninfo(const char *password);
const char *pg_fixture_dead_conninfo(const char *password);

/* ctest's fixture: setup starts a server for the whole run and writes its conninfo and
 * directory to the state file $BITGATE_PG_FIXTURE; cleanup stops it and removes both.
 * Without the variable, or without the binaries, they say so and do nothing. */
void pg_fixture_setup(void);
void pg_fixture_cleanup(void);

#endif
