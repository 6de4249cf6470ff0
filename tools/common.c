/*
** common.c: diagnostics, errors and exit codes shared by the fx tools.
*/
#include "common.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <xxhash.h>

const char *tool_prog = "fx";

void tool_init(const char *argv0)
{
    const char *s = strrchr(argv0, '/');
    tool_prog = s ? s + 1 : argv0;
}

static void place(FILE *f, const char *file, unsigned long line, unsigned long col)
{
    if (file && *file && line)
        fprintf(f, "%s:%lu:%lu: ", strcmp(file, "-") ? file : "<stdin>", line, col);
    else if (file && *file)
        fprintf(f, "%s: ", strcmp(file, "-") ? file : "<stdin>");
    else
        fprintf(f, "%s: ", tool_prog);
}

int tool_error(const fx_error *e)
{
    place(stderr, e->file, e->line, e->col);
    fprintf(stderr, "error: %s\n", e->msg);
    return EXIT_TROUBLE;
}

int tool_errorf(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", tool_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_TROUBLE;
}

int tool_usage_error(const char *synopsis, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", tool_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%s'%s --help' for more help\n", synopsis, tool_prog);
    return EXIT_TROUBLE;
}

int tool_option_error(const char *synopsis, const char *optstring,
                      const struct option *longopts, char **argv)
{
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    if (strncmp(arg, "--", 2) != 0 || !arg[2]) {   /* a short option */
        const char *o = optopt && optopt != ':' ? strchr(optstring, optopt) : NULL;
        if (o && o[1] == ':')
            return tool_usage_error(synopsis, "option '-%c' needs a value", optopt);
        return tool_usage_error(synopsis, "unknown option '-%c'", optopt ? optopt : '?');
    }
    const char *name = arg + 2, *eq = strchr(name, '=');
    size_t n = eq ? (size_t)(eq - name) : strlen(name);
    const struct option *hit = NULL;
    char all[256] = "";
    int nhit = 0;
    for (const struct option *l = longopts; l->name; l++) {
        if (strncmp(l->name, name, n) != 0)
            continue;
        if (strlen(l->name) == n) {          /* exact: the value is wrong */
            hit = l;
            nhit = 1;
            break;
        }
        if (!hit || hit->flag != l->flag || hit->val != l->val) {   /* not a synonym */
            size_t k = strlen(all);
            snprintf(all + k, sizeof all - k, "%s--%s", nhit ? ", " : "", l->name);
            nhit++;
        }
        hit = l;
    }
    if (nhit > 1)
        return tool_usage_error(synopsis, "option '--%.*s' is ambiguous: %s", (int)n, name,
                                all);
    if (hit && hit->has_arg == required_argument && !eq)
        return tool_usage_error(synopsis, "option '--%s' needs a value", hit->name);
    if (hit && hit->has_arg == no_argument && eq)
        return tool_usage_error(synopsis, "option '--%s' takes no value", hit->name);
    return tool_usage_error(synopsis, "unknown option '--%.*s'", (int)n, name);
}

int tool_version(void)
{
    printf("%s (fx) %s\n", tool_prog, FX_VERSION);
    return 0;
}

void tool_diag(void *ctx, const fx_diag *d)
{
    tool_diags *t = ctx;
    uint64_t h = XXH3_64bits_withSeed(d->msg, strlen(d->msg), d->offset * 31 + d->line);
    if (d->file)
        h = XXH3_64bits_withSeed(d->file, strlen(d->file), h);
    size_t n = t->nseen < 64 ? t->nseen : 64;
    for (size_t i = 0; i < n; i++)
        if (t->seen[i] == h)
            return;
    t->seen[t->nseen++ % 64] = h;
    if (d->severity == FX_ERR)
        t->errors++;
    else
        t->warnings++;
    if (d->severity == FX_ERR && t->max_errors && t->errors > t->max_errors)
        return;
    const char *sev = d->severity == FX_ERR ? "error" : "warning";
    if (t->json) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "file", json_object_new_string(d->file ? d->file : ""));
        json_object_object_add(o, "line", json_object_new_int64((int64_t)d->line));
        json_object_object_add(o, "column", json_object_new_int64((int64_t)d->col));
        json_object_object_add(o, "offset", json_object_new_int64((int64_t)d->offset));
        json_object_object_add(o, "severity", json_object_new_string(sev));
        json_object_object_add(o, "check", json_object_new_string(d->check ? d->check : ""));
        json_object_object_add(o, "message", json_object_new_string(d->msg));
        json_object_array_add(t->json, o);
        return;
    }
    place(stderr, d->file, d->line, d->col);
    if (d->check)
        fprintf(stderr, "%s: %s [%s]\n", sev, d->msg, d->check);
    else
        fprintf(stderr, "%s: %s\n", sev, d->msg);
}

