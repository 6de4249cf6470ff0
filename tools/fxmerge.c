/*
** fxmerge: three-way merge of Django fixture exports (base, ours, theirs),
** record by record and field by field, with id collisions renumbered and
** true conflicts left between git-style markers.  Usable as a git merge
** driver: fxmerge --schema S -o %A %O %A %B.
** Exit: 0 merged cleanly, 1 conflicts remain, 2 trouble.
*/
#include "common.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char synopsis[] = "usage: fxmerge [OPTIONS] BASE OURS THEIRS\n";

static const char help[] =
    "Merge the changes from BASE to OURS and from BASE to THEIRS into one\n"
    "fixture, written in OURS's layout to stdout or to -o FILE.\n"
    "\n"
    "  -o, --output FILE         write here, atomically (may be OURS itself,\n"
    "                            never BASE or THEIRS)\n"
    "  -s, --schema SPEC         schema file or database: references (needed to\n"
    "                            renumber), natural keys, unique fields\n"
    "  -k, --key MODEL=F[,F]     match MODEL's records by these fields (repeatable)\n"
    "      --renumber SIDE       which side's colliding new records get fresh pks:\n"
    "                            theirs (default), ours, none\n"
    "      --strategy SIDE       resolve field and delete/modify conflicts with\n"
    "                            ours or theirs instead of leaving markers\n"
    "      --allow-mass-delete   merge even when a side lost a whole model, most\n"
    "                            records, or all, or BASE looks newer than OURS\n"
    "      --report FILE         conflicts, merges and renumberings as JSON\n"
    "      --keep-bom            start the output with OURS's UTF-8 BOM\n"
    "  -q, --quiet               no summary on stderr\n"
    "  -h, --help                this help\n"
    "      --version             the version\n"
    "\n"
    "As a git merge driver (.gitattributes: *.json merge=fixture):\n"
    "  git config merge.fixture.driver 'fxmerge --schema S -o %A %O %A %B'\n"
    "\n"
    "Exit status: 0 merged cleanly, 1 conflicts remain, 2 trouble.\n";

enum { OPT_RENUMBER = 256, OPT_STRATEGY, OPT_REPORT, OPT_VERSION, OPT_MASS,
       OPT_KEEP_BOM };

/* A usage mistake found while reading the options: say so, clean up. */
#define USAGE(...) do { status = tool_usage_error(synopsis, __VA_ARGS__); goto done; } while (0)

static const struct option longopts[] = {
    {"output", required_argument, NULL, 'o'},
    {"schema", required_argument, NULL, 's'},
    {"key", required_argument, NULL, 'k'},
    {"renumber", required_argument, NULL, OPT_RENUMBER},
    {"strategy", required_argument, NULL, OPT_STRATEGY},
    {"report", required_argument, NULL, OPT_REPORT},
    {"allow-mass-delete", no_argument, NULL, OPT_MASS},
    {"keep-bom", no_argument, NULL, OPT_KEEP_BOM},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0}};

typedef struct report {
    json_object *conflicts, *merged, *resolved, *renumbered, *followed;
    int quiet;
} report;

static json_object *str_array(const char *const *v, size_t n)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_string(v[i]));
    return a;
}

static void on_event(void *ctx, const fx_merge_event *e)
{
    report *r = ctx;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "model", json_object_new_string(e->label));
    json_object_object_add(o, "key", json_object_new_string(e->key));
    switch (e->kind) {
    case FX_MERGE_CONFLICT:
        json_object_put(o);            /* one description, shared with fxresolve */
        json_object_array_add(r->conflicts, tool_conflict_json(&(fx_conflict){
            e->what, e->label, e->key, e->line, e->fields, e->nfields, e->base, e->ours,
            e->theirs, e->field_lines, e->hint, {NULL, NULL, NULL}}));
        if (!r->quiet)
            fprintf(stderr, "%s: conflict (%s): %s %s%s%s\n", tool_prog, e->what, e->label,
                    e->key, e->hint ? ": " : "", e->hint ? e->hint : "");
        break;
    case FX_MERGE_RESOLVED:
        json_object_object_add(o, "kind", json_object_new_string(e->what));
        json_object_array_add(r->resolved, o);
        break;
    case FX_MERGE_AUTO:
        json_object_object_add(o, "fields", str_array(e->fields, e->nfields));
        json_object_array_add(r->merged, o);
        break;
    case FX_MERGE_RENUMBER:
        json_object_object_add(o, "side", json_object_new_string(e->what));
        json_object_object_add(o, "new_key", json_object_new_string(e->new_key));
        json_object_array_add(r->renumbered, o);
        break;
    case FX_MERGE_FOLLOW:       /* what a delete took with it: always said */
        json_object_object_add(o, "action", json_object_new_string(e->what));
        if (e->nfields)
            json_object_object_add(o, "fields", str_array(e->fields, e->nfields));
        if (e->cause_label) {
            json_object *c = json_object_new_object();
            json_object_object_add(c, "model", json_object_new_string(e->cause_label));
            json_object_object_add(c, "key", json_object_new_string(e->cause_key));
            json_object_object_add(o, "because", c);
        }
        if (e->hint)
            json_object_object_add(o, "note", json_object_new_string(e->hint));
        json_object_array_add(r->followed, o);
        if (!r->quiet)
            fprintf(stderr, "%s: %s: %s %s%s%s%s: %s\n", tool_prog, e->what, e->label, e->key,
                    e->nfields ? " (" : "", e->nfields ? e->fields[0] : "",
                    e->nfields ? ")" : "", e->hint ? e->hint : "");
        break;
    }
}

