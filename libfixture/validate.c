/*
** validate.c: the checks behind fxvalidate.  Records come one at a time;
** the validator keeps only what the checks across records need, as hashes
** and places in fx__index tables: every (model, pk) seen, the values of
** unique fields and unique_together sets, natural keys, and the references
** that did not resolve yet (a reference may point forward in the files).
**
** Checks without a schema: duplicate (model, pk), NaN/Infinity, text that
** a code page mix-up mangled (double-encoded, or through a Windows console).  With a schema: unknown models and fields, each
** value against its field's kind (fx_check_value), unique values, and
** references to records missing from the files (at fx_validator_finish).
** With or without: references by pk to content types and permissions the
** files do not hold (ctypes.c).
** Every finding goes to the caller's diag callback with a check name.
*/
#include "ctypes.h"
#include "index.h"

#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <xxhash.h>

#define NMANGLE 6           /* code page mix-ups looked for (manglings[]) */

struct place {              /* where a record was seen */
    uint32_t file, line, col;
    uint32_t pad;
    uint64_t who;           /* identity of the record (for unique checks) */
};

struct ref {                /* a reference not resolved when seen */
    uint64_t target;        /* key hash, or natural key hash */
    int natural;
    uint32_t file, line, col;
    const fx_model_schema *m;
    const fx_field_schema *f;
    char *pk;               /* the referring record's pk, for the message */
    char *val;              /* the reference as written */
};

struct fx_validator {
    fx_validate_opts o;
    fx__index *keys;        /* (label, pk) -> place */
    fx__index *uniq;        /* unique values -> place */
    fx__index *natural;     /* (label, natural key) -> place */
    fx__index *once;        /* diagnostics said once per model/field */
    fx__ctrefs *ct;         /* references by pk to Django-made rows */
    char **files;
    size_t nfiles;
    struct ref *refs;
    size_t nrefs, refcap;
    fx_buf tmp;
    fx_buf text, fixed;     /* a string value, and it with a mix-up undone */
    iconv_t cd_read[NMANGLE], cd_wrote[NMANGLE];
    int cd_state[NMANGLE];  /* 0 not open yet, 1 open, 2 unavailable */
    char last_label[256];   /* the model looked up last, and what it gave */
    const fx_model_schema *last_model;
};

/* fx_schema_model(), remembering the last answer: records come in runs
** of one model. */
static const fx_model_schema *model_of(fx_validator *v, const char *label)
{
    if (strcmp(label, v->last_label) != 0) {
        snprintf(v->last_label, sizeof v->last_label, "%s", label);
        v->last_model = fx_schema_model(v->o.schema, label);
    }
    return v->last_model;
}

int fx_validator_new(fx_validator **out, const fx_validate_opts *opts)
{
    *out = NULL;
    fx_validator *v = calloc(1, sizeof *v);
    if (!v)
        return FX_ENOMEM;
    v->o = *opts;
    if (fx__index_new(&v->keys, sizeof(struct place)) ||
        fx__index_new(&v->uniq, sizeof(struct place)) ||
        fx__index_new(&v->natural, sizeof(struct place)) ||
        fx__index_new(&v->once, 1) || fx__ctrefs_new(&v->ct, opts->schema)) {
        fx_validator_free(v);
        return FX_ENOMEM;
    }
    *out = v;
    return 0;
}

static uint32_t file_index(fx_validator *v, const char *name)
{
    if (strcmp(name, "-") == 0)
        name = "<stdin>";
    if (v->nfiles && strcmp(v->files[v->nfiles - 1], name) == 0)
        return (uint32_t)(v->nfiles - 1);
    for (size_t i = 0; i < v->nfiles; i++)
        if (strcmp(v->files[i], name) == 0)
            return (uint32_t)i;
    char **f = realloc(v->files, (v->nfiles + 1) * sizeof *f);
    if (!f)
        return 0;
    v->files = f;
    f[v->nfiles] = strdup(strcmp(name, "-") ? name : "<stdin>");
    if (!f[v->nfiles])
        return 0;
    return (uint32_t)v->nfiles++;
}