int tool_input_errors(fx_error *err, const tool_diags *t, int plural,
                      const char *consequence)
{
    const char *has = plural ? "inputs have" : "input has";
    if (t->max_errors && t->errors > t->max_errors)
        return fx_error_set(err, FX_EFORMAT, NULL, 0, 0, 0,
                            "the %s %lu errors (the first %lu above): %s; "
                            "'fxvalidate --max-errors 0' lists them all", has, t->errors,
                            t->max_errors, consequence);
    return fx_error_set(err, FX_EFORMAT, NULL, 0, 0, 0,
                        "the %s %lu error%s (above): %s; fxvalidate checks the rest of "
                        "what loaddata refuses", has, t->errors, t->errors == 1 ? "" : "s",
                        consequence);
}

int tool_flush_stdout(void)
{
    if (fflush(stdout) != 0 || ferror(stdout))
        return tool_errorf("cannot write to standard output: %s", strerror(errno));
    return 0;
}

/* Values print verbatim, as JSON (not as strings): a json-c string whose
** serializer prints its text as is. */
static int raw_serializer(json_object *o, struct printbuf *pb, int level, int flags)
{
    (void)level;
    (void)flags;
    return printbuf_memappend(pb, json_object_get_string(o), json_object_get_string_len(o));
}

json_object *tool_value_json(fx_value v)
{
    if (!v.text)
        return NULL;
    fx_buf b = FX_BUF_INIT;
    int lines = memchr(v.text, '\n', v.len) != NULL, instr = 0;
    for (size_t i = 0; i < v.len; i++) {
        char c = v.text[i];
        if (instr) {
            fx_buf_addc(&b, c);
            if (c == '\\' && i + 1 < v.len)
                fx_buf_addc(&b, v.text[++i]);
            else if (c == '"')
                instr = 0;
        } else if (!lines || (c != ' ' && c != '\n' && c != '\r' && c != '\t')) {
            fx_buf_addc(&b, c);
            if (lines && (c == ',' || c == ':'))
                fx_buf_addc(&b, ' ');
            instr = c == '"';
        }
    }
    json_object *o = json_object_new_string_len(b.data ? b.data : "", (int)b.len);
    fx_buf_free(&b);
    if (o)
        json_object_set_serializer(o, raw_serializer, NULL, NULL);
    return o;
}

json_object *tool_conflict_json(const fx_conflict *c)
{
    static const char *const side[3] = {"base", "ours", "theirs"};
    json_object *o = json_object_new_object();
    json_object_object_add(o, "model", json_object_new_string(c->label));
    json_object_object_add(o, "key", json_object_new_string(c->key));
    json_object_object_add(o, "kind", json_object_new_string(c->kind));
    if (c->line)
        json_object_object_add(o, "line", json_object_new_int64((int64_t)c->line));
    if (c->nfields) {
        json_object *a = json_object_new_array();
        const fx_value *v[3] = {c->base, c->ours, c->theirs};
        for (size_t i = 0; i < c->nfields; i++) {
            json_object *f = json_object_new_object();
            json_object_object_add(f, "field", json_object_new_string(c->fields[i]));
            if (c->field_lines)
                json_object_object_add(f, "line",
                                       json_object_new_int64((int64_t)c->field_lines[i]));
            for (int s = 0; s < 3; s++) {
                json_object *j = v[s] ? tool_value_json(v[s][i]) : NULL;
                if (j)
                    json_object_object_add(f, side[s], j);
            }
            json_object_array_add(a, f);
        }
        json_object_object_add(o, "fields", a);
    }
    if (c->hint)
        json_object_object_add(o, "hint", json_object_new_string(c->hint));
    return o;
}

/* dumpdata -o: the compression its last extension names; ".zip" is not
** compressed, the data goes to the name without it (with a warning). */
const char *tool_compression(char *path, int *zip)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    const char *dot = strrchr(base, '.');
    *zip = 0;
    if (!dot || dot == base)
        return NULL;
    if (!strcmp(dot, ".gz"))
        return "gzip";
    if (!strcmp(dot, ".bz2"))
        return "bzip2";
    if (!strcmp(dot, ".xz"))
        return "xz";
    if (!strcmp(dot, ".lzma"))
        return "lzma";
    if (!strcmp(dot, ".zip")) {
        *zip = 1;
        path[dot - path] = '\0';
    }
    return NULL;
}
