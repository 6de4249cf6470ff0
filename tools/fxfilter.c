/*
** fxfilter: select, exclude, close over dependencies and redact the
** records of Django fixture exports, writing a fixture (or, with --count,
** a table of models).  Streams: one record in memory at a time; with
** --with-deps two passes over the inputs and an index of keys and places.
** Exit: 0 records written, 1 none matched, 2 trouble (-o left untouched).
*/
#include "common.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char synopsis[] =
    "usage: fxfilter [-m LABEL]... [-x LABEL]... [--pk LIST] [--where EXPR]...\n"
    "                [--with-deps --schema SPEC] [--redact FIELD[=VALUE]]...\n"
    "                [--drop-field FIELD]... [--count] [--indent N | --compact |\n"
    "                --format json|jsonl] [--keep-bom] [-o FILE] [FILE...]\n";

static const char help[] =
    "Write the records of Django fixture exports (stdin when no FILE; several\n"
    "are read in order, as loaddata reads them) that a selection keeps.\n"
    "\n"
    "  -m, --model LABEL       keep app or app.Model (repeatable, as dumpdata)\n"
    "  -x, --exclude LABEL     drop app or app.Model (repeatable, as --exclude)\n"
    "      --pk LIST           keep these pks of the one --model: 1,5,10-20\n"
    "  -w, --where EXPR        keep records where FIELD OP VALUE holds; OP is one\n"
    "                          of = != < <= > >=; repeatable, all must hold\n"
    "  -d, --with-deps         also write every record the selection references,\n"
    "                          transitively (needs --schema)\n"
    "  -s, --schema SPEC       a schema file, or a database made by migrate\n"
    "      --redact FIELD[=VALUE]  replace label.field values (a pattern, as\n"
    "                          '*.email'); default '!' for auth.user.password,\n"
    "                          else \"\" or null by field kind\n"
    "      --drop-field FIELD  remove label.field (a pattern)\n"
    "  -c, --count             print records and bytes per model, largest first\n"
    "      --indent N          write with dumpdata --indent N\n"
    "      --compact           write on one line, as dumpdata without --indent\n"
    "      --format FORMAT     json (compact unless --indent) or jsonl\n"
    "      --keep-bom          start the output with the input's UTF-8 BOM\n"
    "                          (loaddata refuses it: left out by default)\n"
    "  -o, --output FILE       write FILE atomically instead of stdout\n"
    "  -q, --quiet             no warnings\n"
    "  -h, --help              this help\n"
    "      --version           the version\n"
    "\n"
    "The output keeps the first input's layout and bytes unless told otherwise:\n"
    "with no selection it is the input, byte for byte (a UTF-8 BOM aside);\n"
    "records left out go with their separators; --redact and --drop-field\n"
    "change only the values and fields they touch.\n"
    "Exit status: 0 records written, 1 none matched, 2 trouble.\n";

enum { OPT_PK = 256, OPT_REDACT, OPT_DROP, OPT_INDENT, OPT_COMPACT, OPT_FORMAT,
       OPT_KEEP_BOM, OPT_VERSION };

static const struct option longopts[] = {
    {"model", required_argument, NULL, 'm'},
    {"exclude", required_argument, NULL, 'x'},
    {"pk", required_argument, NULL, OPT_PK},
    {"where", required_argument, NULL, 'w'},
    {"with-deps", no_argument, NULL, 'd'},
    {"schema", required_argument, NULL, 's'},
    {"redact", required_argument, NULL, OPT_REDACT},
    {"drop-field", required_argument, NULL, OPT_DROP},
    {"count", no_argument, NULL, 'c'},
    {"indent", required_argument, NULL, OPT_INDENT},
    {"compact", no_argument, NULL, OPT_COMPACT},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"keep-bom", no_argument, NULL, OPT_KEEP_BOM},
    {"output", required_argument, NULL, 'o'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0}};

/* What the output stage needs. */
struct out {
    fx_output *o;
    fx_writer *w;
    fx_tally *tally;           /* --count */
    fx_redactor *red;
    fx_layout layout;
    int layout_set;            /* by an option, or from the first input */
    int framed;                /* from the first input: written in its frame */
    int keep_bom;
    uint64_t written;
};

static int emit(struct out *st, const fx_record *rec, fx_error *err)
{
    fx_record *c = NULL;
    int rc;
    st->written++;
    if (st->tally)
        return fx_tally_add(st->tally, rec) ? fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0,
                                                           "out of memory") : 0;
    if ((rc = fx_redactor_apply(st->red, rec, &c, err)) < 0)
        return rc;
    rc = fx_writer_write(st->w, c ? c : rec, err);
    fx_record_free(c);
    return rc;
}

static int finish(struct out *st, fx_error *err)
{
    if (st->tally) {
        const fx_tally_row *rows;
        size_t n = fx_tally_rows(st->tally, &rows);
        fx_buf b = FX_BUF_INIT;
        for (size_t i = 0; i < n; i++)
            fx_buf_printf(&b, "%9" PRIu64 " %12" PRIu64 "  %s\n", rows[i].records,
                          rows[i].bytes, rows[i].label);
        int rc = b.len ? fx_output_write(st->o, b.data, b.len, err) : 0;
        fx_buf_free(&b);
        return rc;
    }
    if (!st->w && fx_writer_new(&st->w, st->o, st->layout) < 0)
        return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    return fx_writer_finish(st->w, err);
}

