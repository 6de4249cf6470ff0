/*
** fxdump: write what `manage.py dumpdata` writes, from a database Django's
** migrate made (SQLite or PostgreSQL), without Django.
** Exit: 0 written, 2 could not run (nothing left at -o).
*/
#include "common.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

static const char synopsis[] =
    "usage: fxdump [OPTIONS] --db TARGET [app_label[.ModelName] ...]\n";

static const char help[] =
    "Write the fixture manage.py dumpdata would write for the same database and\n"
    "options, byte for byte when --schema is the file 'manage.py fxschema' wrote,\n"
    "read in one snapshot of the database.\n"
    "\n"
    "  -d, --db TARGET         a SQLite file (PATH or sqlite:PATH), or PostgreSQL:\n"
    "                          postgresql://... or 'dbname=... host=...' (PG*\n"
    "                          environment variables apply)\n"
    "  -s, --schema FILE       the project's schema file (manage.py fxschema);\n"
    "                          without it, the database's catalog\n"
    "      --format FORMAT     json (default) or jsonl\n"
    "      --indent N          indent by N spaces (dumpdata's --indent)\n"
    "  -e, --exclude LABEL     leave out an app or app.Model (repeatable)\n"
    "      --natural-foreign   refer to rows by natural key where models have one\n"
    "      --natural-primary   leave out the pk of models with a natural key\n"
    "      --pks LIST          only these pks (comma-separated; one model only)\n"
    "  -a, --all               accepted for dumpdata's sake: every row is written\n"
    "  -o, --output FILE       write FILE atomically (.gz .bz2 .xz .lzma compress)\n"
    "  -q, --quiet             no summary, no progress\n"
    "  -h, --help              this help\n"
    "      --version           the version\n"
    "\n"
    "Exit status: 0 written, 2 could not run (nothing written to -o).\n";

enum { OPT_FORMAT = 256, OPT_INDENT, OPT_NF, OPT_NP, OPT_PKS, OPT_VERSION };

static const struct option longopts[] = {
    {"db", required_argument, NULL, 'd'},
    {"schema", required_argument, NULL, 's'},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"indent", required_argument, NULL, OPT_INDENT},
    {"exclude", required_argument, NULL, 'e'},
    {"natural-foreign", no_argument, NULL, OPT_NF},
    {"natural-primary", no_argument, NULL, OPT_NP},
    {"pks", required_argument, NULL, OPT_PKS},
    {"all", no_argument, NULL, 'a'},
    {"output", required_argument, NULL, 'o'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0}};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct report {
    int quiet, tty;
    double start, last;
    uint64_t rows, models;
} report;

/* A summary line a model; on a terminal, a progress line meanwhile. */
static void progress(void *ctx, const char *label, uint64_t rows, int done)
{
    report *r = ctx;
    if (r->quiet)
        return;
    double t = now();
    if (!done) {
        if (r->tty && t - r->start >= 1.0 && t - r->last >= 0.25) {
            r->last = t;
            fprintf(stderr, "\r%s: %s: %llu rows...   ", tool_prog, label,
                    (unsigned long long)rows);
        }
        return;
    }
    r->rows += rows;
    r->models++;
    fprintf(stderr, "%s%s: %-32s %9llu rows\n", r->tty ? "\r" : "", tool_prog, label,
            (unsigned long long)rows);
}

#define OUT(x) do { status = (x); goto usage_out; } while (0)

int main(int argc, char **argv)
{
    const char *target = NULL, *output = NULL;
    const char **exclude = calloc((size_t)argc + 1, sizeof *exclude);
    fx_dump_opts o;
    int c, quiet = 0, status = EXIT_TROUBLE;
    memset(&o, 0, sizeof o);
    tool_init(argv[0]);
    /* no memory statistics: SQLite's allocator then takes no global mutex
    ** (only possible before SQLite is first used) */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (!exclude)
        return tool_errorf("out of memory");
    while ((c = getopt_long(argc, argv, "d:s:e:o:aqh", longopts, NULL)) != -1) {
        char *end;
        long v;
        switch (c) {
        case 'd': target = optarg; break;
        case 's': o.schema = optarg; break;
        case OPT_FORMAT:
            if (!strcmp(optarg, "json"))
                o.format = FX_FORMAT_JSON;
            else if (!strcmp(optarg, "jsonl"))
                o.format = FX_FORMAT_JSONL;
            else
                OUT(tool_usage_error(synopsis, "Unknown serialization format: %s (fxdump "
                                        "writes json and jsonl)", optarg));
            break;
        case OPT_INDENT:
            v = strtol(optarg, &end, 10);
            if (end == optarg || *end || v < -64 || v > 64)
                OUT(tool_usage_error(synopsis, "--indent takes a number of spaces "
                                        "from -64 to 64, not '%s'", optarg));
            o.indent_set = 1;
            o.indent = (int)v;
            break;
        case 'e': exclude[o.nexclude++] = optarg; break;
        case OPT_NF: o.natural_foreign = 1; break;
        case OPT_NP: o.natural_primary = 1; break;
        case OPT_PKS: o.pks = optarg; break;
        case 'o': output = optarg; break;
        case 'a': break;   /* no managers here: every row, as dumpdata --all */
        case 'q': quiet = 1; break;
        case 'h': fputs(synopsis, stdout); fputs(help, stdout); OUT(0);
        case OPT_VERSION: OUT(tool_version());
        default: OUT(tool_usage_error(synopsis, "unknown option"));
        }
    }
    if (!target)
        OUT(tool_usage_error(synopsis, "no database: pass --db with a SQLite file or a "
                                "postgresql:// URI"));
    if (0) {
usage_out:   /* a usage error, --help, --version: nothing to undo but this */
        free(exclude);
        return status;
    }
    report r = {quiet, isatty(2), now(), 0, 0, 0};
    o.labels = (const char *const *)argv + optind;
    o.nlabels = (size_t)(argc - optind);
    o.exclude = exclude;
    tool_diags t = {.json = NULL};
    o.diag = tool_diag;
    o.diag_ctx = &t;
    o.progress = progress;
    o.progress_ctx = &r;

    char *path = output && strcmp(output, "-") ? strdup(output) : NULL;
    const char *filter = NULL;
    int zip = 0;
    if (path)
        filter = tool_compression(path, &zip);
    if (zip)
        fprintf(stderr, "%s: warning: Unsupported file extension (.zip). Fixtures saved in "
                "'%s'.\n", tool_prog, strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
    fx_error err;
    fx_output *out = NULL;
    if (fx_output_open(&out, path, &err) < 0 ||
        (filter && fx_output_compress(out, filter, &err) < 0) ||
        fx_dump(target, out, &o, &err) < 0 || fx_output_commit(out, &err) < 0) {
        tool_error(&err);
        if (path)
            fprintf(stderr, "%s: nothing was written to %s\n", tool_prog, path);
    } else {
        status = EXIT_SAME;
        if (!r.quiet)
            fprintf(stderr, "%s: %llu records of %llu models written to %s\n", tool_prog,
                    (unsigned long long)r.rows, (unsigned long long)r.models,
                    path ? path : "standard output");
    }
    fx_output_free(out);
    free(path);
    free(exclude);
    if (tool_flush_stdout())
        return EXIT_TROUBLE;
    return status;
}
