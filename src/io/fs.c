/* File-system helpers (see fs.h). */
#include "io/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int lsnn__path_join(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

char *lsnn__path_join_alloc(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    int slash = la > 0 && a[la - 1] != '/';
    char *s = malloc(la + slash + lb + 1);
    if (!s)
        return NULL;
    memcpy(s, a, la);
    if (slash)
        s[la] = '/';
    memcpy(s + la + slash, b, lb + 1);
    return s;
}

int lsnn__is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

lsnn_status lsnn__make_dir(const char *path)
{
    if (mkdir(path, 0777) == 0)
        return LSNN_OK;
    struct stat st;
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return LSNN_OK;
    return lsnn_error(LSNN_ERR_IO, "%s: cannot create directory: %s", path, strerror(errno));
}

lsnn_status lsnn__make_parents(const char *path)
{
    char p[4096];
    if (strlen(path) >= sizeof p)
        return lsnn_error(LSNN_ERR_ARG, "%s: path too long", path);
    strcpy(p, path);
    char *last = strrchr(p, '/');
    if (!last || last == p)
        return LSNN_OK;
    *last = '\0';
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            lsnn_status st = lsnn__make_dir(p);
            if (st)
                return st;
            *s = '/';
        }
    return lsnn__make_dir(p);
}

int lsnn__remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int rc = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        char sub[4096];
        if (lsnn__path_join(sub, sizeof sub, path, ent->d_name) != 0 ||
            lsnn__remove_tree(sub) != 0)
            rc = -1;
    }
    closedir(d);
    return rmdir(path) != 0 ? -1 : rc;
}

int lsnn__dir_is_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int empty = 1;
    struct dirent *ent;
    while (empty && (ent = readdir(d)) != NULL)
        if (strcmp(ent->d_name, ".") != 0 && strcmp(ent->d_name, "..") != 0)
            empty = 0;
    closedir(d);
    return empty;
}

lsnn_status lsnn__write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    size_t n = strlen(text);
    int ok = fwrite(text, 1, n, f) == n && fflush(f) == 0 && fsync(fileno(f)) == 0;
    int e = errno;
    if (fclose(f) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    return ok ? LSNN_OK : lsnn_error(LSNN_ERR_IO, "%s: cannot write: %s", path, strerror(e));
}

lsnn_status lsnn__write_text_atomic(const char *path, const char *text)
{
    char *tmp = malloc(strlen(path) + 5);
    if (!tmp)
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
    sprintf(tmp, "%s.tmp", path);
    lsnn_status st = lsnn__write_text(tmp, text);
    if (!st && rename(tmp, path) != 0)
        st = lsnn_error(LSNN_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    if (st)
        remove(tmp);
    free(tmp);
    return st;
}

int lsnn__fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    int r = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return r;
}
