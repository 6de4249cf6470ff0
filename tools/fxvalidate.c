/*
** fxvalidate: check Django fixture exports before loaddata, and hash their
** records.  Reads every file to the end and reports everything it finds (up
** to --max-errors), then a summary.  Exit: 0 valid, 1 invalid, 2 trouble.
*/
#include "common.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char synopsis[] =
    "usage: fxvalidate [OPTIONS] FILE...\n"
    "       fxvalidate --schema DB --print-schema\n";

static const char help[] =
    "Check Django fixture exports (dumpdata json or jsonl, any compression)\n"
    "before loaddata: syntax, structure, duplicates, and with --schema every\n"
    "value, unique constraint and reference.  FILE may be - for stdin.\n"
    "\n"
    "  -s, --schema SPEC       a schema file, or a database made by migrate\n"
    "                          (db.sqlite3 or sqlite:PATH)\n"
    "      --print-schema      print the schema as a schema file and exit\n"
    "      --closed            references to records not in the files are errors\n"
    "  -i, --ignorenonexistent unknown fields are warnings (as loaddata -i)\n"
    "      --max-errors N      stop after N errors (default 50; 0: no limit)\n"
    "      --hash              print HASH<TAB>model<TAB>pk for every record\n"
    "      --format FORMAT     text (default) or json: a report on stdout\n"
    "  -q, --quiet             no summary line\n"
    "  -h, --help              this help\n"
    "      --version           the version\n"
    "\n"
    "Exit status: 0 valid, 1 invalid, 2 could not run.\n";

enum { OPT_PRINT_SCHEMA = 256, OPT_CLOSED, OPT_MAX_ERRORS, OPT_HASH, OPT_FORMAT,
       OPT_VERSION };

static const struct option longopts[] = {
    {"schema", required_argument, NULL, 's'},
    {"print-schema", no_argument, NULL, OPT_PRINT_SCHEMA},
    {"closed", no_argument, NULL, OPT_CLOSED},
    {"ignorenonexistent", no_argument, NULL, 'i'},
    {"max-errors", required_argument, NULL, OPT_MAX_ERRORS},
    {"hash", no_argument, NULL, OPT_HASH},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0}};

/* A reader's error as a diagnostic, so that it lands in the report. */
static void report(tool_diags *t, const fx_error *e)
{
    const char *check = e->code == FX_ESYNTAX   ? "syntax"
                        : e->code == FX_ESTRUCT ? "structure"
                        : e->code == FX_EFORMAT ? "format"
                                                : "io";
    if (strstr(e->msg, "conflict marker"))
        check = "conflict-marker";
    fx_diag d = {FX_ERR, e->file, e->line, e->col, e->offset, check, e->msg};
    tool_diag(t, &d);
}

