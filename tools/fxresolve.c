/*
** fxresolve: the conflicts fxmerge left in a merged export, listed,
** resolved by side or by value, record by record and field by field, or
** one at a time on a terminal as git add -p asks.  Usable as a git
** mergetool: git mergetool --tool=fx.
** Exit: 0 no conflict left, 1 conflicts left, 2 trouble.
*/
#include "common.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char synopsis[] =
    "usage: fxresolve [OPTIONS] FILE [SELECTOR]...\n"
    "       fxresolve --take ours|theirs|base [OPTIONS] FILE [SELECTOR]...\n"
    "       fxresolve --set 'app.Model:PK:field=JSON' [OPTIONS] FILE\n"
    "       fxresolve -i [OPTIONS] FILE [SELECTOR]...\n";

static const char help[] =
    "List the conflicts fxmerge left in FILE, or resolve them: FILE is\n"
    "rewritten atomically (or -o FILE written), every other byte kept.\n"
    "SELECTOR: app.Model, app.Model:PK or app.Model:PK:field (none: all).\n"
    "\n"
    "      --take SIDE           keep SIDE (ours, theirs, base) in the selected\n"
    "                            conflicts\n"
    "      --set SEL=JSON        set field app.Model:PK:field to the JSON value\n"
    "                            (repeatable)\n"
    "  -i, --interactive         ask for each selected conflict on the terminal\n"
    "  -o, --output FILE         write the result here, not over FILE\n"
    "  -s, --schema SPEC         check values set, and the result, against it\n"
    "      --format FMT          the list as text (default) or json\n"
    "  -q, --quiet               no summary on stderr\n"
    "  -h, --help                this help\n"
    "      --version             the version\n"
    "\n"
    "As a git mergetool:\n"
    "  git config mergetool.fx.cmd 'fxmerge -q -o \"$MERGED\" \"$BASE\" \"$LOCAL\" "
    "\"$REMOTE\"; fxresolve -i \"$MERGED\"'\n"
    "\n"
    "Exit status: 0 no conflict left, 1 conflicts left, 2 trouble.\n";

enum { OPT_TAKE = 256, OPT_SET, OPT_FORMAT, OPT_VERSION };

#define USAGE(...) do { status = tool_usage_error(synopsis, __VA_ARGS__); goto done; } while (0)

static const struct option longopts[] = {
    {"take", required_argument, NULL, OPT_TAKE},
    {"set", required_argument, NULL, OPT_SET},
    {"interactive", no_argument, NULL, 'i'},
    {"output", required_argument, NULL, 'o'},
    {"schema", required_argument, NULL, 's'},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0}};

static const char *const side_name[3] = {"base", "ours", "theirs"};

static int side_of(const char *s)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(s, side_name[i]) == 0)
            return i;
    return -1;
}

/* v on one line as fxmerge's report gives it, or "(none)". */
static void put_value(fx_buf *b, fx_value v)
{
    json_object *j = tool_value_json(v);
    if (!j) {
        fx_buf_adds(b, "(none)");
        return;
    }
    fx_buf_adds(b, json_object_to_json_string(j));
    json_object_put(j);
}

/* Side s of c, for a conflict of whole records: "(none)" when the side
** lacks the record, else the fields that differ, else "(record)". */
static void put_side(fx_buf *b, const fx_conflict *c, int s)
{
    const fx_value *v = s == 0 ? c->base : s == 1 ? c->ours : c->theirs;
    if (!c->records[s]) {
        fx_buf_adds(b, "(none)");
        return;
    }
    if (!c->nfields) {
        fx_buf_adds(b, "(record)");
        return;
    }
    for (size_t i = 0; i < c->nfields; i++) {
        fx_buf_printf(b, "%s%s=", i ? ", " : "", c->fields[i]);
        put_value(b, v[i]);
    }
}

