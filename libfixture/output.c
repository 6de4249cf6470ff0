/*
** output.c: atomic output files, after git's lockfile.h.
**
** Calling sequence: fx_output_open(), any number of fx_output_write(),
** then fx_output_commit() to put the file in place, and fx_output_free()
** always.  Until the commit the data goes to ".NAME.fx-XXXXXX" in the same
** directory (so the rename cannot cross file systems); the target is
** untouched.  Errors while writing (a full disk) are kept and reported by
** the commit, which then removes the temporary file: nothing partial is
** ever left under the target's name.  Temporary files still open when the
** process is interrupted (SIGINT, SIGTERM, SIGHUP; Ctrl-C on Windows) are
** removed first (fx__on_interrupt()), then the process dies as it would
** have.  The commit is fx__replace(): rename(2), or Windows' replacing
** move, which says so when another program holds the target open.
**
** fx_output_compress() puts a libarchive write filter (gzip, bzip2, xz,
** lzma) with the raw format between fx_output_write() and the file: the
** data is compressed as it goes, and the commit closes the stream first.
*/
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#define OBUF (256 * 1024)

struct fx_output {
    char *path;        /* target; NULL for stdout */
    char *tmp;         /* temporary file's path */
    int fd;
    char *buf;
    size_t len;
    int err;           /* first errno seen while writing */
    int committed;
    int direct;        /* a device or a pipe, written in place */
    struct archive *z; /* compressing filter, or NULL */
    struct fx_output *next;   /* in the list the signal handler walks */
};

static struct fx_output *volatile live;   /* open temporary files */

static void remove_live(void)
{
    for (struct fx_output *o = live; o; o = o->next)
        if (o->tmp)
            unlink(o->tmp);
}

static void unlink_live(struct fx_output *o)
{
    fx__interrupts_block();
    struct fx_output *volatile *pp = &live;
    while (*pp && *pp != o)
        pp = &(*pp)->next;
    if (*pp)
        *pp = o->next;
    fx__interrupts_unblock();
}

int fx_output_open(fx_output **out, const char *path, fx_error *err)
{
    *out = NULL;
    fx_output *o = calloc(1, sizeof *o);
    if (!o || !(o->buf = malloc(OBUF))) {
        free(o);
        return fx_error_set(err, FX_ENOMEM, path, 0, 0, 0, "out of memory");
    }
    o->fd = 1;
    if (!path || strcmp(path, "-") == 0) {
        *out = o;
        return 0;
    }
    o->path = strdup(path);
    struct stat st0;
    if (o->path && stat(path, &st0) == 0 && !S_ISREG(st0.st_mode)) {
        /* A directory cannot be replaced; a device or a pipe (/dev/null,
        ** /dev/stdout, a FIFO) must not be: it is written in place. */
        int e = S_ISDIR(st0.st_mode) ? EISDIR : 0;
        if (!e && (o->fd = open(path, O_WRONLY | O_APPEND)) < 0)
            e = errno;
        if (e) {
            o->fd = -1;
            fx_output_free(o);
            return fx_error_set(err, FX_EIO, path, 0, 0, 0, "cannot write to it: %s",
                                strerror(e));
        }
        o->direct = 1;
        *out = o;
        return 0;
    }
    if (o->path && lstat(path, &st0) == 0 && S_ISLNK(st0.st_mode)) {
        char *real = realpath(path, NULL);  /* replace the file, not the link */
        if (real) {
            free(o->path);
            o->path = real;
        }
    }
    /* The temporary file is in the target's directory, as given. */
    size_t base = o->path ? fx__path_base(o->path) : 0;
    size_t n = o->path ? strlen(o->path) + 16 : 0;
    o->tmp = o->path ? malloc(n) : NULL;
    if (o->tmp)
        snprintf(o->tmp, n, "%.*s.%s.fx-XXXXXX", (int)base, o->path, o->path + base);
    if (!o->tmp) {
        fx_output_free(o);
        return fx_error_set(err, FX_ENOMEM, path, 0, 0, 0, "out of memory");
    }
    fx__on_interrupt(remove_live);
    fx__interrupts_block();
    o->fd = mkstemp(o->tmp);
    int e = errno;
    if (o->fd >= 0) {
        o->next = live;
        live = o;
    }
    fx__interrupts_unblock();
    if (o->fd < 0) {
        free(o->tmp);
        o->tmp = NULL;
        fx_output_free(o);
        return fx_error_set(err, FX_EIO, path, 0, 0, 0,
                            "cannot create a file next to it: %s; check the "
                            "directory exists and is writable", strerror(e));
    }
    struct stat st;
    mode_t mask = umask(0);
    umask(mask);
    fchmod(o->fd, stat(path, &st) == 0 ? st.st_mode & 07777 : 0666 & ~mask);
    *out = o;
    return 0;
}

