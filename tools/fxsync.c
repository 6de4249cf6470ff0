/*
** fxsync: keep a local and an online Django database in step through a
** merge base, in one command (libfixture's fx_sync_*).
** Exit: 0 in step / synced, 1 changes pending (status) or conflicts left,
** 2 could not run.
*/
#include "common.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char synopsis[] =
    "usage: fxsync init --local DB --online DB [--schema FILE] [-e LABEL]... [--from SIDE]\n"
    "                   [--base FILE] [--state DIR]\n"
    "       fxsync status [-v] [--state DIR]\n"
    "       fxsync pull|push|sync [--dry-run] [--strategy ours|theirs] [--report FILE]\n"
    "                   [--keep N] [--state DIR]\n"
    "       fxsync sync [--renumber local|online] [--continue]\n"
    "       fxsync undo [--dry-run] [--strategy ours|theirs] [--report FILE] [--state DIR]\n"
    "       fxsync log [--state DIR]\n";

static const char help[] =
    "Keep a local and an online database Django's migrate made (SQLite files or\n"
    "PostgreSQL URIs, as fxload takes them) in step: each round dumps the sides\n"
    "it writes inside the transaction that writes them, merges both against the\n"
    "last state both held (the base, in the state directory), writes only the\n"
    "rows that differ, and moves the base once every side written committed.\n"
    "\n"
    "  init                record the pair and take the first base\n"
    "  status              what each side changed since the base; writes nothing\n"
    "  pull                online to local      push   local to online\n"
    "  sync                both ways            log    the rounds that wrote\n"
    "  undo                both sides back as before the last round that wrote\n"
    "\n"
    "  -l, --local DB          the local database (init)\n"
    "  -o, --online DB         the online database (init); either side may be\n"
    "                          an export: where a round would write it, it\n"
    "                          writes a patch for 'fxload --patch' instead\n"
    "  -s, --schema SPEC       schema file or migrated SQLite file (init)\n"
    "  -e, --exclude LABEL     a model or app not synced (init; Django's own rows\n"
    "                          are never synced: content types, permissions,\n"
    "                          sessions, admin log)\n"
    "      --from local|online when the sides differ at init: the side the other\n"
    "                          starts from (its rows are written to the other)\n"
    "      --base FILE         at init: the last export both sides loaded\n"
    "      --state DIR         the state directory (default .fxsync beside the\n"
    "                          local SQLite file, else ./.fxsync)\n"
    "      --renumber SIDE     sync: whose colliding new records get fresh ids\n"
    "                          (local, the default, or online)\n"
    "      --strategy S        decide field and delete/modify conflicts: ours\n"
    "                          (local wins) or theirs (online wins); undo: ours\n"
    "                          (the changes made since win) or theirs (the undo)\n"
    "      --continue          sync after resolving conflicts/merged.json\n"
    "  -n, --dry-run           print what would be written, write nothing\n"
    "      --report FILE       a JSON report of the round\n"
    "      --keep N            journal entries kept (default 20)\n"
    "      --allow-mass-delete do not stop on a side that lost most of its rows\n"
    "  -v, --verbose           status: record by record, field by field\n"
    "  -q, --quiet             no summary\n"
    "  -h, --help              this help\n"
    "      --version           the version\n"
    "\n"
    "Exit status: 0 in step or synced, 1 changes pending (status) or conflicts\n"
    "left (nothing written), 2 could not run.\n";

enum { OPT_FROM = 256, OPT_BASE, OPT_STATE, OPT_RENUMBER, OPT_STRATEGY, OPT_CONTINUE,
       OPT_REPORT, OPT_KEEP, OPT_MASS, OPT_VERSION };

static const struct option longopts[] = {
    {"local", required_argument, NULL, 'l'},
    {"online", required_argument, NULL, 'o'},
    {"schema", required_argument, NULL, 's'},
    {"exclude", required_argument, NULL, 'e'},
    {"from", required_argument, NULL, OPT_FROM},
    {"base", required_argument, NULL, OPT_BASE},
    {"state", required_argument, NULL, OPT_STATE},
    {"renumber", required_argument, NULL, OPT_RENUMBER},
    {"strategy", required_argument, NULL, OPT_STRATEGY},
    {"continue", no_argument, NULL, OPT_CONTINUE},
    {"dry-run", no_argument, NULL, 'n'},
    {"report", required_argument, NULL, OPT_REPORT},
    {"keep", required_argument, NULL, OPT_KEEP},
    {"allow-mass-delete", no_argument, NULL, OPT_MASS},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0}};

static int quiet;

static void print_line(void *ctx, const char *line)
{
    (void)ctx;
    if (!quiet)
        printf("%s\n", line);
    fflush(stdout);
}

