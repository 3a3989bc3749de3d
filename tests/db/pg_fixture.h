/* A real PostgreSQL server for the tests of db/'s PostgreSQL side: initdb in a scratch
 * directory, pg_ctl start on a free local port and a unix socket in that directory (as
 * nobody when running as root: the server refuses root), one database, stopped and
 * removed at exit. Started once per test program; under ctest once per run, by the setup
 * and cleanup cases that share it through a state file (pg_fixture_setup). */
#ifndef PG_FIXTURE_H
#define PG_FIXTURE_H

/* The conninfo of this program's server (libpq's key=value form, the socket directory as
 * host), starting it on first use and stopping it at exit; or the shared one that
 * $BITGATE_PG_FIXTURE names, when its setup case started one. Skips the case (TF_SKIP,
 * with the reason) when the server binaries are missing; fails it when they are there
 * but the server does not start. Borrowed, for the program's life. */
const char *pg_fixture_conninfo(void);

/* ctest's fixture: setup starts a server for the whole run and writes its conninfo and
 * directory to the state file $BITGATE_PG_FIXTURE; cleanup stops it and removes both.
 * Without the variable, or without the binaries, they say so and do nothing. */
void pg_fixture_setup(void);
void pg_fixture_cleanup(void);

#endif