/* The output's layout is the first input's (when no option chose one),
** and its frame too: the writer is made when the first record (or the
** end) of that input is read, and is given the frame's tail at its end. */
static int take_layout(struct out *st, fx_reader *r, size_t i, int end, fx_error *err)
{
    fx_frame fr;
    if (!st->layout_set) {
        st->layout = fx_reader_layout(r);
        st->layout_set = st->framed = 1;
    }
    if (st->tally || (st->w && !(end && i == 0 && st->framed)))
        return 0;
    if (!st->w && fx_writer_new(&st->w, st->o, st->layout) < 0)
        return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    if (!st->framed)
        return 0;
    fx_reader_frame(r, &fr);
    fr.bom &= st->keep_bom;
    if (fx_writer_frame(st->w, &fr) < 0)
        return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    return 0;
}

/* Read input i (r) to the end, writing what pass 1 (deps == NULL or
** pass == 1) or pass 2 keeps. */
static int pass(struct out *st, fx_reader *r, size_t i, fx_filter *f, fx_deps *deps,
                int second, fx_error *err)
{
    const fx_record *rec;
    int rc;
    while ((rc = fx_reader_next(r, &rec, err)) > 0) {
        if (!st->w && !st->tally && (rc = take_layout(st, r, i, 0, err)) < 0)
            return rc;
        if (second)
            rc = fx_deps_wanted(deps, i, rec) ? emit(st, rec, err) : 0;
        else if (deps)
            rc = fx_deps_add(deps, i, rec, fx_filter_match(f, rec), err);
        else
            rc = fx_filter_match(f, rec) ? emit(st, rec, err) : 0;
        if (rc < 0)
            return rc;
    }
    if (rc == 0)
        rc = take_layout(st, r, i, 1, err);
    return rc;
}

/* Diagnostics of the input: errors always (they stop the output), warnings
** unless -q. */
static int quiet_warnings;

static void input_diag(void *ctx, const fx_diag *d)
{
    if (d->severity == FX_ERR || !quiet_warnings)
        tool_diag(ctx, d);
    else
        ((tool_diags *)ctx)->warnings++;
}