static int write_report(const char *path, report *r, const fx_merge_stats *st, int rc)
{
    fx_error err;
    fx_output *o = NULL;
    json_object *j = json_object_new_object(), *s = json_object_new_object();
    json_object_object_add(j, "clean", json_object_new_boolean(rc == 0));
    json_object_object_add(s, "records", json_object_new_int64((int64_t)st->records));
    json_object_object_add(s, "ours", json_object_new_int64((int64_t)st->ours));
    json_object_object_add(s, "theirs", json_object_new_int64((int64_t)st->theirs));
    json_object_object_add(s, "merged", json_object_new_int64((int64_t)st->merged));
    json_object_object_add(s, "deleted", json_object_new_int64((int64_t)st->deleted));
    json_object_object_add(s, "renumbered", json_object_new_int64((int64_t)st->renumbered));
    json_object_object_add(s, "conflicts", json_object_new_int64((int64_t)st->conflicts));
    json_object_object_add(s, "resolved", json_object_new_int64((int64_t)st->resolved));
    json_object_object_add(s, "restored", json_object_new_int64((int64_t)st->restored));
    json_object_object_add(s, "reverted", json_object_new_int64((int64_t)st->reverted));
    json_object_object_add(s, "nulled", json_object_new_int64((int64_t)st->nulled));
    json_object_object_add(s, "cascaded", json_object_new_int64((int64_t)st->cascaded));
    json_object_object_add(j, "summary", s);
    json_object_object_add(j, "conflicts", json_object_get(r->conflicts));
    json_object_object_add(j, "resolved", json_object_get(r->resolved));
    json_object_object_add(j, "merged", json_object_get(r->merged));
    json_object_object_add(j, "renumbered", json_object_get(r->renumbered));
    json_object_object_add(j, "followed", json_object_get(r->followed));
    const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE);
    int ret = fx_output_open(&o, path, &err) < 0 ||
              fx_output_write(o, text, strlen(text), &err) < 0 ||
              fx_output_write(o, "\n", 1, &err) < 0 || fx_output_commit(o, &err) < 0;
    fx_output_free(o);
    json_object_put(j);
    return ret ? tool_error(&err) : 0;
}

/* Are paths a and b the same existing file, whatever their names (hard
** links, symbolic links, ./x and x)?  stdin is no file. */
static int same_file(const char *a, const char *b)
{
    if (strcmp(a, "-") == 0 || strcmp(b, "-") == 0)
        return 0;
    return fx__same_file(a, b);
}

static int side_arg(const char *opt, const char *arg, int allow_none, int *out)
{
    if (strcmp(arg, "theirs") == 0)
        *out = 1;
    else if (strcmp(arg, "ours") == 0)
        *out = 2;
    else if (allow_none && strcmp(arg, "none") == 0)
        *out = 3;
    else
        return tool_usage_error(synopsis, "%s takes ours%s or theirs, not '%s'", opt,
                                allow_none ? ", none" : "", arg);
    return 0;
}