#define OUT(x) do { status = (x); goto done; } while (0)

int main(int argc, char **argv)
{
    static const char optstring[] = "l:o:s:e:nvqh";
    fx_sync_opts o;
    memset(&o, 0, sizeof o);
    const char **excl = calloc((size_t)argc + 1, sizeof *excl);
    int c;
    tool_init(argv[0]);
    if (!excl)
        return tool_errorf("out of memory");
    int status;
    opterr = 0;
    while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
        switch (c) {
        case 'l': o.local = optarg; break;
        case 'o': o.online = optarg; break;
        case 's': o.schema = optarg; break;
        case 'e': excl[o.nexclude++] = optarg; break;
        case OPT_FROM: o.from = optarg; break;
        case OPT_BASE: o.base = optarg; break;
        case OPT_STATE: o.state = optarg; break;
        case OPT_RENUMBER:
            if (strcmp(optarg, "local") && strcmp(optarg, "online"))
                OUT(tool_usage_error(synopsis, "--renumber takes 'local' or 'online', "
                                        "not '%s'", optarg));
            o.renumber_online = strcmp(optarg, "online") == 0;
            break;
        case OPT_STRATEGY:
            if (strcmp(optarg, "ours") == 0)
                o.strategy = FX_STRATEGY_OURS;
            else if (strcmp(optarg, "theirs") == 0)
                o.strategy = FX_STRATEGY_THEIRS;
            else
                OUT(tool_usage_error(synopsis, "--strategy takes 'ours' (local wins) or "
                                        "'theirs' (online wins), not '%s'", optarg));
            break;
        case OPT_CONTINUE: o.cont = 1; break;
        case 'n': o.dry_run = 1; break;
        case OPT_REPORT: o.report = optarg; break;
        case OPT_KEEP: {
            char *end;
            long k = strtol(optarg, &end, 10);
            if (*end || end == optarg || k < 1 || k > 1000000)
                OUT(tool_usage_error(synopsis, "--keep takes a number of entries from 1, "
                                        "not '%s'", optarg));
            o.keep = (int)k;
            break;
        }
        case OPT_MASS: o.allow_mass_delete = 1; break;
        case 'v': o.verbose = 1; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(synopsis, stdout); fputs(help, stdout); OUT(0);
        case OPT_VERSION: OUT(tool_version());
        default: OUT(tool_option_error(synopsis, optstring, longopts, argv));
        }
    }
    if (optind >= argc)
        OUT(tool_usage_error(synopsis, "no command given: init, status, pull, push, sync, "
                                "undo or log"));
    const char *cmd = argv[optind++];
    if (optind < argc)
        OUT(tool_usage_error(synopsis, "unexpected argument '%s'", argv[optind]));
    o.exclude = excl;
    tool_diags t = {.json = NULL};
    o.diag = tool_diag;
    o.diag_ctx = &t;
    o.print = print_line;

    int init = strcmp(cmd, "init") == 0;
    if (!init && (o.local || o.online || o.schema || o.nexclude || o.from || o.base))
        OUT(tool_usage_error(synopsis, "--local, --online, --schema, --exclude, --from "
                                "and --base are for init; the pair is in the state "
                                "directory since"));
    if (strcmp(cmd, "sync") && (o.cont || o.renumber_online))
        OUT(tool_usage_error(synopsis, "--continue and --renumber are for sync"));
    fx_error err;
    int rc;
    if (init)
        rc = fx_sync_init(&o, &err);
    else if (strcmp(cmd, "status") == 0)
        rc = fx_sync_run(FX_SYNC_STATUS, &o, &err);
    else if (strcmp(cmd, "pull") == 0)
        rc = fx_sync_run(FX_SYNC_PULL, &o, &err);
    else if (strcmp(cmd, "push") == 0)
        rc = fx_sync_run(FX_SYNC_PUSH, &o, &err);
    else if (strcmp(cmd, "sync") == 0)
        rc = fx_sync_run(FX_SYNC_BOTH, &o, &err);
    else if (strcmp(cmd, "undo") == 0)
        rc = fx_sync_run(FX_SYNC_UNDO, &o, &err);
    else if (strcmp(cmd, "log") == 0)
        rc = fx_sync_log(&o, &err);
    else
        OUT(tool_usage_error(synopsis, "unknown command '%s': init, status, pull, push, "
                                "sync, undo or log", cmd));
    if (rc < 0)
        OUT(tool_error(&err));
    int fl = tool_flush_stdout();
    status = fl ? fl : rc ? EXIT_DIFF : EXIT_SAME;
done:
    free(excl);
    return status;
}
