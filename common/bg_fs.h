/* Files and directories: whole-file reads, atomic writes, mkdir -p, rm -rf, tails, raw
 * copies and link targets (what materialising a working tree needs, without git). */
#ifndef BG_FS_H
#define BG_FS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bg_buf.h"

/* Reads a whole file into out (appending). BG_ENOTFOUND when it does not exist, BG_EINFRA
 * on other I/O errors; the message names the path. */
int bg_fs_read(struct bg_buf *out, const char *path);

/* bg_fs_read of a file bitgate did not write: BG_EINPUT ("PATH: larger than the N bytes
 * bitgate reads of it") when it holds more than max_bytes, and nothing more is read. */
int bg_fs_read_max(struct bg_buf *out, const char *path, size_t max_bytes);

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

/* 1 when the directory dir has no entry, 0 when it has one; BG_EINFRA naming dir when it
 * cannot be read. */
int bg_fs_dir_is_empty(const char *dir);

/* mkdir -p of path's parent directory (nothing for a path without one). */
int bg_fs_mkdirs_parent(const char *path);

/* Copies the bytes of the file src (never through a symbolic link) into dst, created with
 * mode; dst must not exist. BG_EINFRA naming the path on failure. */
int bg_fs_copy_file(const char *src, const char *dst, mode_t mode);

/* Writing below a directory without leaving it, for trees from strangers: rel is relative
 * and '/'-separated, no component of it empty, "." or ".."; no symbolic link below base is
 * followed (each directory is opened O_NOFOLLOW relative to the one above it, and made when
 * missing). A component that is a link or a file where a directory is needed, or a rel
 * that is not such a path: BG_EINPUT naming base and rel; nothing is written. */

/* mkdir -p of base/rel. */
int bg_fs_mkdirs_below(const char *base, const char *rel);

/* Copies the file src (never through a link) into base/rel, created with mode; base/rel
 * must not exist (a link there is not followed either). */
int bg_fs_copy_below(const char *src, const char *base, const char *rel, mode_t mode);

/* Makes base/rel a symbolic link to target, which is neither followed nor checked;
 * base/rel must not exist. */
int bg_fs_symlink_below(const char *target, const char *base, const char *rel);

/* The target of the symbolic link path, into out (cleared first). */
int bg_fs_readlink(struct bg_buf *out, const char *path);

/* Total size in bytes of the regular files under path (0 when it does not exist). */
int64_t bg_fs_du(const char *path);

/* Joins two path parts with one '/' into out (cleared first). */
int bg_path_join(struct bg_buf *out, const char *a, const char *b);

/* a/b as a new string (free() it), joined as bg_path_join does; NULL when out of memory. */
char *bg_path_joined(const char *a, const char *b);

/* Absolute, symlink-free path of an existing path (free() it); NULL with a message. */
char *bg_fs_realpath(const char *path);

#endif
