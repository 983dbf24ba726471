/* File-system helpers of the library (not public): paths, directories, small files. Functions
 * returning lsnn_status set a message that names the path. */
#ifndef LSNN_IO_FS_H
#define LSNN_IO_FS_H

#include <stddef.h>

#include "lsnn/status.h"

/* out = dir "/" name in a buffer of cap bytes; -1 if it does not fit, else 0. */
int lsnn__path_join(char *out, size_t cap, const char *dir, const char *name);
/* "a/b" (no second slash when a ends in one) in a malloc'd string, or NULL. */
char *lsnn__path_join_alloc(const char *a, const char *b);
/* 1 if path is a directory (following links). */
int lsnn__is_dir(const char *path);
/* mkdir that accepts an existing directory: "<path>: cannot create directory: <reason>". */
lsnn_status lsnn__make_dir(const char *path);
/* Creates the missing directories above path (not path itself). */
lsnn_status lsnn__make_parents(const char *path);
/* Removes path and, for a directory, everything in it; never follows symbolic links. 0, or -1
 * with errno set. */
int lsnn__remove_tree(const char *path);
/* 1 if dir exists and holds nothing, 0 if it holds something, -1 if it cannot be read. */
int lsnn__dir_is_empty(const char *dir);
/* Writes text to path (not atomically: for files in a directory not yet published) and syncs
 * it. */
lsnn_status lsnn__write_text(const char *path, const char *text);
/* Writes text to path atomically: path.tmp, synced, then renamed over path (removed on
 * failure). */
lsnn_status lsnn__write_text_atomic(const char *path, const char *text);
/* fsync of a file or directory by path (opened read-only); 0 or -1 with errno set. */
int lsnn__fsync_path(const char *path);

#endif
