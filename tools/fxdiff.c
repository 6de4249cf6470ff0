/*
** fxdiff: record- and field-level differences between two fixtures, as
** text (one line a record), counts per model (--stat), a change list
** (--format json) or the added and changed records as a fixture to load
** (--format fixture).  Exit: 0 same, 1 different, 2 trouble, as diff(1).
*/
#include "common.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char synopsis[] = "usage: fxdiff [OPTIONS] [-o FILE] OLD NEW\n";

static const char help[] =
    "Compare two Django fixture exports record by record.  Layout (compact,\n"
    "indented, jsonl) and record order do not matter.  OLD or NEW may be -.\n"
    "\n"
    "  -s, --schema SPEC         schema file or database: natural keys,\n"
    "                            many-to-many fields, values compared by kind\n"
    "  -k, --key MODEL=F[,F]     match MODEL's records by these fields (repeatable)\n"
    "  -i, --ignore-field GLOB   do not compare fields like \"*.updated_at\" (repeatable)\n"
    "  -m, --model LABEL         only this app or model (repeatable)\n"
    "  -x, --exclude LABEL       not this app or model (repeatable)\n"
    "      --stat                counts of added, removed, changed per model\n"
    "      --format FORMAT       text (default), json, or fixture: NEW's added\n"
    "                            and changed records as a fixture\n"
    "      --color WHEN          auto (default), always, never\n"
    "  -o, --output FILE         write FILE atomically instead of stdout\n"
    "  -q, --quiet               no output, only the exit status\n"
    "  -h, --help                this help\n"
    "      --version             the version\n"
    "\n"
    "Exit status: 0 same, 1 different, 2 trouble.\n";

enum { OPT_STAT = 256, OPT_FORMAT, OPT_COLOR, OPT_VERSION };
enum { F_TEXT, F_JSON, F_FIXTURE };

/* A usage mistake found while reading the options: say so, clean up. */
#define USAGE(...) do { status = tool_usage_error(synopsis, __VA_ARGS__); goto done; } while (0)

static const struct option longopts[] = {
    {"schema", required_argument, NULL, 's'},
    {"key", required_argument, NULL, 'k'},
    {"ignore-field", required_argument, NULL, 'i'},
    {"model", required_argument, NULL, 'm'},
    {"exclude", required_argument, NULL, 'x'},
    {"stat", no_argument, NULL, OPT_STAT},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"color", required_argument, NULL, OPT_COLOR},
    {"colour", required_argument, NULL, OPT_COLOR},
    {"output", required_argument, NULL, 'o'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0}};

typedef struct stat_row {
    char *label;
    unsigned long n[4];      /* by fx_change_op */
} stat_row;

typedef struct out {
    int format, stat, quiet, color;
    json_object *changes;
    stat_row *rows;
    size_t nrows;
    unsigned long n[4];
    fx_writer *w;
    fx_output *o;            /* stdout or -o FILE */
    fx_error *err;
} out;

#define C(o, code) ((o)->color ? "\033[" code "m" : "")

/* A value on one line as it would read in the file ("5355.64" with its
** quotes), or "(absent)". */
static void put_value(fx_buf *b, fx_value v)
{
    if (!v.text) {
        fx_buf_adds(b, "(absent)");
        return;
    }
    for (size_t i = 0; i < v.len; i++) {
        if (v.text[i] == '\n' || v.text[i] == '\r') {
            while (i + 1 < v.len && (v.text[i + 1] == ' ' || v.text[i + 1] == '\n'))
                i++;
            continue;
        }
        fx_buf_addc(b, v.text[i]);
    }
}

/* Values go into the JSON report verbatim, as JSON (not as strings): a
** json-c string whose serializer prints its text as is. */
static int raw_serializer(json_object *o, struct printbuf *pb, int level, int flags)
{
    (void)level; (void)flags;
    return printbuf_memappend(pb, json_object_get_string(o), json_object_get_string_len(o));
}

static json_object *value_json(fx_value v)
{
    if (!v.text)
        return NULL;
    fx_buf b = FX_BUF_INIT;
    put_value(&b, v);
    json_object *o = json_object_new_string_len(b.data ? b.data : "", (int)b.len);
    fx_buf_free(&b);
    if (o)
        json_object_set_serializer(o, raw_serializer, NULL, NULL);
    return o;
}

static json_object *members_json(const fx_value *v, size_t n)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, value_json(v[i]));
    return a;
}