/* The line of field i of c (SIZE_MAX: the whole record), into b:
** LABEL KEY FIELD: base V | ours V | theirs V. */
static void conflict_line(fx_buf *b, const fx_conflict *c, size_t i)
{
    fx_buf_reset(b);
    fx_buf_printf(b, "%s %s ", c->label, c->key);
    if (i == SIZE_MAX) {
        fx_buf_printf(b, "%s: ", c->kind);
        for (int s = 0; s < 3; s++) {
            fx_buf_printf(b, "%s%s ", s ? " | " : "", side_name[s]);
            put_side(b, c, s);
        }
        return;
    }
    fx_buf_printf(b, "%s%s: ", c->fields[i],
                  strcmp(c->kind, "reference") == 0 ? " (reference)" : "");
    const fx_value *v[3] = {c->base, c->ours, c->theirs};
    for (int s = 0; s < 3; s++) {
        fx_buf_printf(b, "%s%s ", s ? " | " : "", side_name[s]);
        put_value(b, v[s][i]);
    }
}

typedef struct sel_list {
    fx_selector **v;
    char **text;
    int *used;
    size_t n;
} sel_list;

/* Does conflict c pass the selectors (any, when there are none)?  *field
** the field named, SIZE_MAX for none.  Negative on a selector naming a
** field of a conflict of whole records. */
static int selected(sel_list *sl, const fx_conflict *c, size_t *field, fx_error *err)
{
    *field = SIZE_MAX;
    if (sl->n == 0)
        return 1;
    for (size_t k = 0; k < sl->n; k++) {
        size_t f;
        int m = fx_selector_match(sl->v[k], c, &f, err);
        if (m < 0)
            return m;
        if (m) {
            sl->used[k] = 1;
            *field = f;
            return 1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- interactive */

typedef struct term {
    int colour;
    const char *bold, *dim, *red, *green, *blue, *reset;
} term;

static void term_init(term *t)
{
    const char *nc = getenv("NO_COLOR");
    t->colour = isatty(STDOUT_FILENO) && !(nc && *nc) && !(getenv("TERM") &&
                                                           strcmp(getenv("TERM"), "dumb") == 0);
    t->bold = t->colour ? "\033[1m" : "";
    t->dim = t->colour ? "\033[2m" : "";
    t->red = t->colour ? "\033[31m" : "";
    t->green = t->colour ? "\033[32m" : "";
    t->blue = t->colour ? "\033[34m" : "";
    t->reset = t->colour ? "\033[m" : "";
}

static void show(const term *t, const fx_conflict *c, size_t f, size_t at, size_t total)
{
    fx_buf b = FX_BUF_INIT;
    const char *col[3] = {t->dim, t->green, t->blue};
    printf("%s(%zu/%zu) %s %s", t->bold, at, total, c->label, c->key);
    if (f != SIZE_MAX)
        printf(" %s", c->fields[f]);
    printf(": %s conflict, line %lu%s\n", c->kind,
           f != SIZE_MAX && c->field_lines ? c->field_lines[f] : c->line, t->reset);
    /* The record's other fields, for context (ours's, else another's). */
    const fx_record *rec = c->records[1] ? c->records[1]
                           : c->records[2] ? c->records[2] : c->records[0];
    size_t shown = 0;
    for (size_t i = 0; rec && i < rec->nfields; i++) {
        size_t k;
        for (k = 0; k < c->nfields && strcmp(c->fields[k], rec->fields[i].name) != 0; k++)
            ;
        if (k < c->nfields)
            continue;
        if (shown++ == 12) {
            printf("%s   ... %zu more fields%s\n", t->dim, rec->nfields - i, t->reset);
            break;
        }
        fx_buf_reset(&b);
        put_value(&b, rec->fields[i].value);
        printf("%s   %s: %.*s%s%s\n", t->dim, rec->fields[i].name,
               b.len > 70 ? 70 : (int)b.len, b.data, b.len > 70 ? "..." : "", t->reset);
    }
    const fx_value *v[3] = {c->base, c->ours, c->theirs};
    static const int order[3] = {0, 1, 2};
    for (int k = 0; k < 3; k++) {
        int s = order[k];
        fx_buf_reset(&b);
        if (f != SIZE_MAX)
            put_value(&b, v[s][f]);
        else
            put_side(&b, c, s);
        printf("%s%-7s %s%s\n", col[s], side_name[s], b.data ? b.data : "", t->reset);
    }
    fx_buf_free(&b);
}

static void prompt_help(int fields)
{
    printf("o - keep ours\n"
           "t - keep theirs\n"
           "b - keep base\n");
    if (fields)
        printf("e - edit the value in $EDITOR\n");
    printf("s - skip: leave this conflict between markers\n"
           "q - quit: keep the decisions made, leave the rest between markers\n"
           "? - this help\n");
}

/* Edit the value in $VISUAL or $EDITOR: the value to start from, lines
** starting with '#' for the three sides (dropped).  0 and the text in *out,
** or -1 (said). */
static int edit_value(const fx_conflict *c, size_t f, fx_buf *out)
{
    const char *ed = getenv("VISUAL");
    if (!ed || !*ed)
        ed = getenv("EDITOR");
    if (!ed || !*ed)
        ed = "vi";
    char *path = fx__temp_named("fxresolve", ".json");
    FILE *fp = path ? fopen(path, "w") : NULL;
    if (!fp) {
        tool_errorf("cannot make a temporary file to edit: set " FX_TMPDIR_VAR
                    " to a writable place");
        free(path);
        return -1;
    }
    fx_buf b = FX_BUF_INIT;
    const fx_value *v[3] = {c->base, c->ours, c->theirs};
    fprintf(fp, "# %s %s %s: the value to keep, as JSON (a string in double quotes).\n",
            c->label, c->key, c->fields[f]);
    for (int s = 0; s < 3; s++) {
        fx_buf_reset(&b);
        put_value(&b, v[s][f]);
        fprintf(fp, "# %-7s %s\n", side_name[s], b.data);
    }
    fprintf(fp, "# Lines starting with '#' are dropped.\n");
    fx_value start = v[1][f].text ? v[1][f] : v[2][f].text ? v[2][f] : v[0][f];
    fx_buf_reset(&b);
    if (start.text)
        put_value(&b, start);
    fprintf(fp, "%s\n", b.data ? b.data : "");
    fclose(fp);
    if (fx__run_editor(ed, path) != 0) {
        fprintf(stderr, "%s: the editor (%s) failed: the value is left as it was\n",
                tool_prog, ed);
        unlink(path);
        free(path);
        fx_buf_free(&b);
        return -1;
    }
    fp = fopen(path, "r");
    fx_buf_reset(out);
    char line[4096];
    while (fp && fgets(line, sizeof line, fp))
        if (line[0] != '#')
            fx_buf_adds(out, line);
    if (fp)
        fclose(fp);
    unlink(path);
    free(path);
    fx_buf_free(&b);
    return 0;
}

/* Ask for each undecided conflict that the selectors select.  Returns the
** decisions made, or -1 on trouble (said). */
static int interactive(fx_resolver *r, sel_list *sl, const fx_schema *schema, long *made)
{
    term t;
    term_init(&t);
    fx_error err;
    fx_conflict c;
    size_t total = 0, at = 0;
    /* Count what will be asked, for "(1/5)". */
    for (size_t i = 0; i < fx_resolver_count(r); i++) {
        size_t f;
        if (fx_resolver_get(r, i, &c) <= 0)
            continue;
        int m = selected(sl, &c, &f, &err);
        if (m < 0)
            return tool_error(&err), -1;
        if (m)
            total += fx_conflict_of_fields(c.kind) && f == SIZE_MAX ? c.nfields : 1;
    }
    for (size_t i = 0; i < fx_resolver_count(r); i++) {
        size_t sf;
        if (fx_resolver_get(r, i, &c) <= 0 || selected(sl, &c, &sf, &err) <= 0)
            continue;
        int fields = fx_conflict_of_fields(c.kind);
        size_t nf = fields ? c.nfields : 1;
        for (size_t k = 0; k < nf; k++) {
            size_t f = fields ? k : SIZE_MAX;
            if (fields && sf != SIZE_MAX && sf != k)
                continue;
            if (fx_resolver_decided(r, i, f))
                continue;
            fx_resolver_get(r, i, &c);
            show(&t, &c, f, ++at, total);
            for (;;) {
                char line[256];
                printf("%s(%zu/%zu) Keep which [o,t,b%s,s,q,?]? %s", t.bold, at, total,
                       fields ? ",e" : "", t.reset);
                fflush(stdout);
                if (!fgets(line, sizeof line, stdin)) {
                    printf("\n");
                    return 0;
                }
                int side = -1;
                switch (line[0]) {
                case 'o': side = 1; break;
                case 't': side = 2; break;
                case 'b': side = 0; break;
                case 's': break;
                case 'q': return 0;
                case 'e':
                    if (fields) {
                        fx_buf v = FX_BUF_INIT;
                        if (edit_value(&c, f, &v) == 0) {
                            if (fx_resolver_set(r, i, f, v.data ? v.data : "", v.len, schema,
                                                &err) < 0) {
                                printf("%s\n", err.msg);
                                fx_buf_free(&v);
                                continue;
                            }
                            (*made)++;
                        }
                        fx_buf_free(&v);
                        fx_resolver_get(r, i, &c);
                        if (fx_resolver_decided(r, i, f))
                            break;
                        continue;
                    }
                    /* fall through */
                default:
                    prompt_help(fields);
                    continue;
                }
                if (side >= 0) {
                    if (fx_resolver_take(r, i, f, side, &err) < 0)
                        return tool_error(&err), -1;
                    (*made)++;
                }
                break;
            }
        }
    }
    return 0;
}

/* The check's diagnostics: warnings only when not quiet. */
static void quiet_diag(void *ctx, const fx_diag *d)
{
    if (d->severity == FX_ERR)
        tool_diag(ctx, d);
    else
        ((tool_diags *)ctx)->warnings++;
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv)
{
    const char *output = NULL, *schema_spec = NULL;
    int c, take = -1, inter = 0, json = 0, quiet = 0, status = EXIT_TROUBLE;
    char **sets = calloc((size_t)argc + 1, sizeof *sets);
    size_t nsets = 0;
    fx_error err;
    fx_schema *schema = NULL;
    fx_resolver *r = NULL;
    fx_output *o = NULL;
    sel_list sl = {NULL, NULL, NULL, 0};
    json_object *list = NULL;
    fx_buf line = FX_BUF_INIT;
    tool_init(argv[0]);
    if (!sets)
        return tool_errorf("out of memory");
    opterr = 0;
    while ((c = getopt_long(argc, argv, "io:s:qh", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_TAKE:
            if (take >= 0)
                USAGE("--take is given once: select what it applies to with selectors");
            if ((take = side_of(optarg)) < 0)
                USAGE("--take takes ours, theirs or base, not '%s'", optarg);
            break;
        case OPT_SET: sets[nsets++] = optarg; break;
        case 'i': inter = 1; break;
        case 'o': output = optarg; break;
        case 's': schema_spec = optarg; break;
        case OPT_FORMAT:
            if (strcmp(optarg, "json") == 0)
                json = 1;
            else if (strcmp(optarg, "text") != 0)
                USAGE("--format takes text or json, not '%s'", optarg);
            break;
        case 'q': quiet = 1; break;
        case 'h': fputs(synopsis, stdout); fputs(help, stdout); status = 0; goto done;
        case OPT_VERSION: status = tool_version(); goto done;
        default:
            status = tool_option_error(synopsis, "io:s:qh", longopts, argv);
            goto done;
        }
    }
    if (optind >= argc)
        USAGE("no file given: the merged export fxmerge wrote");
    const char *file = argv[optind];
    if (strcmp(file, "-") != 0 && access(file, F_OK) != 0 && strchr(file, ':') &&
        optind + 1 < argc && access(argv[argc - 1], F_OK) == 0)
        USAGE("'%s' is no file but looks like a selector: the file comes first "
              "(fxresolve --take SIDE FILE SELECTOR...)", file);
    int deciding = take >= 0 || nsets || inter;
    if (json && deciding)
        USAGE("--format lists the conflicts: it goes without --take, --set and -i");
    if (take >= 0 && inter)
        USAGE("--take and -i: choose one (select with selectors what each decides)");
    if (!deciding && output)
        USAGE("-o writes the file resolved: give --take, --set or -i");
    if (inter && !isatty(STDIN_FILENO))
        USAGE("-i asks on a terminal: standard input is not one (use --take or --set)");
    if (inter && strcmp(file, "-") == 0)
        USAGE("-i reads answers on standard input: the file cannot be '-'");
    sl.n = (size_t)(argc - optind - 1);
    sl.v = calloc(sl.n + 1, sizeof *sl.v);
    sl.used = calloc(sl.n + 1, sizeof *sl.used);
    if (!sl.v || !sl.used) {
        status = tool_errorf("out of memory");
        goto done;
    }
    for (size_t k = 0; k < sl.n; k++)
        if (fx_selector_parse(&sl.v[k], argv[optind + 1 + (int)k], 0, NULL, &err) < 0)
            USAGE("%s", err.msg);
    if (sl.n && nsets && take < 0 && !inter)
        USAGE("selectors go with --take or -i; --set names its field itself");

    if (schema_spec && fx_schema_load(&schema, schema_spec, &err) < 0) {
        status = tool_error(&err);
        goto done;
    }
    if (fx_resolver_open(&r, file, &err) < 0) {
        status = tool_error(&err);
        goto done;
    }
    tool_diags t = {.max_errors = TOOL_MAX_ERRORS};
    fx_validate_opts vo = {.schema = schema, .diag = quiet ? quiet_diag : tool_diag,
                           .diag_ctx = &t};
    size_t n = fx_resolver_count(r);
    fx_conflict cf;

    if (!deciding) {                   /* list */
        list = json ? json_object_new_array() : NULL;
        for (size_t i = 0; i < n; i++) {
            size_t f;
            if (fx_resolver_get(r, i, &cf) < 0) {
                status = tool_errorf("out of memory");
                goto done;
            }
            int m = selected(&sl, &cf, &f, &err);
            if (m < 0) {
                status = tool_error(&err);
                goto done;
            }
            if (!m)
                continue;
            if (json) {
                json_object_array_add(list, tool_conflict_json(&cf));
                continue;
            }
            int fields = fx_conflict_of_fields(cf.kind);
            for (size_t k = 0; k < (fields ? cf.nfields : 1); k++) {
                if (fields && f != SIZE_MAX && f != k)
                    continue;
                conflict_line(&line, &cf, fields ? k : SIZE_MAX);
                printf("%s\n", line.data);
            }
        }
        if (json) {
            json_object *top = json_object_new_object();
            json_object_object_add(top, "file", json_object_new_string(file));
            json_object_object_add(top, "conflicts", json_object_get(list));
            puts(json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
            json_object_put(top);
        }
        if (tool_flush_stdout())
            goto done;
        for (size_t k = 0; k < sl.n; k++)
            if (!sl.used[k])
                USAGE("no conflict in %s matches '%s'", file, argv[optind + 1 + (int)k]);
        if (n == 0) {                  /* none left: is it a fixture? */
            o = NULL;
            fx_output *null = NULL;
            if (fx_output_open(&null, "/dev/null", &err) < 0 ||
                fx_resolver_write(r, null, &vo, &err) < 0) {
                fx_output_free(null);
                status = tool_error(&err);
                goto done;
            }
            fx_output_free(null);
            if (!quiet)
                fprintf(stderr, "%s: no conflict in %s: it is a valid fixture\n", tool_prog,
                        file);
        }
        status = n ? EXIT_DIFF : EXIT_SAME;
        goto done;
    }

    /* --set: each names one field of one record. */
    long made = 0;
    for (size_t k = 0; k < nsets; k++) {
        fx_selector *s = NULL;
        const char *val = NULL;
        size_t hits = 0;
        if (fx_selector_parse(&s, sets[k], 1, &val, &err) < 0)
            USAGE("%s", err.msg);
        for (size_t i = 0; i < n && hits == 0; i++) {
            size_t f;
            fx_resolver_get(r, i, &cf);
            int m = fx_selector_match(s, &cf, &f, &err);
            if (m == 1 && f == SIZE_MAX)
                m = 0;
            if (m == 1)
                m = fx_resolver_set(r, i, f, val, strlen(val), schema, &err);
            if (m < 0) {
                fx_selector_free(s);
                status = tool_error(&err);
                goto done;
            }
            hits += m == 0 && f != SIZE_MAX;
        }
        fx_selector_free(s);
        if (!hits) {
            fx_error_set(&err, FX_EUSAGE, file, 0, 0, 0, "no field conflict matches '%.*s' "
                         "(list them with 'fxresolve %s')", (int)(val - 1 - sets[k]), sets[k],
                         file);
            status = tool_error(&err);
            goto done;
        }
        made++;
    }
    if (take >= 0) {
        for (size_t i = 0; i < n; i++) {
            size_t f;
            if (fx_resolver_get(r, i, &cf) <= 0)
                continue;
            int m = selected(&sl, &cf, &f, &err);
            if (m < 0) {
                status = tool_error(&err);
                goto done;
            }
            if (!m)
                continue;
            int fields = fx_conflict_of_fields(cf.kind);
            for (size_t k = 0; k < (fields ? cf.nfields : 1); k++) {
                size_t ff = fields ? k : SIZE_MAX;
                if ((fields && f != SIZE_MAX && f != k) || fx_resolver_decided(r, i, ff))
                    continue;
                if (fx_resolver_take(r, i, ff, take, &err) < 0) {
                    status = tool_error(&err);
                    goto done;
                }
                made++;
            }
        }
    }
    for (size_t k = 0; k < sl.n && !inter; k++)
        if (!sl.used[k]) {
            fx_error_set(&err, FX_EUSAGE, file, 0, 0, 0, "no conflict left matches '%s': "
                         "nothing written (list them with 'fxresolve %s')",
                         argv[optind + 1 + (int)k], file);
            status = tool_error(&err);
            goto done;
        }
    if (inter && interactive(r, &sl, schema, &made) < 0)
        goto done;
    if (made == 0 && !output) {
        if (!quiet)
            fprintf(stderr, "%s: nothing decided: %s left as it was\n", tool_prog, file);
        status = fx_resolver_left(r) ? EXIT_DIFF : EXIT_SAME;
        goto done;
    }
    /* Written back as it was (its compression, its encoding); -o FILE: in
    ** FILE's name's compression, as loaddata will read it. */
    const char *filter = fx_resolver_compression(r);
    char *oname = output && strcmp(output, "-") != 0 ? strdup(output) : NULL;
    int zip = 0;
    if (output)
        filter = oname ? tool_compression(oname, &zip) : NULL;
    free(oname);
    if (zip || (filter && strcmp(filter, "zip") == 0)) {
        fx_error_set(&err, FX_EUSAGE, output ? output : file, 0, 0, 0,
                     output ? "fxresolve writes no zip archive: name the output .json, "
                              ".jsonl, or with .gz, .bz2, .xz or .lzma"
                            : "a zip archive is not rewritten in place: write the result "
                              "with -o FILE (.json, or compressed: .json.gz)");
        status = tool_error(&err);
        goto done;
    }
    int rc = fx_output_open(&o, output ? output : file, &err);
    if (rc == 0 && filter)
        rc = fx_output_compress(o, filter, &err);
    if (rc == 0)
        rc = fx_resolver_write(r, o, &vo, &err);
    if (rc >= 0 && fx_output_commit(o, &err) < 0)
        rc = err.code;
    if (rc < 0) {
        status = tool_error(&err);
        goto done;
    }
    if (!quiet)
        fprintf(stderr, "%s: %ld decision%s written to %s; %d conflict%s left%s\n", tool_prog,
                made, made == 1 ? "" : "s", output ? output : file, rc, rc == 1 ? "" : "s",
                rc ? "" : ", the file is a valid fixture");
    status = rc ? EXIT_DIFF : EXIT_SAME;
done:
    fx_output_free(o);
    json_object_put(list);
    fx_buf_free(&line);
    for (size_t k = 0; k < sl.n && sl.v; k++)
        fx_selector_free(sl.v[k]);
    free(sl.v);
    free(sl.used);
    free(sets);
    fx_resolver_free(r);
    fx_schema_free(schema);
    return status;
}
