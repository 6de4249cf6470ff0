/*
** fxload: load Django fixture exports into a database Django's migrate
** made (SQLite or PostgreSQL) with loaddata's result, in one transaction.
** Exit: 0 loaded, 1 rejected (nothing written), 2 could not run.
*/
#include "common.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

static const char synopsis[] =
    "usage: fxload [OPTIONS] --db TARGET FILE...\n"
    "       fxload [OPTIONS] --db TARGET --patch PATCH\n";

static const char help[] =
    "Load Django fixture exports (dumpdata json or jsonl, any compression) into\n"
    "a database made by Django's migrate, as manage.py loaddata would: each\n"
    "record updates the row with its pk or inserts it, many-to-many links\n"
    "become the listed members, natural keys are resolved.  One transaction:\n"
    "on any error nothing is written.  FILE may be - for stdin.\n"
    "\n"
    "  -d, --db TARGET         a SQLite file (PATH or sqlite:PATH), or PostgreSQL:\n"
    "                          postgresql://... or 'dbname=... host=...' (PG*\n"
    "                          environment variables apply)\n"
    "  -s, --schema SPEC       map models with this schema file (or migrated\n"
    "                          SQLite database) instead of the target's catalog\n"
    "      --replace           delete the rows of the models in the files first\n"
    "      --patch PATCH       apply a patch fxsync wrote for a side given as a\n"
    "                          file: refused (exit 1, nothing written) unless\n"
    "                          every row it touches is as it expects\n"
    "  -n, --dry-run           load, print what would change, then roll back\n"
    "  -i, --ignorenonexistent skip models and fields the database does not have\n"
    "  -q, --quiet             no summary, no progress\n"
    "  -h, --help              this help\n"
    "      --version           the version\n"
    "\n"
    "Exit status: 0 loaded, 1 rejected (nothing written), 2 could not run.\n";

enum { OPT_REPLACE = 256, OPT_VERSION, OPT_PATCH };

static const struct option longopts[] = {
    {"db", required_argument, NULL, 'd'},
    {"schema", required_argument, NULL, 's'},
    {"replace", no_argument, NULL, OPT_REPLACE},
    {"patch", required_argument, NULL, OPT_PATCH},
    {"dry-run", no_argument, NULL, 'n'},
    {"ignorenonexistent", no_argument, NULL, 'i'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0}};