int main(int argc, char **argv)
{
    const char *schema_spec = NULL, *output = NULL, *stdin_only[] = {"-"};
    const char **red = calloc((size_t)argc + 1, sizeof *red);
    int *drop = calloc((size_t)argc + 1, sizeof *drop);
    int nred = 0, with_deps = 0, count = 0, quiet = 0, indent = -2, compact = 0, c;
    int format = -1, status = EXIT_TROUBLE;
    fx_error err;
    fx_filter *f = NULL;
    fx_schema *schema = NULL;
    fx_deps *deps = NULL;
    fx_reader **readers = NULL;
    tool_diags td = {.max_errors = TOOL_MAX_ERRORS};
    struct out st;
    memset(&st, 0, sizeof st);
    tool_init(argv[0]);
    if (!red || !drop || fx_filter_new(&f) < 0)
        return tool_errorf("out of memory");
    opterr = 0;                       /* tool_option_error() says it */
    while ((c = getopt_long(argc, argv, "m:x:w:ds:co:qh", longopts, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case 'm': case 'x': rc = fx_filter_model(f, optarg, c == 'x', &err); break;
        case OPT_PK: rc = fx_filter_pks(f, optarg, &err); break;
        case 'w': rc = fx_filter_where(f, optarg, &err); break;
        case 'd': with_deps = 1; break;
        case 's': schema_spec = optarg; break;
        case OPT_REDACT: case OPT_DROP:
            drop[nred] = c == OPT_DROP;
            red[nred++] = optarg;
            break;
        case 'c': count = 1; break;
        case OPT_COMPACT: compact = 1; break;
        case OPT_KEEP_BOM: st.keep_bom = 1; break;
        case 'o': output = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(synopsis, stdout); fputs(help, stdout); status = 0; goto done;
        case OPT_VERSION: status = tool_version(); goto done;
        case OPT_INDENT: {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || end == optarg || n < 0 || n > 64) {
                status = tool_usage_error(synopsis, "--indent takes a number from 0 to 64, "
                                          "not '%s'", optarg);
                goto done;
            }
            indent = (int)n;
            break;
        }
        case OPT_FORMAT:
            if (strcmp(optarg, "json") && strcmp(optarg, "jsonl")) {
                status = tool_usage_error(synopsis, "--format takes json or jsonl, not '%s'",
                                          optarg);
                goto done;
            }
            format = strcmp(optarg, "jsonl") == 0;
            break;
        default:
            status = tool_option_error(synopsis, "m:x:w:ds:co:qh", longopts, argv);
            goto done;
        }
        if (rc < 0 && c == 'w' && rc == FX_EUSAGE) {   /* show the place */
            status = tool_error(&err);
            fprintf(stderr, "    %s\n    %*s^\n", optarg, (int)err.col - 1, "");
            goto done;
        }
        if (rc < 0) {
            status = rc == FX_EUSAGE ? tool_usage_error(synopsis, "%s", err.msg)
                                     : tool_error(&err);
            goto done;
        }
    }
    if ((indent != -2) + compact + (format == 1) > 1) {
        status = tool_usage_error(synopsis, "choose one of --indent, --compact and "
                                  "--format jsonl");
        goto done;
    }
    if (with_deps && !schema_spec) {
        status = tool_usage_error(synopsis, "--with-deps needs --schema: references are "
                                  "known from the models (a schema file, or db.sqlite3)");
        goto done;
    }
    if (indent != -2 || compact || format >= 0) {
        st.layout_set = 1;
        st.layout = (fx_layout){.format = format == 1 ? FX_FORMAT_JSONL : FX_FORMAT_JSON,
                                .indent = indent == -2 ? -1 : indent};
    }
    if (schema_spec && fx_schema_load(&schema, schema_spec, &err) < 0) {
        status = tool_error(&err);
        goto done;
    }
    if (fx_filter_check(f, schema, &err) < 0) {
        status = tool_error(&err);
        goto done;
    }
    if (fx_redactor_new(&st.red, schema) < 0 || (count && fx_tally_new(&st.tally) < 0))
        goto nomem;
    for (int i = 0; i < nred; i++) {
        if (fx_redactor_add(st.red, red[i], drop[i], &err) < 0) {
            status = tool_usage_error(synopsis, "%s", err.msg);
            goto done;
        }
    }
    if (with_deps && fx_deps_new(&deps, schema, quiet ? NULL : tool_diag, &td) < 0)
        goto nomem;

    const char **files = optind < argc ? (const char **)argv + optind : stdin_only;
    size_t nfiles = optind < argc ? (size_t)(argc - optind) : 1;
    quiet_warnings = quiet;
    fx_reader_opts ro = {.diag = input_diag, .diag_ctx = &td, .seekable = with_deps};
    if (!with_deps && !count)
        ro.want = fx_filter_wants, ro.want_ctx = f;   /* skim other models */
    if (!(readers = calloc(nfiles, sizeof *readers)))
        goto nomem;
    if (fx_output_open(&st.o, output, &err) < 0) {
        status = tool_error(&err);
        goto done;
    }
    int rc = 0;
    for (size_t i = 0; i < nfiles && rc >= 0; i++) {
        if ((rc = fx_reader_open(&readers[i], files[i], &ro, &err)) < 0)
            break;
        rc = pass(&st, readers[i], i, f, deps, 0, &err);
        if (!deps) {
            fx_reader_free(readers[i]);
            readers[i] = NULL;
        }
    }
    if (rc >= 0 && deps)
        rc = fx_deps_close(deps, readers, nfiles, &err);
    for (size_t i = 0; deps && i < nfiles && rc >= 0; i++)
        if ((rc = fx_reader_seek(readers[i], 0, 1, 1, &err)) >= 0)
            rc = pass(&st, readers[i], i, f, deps, 1, &err);
    if (rc >= 0 && td.errors)      /* e.g. invalid UTF-8: not passed on */
        rc = tool_input_errors(&err, &td, 0, "nothing written");
    if (rc >= 0)
        rc = finish(&st, &err);
    if (rc >= 0)
        rc = fx_output_commit(st.o, &err);
    if (rc < 0) {
        status = tool_error(&err);
        goto done;
    }
    status = st.written ? EXIT_SAME : EXIT_DIFF;
    const char *s;
    for (size_t i = 0; !quiet && (s = fx_filter_unmatched(f, i)) != NULL; i++)
        fprintf(stderr, "%s: warning: '%s' matched no record\n", tool_prog, s);
    for (size_t i = 0; !quiet && (s = fx_redactor_unmatched(st.red, i)) != NULL; i++)
        fprintf(stderr, "%s: warning: '%s' matched no field of the records written\n",
                tool_prog, s);
    if (deps && fx_deps_missing(deps) && !quiet)
        fprintf(stderr, "%s: warning: %" PRIu64 " reference%s lead%s to records in none of "
                "the inputs: give the files that hold them too\n", tool_prog,
                fx_deps_missing(deps), fx_deps_missing(deps) == 1 ? "" : "s",
                fx_deps_missing(deps) == 1 ? "s" : "");
    goto done;
nomem:
    status = tool_errorf("out of memory");
done:
    for (size_t i = 0; readers && i < (optind < argc ? (size_t)(argc - optind) : 1); i++)
        fx_reader_free(readers[i]);
    free(readers);
    fx_writer_free(st.w);
    fx_output_free(st.o);
    fx_tally_free(st.tally);
    fx_redactor_free(st.red);
    fx_deps_free(deps);
    fx_filter_free(f);
    fx_schema_free(schema);
    free(red);
    free(drop);
    return status;
}
