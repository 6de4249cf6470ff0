/*
** sync_state.c: fxsync's state directory (see sync_int.h): the config,
** the lock, atomic copies and the journal's entries.
*/
#include "sync_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *fx__sync_path(const char *dir, const char *name)
{
    fx_buf b = FX_BUF_INIT;
    if (fx_buf_printf(&b, "%s/%s", dir, name)) {
        fx_buf_free(&b);
        return NULL;
    }
    return b.data;
}

static int nomem(fx_error *err)
{
    return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
}

int fx__sync_mkdir(const char *dir, fx_error *err)
{
    char p[4096];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (fx__mkdir(p) && errno != EEXIST)
            goto fail;
        *s = '/';
    }
    if (fx__mkdir(p) && errno != EEXIST)
        goto fail;
    return 0;
fail:
    return fx_error_set(err, FX_EIO, dir, 0, 0, 0, "cannot make directory '%s': %s", p,
                        strerror(errno));
}

void fx__sync_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *p = fx__sync_path(dir, e->d_name);
        if (p && unlink(p) && errno == EISDIR)
            fx__sync_rmdir(p);
        free(p);
    }
    closedir(d);
    rmdir(dir);
}

/* ---------------------------------------------------------------- config */

static char *dup_str(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return strdup(json_object_get_string(v));
}

int fx__sync_cfg_read(sync_cfg *c, const char *dir, fx_error *err)
{
    memset(c, 0, sizeof *c);
    char *path = fx__sync_path(dir, "config.json");
    if (!path)
        return nomem(err);
    json_object *j = json_object_from_file(path);
    int rc = 0;
    if (!j) {
        rc = fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0, "'%s' is not an fxsync state "
                          "directory (no readable config.json): run 'fxsync init --local A "
                          "--online B' first, or pass --state DIR", dir);
        goto out;
    }
    c->local = dup_str(j, "local");
    c->online = dup_str(j, "online");
    c->schema = dup_str(j, "schema");
    json_object *ex;
    if (json_object_object_get_ex(j, "local_is_file", &ex))
        c->local_file = json_object_get_boolean(ex);
    if (json_object_object_get_ex(j, "online_is_file", &ex))
        c->online_file = json_object_get_boolean(ex);
    if (json_object_object_get_ex(j, "exclude", &ex) && json_object_is_type(ex, json_type_array)) {
        size_t n = json_object_array_length(ex);
        c->exclude = calloc(n + 1, sizeof *c->exclude);
        for (size_t i = 0; c->exclude && i < n; i++)
            c->exclude[c->nexclude++] = strdup(json_object_get_string(
                json_object_array_get_idx(ex, i)));
    }
    if (!c->local || !c->online)
        rc = fx_error_set(err, FX_ESCHEMA, path, 0, 0, 0, "'%s' names no local or no online "
                          "database: run 'fxsync init' again", path);
out:
    json_object_put(j);
    free(path);
    return rc;
}

int fx__sync_cfg_write(const sync_cfg *c, const char *dir, fx_error *err)
{
    json_object *j = json_object_new_object(), *ex = json_object_new_array();
    json_object_object_add(j, "local", json_object_new_string(c->local));
    json_object_object_add(j, "online", json_object_new_string(c->online));
    json_object_object_add(j, "schema", c->schema ? json_object_new_string(c->schema) : NULL);
    if (c->local_file)
        json_object_object_add(j, "local_is_file", json_object_new_boolean(1));
    if (c->online_file)
        json_object_object_add(j, "online_is_file", json_object_new_boolean(1));
    for (size_t i = 0; i < c->nexclude; i++)
        json_object_array_add(ex, json_object_new_string(c->exclude[i]));
    json_object_object_add(j, "exclude", ex);
    char *path = fx__sync_path(dir, "config.json");
    int rc = path ? fx__sync_json_write(j, path, err) : nomem(err);
    if (!rc)
        chmod(path, 0600);   /* the online URI may hold a password */
    free(path);
    json_object_put(j);
    return rc;
}

void fx__sync_cfg_free(sync_cfg *c)
{
    free(c->local);
    free(c->online);
    free(c->schema);
    for (size_t i = 0; i < c->nexclude; i++)
        free(c->exclude[i]);
    free(c->exclude);
    memset(c, 0, sizeof *c);
}

/* ---------------------------------------------------------------- lock */

int fx__sync_lock(const char *dir, fx_error *err)
{
    char *path = fx__sync_path(dir, "lock");
    if (!path)
        return nomem(err);
    int rc = 0;
    for (int tries = 0; tries < 2; tries++) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd >= 0) {
            char pid[32];
            int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
            if (write(fd, pid, (size_t)n) != n)
                rc = fx_error_set(err, FX_EIO, path, 0, 0, 0, "cannot write '%s': %s", path,
                                  strerror(errno));
            close(fd);
            goto out;
        }
        if (errno != EEXIST)
            break;
        long other = 0;
        FILE *f = fopen(path, "r");
        if (f) {
            if (fscanf(f, "%ld", &other) != 1)
                other = 0;
            fclose(f);
        }
        if (fx__pid_alive(other)) {
            rc = fx_error_set(err, FX_EIO, path, 0, 0, 0, "another fxsync (pid %ld) is "
                              "working on '%s': wait for it to end, then run this again",
                              other, dir);
            goto out;
        }
        unlink(path);   /* its process is gone (killed): take it over */
    }
    rc = fx_error_set(err, FX_EIO, path, 0, 0, 0, "cannot take the lock '%s': %s", path,
                      strerror(errno));
