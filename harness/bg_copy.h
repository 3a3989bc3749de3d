/* Copying a history between two databases behind `bitgate db copy` (harness/cmd_db.c): any
 * two of a SQLite file and a PostgreSQL database, through db/'s own export and import (no
 * second copier), so a copy is idempotent as an import is. */
#ifndef BG_COPY_H
#define BG_COPY_H

#include <stddef.h>
#include <stdint.h>

#include "bg_db.h"

struct bg_copy_stats {
	size_t runs_read;           /* runs the export of the source held */
	size_t decisions_read;      /* decisions it held */
	struct bg_import_stats imp; /* what the destination added and already had */
};

/* Copies every run (with its machine, commit, build, samples, tests and errors) and every
 * decision of the database from names (started, made at or after since; 0: all) into the
 * database to names (a path or a PostgreSQL URI / conninfo each; to is created when it is a
 * missing file, from must exist). The export goes through an unlinked temporary file in
 * $TMPDIR (default /tmp), so memory stays bounded whatever the history's size, and is
 * imported in one transaction: all of it or nothing. Runs and decisions already in to are
 * skipped, so a second copy adds nothing. Progress is logged every few seconds on a long
 * copy. Errors say which side failed ("--from: ...", "--to: ..."), naming the database
 * without its password: BG_ENOTFOUND for a missing source file, BG_EINPUT when both name
 * the same database, BG_EDB, BG_EINFRA (the temporary file). */
int bg_copy_run(const char *from, const char *to, int64_t since, struct bg_copy_stats *st);

#endif
