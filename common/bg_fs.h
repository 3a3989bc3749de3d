/* Files and directories: whole-file reads, atomic writes, mkdir -p, rm -rf, tails. */
#ifndef BG_FS_H
#define BG_FS_H

#include <stddef.h>
#include <stdint.h>

#include "bg_buf.h"

/* Reads a whole file into out (appending). BG_ENOTFOUND when it does not exist, BG_EINFRA
 * on other I/O errors; the message names the path. */
int bg_fs_read(struct bg_buf *out, const char *path);

/* Writes a file atomically (a temporary file in the same directory, then rename). */
int bg_fs_write(const char *path, const void *data, size_t n);

/* mkdir -p. */
int bg_fs_mkdirs(const char *path);

/* rm -rf: removes a file or a directory tree; a missing path is not an error. Never
 * follows symbolic links. */
int bg_fs_rmtree(const char *path);

/* 1 when path exists (any type), 0 when not. */
int bg_fs_exists(const char *path);

/* 1 when path is a directory. */
int bg_fs_is_dir(const char *path);

/* The last max_bytes of a file, starting at a line boundary when one is near (appended to
 * out). A missing file appends nothing and is not an error. */
int bg_fs_tail(struct bg_buf *out, const char *path, size_t max_bytes);

/* The last line of the file's last max_bytes, line breaks at its end dropped: read into buf
 * (cleared first) and pointing into it; "" when only line breaks; NULL when the file is
 * missing or empty. For progress lines that show a running step is alive. */
const char *bg_fs_last_line(struct bg_buf *buf, const char *path, size_t max_bytes);

/* Total size in bytes of the regular files under path (0 when it does not exist). */
int64_t bg_fs_du(const char *path);

/* Joins two path parts with one '/' into out (cleared first). */
int bg_path_join(struct bg_buf *out, const char *a, const char *b);

/* a/b as a new string (free() it), joined as bg_path_join does; NULL when out of memory. */
char *bg_path_joined(const char *a, const char *b);

/* Absolute, symlink-free path of an existing path (free() it); NULL with a message. */
char *bg_fs_realpath(const char *path);

#endif