int main(int argc, char **argv)
{
    const char *schema_spec = NULL;
    int print_schema = 0, hash = 0, quiet = 0, json = 0, c;
    long max_errors = 50;
    fx_validate_opts vo;
    memset(&vo, 0, sizeof vo);
    tool_init(argv[0]);
    opterr = 0;                       /* tool_option_error() says it */
    while ((c = getopt_long(argc, argv, "s:iqh", longopts, NULL)) != -1) {
        switch (c) {
        case 's': schema_spec = optarg; break;
        case OPT_PRINT_SCHEMA: print_schema = 1; break;
        case OPT_CLOSED: vo.closed = 1; break;
        case 'i': vo.ignorenonexistent = 1; break;
        case OPT_HASH: hash = 1; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(synopsis, stdout); fputs(help, stdout); return 0;
        case OPT_VERSION: return tool_version();
        case OPT_MAX_ERRORS: {
            char *end;
            max_errors = strtol(optarg, &end, 10);
            if (*end || end == optarg || max_errors < 0)
                return tool_usage_error(synopsis, "--max-errors takes a number >= 0, "
                                        "not '%s'", optarg);
            break;
        }
        case OPT_FORMAT:
            if (strcmp(optarg, "json") == 0)
                json = 1;
            else if (strcmp(optarg, "text") != 0)
                return tool_usage_error(synopsis, "--format takes text or json, not '%s'",
                                        optarg);
            break;
        default: return tool_option_error(synopsis, "s:iqh", longopts, argv);
        }
    }
    if (print_schema && !schema_spec)
        return tool_usage_error(synopsis, "--print-schema needs --schema");
    if (!print_schema && optind >= argc)
        return tool_usage_error(synopsis, "no fixture file given (use - for stdin)");
    if (hash && json)
        return tool_usage_error(synopsis, "--hash and --format json both write on "
                                "stdout: choose one");

    fx_error err;
    fx_schema *schema = NULL;
    if (schema_spec && fx_schema_load(&schema, schema_spec, &err) < 0)
        return tool_error(&err);
    if (print_schema) {
        fx_buf b = FX_BUF_INIT;
        int rc = fx_schema_write(&b, schema);
        if (rc == 0)
            fwrite(b.data, 1, b.len, stdout);
        fx_buf_free(&b);
        fx_schema_free(schema);
        return rc ? tool_errorf("out of memory") : tool_flush_stdout();
    }

    tool_diags t = {.json = json ? json_object_new_array() : NULL};
    json_object *files = json ? json_object_new_array() : NULL;
    vo.schema = schema;
    vo.diag = tool_diag;
    vo.diag_ctx = &t;
    fx_validator *v = NULL;
    if (fx_validator_new(&v, &vo) < 0)
        return tool_errorf("out of memory");
    fx_reader_opts ro = {.diag = tool_diag, .diag_ctx = &t, .strict = 1};
    unsigned long total = 0;
    int trouble = 0, stopped = 0;
    for (int i = optind; i < argc && !stopped; i++) {
        fx_reader *r;
        unsigned long n = 0;
        if (fx_reader_open(&r, argv[i], &ro, &err) < 0) {
            report(&t, &err);
            trouble = 1;
            continue;
        }
        const fx_record *rec;
        int rc;
        while ((rc = fx_reader_next(r, &rec, &err)) != 0) {
            if (rc < 0) {
                report(&t, &err);
                if (rc != FX_ESYNTAX && rc != FX_ESTRUCT) {
                    trouble |= rc != FX_EFORMAT;
                    break;
                }
            } else {
                n++;
                if (fx_validator_add(v, rec) < 0) {
                    trouble = 1;
                    stopped = 1;
                    tool_errorf("out of memory");
                    break;
                }
                if (hash)
                    printf("%016" PRIx64 "\t%s\t%s\n", fx_record_hash(rec), rec->label,
                           rec->pk_key ? rec->pk_key : "-");
            }
            if (max_errors && t.errors >= (unsigned long)max_errors) {
                stopped = 1;
                break;
            }
        }
        if (json) {
            char lb[128];
            json_object *f = json_object_new_object();
            json_object_object_add(f, "name", json_object_new_string(argv[i]));
            json_object_object_add(f, "records", json_object_new_int64((int64_t)n));
            json_object_object_add(f, "layout", json_object_new_string(
                fx_layout_name(fx_reader_layout(r), lb, sizeof lb)));
            json_object_array_add(files, f);
        }
        total += n;
        fx_reader_free(r);
    }
    if (!stopped)
        fx_validator_finish(v);
    else if (!json)
        fprintf(stderr, "%s: stopped after %lu error%s: fix these, or raise "
                "--max-errors to see more\n", tool_prog, t.errors,
                t.errors == 1 ? "" : "s");
    fx_validator_free(v);
    fx_schema_free(schema);

    int status = trouble ? EXIT_TROUBLE : t.errors ? EXIT_DIFF : EXIT_SAME;
    int nfiles = argc - optind;
    if (json) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "valid", json_object_new_boolean(status == 0));
        json_object_object_add(o, "records", json_object_new_int64((int64_t)total));
        json_object_object_add(o, "errors", json_object_new_int64((int64_t)t.errors));
        json_object_object_add(o, "warnings", json_object_new_int64((int64_t)t.warnings));
        json_object_object_add(o, "complete", json_object_new_boolean(!stopped));
        json_object_object_add(o, "files", files);
        json_object_object_add(o, "diagnostics", t.json);
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
    } else if (!quiet) {
        fprintf(stderr, "%s: %lu record%s in %d file%s: %s, %lu error%s, %lu warning%s\n",
                tool_prog, total, total == 1 ? "" : "s", nfiles, nfiles == 1 ? "" : "s",
                status == 0 ? "valid" : trouble ? "could not check everything" : "invalid",
                t.errors, t.errors == 1 ? "" : "s", t.warnings, t.warnings == 1 ? "" : "s");
    }
    if (tool_flush_stdout())
        return EXIT_TROUBLE;
    return status;
}