/* --dry-run: one line a change on stdout. */
static void print_change(void *ctx, const char *action, const char *label, const char *pk)
{
    (void)ctx;
    printf("%s %s %s\n", action, label, pk);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The progress line, on a terminal, once a load has run for a second. */
typedef struct progress {
    int on;
    double start, last;
    unsigned long records;
    uint64_t done_bytes, total_bytes;
} progress;

static void show_progress(progress *p, const fx_reader *r, int final)
{
    double t = now();
    if (!p->on || (!final && t - p->last < 0.25) || t - p->start < 1.0)
        return;
    p->last = t;
    uint64_t at = p->done_bytes + fx_reader_offset(r);
    fprintf(stderr, "\r%s: %lu records, %.0f/s", tool_prog, p->records,
            p->records / (t - p->start));
    if (p->total_bytes)
        fprintf(stderr, ", %d%%", (int)(100.0 * (double)at / (double)p->total_bytes));
    fputs(final ? "\n" : "   ", stderr);
}

/* The end of a load or a patch: rc's error and "nothing was written",
** or, unless quiet, the counts per model and in all (deleted ones when
** deleted is set; patch: the patch's summary line).  Frees l.  The exit
** status. */
static int finish(int rc, fx_error *err, fx_loader *l, const char *target,
                  const fx_load_opts *lo, int quiet, int deleted, int patch)
{
    int status = EXIT_SAME;
    if (rc) {
        tool_error(err);
        /* bad input or refused data: rejected; anything else: trouble */
        status = rc > 0 || rc == FX_EREJECT || rc == FX_ESYNTAX || rc == FX_ESTRUCT ||
                 rc == FX_EFORMAT ? EXIT_DIFF : EXIT_TROUBLE;
        char name[512];
        fprintf(stderr, "%s: nothing was written to %s\n", tool_prog,
                fx_target_mask(name, sizeof name, target));
    } else if (!quiet) {
        const fx_load_count *cnt;
        size_t n = fx_loader_counts(l, &cnt);
        unsigned long ins = 0, upd = 0, same = 0, del = 0;
        for (size_t i = 0; i < n; i++) {
            fprintf(stderr, "%s: %-32s %7lu inserted %7lu updated %7lu unchanged", tool_prog,
                    cnt[i].label, cnt[i].inserted, cnt[i].updated, cnt[i].unchanged);
            if (deleted)
                fprintf(stderr, " %7lu deleted", cnt[i].deleted);
            fputc('\n', stderr);
            ins += cnt[i].inserted, upd += cnt[i].updated, same += cnt[i].unchanged;
            del += cnt[i].deleted;
        }
        if (patch)
            fprintf(stderr, "%s: patch applied: %lu inserted, %lu updated, %lu unchanged, "
                    "%lu deleted", tool_prog, ins, upd, same, del);
        else
            fprintf(stderr, "%s: %lu records: %lu inserted, %lu updated, %lu unchanged",
                    tool_prog, ins + upd + same, ins, upd, same);
        if (deleted && !patch)   /* the net effect: see fx__replace_diff_sql() */
            fprintf(stderr, "; %lu deleted (--replace: rows the files no longer have)", del);
        fprintf(stderr, "%s\n", lo->dry_run ? "; dry run: rolled back, nothing written" : "");
    }
    fx_loader_free(l);
    if (tool_flush_stdout())
        return EXIT_TROUBLE;
    return status;
}

/* --patch: one transaction, refused when the database moved on. */
static int apply_patch(const char *target, const char *patch, const fx_load_opts *lo,
                       int quiet)
{
    fx_error err;
    fx_loader *l = NULL;
    int rc = fx_patch_apply(&l, target, patch, lo, &err);
    return finish(rc, &err, l, target, lo, quiet, 1, 1);
}

int main(int argc, char **argv)
{
    const char *target = NULL, *patch = NULL;
    int quiet = 0, c;
    fx_load_opts lo;
    memset(&lo, 0, sizeof lo);
    tool_init(argv[0]);
    /* This process does not read SQLite's memory statistics: without them,
    ** SQLite's allocator takes no global mutex (a few percent of a large
    ** SQLite load).  Only possible before SQLite is first used. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    opterr = 0;                       /* tool_option_error() says it */
    while ((c = getopt_long(argc, argv, "d:s:niqh", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': target = optarg; break;
        case 's': lo.schema = optarg; break;
        case OPT_REPLACE: lo.replace = 1; break;
        case OPT_PATCH: patch = optarg; break;
        case 'n': lo.dry_run = 1; break;
        case 'i': lo.ignorenonexistent = 1; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(synopsis, stdout); fputs(help, stdout); return 0;
        case OPT_VERSION: return tool_version();
        default: return tool_option_error(synopsis, "d:s:niqh", longopts, argv);
        }
    }
    if (!target)
        return tool_usage_error(synopsis, "no target database: pass --db with a SQLite "
                                "file or a postgresql:// URI");
    if (patch && (optind < argc || lo.replace))
        return tool_usage_error(synopsis, "--patch applies one patch: no fixture file%s "
                                "with it", lo.replace ? ", no --replace" : "");
    if (!patch && optind >= argc)
        return tool_usage_error(synopsis, "no fixture file given (use - for stdin)");

    tool_diags t = {.json = NULL};
    lo.diag = tool_diag;
    lo.diag_ctx = &t;
    if (lo.dry_run) {
        lo.change = print_change;
        lo.change_ctx = NULL;
    }
    fx_error err;
    fx_loader *l = NULL;
    if (patch)
        return apply_patch(target, patch, &lo, quiet);
    if (fx_loader_open(&l, target, &lo, &err) < 0)
        return err.code == FX_EREJECT ? (tool_error(&err), EXIT_DIFF) : tool_error(&err);

    progress p = {!quiet && isatty(2), now(), 0, 0, 0, 0};
    for (int i = optind; i < argc; i++) {
        struct stat st;
        if (strcmp(argv[i], "-") != 0 && stat(argv[i], &st) == 0)
            p.total_bytes += (uint64_t)st.st_size;
    }
    fx_reader_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.diag = tool_diag;
    ro.diag_ctx = &t;
    int rc = 0;
    for (int i = optind; i < argc && !rc; i++) {
        fx_reader *r;
        if ((rc = fx_reader_open(&r, argv[i], &ro, &err)) < 0)
            break;
        const fx_record *rec;
        while ((rc = fx_reader_next(r, &rec, &err)) >= 0) {
            /* an error the reader reports and reads past (invalid UTF-8,
            ** a lone surrogate) stops the load as any other: the record
            ** is not loaded, nothing is written */
            if (t.errors) {
                rc = fx_error_set(&err, FX_EFORMAT, NULL, 0, 0, 0, "%s: an error in the "
                                  "input (above) stops the load: fix the file (fxvalidate "
                                  "lists every error), then load again",
                                  strcmp(argv[i], "-") ? argv[i] : "<stdin>");
                break;
            }
            if (rc == 0 || (rc = fx_loader_add(l, rec, &err)) < 0)
                break;
            p.records++;
            show_progress(&p, r, 0);
        }
        show_progress(&p, r, 1);
        p.done_bytes += fx_reader_offset(r);
        fx_reader_free(r);
    }
    if (rc == 0)
        rc = fx_loader_finish(l, &err);
    return finish(rc < 0 ? rc : 0, &err, l, target, &lo, quiet, lo.replace, 0);
}