out:
    free(path);
    return rc;
}

void fx__sync_unlock(const char *dir)
{
    char *path = fx__sync_path(dir, "lock");
    if (path)
        unlink(path);
    free(path);
}

/* ---------------------------------------------------------------- files */

int fx__sync_copy(const char *src, const char *dst, int gzip, fx_error *err)
{
    FILE *in = fopen(src, "rb");
    if (!in)
        return fx_error_set(err, FX_EIO, src, 0, 0, 0, "cannot read '%s': %s", src,
                            strerror(errno));
    fx_output *o = NULL;
    int rc = fx_output_open(&o, dst, err);
    if (!rc && gzip)
        rc = fx_output_compress(o, "gzip", err);
    char buf[65536];
    size_t n;
    while (!rc && (n = fread(buf, 1, sizeof buf, in)) > 0)
        rc = fx_output_write(o, buf, n, err);
    if (!rc && ferror(in))
        rc = fx_error_set(err, FX_EIO, src, 0, 0, 0, "cannot read '%s'", src);
    if (!rc)
        rc = fx_output_commit(o, err);
    fx_output_free(o);
    fclose(in);
    return rc;
}

int fx__sync_json_write(json_object *j, const char *path, fx_error *err)
{
    const char *s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
                                                   JSON_C_TO_STRING_SPACED |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE);
    fx_output *o = NULL;
    int rc = fx_output_open(&o, path, err);
    if (!rc)
        rc = fx_output_write(o, s, strlen(s), err);
    if (!rc)
        rc = fx_output_write(o, "\n", 1, err);
    if (!rc)
        rc = fx_output_commit(o, err);
    fx_output_free(o);
    return rc;
}

/* ---------------------------------------------------------------- journal */

static int entries(const char *jdir, long **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(jdir);
    if (!d)
        return 0;
    struct dirent *e;
    size_t cap = 0;
    while ((e = readdir(d))) {
        char *end;
        long v = strtol(e->d_name, &end, 10);
        if (*end || end == e->d_name || v <= 0)
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 32;
            long *p = realloc(*out, cap * sizeof *p);
            if (!p)
                break;
            *out = p;
        }
        (*out)[(*n)++] = v;
    }
    closedir(d);
    return 0;
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

int fx__sync_journal_new(char **out, const char *dir, fx_error *err)
{
    char *jdir = fx__sync_path(dir, "journal");
    if (!jdir)
        return nomem(err);
    int rc = fx__sync_mkdir(jdir, err);
    long *v, next = 1;
    size_t n;
    entries(jdir, &v, &n);
    for (size_t i = 0; i < n; i++)
        if (v[i] >= next)
            next = v[i] + 1;
    free(v);
    char name[32];
    snprintf(name, sizeof name, "%06ld", next);
    *out = rc ? NULL : fx__sync_path(jdir, name);
    if (!rc && !*out)
        rc = nomem(err);
    if (!rc)
        rc = fx__sync_mkdir(*out, err);
    free(jdir);
    return rc;
}

void fx__sync_journal_prune(const char *dir, int keep)
{
    char *jdir = fx__sync_path(dir, "journal");
    long *v;
    size_t n;
    if (!jdir)
        return;
    entries(jdir, &v, &n);
    qsort(v, n, sizeof *v, cmp_long);
    /* the entry of a round still pending (stopped midway, or waiting for
    ** its patch) is what repairs it: never dropped */
    char *pj = fx__sync_path(dir, "pending.json");
    json_object *pending = pj ? json_object_from_file(pj) : NULL, *x;
    const char *keep_name = pending && json_object_object_get_ex(pending, "journal", &x)
                            ? json_object_get_string(x) : "";
    for (size_t i = 0; keep >= 0 && i + (size_t)keep < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "%06ld", v[i]);
        if (strcmp(name, keep_name) == 0)
            continue;
        char *p = fx__sync_path(jdir, name);
        if (p)
            fx__sync_rmdir(p);
        free(p);
    }
    json_object_put(pending);
    free(pj);
    free(v);
    free(jdir);
}

size_t fx__sync_journal_ids(const char *dir, long **out)
{
    char *jdir = fx__sync_path(dir, "journal");
    size_t n = 0;
    *out = NULL;
    if (jdir)
        entries(jdir, out, &n);
    if (*out)
        qsort(*out, n, sizeof **out, cmp_long);
    free(jdir);
    return n;
}