static int flush(fx_output *o)
{
    size_t off = 0;
    while (off < o->len && !o->err) {
        ssize_t k = write(o->fd, o->buf + off, o->len - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            o->err = errno;
        else
            off += (size_t)k;
    }
    o->len = 0;
    return o->err ? -1 : 0;
}

static int write_error(fx_output *o, fx_error *err)
{
    return fx_error_set(err, FX_EIO, o->path ? o->path : "<stdout>", 0, 0, 0,
                        "cannot write: %s%s", strerror(o->err),
                        o->err == ENOSPC ? "; free some disk space and run again"
                        : o->err == EPIPE ? " (the reading end of the pipe closed)"
                        : "");
}

static int raw_write(fx_output *o, const void *p, size_t n, fx_error *err);

int fx_output_write(fx_output *o, const void *p, size_t n, fx_error *err)
{
    if (o->z && n) {
        if (o->err)
            return write_error(o, err);
        if (archive_write_data(o->z, p, n) < 0)
            return o->err ? write_error(o, err)
                   : fx_error_set(err, FX_EIO, o->path ? o->path : "<stdout>", 0, 0, 0,
                                  "cannot compress: %s", archive_error_string(o->z));
        return 0;
    }
    return raw_write(o, p, n, err);
}

/* libarchive's write callback: the compressed bytes, into the file. */
static la_ssize_t z_write(struct archive *a, void *ctx, const void *p, size_t n)
{
    (void)a;
    fx_output *o = ctx;
    return raw_write(o, p, n, NULL) ? -1 : (la_ssize_t)n;
}

int fx_output_compress(fx_output *o, const char *filter, fx_error *err)
{
    struct archive *a = archive_write_new();
    struct archive_entry *e = archive_entry_new();
    int rc = !a || !e ? ARCHIVE_FATAL
             : !strcmp(filter, "gzip") ? archive_write_add_filter_gzip(a)
             : !strcmp(filter, "bzip2") ? archive_write_add_filter_bzip2(a)
             : !strcmp(filter, "xz") ? archive_write_add_filter_xz(a)
             : !strcmp(filter, "lzma") ? archive_write_add_filter_lzma(a) : ARCHIVE_FAILED;
    if (rc == ARCHIVE_OK) {
        archive_write_set_bytes_per_block(a, 0);   /* no padding after the stream */
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_pathname(e, "data");
        if (archive_write_set_format_raw(a) != ARCHIVE_OK ||
            archive_write_open(a, o, NULL, z_write, NULL) != ARCHIVE_OK ||
            archive_write_header(a, e) != ARCHIVE_OK)
            rc = ARCHIVE_FATAL;
    }
    if (rc != ARCHIVE_OK) {
        int r = fx_error_set(err, rc == ARCHIVE_FAILED ? FX_EUSAGE : FX_ERROR,
                             o->path ? o->path : "<stdout>", 0, 0, 0,
                             "cannot compress with %s: %s", filter,
                             a && archive_error_string(a) ? archive_error_string(a)
                             : "unknown compression (gzip, bzip2, xz, lzma)");
        archive_entry_free(e);
        if (a)
            archive_write_free(a);
        return r;
    }
    archive_entry_free(e);
    o->z = a;
    return 0;
}

static int raw_write(fx_output *o, const void *p, size_t n, fx_error *err)
{
    if (o->err)
        return write_error(o, err);
    if (n == 0)
        return 0;
    if (o->len + n > OBUF && flush(o))
        return write_error(o, err);
    if (n >= OBUF) {
        const char *q = p;
        while (n && !o->err) {
            ssize_t k = write(o->fd, q, n);
            if (k < 0 && errno == EINTR)
                continue;
            if (k < 0)
                o->err = errno;
            else
                q += k, n -= (size_t)k;
        }
        return o->err ? write_error(o, err) : 0;
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
    return 0;
}

int fx_output_commit(fx_output *o, fx_error *err)
{
    if (o->committed)
        return 0;
    if (o->z) {
        struct archive *a = o->z;
        o->z = NULL;
        int bad = archive_write_close(a) != ARCHIVE_OK;
        if (bad && !o->err) {
            int r = fx_error_set(err, FX_EIO, o->path ? o->path : "<stdout>", 0, 0, 0,
                                 "cannot compress: %s", archive_error_string(a));
            archive_write_free(a);
            return r;
        }
        archive_write_free(a);
    }
    if (flush(o))
        return write_error(o, err);
    if (!o->path) {
        o->committed = 1;
        return 0;
    }
    if (o->direct) {
        if (close(o->fd) < 0 && errno != EINTR)
            o->err = errno;
        o->fd = -1;
        if (o->err)
            return write_error(o, err);
        o->committed = 1;
        return 0;
    }
    if (fx__fsync(o->fd) < 0 && errno != EINVAL)
        o->err = errno;
    if (close(o->fd) < 0 && !o->err)
        o->err = errno;
    o->fd = -1;
    if (o->err)
        return write_error(o, err);
    if (fx__replace(o->tmp, o->path) < 0) {
        int e = errno;
        return fx_error_set(err, FX_EIO, o->path, 0, 0, 0,
                            "cannot put the new file in place: %s", strerror(e));
    }
    unlink_live(o);
    free(o->tmp);
    o->tmp = NULL;
    o->committed = 1;
    return 0;
}

void fx_output_free(fx_output *o)
{
    if (!o)
        return;
    if (o->z)
        archive_write_free(o->z);   /* the file is removed below anyway */
    if (o->tmp) {
        if (o->fd >= 0)
            close(o->fd);
        unlink(o->tmp);
        unlink_live(o);
        free(o->tmp);
    }
    if (o->direct && o->fd >= 0)
        close(o->fd);
    free(o->path);
    free(o->buf);
    free(o);
}