static void say(fx_validator *v, fx_severity sev, const fx_record *rec, const char *at,
                const char *check, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void say(fx_validator *v, fx_severity sev, const fx_record *rec, const char *at,
                const char *check, const char *fmt, ...)
{
    if (!v->o.diag)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    unsigned long line, col;
    fx_record_pos(rec, at ? at : rec->text, &line, &col);
    fx_diag d = {sev, rec->file, line, col,
                 rec->offset + (uint64_t)((at ? at : rec->text) - rec->text), check, msg};
    v->o.diag(v->o.diag_ctx, &d);
}

/* 1 the first time (check, a, b) is seen. */
static int first_time(fx_validator *v, const char *check, const char *a, const char *b)
{
    fx_buf *t = &v->tmp;
    fx_buf_reset(t);
    fx_buf_printf(t, "%s%c%s%c%s", check, 0, a, 0, b ? b : "");
    int existed;
    return fx__index_put(v->once, XXH3_64bits(t->data, t->len), &existed) && !existed;
}

static const char *pk_text(const fx_record *rec)
{
    return rec->pk_key ? rec->pk_key : rec->has_pk ? "null" : "(none)";
}

/* ------------------------------------------------------------ no schema */

static void check_nan(fx_validator *v, const fx_record *rec, const fx_field *f, fx_value x)
{
    if (x.type == FX_NUMBER && (x.text[0] == 'N' || x.text[0] == 'I' ||
                                (x.text[0] == '-' && x.text[1] == 'I'))) {
        if (first_time(v, "nan", rec->label, f->name))
            say(v, FX_WARNING, rec, x.text, "nan",
                "%s.%s is %.*s: Python and loaddata accept it, but PostgreSQL "
                "numeric and integer columns and strict JSON readers refuse it "
                "(further ones in this field not reported)",
                rec->label, f->name, (int)x.len, x.text);
        return;
    }
    if (x.type == FX_ARRAY || x.type == FX_OBJECT) {
        fx_iter it;
        fx_value e;
        fx_iter_init(&it, x);
        while (fx_iter_next(&it, NULL, &e))
            check_nan(v, rec, f, e);
    }
}

/* ------------------------------------------------------------ mangled text
**
** Text that went through the wrong code page on its way into the file:
** UTF-8 read as Windows-1252 and encoded again ("CafÃ©"), or, on Windows,
** what Python wrote through PowerShell's '>', which decodes a program's
** output with the console's OEM code page (cp850 in Western Europe, cp437
** in the US) while Python wrote UTF-8 (-X utf8: "Caf├®") or the ANSI code
** page, Windows-1252 ("CafÚ").  A string is suspect when it holds what such
** a mix-up leaves and real text does not (weirdness(), below); it is
** reported when undoing one of the mix-ups with the real code pages
** (iconv: encode in the one it was read as, decode in the one it was
** written in) gives a different string with nothing suspect left. */

static const struct mangling {
    const char *wrote, *read;            /* iconv names */
    const char *wrote_name, *read_name;  /* for messages */
} manglings[NMANGLE] = {                 /* in pairs: the same code page written */
    {"UTF-8", "WINDOWS-1252", "UTF-8", "Windows-1252"},
    {"UTF-8", "ISO-8859-1", "UTF-8", "Latin-1"},
    {"UTF-8", "CP850", "UTF-8", "cp850"},
    {"UTF-8", "CP437", "UTF-8", "cp437"},
    {"WINDOWS-1252", "CP850", "Windows-1252", "cp850"},
    {"WINDOWS-1252", "CP437", "Windows-1252", "cp437"},
};

enum { C_OTHER, C_LOWER, C_UPPER, C_SYMBOL, C_ODD, C_BOX, C_GREEK };

/* What character c is, for weirdness(). */
static int char_class(unsigned c)
{
    if (c < 0x80)
        return c >= 'a' && c <= 'z' ? C_LOWER : c >= 'A' && c <= 'Z' ? C_UPPER : C_OTHER;
    if (c < 0xA0)
        return C_ODD;                             /* C1 controls */
    if (c == 0xA0)
        return C_OTHER;                           /* no-break space */
    if (c < 0xC0 || c == 0xD7 || c == 0xF7)
        return C_SYMBOL;                          /* ¡-¿ × ÷ */
    if (c < 0xDF)
        return C_UPPER;                           /* À-Þ */
    if (c < 0x100)
        return C_LOWER;                           /* ß-ÿ */
    if (c < 0x180) {                              /* Latin Extended-A */
        if (c == 0x138 || c == 0x149 || c == 0x17F)
            return C_LOWER;
        if ((c >= 0x139 && c <= 0x148) || c >= 0x179)
            return c & 1 ? C_UPPER : C_LOWER;
        return c == 0x178 ? C_UPPER : c & 1 ? C_LOWER : C_UPPER;
    }
    if (c == 0x192 || c == 0x2C6 || c == 0x2DC || c == 0x201A || c == 0x201E ||
        c == 0x2020 || c == 0x2021 || c == 0x2030 || c == 0x2039 || c == 0x203A)
        return C_ODD;                             /* ƒ ˆ ˜ ‚ „ † ‡ ‰ ‹ › */
    if (c >= 0x2500 && c <= 0x259F)
        return C_BOX;                             /* box drawing, blocks */
    if ((c >= 0x370 && c <= 0x3FF) || (c >= 0x2190 && c <= 0x23FF) ||
        (c >= 0x25A0 && c <= 0x25FF) || c == 0x207F)
        return C_GREEK;                           /* Greek, math, shapes, ⁿ */
    return C_OTHER;
}

static int is_letter(int k)
{
    return k == C_LOWER || k == C_UPPER;
}

/* Symbols real text puts against letters: « » ° ¿ ¡ ² ³. */
static int usual_symbol(unsigned c)
{
    return c == 0xAB || c == 0xBB || c == 0xB0 || c == 0xBF || c == 0xA1 || c == 0xB2 ||
           c == 0xB3;
}

/* How many traces of a code page mix-up s[0..n) (UTF-8) holds: C1
** controls and the rarer Windows-1252 punctuation (‚ „ † ‰ ‹ ƒ); box
** drawing; a Greek letter, math symbol or 'þ' against a Latin letter
** ("BouakΘ", "Garþon": Icelandic pays for it); an accented capital after a
** small letter ("BouakÚ") or between a capital and a small one ("RÚf");
** 'Ã' or 'Â' before any other non-ASCII character ("Ã©", "Ã "); a Latin-1
** symbol but « » between two letters ("ma´s"), or but « » ° ¿ ¡ ² ³ before
** a small letter ("£uvre") or after an accented letter ("é¼"); an accented
** capital before quotes or dashes ("Å’", "Å“").  Catalan's "l·l" is fine.
** Real text in Latin scripts has (nearly) none of them: none of the
** translations of Django's messages in 28 such languages but 4 Icelandic
** ones. */
static int weirdness(const char *s, size_t n)
{
    const char *e = s + n, *p = s;
    int score = 0, len;
    while (p < e) {
        /* Every trace holds a non-ASCII character: skip ASCII, 8 bytes at a
        ** time.  A small accented letter (the most common by far) can only
        ** be a trace after 'Ã' or 'Â'. */
        uint64_t w;
        while (e - p >= 8 && (memcpy(&w, p, 8), (w & 0x8080808080808080ULL) == 0))
            p += 8;
        if ((unsigned char)*p < 0x80) {
            p++;
            continue;
        }
        const unsigned char *u = (const unsigned char *)p;
        if (e - p >= 2 && u[0] == 0xC3 && u[1] >= 0x9F && u[1] != 0xB7 && u[1] != 0xBE &&
            !(p - s >= 2 && u[-2] == 0xC3 && (u[-1] == 0x82 || u[-1] == 0x83))) {
            p += 2;                           /* ß-ÿ but ÷ þ */
            continue;
        }
        unsigned c = fx__utf8_at(p, e, &len), c_prev = 0, c_next = 0;
        int k = char_class(c), k_prev = C_OTHER, k_next = C_OTHER, plen;
        if (p > s) {
            const char *q = p - 1;
            while (q > s && p - q < 4 && ((unsigned char)*q & 0xC0) == 0x80)
                q--;
            c_prev = fx__utf8_at(q, p, &plen);
            k_prev = char_class(c_prev);
        }
        if (p + len < e) {
            c_next = fx__utf8_at(p + len, e, &plen);
            k_next = char_class(c_next);
        }
        p += len;
        int accented_prev = c_prev >= 0x80 && is_letter(k_prev);
        if (k == C_ODD || k == C_BOX)
            score++;
        else if ((k == C_GREEK || c == 0xFE) && (is_letter(k_prev) || is_letter(k_next)))
            score++;
        else if (k == C_UPPER && (k_prev == C_LOWER || (k_prev == C_UPPER && k_next == C_LOWER)))
            score++;
        else if (c_prev == 0xC3 || c_prev == 0xC2)
            score++;
        else if (c == 0xB7 && (c_prev | 0x20) == 'l' && (c_next | 0x20) == 'l')
            ;                                     /* Catalan's l·l */
        else if (k == C_SYMBOL && c != 0xAB && c != 0xBB && is_letter(k_prev) &&
                 is_letter(k_next))
            score++;
        else if (k == C_SYMBOL && !usual_symbol(c) && (k_next == C_LOWER || accented_prev))
            score++;
        else if (k_prev == C_UPPER && c_prev >= 0x80 &&
                 (c == 0x2019 || c == 0x2018 || c == 0x201C || c == 0x201D ||
                  c == 0x2022 || c == 0x2013 || c == 0x2014 || c == 0x2122))
            score++;
    }
    return score;
}

/* Convert s[0..n) with cd into out (reset first).  1 when every
** character converted, else 0. */
static int convert_all(iconv_t cd, const char *s, size_t n, fx_buf *out)
{
    fx_buf_reset(out);
    iconv(cd, NULL, NULL, NULL, NULL);
    char *in = (char *)s;
    size_t left = n;
    while (left > 0) {
        if (fx_buf_grow(out, left * 2 + 16) < 0)
            return 0;
        char *o = out->data + out->len;
        size_t room = out->cap - out->len - 1;
        size_t r = iconv(cd, &in, &left, &o, &room);
        out->len = (size_t)(o - out->data);
        if (r == (size_t)-1 && errno != E2BIG)
            return 0;
    }
    out->data[out->len] = '\0';
    return 1;
}

/* Undo mangling m on s[0..n) into out: 1 when it can be undone. */
static int unmangle(fx_validator *v, size_t m, const char *s, size_t n, fx_buf *out)
{
    if (v->cd_state[m] == 0) {
        v->cd_read[m] = iconv_open(manglings[m].read, "UTF-8");
        v->cd_wrote[m] = iconv_open("UTF-8", manglings[m].wrote);
        v->cd_state[m] = v->cd_read[m] != (iconv_t)-1 && v->cd_wrote[m] != (iconv_t)-1 ? 1 : 2;
    }
    fx_buf mid = FX_BUF_INIT;
    int ok = v->cd_state[m] == 1 && convert_all(v->cd_read[m], s, n, &mid) &&
             convert_all(v->cd_wrote[m], mid.data ? mid.data : "", mid.len, out);
    fx_buf_free(&mid);
    return ok;
}

/* The byte offset in s of the first character that differs in t. */
static size_t first_difference(const char *s, size_t n, const char *t, size_t tn)
{
    size_t i = 0, last = 0;
    while (i < n && i < tn && s[i] == t[i]) {
        i++;
        if (i == n || ((unsigned char)s[i] & 0xC0) != 0x80)
            last = i;
    }
    return last;
}

/* An excerpt of s[0..n) for a message: at most 40 bytes, cut at a
** character. */
static int excerpt_len(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return (int)n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return (int)max;
}

/* Say so when the string value x of field f looks mangled. */
static void check_mangled(fx_validator *v, const fx_record *rec, const fx_field *f, fx_value x)
{
    int escaped = memchr(x.text, '\\', x.len) != NULL;
    if (!escaped && weirdness(x.text + 1, x.len - 2) == 0)
        return;                       /* the common case: nothing to see */
    fx_buf *s = &v->text;
    fx_buf_reset(s);
    if (fx_value_str(s, x) < 0 || !s->data || weirdness(s->data, s->len) == 0)
        return;
    for (size_t m = 0; m < NMANGLE; m++) {
        fx_buf *t = &v->fixed;
        if (!unmangle(v, m, s->data, s->len, t) ||
            (t->len == s->len && memcmp(t->data, s->data, s->len) == 0) ||
            weirdness(t->data, t->len) != 0)
            continue;
        if (!first_time(v, "mojibake", rec->label, f->name))
            return;
        /* Its pair (same code page written, the other one read) may undo it
        ** alike: then either may be the cause. */
        fx_buf u = FX_BUF_INIT;
        int both = m % 2 == 0 && unmangle(v, m + 1, s->data, s->len, &u) &&
                   u.len == t->len && memcmp(u.data, t->data, t->len) == 0;
        fx_buf_free(&u);
        char read[40];
        snprintf(read, sizeof read, "%s%s%s", manglings[m].read_name, both ? " or " : "",
                 both ? manglings[m + 1].read_name : "");
        size_t d = first_difference(s->data, s->len, t->data, t->len);
        const char *at = escaped ? x.text : x.text + 1 + d;
        char was[64], fixed[64];
        snprintf(was, sizeof was, "%.*s", excerpt_len(s->data, s->len, 40), s->data);
        snprintf(fixed, sizeof fixed, "%.*s", excerpt_len(t->data, t->len, 40), t->data);
        if (m < 2)
            say(v, FX_WARNING, rec, at, "encoding",
                "%s.%s looks double-encoded ('%s' for '%s'): UTF-8 text was read as %s "
                "and encoded again; fix it at the source (further ones in this field "
                "not reported)", rec->label, f->name, was, fixed, read);
        else
            say(v, FX_WARNING, rec, at, "encoding",
                "%s.%s looks mangled by a console code page ('%s' for '%s'): %s text "
                "was read as %s, as PowerShell's '>' reads what Python writes (with "
                "the console's OEM code page: cp850 in Western Europe, cp437 in the "
                "US); export with 'python -X utf8 manage.py dumpdata -o FILE' instead "
                "of '>' (further ones in this field not reported)", rec->label, f->name,
                was, fixed, manglings[m].wrote_name, read);
        return;
    }
}

static void check_text(fx_validator *v, const fx_record *rec)
{
    for (size_t i = 0; i < rec->nfields; i++) {
        const fx_field *f = &rec->fields[i];
        check_nan(v, rec, f, f->value);
        if (f->value.type == FX_STRING)
            check_mangled(v, rec, f, f->value);
    }
}

/* ------------------------------------------------------------ with schema */

/* The text a reference names its target by: a pk's text, as pk_key. */
static int ref_text(fx_buf *out, fx_value x)
{
    fx_buf_reset(out);
    if (x.type == FX_STRING)
        return fx_value_str(out, x);
    return fx_buf_add(out, x.text, x.len);
}

/* Look up one reference; remember it for later when not found yet. */
static void check_ref(fx_validator *v, const fx_record *rec, const fx_model_schema *m,
                      const fx_field_schema *f, fx_value x)
{
    const fx_model_schema *tm = fx_schema_model(v->o.schema, f->to);
    if (!tm || x.type == FX_NULL)
        return;
    uint64_t target;
    int natural = x.type == FX_ARRAY;
    if (natural) {
        fx_value vals[16];
        size_t n = 0;
        fx_iter it;
        fx_iter_init(&it, x);
        while (n < 16 && fx_iter_next(&it, NULL, &vals[n]))
            n++;
        target = fx__natural_hash(&v->tmp, tm->label, vals, n);
        if (fx__index_get(v->natural, target))
            return;
    } else if (f->to_field) {
        return;                  /* by a unique field: left to the database */
    } else {
        fx_buf t = FX_BUF_INIT;
        ref_text(&t, x);
        target = fx__key_hash(tm->label, t.data ? t.data : "", t.len);
        fx_buf_free(&t);
        if (fx__index_get(v->keys, target))
            return;
    }
    if (v->nrefs == v->refcap) {
        size_t cap = v->refcap ? v->refcap * 2 : 256;
        struct ref *r = realloc(v->refs, cap * sizeof *r);
        if (!r)
            return;
        v->refs = r;
        v->refcap = cap;
    }
    unsigned long line, col;
    fx_record_pos(rec, x.text, &line, &col);
    struct ref *r = &v->refs[v->nrefs++];
    r->target = target;
    r->natural = natural;
    r->file = file_index(v, rec->file);
    r->line = (uint32_t)line;
    r->col = (uint32_t)col;
    r->m = m;
    r->f = f;
    r->pk = strdup(pk_text(rec));
    r->val = strndup(x.text, x.len > 200 ? 200 : x.len);
}

static void check_unique(fx_validator *v, const fx_record *rec, const fx_model_schema *m,
                         const char *what, const fx_value *vals, const char **names,
                         size_t n, uint64_t who)
{
    fx_buf *t = &v->tmp;
    fx_buf_reset(t);
    fx_buf_printf(t, "%s%c", m->label, 0);
    for (size_t i = 0; i < n; i++) {
        if (vals[i].type == FX_NULL)
            return;              /* NULLs never collide in SQL */
        fx_buf_printf(t, "%s%c", names[i], 0);
        /* By the field's kind: "1.5" and "1.50", 7 and "7" are one value. */
        const fx_field_schema *f = fx_model_field(m, names[i]);
        if (!f || (fx__value_key(t, f, v->o.schema, vals[i], 0) != 0 &&
                   fx__value_key(t, f, v->o.schema, vals[i], 1) != 0))
            fx_value_canon(t, vals[i]);
    }
    int existed;
    struct place *p = fx__index_put(v->uniq, XXH3_64bits(t->data, t->len), &existed);
    if (!p)
        return;
    if (!existed) {
        unsigned long line, col;
        fx_record_pos(rec, vals[0].text, &line, &col);
        p->file = file_index(v, rec->file);
        p->line = (uint32_t)line;
        p->col = (uint32_t)col;
        p->who = who;
        return;
    }
    if (p->who == who)
        return;                  /* the same record twice: said as a duplicate */
    say(v, FX_ERR, rec, vals[0].text, "unique",
        "%s %s: the same value as the record at %s:%u:%u; loaddata fails with "
        "IntegrityError: UNIQUE constraint failed; change one of them",
        m->label, what, v->files[p->file], p->line, p->col);
}

static void check_schema(fx_validator *v, const fx_record *rec, uint64_t who)
{
    const fx_schema *s = v->o.schema;
    const fx_model_schema *m = model_of(v, rec->label);
    char msg[512];
    if (!m) {
        if (first_time(v, "model", rec->label, NULL))
            say(v, FX_ERR, rec, NULL, "schema",
                "unknown model '%s': not in the schema (%s); check the label, or "
                "run migrate for its app (further records of it not reported)",
                rec->model, s->source ? s->source : "given");
        return;
    }
    size_t app = strcspn(m->label, ".");
    if (strncmp(rec->model, m->label, app) != 0 && first_time(v, "appcase", rec->model, NULL))
        say(v, FX_ERR, rec, NULL, "schema",
            "model label '%s': app labels are case-sensitive and loaddata fails "
            "with \"Invalid model identifier\"; write '%s' (only the model name "
            "may change case)", rec->model, m->label);
    if (rec->has_pk && rec->pk.type != FX_NULL) {
        fx_field_schema pkf;
        memset(&pkf, 0, sizeof pkf);
        pkf.name = m->pk_name;
        pkf.kind = m->pk_kind;
        pkf.max_length = -1;
        pkf.max_digits = pkf.decimal_places = -1;
        if (fx_check_value(&pkf, s, rec->pk, msg, sizeof msg))
            say(v, FX_ERR, rec, rec->pk.text, "type", "%s pk: %s", m->label, msg);
    } else if (!rec->has_pk && m->natural_key.n == 0 &&
               first_time(v, "nopk", m->label, NULL)) {
        say(v, FX_WARNING, rec, NULL, "structure",
            "%s record without pk, and the model has no natural key: loaddata "
            "inserts it as a new row every time the file is loaded (further "
            "ones not reported)", m->label);
    }
    size_t unknown = 0;   /* in this record: past 20, counted, not listed */
    for (size_t i = 0; i < rec->nfields; i++) {
        const fx_field *fd = &rec->fields[i];
        const fx_field_schema *f = fx_model_field(m, fd->name);
        if (!f) {
            int ign = v->o.ignorenonexistent;
            if (++unknown > 20)
                continue;
            if (first_time(v, "field", m->label, fd->name))
                say(v, ign ? FX_WARNING : FX_ERR, rec, fd->value.text, "schema",
                    "unknown field '%s' on %s: %s (further ones not reported)",
                    fd->name, m->label,
                    ign ? "loaddata --ignorenonexistent skips it"
                        : "loaddata fails with FieldDoesNotExist; remove it, or "
                          "pass --ignorenonexistent as loaddata -i does");
            continue;
        }
        if (fx_check_value(f, s, fd->value, msg, sizeof msg)) {
            say(v, FX_ERR, rec, fd->value.text, "type", "%s.%s: %s", m->label,
                fd->name, msg);
            continue;
        }
        if (f->unique) {
            char what[300];
            snprintf(what, sizeof what, "%s %.*s", f->name,
                     (int)(fd->value.len > 80 ? 80 : fd->value.len), fd->value.text);
            check_unique(v, rec, m, what, &fd->value, (const char **)&f->name, 1, who);
        }
        if (f->kind == FX_K_FK || f->kind == FX_K_O2O) {
            check_ref(v, rec, m, f, fd->value);
        } else if (f->kind == FX_K_M2M && fd->value.type == FX_ARRAY) {
            fx_iter it;
            fx_value e;
            fx_iter_init(&it, fd->value);
            while (fx_iter_next(&it, NULL, &e))
                check_ref(v, rec, m, f, e);
        }
    }
    if (unknown > 20)
        say(v, v->o.ignorenonexistent ? FX_WARNING : FX_ERR, rec, NULL, "schema",
            "%zu more fields of this record are not fields of %s (not listed)",
            unknown - 20, m->label);
    for (size_t u = 0; u < m->nunique_together; u++) {
        const fx_name_list *l = &m->unique_together[u];
        fx_value vals[16];
        char what[300] = "";
        size_t n = 0, k = 0;
        for (; n < l->n && n < 16; n++) {
            const fx_field *fd = fx_record_field(rec, l->names[n]);
            if (!fd)
                break;
            vals[n] = fd->value;
            k += (size_t)snprintf(what + k, sizeof what - k, "%s%s=%.*s", n ? ", " : "(",
                                  l->names[n], (int)(fd->value.len > 40 ? 40 : fd->value.len),
                                  fd->value.text);
            if (k >= sizeof what)
                k = sizeof what - 1;
        }
        if (n == l->n) {
            snprintf(what + k, sizeof what - k, ")");
            check_unique(v, rec, m, what, vals, (const char **)l->names, n, who);
        }
    }
    if (m->natural_key.n > 0 && m->natural_key.n <= 16) {
        fx_value vals[16];
        size_t n;
        for (n = 0; n < m->natural_key.n; n++) {
            const fx_field *fd = fx_record_field(rec, m->natural_key.names[n]);
            if (!fd)
                break;
            vals[n] = fd->value;
        }
        if (n == m->natural_key.n) {
            int existed;
            struct place *p = fx__index_put(v->natural, fx__natural_hash(&v->tmp, m->label, vals, n),
                                            &existed);
            if (p && !existed) {
                p->file = file_index(v, rec->file);
                p->line = (uint32_t)rec->line;
                p->col = (uint32_t)rec->col;
                p->who = who;
            } else if (p && !rec->has_pk && p->who != who) {
                say(v, FX_ERR, rec, NULL, "duplicate",
                    "duplicate record %s with the same natural key as the one at "
                    "%s:%u:%u: loaddata keeps only the last; remove one",
                    m->label, v->files[p->file], p->line, p->col);
            }
        }
    }
}

/* ------------------------------------------------------------ the API */

int fx_validator_add(fx_validator *v, const fx_record *rec)
{
    uint64_t who;
    if (rec->pk_key) {
        who = fx_record_key_hash(rec);
        int existed;
        struct place *p = fx__index_put(v->keys, who, &existed);
        if (!p)
            return FX_ENOMEM;
        if (existed) {
            say(v, FX_ERR, rec, NULL, "duplicate",
                "duplicate record %s pk %s: also at %s:%u:%u; loaddata keeps only "
                "the last one; remove or renumber one of them",
                rec->label, rec->pk_key, v->files[p->file], p->line, p->col);
        } else {
            p->file = file_index(v, rec->file);
            p->line = (uint32_t)rec->line;
            p->col = (uint32_t)rec->col;
        }
    } else {
        /* No pk: each record is its own. */
        who = XXH3_64bits(&rec->offset, sizeof rec->offset) ^ (uint64_t)file_index(v, rec->file);
    }
    check_text(v, rec);
    if (fx__ctrefs_add(v->ct, rec) < 0)
        return FX_ENOMEM;
    if (v->o.schema)
        check_schema(v, rec, who);
    return 0;
}

int fx_validator_finish(fx_validator *v)
{
    if (fx__ctrefs_end(v->ct, v->o.diag, v->o.diag_ctx) < 0)
        return FX_ENOMEM;
    for (size_t i = 0; i < v->nrefs; i++) {
        struct ref *r = &v->refs[i];
        if (fx__index_get(r->natural ? v->natural : v->keys, r->target))
            continue;
        /* Content types and permissions: migrate makes them in every
        ** database, so a natural key finds them; a pk was said above
        ** (and stays an error with --closed). */
        if (fx__django_made(r->f->to) && (r->natural || !v->o.closed))
            continue;
        if (v->o.diag) {
            char msg[1024];
            snprintf(msg, sizeof msg,
                     "%s pk %s: %s %s points at %s, which is not in the given files%s",
                     r->m->label, r->pk, r->f->name, r->val, r->f->to,
                     v->o.closed ? "; add it (fxfilter --with-deps) or fix the reference"
                                 : ": it must already be in the database (--closed "
                                   "makes this an error)");
            fx_diag d = {v->o.closed ? FX_ERR : FX_WARNING, v->files[r->file], r->line,
                         r->col, 0, "reference", msg};
            v->o.diag(v->o.diag_ctx, &d);
        }
    }
    return 0;
}

void fx_validator_free(fx_validator *v)
{
    if (!v)
        return;
    fx__index_free(v->keys);
    fx__index_free(v->uniq);
    fx__index_free(v->natural);
    fx__index_free(v->once);
    fx__ctrefs_free(v->ct);
    for (size_t i = 0; i < v->nfiles; i++)
        free(v->files[i]);
    free(v->files);
    for (size_t i = 0; i < v->nrefs; i++) {
        free(v->refs[i].pk);
        free(v->refs[i].val);
    }
    free(v->refs);
    fx_buf_free(&v->tmp);
    fx_buf_free(&v->text);
    fx_buf_free(&v->fixed);
    for (size_t m = 0; m < NMANGLE; m++) {
        if (v->cd_read[m] != (iconv_t)-1 && v->cd_state[m])
            iconv_close(v->cd_read[m]);
        if (v->cd_wrote[m] != (iconv_t)-1 && v->cd_state[m])
            iconv_close(v->cd_wrote[m]);
    }
    free(v);
}