int main(int argc, char **argv)
{
    const char *output = NULL, *schema_spec = NULL, *report_path = NULL;
    fx_merge_opts mo;
    fx_keyspec *keys = NULL;
    fx_error err;
    fx_schema *schema = NULL;
    fx_output *o = NULL;
    report r = {NULL, NULL, NULL, NULL, NULL, 0};
    int c, side, quiet = 0, status = EXIT_TROUBLE;
    memset(&mo, 0, sizeof mo);
    tool_init(argv[0]);
    if (fx_keyspec_new(&keys)) {
        status = tool_errorf("out of memory");
        goto done;
    }
    opterr = 0;                       /* tool_option_error() says it */
    while ((c = getopt_long(argc, argv, "o:s:k:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case 's': schema_spec = optarg; break;
        case 'k':
            if (fx_keyspec_add(keys, optarg, &err) < 0)
                USAGE("%s", err.msg);
            break;
        case OPT_RENUMBER:
            if (side_arg("--renumber", optarg, 1, &side))
                goto done;
            mo.renumber = side == 1 ? FX_RENUMBER_THEIRS : side == 2 ? FX_RENUMBER_OURS
                                                                     : FX_RENUMBER_NONE;
            break;
        case OPT_STRATEGY:
            if (side_arg("--strategy", optarg, 0, &side))
                goto done;
            mo.strategy = side == 1 ? FX_STRATEGY_THEIRS : FX_STRATEGY_OURS;
            break;
        case OPT_REPORT: report_path = optarg; break;
        case OPT_MASS: mo.allow_mass_delete = 1; break;
        case OPT_KEEP_BOM: mo.keep_bom = 1; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(synopsis, stdout); fputs(help, stdout); status = 0; goto done;
        case OPT_VERSION: status = tool_version(); goto done;
        default:
            status = tool_option_error(synopsis, "o:s:k:qh", longopts, argv);
            goto done;
        }
    }
    if (argc - optind != 3)
        USAGE("give three files: BASE OURS THEIRS");
    int stdins = 0;
    for (int i = optind; i < argc; i++)
        stdins += strcmp(argv[i], "-") == 0;
    if (stdins > 1)
        USAGE("only one of BASE, OURS and THEIRS can be stdin");
    /* -o OURS is how git's merge driver works; BASE and THEIRS are what
    ** the next merge or a retry needs: never overwritten. */
    for (int i = 0; output && i < 3; i += 2)
        if (same_file(output, argv[optind + i])) {
            fx_error_set(&err, FX_EUSAGE, output, 0, 0, 0, "-o names %s (%s): the merge "
                         "must not overwrite an input it is to keep; write the result to "
                         "OURS or to another file", i ? "THEIRS" : "BASE", argv[optind + i]);
            status = tool_error(&err);
            goto done;
        }

    if (schema_spec && fx_schema_load(&schema, schema_spec, &err) < 0) {
        status = tool_error(&err);
        goto done;
    }
    tool_diags t = {.max_errors = TOOL_MAX_ERRORS};
    r = (report){json_object_new_array(), json_object_new_array(), json_object_new_array(),
                 json_object_new_array(), json_object_new_array(), quiet};
    mo.schema = schema;
    mo.keys = keys;
    mo.diag = tool_diag;
    mo.diag_ctx = &t;
    mo.event = on_event;
    mo.event_ctx = &r;
    fx_merge_stats st;
    memset(&st, 0, sizeof st);
    int rc = fx_output_open(&o, output, &err);
    if (rc == 0)
        rc = fx_merge(argv[optind], argv[optind + 1], argv[optind + 2], o, &mo, &st, &err);
    if (rc >= 0 && t.errors)           /* e.g. invalid UTF-8: not passed on */
        rc = tool_input_errors(&err, &t, 1, "nothing written");
    if (rc >= 0 && fx_output_commit(o, &err) < 0)
        rc = err.code;
    status = rc < 0 ? tool_error(&err) : rc ? EXIT_DIFF : EXIT_SAME;
    fx_output_free(o);
    o = NULL;
    if (status != EXIT_TROUBLE && report_path && write_report(report_path, &r, &st, rc))
        status = EXIT_TROUBLE;
    if (status != EXIT_TROUBLE && !quiet)
        fprintf(stderr, "%s: %llu records: %llu from ours, %llu from theirs, %llu merged "
                "field by field, %llu deleted, %llu renumbered, %llu resolved by "
                "--strategy, %llu conflict%s%s\n", tool_prog,
                (unsigned long long)st.records, (unsigned long long)st.ours,
                (unsigned long long)st.theirs, (unsigned long long)st.merged,
                (unsigned long long)st.deleted, (unsigned long long)st.renumbered,
                (unsigned long long)st.resolved, (unsigned long long)st.conflicts,
                st.conflicts == 1 ? "" : "s",
                st.conflicts ? ": resolve the blocks between <<<<<<< and >>>>>>>, then "
                               "check with fxvalidate" : "");
done:
    fx_output_free(o);
    json_object_put(r.conflicts);
    json_object_put(r.merged);
    json_object_put(r.resolved);
    json_object_put(r.renumbered);
    json_object_put(r.followed);
    fx_schema_free(schema);
    fx_keyspec_free(keys);
    return status;
}
