/*
** common.h: what every fx tool shares (after libgit2's src/cli/error.h):
** printing errors and diagnostics on stderr as FILE:LINE:COL: error: msg,
** and returning the exit status instead of exiting, so that a tool's main
** can end with `return tool_error(&err);`.
**
** Exit status, as diff(1): 0 success / no difference, 1 invalid /
** different / conflicts / nothing matched, 2 trouble.
*/
#ifndef FX_TOOLS_COMMON_H
#define FX_TOOLS_COMMON_H

#include <stdint.h>
#include "fixture.h"
#include "compat.h"

#include <json-c/json.h>

enum { EXIT_SAME = 0, EXIT_DIFF = 1, EXIT_TROUBLE = 2 };

extern const char *tool_prog;     /* the tool's name, for messages */

/* Set tool_prog from argv[0]. */
void tool_init(const char *argv0);

/* Print e as FILE:LINE:COL: error: msg (or prog: msg); return 2. */
int tool_error(const fx_error *e);

/* Print prog: msg; return 2. */
int tool_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A usage mistake: prog: msg, the synopsis, and where to find more; 2. */
int tool_usage_error(const char *synopsis, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* What getopt_long() refused (it returned '?', with opterr set to 0 so
** that it says nothing itself): an unknown or ambiguous option, a missing
** value or one given to an option that takes none, said once as a usage
** error (see tool_usage_error); 2. */
struct option;
int tool_option_error(const char *synopsis, const char *optstring,
                      const struct option *longopts, char **argv);

/* Print "prog (fx) VERSION" on stdout; return 0. */
int tool_version(void);

/* Errors a tool prints at most, as fxvalidate stops after by default. */
#define TOOL_MAX_ERRORS 50

/* A diagnostics sink for fx_diag_fn: counts, and prints each one on stderr
** (or, when json is set, appends it to that array, owned by the caller).
** A diagnostic equal to one of the last 64 (same place, same message: a
** tool that reads a file twice meets its errors twice) is dropped.  Past
** max_errors errors (0: no limit), errors are counted, not printed. */
typedef struct tool_diags {
    unsigned long errors, warnings;
    json_object *json;
    uint64_t seen[64];
    unsigned nseen;
    unsigned long max_errors;
} tool_diags;

void tool_diag(void *ctx, const fx_diag *d);

/* The error of a tool that stops because its input (inputs when plural)
** had the errors t counted: "the input has N errors (above): CONSEQUENCE",
** and how fxvalidate shows them all when some were not printed.  Sets err;
** returns FX_EFORMAT. */
int tool_input_errors(fx_error *err, const tool_diags *t, int plural,
                      const char *consequence);

/* A JSON value of a fixture as a json-c object that prints it as it was
** written (its numbers and string escapes as they are), on one line: white
** space outside strings dropped, ", " and ": " put back when it spanned
** lines.  NULL when v.text is NULL (an absent value). */
json_object *tool_value_json(fx_value v);

/* A conflict as fxmerge's report and fxresolve --format json give it:
** model, key, kind, line, fields (each: field, line, base, ours, theirs;
** no member for a side that lacks the field) and hint, each when known. */
json_object *tool_conflict_json(const fx_conflict *c);

/* Flush stdout; 0, or 2 with a message when it could not be written. */
int tool_flush_stdout(void);

/* dumpdata -o: the compression path's last extension names, as
** fx_output_compress() names it, or NULL; ".zip": *zip set and the
** extension cut from path (dumpdata writes no zip). */
const char *tool_compression(char *path, int *zip);

#endif