/* --format fixture: the delta is written as NEW is, in its layout and
** frame, each record with its bytes (without a BOM: it is to be loaded). */
static int on_frame(void *ctx, fx_layout l, const fx_frame *f)
{
    out *o = ctx;
    fx_frame nobom = *f;
    nobom.bom = 0;
    if (fx_writer_new(&o->w, o->o, l) < 0 || fx_writer_frame(o->w, &nobom) < 0) {
        fx_error_set(o->err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
        return -1;
    }
    return 0;
}

static int on_change(void *ctx, const fx_change *c)
{
    out *o = ctx;
    static const char *const ops[] = {"", "added", "removed", "changed"};
    static const char sign[] = " +-~";
    o->n[c->op]++;
    if (o->quiet)
        return 0;
    if (o->stat) {
        size_t i;
        for (i = 0; i < o->nrows && strcmp(o->rows[i].label, c->label); i++)
            ;
        if (i == o->nrows) {
            o->rows = realloc(o->rows, (o->nrows + 1) * sizeof *o->rows);
            memset(&o->rows[i], 0, sizeof o->rows[i]);
            o->rows[o->nrows++].label = strdup(c->label);
        }
        o->rows[i].n[c->op]++;
        return 0;
    }
    if (o->format == F_FIXTURE) {
        if (c->op == FX_REMOVED) {
            fprintf(stderr, "%s: removed: %s %s\n", tool_prog, c->label, c->key);
            return 0;
        }
        return fx_writer_write(o->w, c->new_rec, o->err) < 0 ? -1 : 0;
    }
    if (o->format == F_JSON) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "op", json_object_new_string(ops[c->op]));
        json_object_object_add(j, "model", json_object_new_string(c->label));
        json_object_object_add(j, "key", json_object_new_string(c->key));
        if (c->op == FX_CHANGED) {
            json_object *fs = json_object_new_array();
            for (size_t i = 0; i < c->nfields; i++) {
                const fx_field_change *f = &c->fields[i];
                json_object *fj = json_object_new_object();
                json_object_object_add(fj, "field", json_object_new_string(f->name));
                json_object_object_add(fj, "old", value_json(f->old));
                json_object_object_add(fj, "new", value_json(f->new_));
                if (f->m2m) {
                    json_object_object_add(fj, "added", members_json(f->added, f->nadded));
                    json_object_object_add(fj, "removed",
                                           members_json(f->removed, f->nremoved));
                }
                json_object_array_add(fs, fj);
            }
            json_object_object_add(j, "fields", fs);
        }
        json_object_array_add(o->changes, j);
        return 0;
    }
    const char *col = c->op == FX_ADDED ? C(o, "32") : c->op == FX_REMOVED ? C(o, "31")
                                                                            : C(o, "33");
    fx_buf b = FX_BUF_INIT;
    fx_buf_printf(&b, "%s%c %s %s%s", col, sign[c->op], c->label, c->key, C(o, "0"));
    for (size_t i = 0; i < c->nfields; i++) {
        const fx_field_change *f = &c->fields[i];
        fx_buf_printf(&b, "%s%s: ", i ? ", " : "  ", f->name);
        if (f->m2m) {
            for (size_t k = 0; k < f->nadded; k++) {
                fx_buf_printf(&b, "%s%s+", k ? " " : "", C(o, "32"));
                put_value(&b, f->added[k]);
                fx_buf_adds(&b, C(o, "0"));
            }
            for (size_t k = 0; k < f->nremoved; k++) {
                fx_buf_printf(&b, "%s%s-", k || f->nadded ? " " : "", C(o, "31"));
                put_value(&b, f->removed[k]);
                fx_buf_adds(&b, C(o, "0"));
            }
            continue;
        }
        fx_buf_adds(&b, C(o, "31"));
        put_value(&b, f->old);
        fx_buf_printf(&b, "%s -> %s", C(o, "0"), C(o, "32"));
        put_value(&b, f->new_);
        fx_buf_adds(&b, C(o, "0"));
    }
    fx_buf_addc(&b, '\n');
    int rc = fx_output_write(o->o, b.data, b.len, o->err);
    fx_buf_free(&b);
    return rc < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    const char *schema_spec = NULL, *color = "auto", *output = NULL;
    const char **ignore = calloc((size_t)argc + 1, sizeof *ignore);
    fx_diff_opts d;
    out o;
    fx_error err;
    fx_models *models = NULL;
    fx_keyspec *keys = NULL;
    fx_schema *schema = NULL;
    int c, rc = 0, status = EXIT_TROUBLE;
    memset(&d, 0, sizeof d);
    memset(&o, 0, sizeof o);
    tool_init(argv[0]);
    if (!ignore || fx_models_new(&models) || fx_keyspec_new(&keys)) {
        status = tool_errorf("out of memory");
        goto done;
    }
    opterr = 0;                       /* tool_option_error() says it */
    while ((c = getopt_long(argc, argv, "s:k:i:m:x:o:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 's': schema_spec = optarg; break;
        case 'k':
            if (fx_keyspec_add(keys, optarg, &err) < 0)
                USAGE("%s", err.msg);
            break;
        case 'i': ignore[d.nignore++] = optarg; break;
        case 'm':
        case 'x':
            if (fx_models_add(models, optarg, c == 'x', &err) < 0)
                USAGE("%s", err.msg);
            break;
        case OPT_STAT: o.stat = 1; break;
        case OPT_FORMAT:
            if (strcmp(optarg, "text") == 0) o.format = F_TEXT;
            else if (strcmp(optarg, "json") == 0) o.format = F_JSON;
            else if (strcmp(optarg, "fixture") == 0) o.format = F_FIXTURE;
            else USAGE("--format takes text, json or fixture, "
                                         "not '%s'", optarg);
            break;
        case OPT_COLOR:
            if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never"))
                USAGE("--color takes auto, always or never, "
                                        "not '%s'", optarg);
            color = optarg;
            break;
        case 'o': output = optarg; break;
        case 'q': o.quiet = 1; break;
        case 'h': fputs(synopsis, stdout); fputs(help, stdout); status = 0; goto done;
        case OPT_VERSION: status = tool_version(); goto done;
        default:
            status = tool_option_error(synopsis, "s:k:i:m:x:o:qh", longopts, argv);
            goto done;
        }
    }
    if (argc - optind != 2)
        USAGE("give two files, OLD and NEW (- for stdin)");
    if (o.stat && o.format != F_TEXT)
        USAGE("--stat prints text: do not combine it with --format");
    if (strcmp(argv[optind], "-") == 0 && strcmp(argv[optind + 1], "-") == 0)
        USAGE("only one of OLD and NEW can be stdin");
    if (o.quiet && output)
        USAGE("-q writes nothing: do not combine it with -o");
    o.color = strcmp(color, "always") == 0 ||
              (strcmp(color, "auto") == 0 && !output && isatty(1) && !getenv("NO_COLOR"));
    if (o.quiet)
        o.format = F_TEXT, o.stat = 0;

    if (schema_spec && fx_schema_load(&schema, schema_spec, &err) < 0) {
        status = tool_error(&err);
        goto done;
    }
    tool_diags t = {.max_errors = TOOL_MAX_ERRORS};
    d.schema = schema;
    d.keys = keys;
    d.models = fx_models_empty(models) ? NULL : models;
    d.ignore = ignore;
    d.diag = tool_diag;
    d.diag_ctx = &t;
    o.err = &err;
    if (o.format == F_JSON)
        o.changes = json_object_new_array();
    if (!o.quiet && fx_output_open(&o.o, output, &err) < 0) {
        status = tool_error(&err);
        goto done;
    }
    if (o.format == F_FIXTURE)
        d.frame = on_frame;   /* the writer is made there, in NEW's frame */
    if (rc == 0)
        rc = fx_diff(argv[optind], argv[optind + 1], &d, on_change, &o, &err);
    if (rc >= 0 && t.errors)   /* e.g. invalid UTF-8: the comparison is not to be trusted */
        rc = tool_input_errors(&err, &t, 1, "the differences shown may be wrong");
    if (rc < 0) {
        status = tool_error(&err);
        goto done;
    }
    status = rc ? EXIT_DIFF : EXIT_SAME;
    fx_buf b = FX_BUF_INIT;
    if (o.changes) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "same", json_object_new_boolean(rc == 0));
        json_object_object_add(j, "added", json_object_new_int64((int64_t)o.n[FX_ADDED]));
        json_object_object_add(j, "removed", json_object_new_int64((int64_t)o.n[FX_REMOVED]));
        json_object_object_add(j, "changed", json_object_new_int64((int64_t)o.n[FX_CHANGED]));
        json_object_object_add(j, "changes", o.changes);
        o.changes = NULL;
        fx_buf_printf(&b, "%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
                                                            JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(j);
    }
    for (size_t i = 0; i < o.nrows; i++)
        fx_buf_printf(&b, "%s: %lu added, %lu removed, %lu changed\n", o.rows[i].label,
                      o.rows[i].n[FX_ADDED], o.rows[i].n[FX_REMOVED], o.rows[i].n[FX_CHANGED]);
    if (o.stat)
        fx_buf_printf(&b, "%zu model%s: %lu added, %lu removed, %lu changed\n", o.nrows,
                      o.nrows == 1 ? "" : "s", o.n[FX_ADDED], o.n[FX_REMOVED], o.n[FX_CHANGED]);
    if (o.o && ((o.w && fx_writer_finish(o.w, &err) < 0) ||
                (b.len && fx_output_write(o.o, b.data, b.len, &err) < 0) ||
                fx_output_commit(o.o, &err) < 0))
        status = tool_error(&err);
    fx_buf_free(&b);
done:
    json_object_put(o.changes);
    fx_writer_free(o.w);
    fx_output_free(o.o);
    for (size_t i = 0; i < o.nrows; i++)
        free(o.rows[i].label);
    free(o.rows);
    free(ignore);
    fx_schema_free(schema);
    fx_models_free(models);
    fx_keyspec_free(keys);
    if (tool_flush_stdout())
        return EXIT_TROUBLE;
    return status;
}
