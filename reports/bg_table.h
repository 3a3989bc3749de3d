/* Terminal tables: columns sized to their contents, numbers right-aligned, a header rule.
 * Cells are copied, so callers may pass temporary strings. */
#ifndef BG_TABLE_H
#define BG_TABLE_H

#include <stddef.h>
#include <stdio.h>

struct bg_table;

enum bg_align { BG_LEFT = 0, BG_RIGHT = 1 };

/* A table with ncols columns named by the NULL-terminated headers. */
int bg_table_new(struct bg_table **out, const char *const *headers);
void bg_table_free(struct bg_table *t);

/* Sets a column's alignment (left by default). */
void bg_table_align(struct bg_table *t, size_t col, enum bg_align a);

/* Appends a cell to the current row; the row ends after the last column. */
int bg_table_cell(struct bg_table *t, const char *text);
int bg_table_cellf(struct bg_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes the table; an empty table prints its headers and "(none)". */
void bg_table_print(const struct bg_table *t, FILE *out);

/* Formats a duration or rate for humans: "812 ns", "1.23 us", "4.56 ms", "2.1 s". */
void bg_fmt_ns(char *out, size_t size, double ns);
void bg_fmt_bytes(char *out, size_t size, double bytes);

#endif
