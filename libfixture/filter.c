/*
** filter.c: choosing records, for fxfilter and any tool that selects:
** --where conditions on field values (parsed once, evaluated per record),
** --pk lists with ranges, the selection that combines them with the model
** labels of select.c, close-label suggestions from a schema, and the
** per-model tally behind --count.
**
** The --where grammar (one condition per expression; several are ANDed by
** the caller, fx_filter):
**
**   condition := ws* field ws* op ws* value ws*
**   field     := name | app_label "." model "." name      (qualified)
**   name      := [A-Za-z_][A-Za-z0-9_]*                  ("pk": the pk)
**   op        := "=" | "!=" | "<" | "<=" | ">" | ">="
**   value     := "null" | "true" | "false" | number | date
**              | quoted | bare
**   number    := -?digits(.digits)?([eE][+-]?digits)?
**   date      := YYYY-MM-DD([T ]HH:MM(:SS(.f{1,6})?)?)?(Z|[+-]HH:?MM)?
**              | HH:MM(:SS(.f{1,6})?)?
**   quoted    := '"' ... '"' | "'" ... "'"  (backslash quotes the next char)
**   bare      := anything else, to the end, trailing blanks dropped
**
** Values are typed by how they are written; comparison follows the type:
**   - null: only = and != (is / is not null);
**   - true/false: only = and !=, against JSON booleans;
**   - number: against numbers, and strings that hold numbers ("12.50", as
**     Django writes decimals), exactly for plain decimals of any length;
**   - date: against strings that hold ISO dates, datetimes or times, after
**     normalising them (UTC when an offset is given, 6-digit fraction); a
**     date without time compares with the date part of a datetime, so that
**     date=2025-01-05 is the whole day;
**   - quoted and bare strings: decoded string against decoded string,
**     byte order of UTF-8 (code point order).  Quoting turns a value that
**     would be a number, date or null into a plain string.
** A present field whose value does not fit the type (a string against a
** number, an array) is unequal: = and the orderings are false, != true.
** A field the record does not have makes the condition false whatever the
** operator (use a qualified field to constrain one model only: the
** condition is then true for records of other models).
*/
#define _GNU_SOURCE             /* timegm */
#include "internal.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

/* ------------------------------------------------------------ literals */

typedef enum { LIT_NULL, LIT_BOOL, LIT_NUMBER, LIT_DATE, LIT_STRING } lit_kind;
typedef enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE } op_kind;

typedef fx__when when;

struct fx_where {
    char *label;           /* qualified: lower-case "app.model"; else NULL */
    char *field;
    op_kind op;
    lit_kind kind;
    int truth;             /* LIT_BOOL */
    char *text;            /* LIT_NUMBER, LIT_STRING: the text (decoded) */
    size_t len;
    when date;             /* LIT_DATE */
};

static int digits(const char *p, int n)
{
    for (int i = 0; i < n; i++)
        if (!isdigit((unsigned char)p[i]))
            return 0;
    return 1;
}

static int num2(const char *p)
{
    return (p[0] - '0') * 10 + (p[1] - '0');
}

/* See internal.h: also what fxmerge's guards compare timestamps with. */
int fx__parse_when(const char *s, size_t n, when *w, const char **why)
{
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, off = 0, has_date = 0,
        has_time = 0, has_off = 0;
    char frac[7] = "000000";
    size_t i = 0;
    if (n >= 10 && digits(s, 4) && s[4] == '-' && digits(s + 5, 2) && s[7] == '-' &&
        digits(s + 8, 2)) {
        has_date = 1;
        y = atoi(s);
        mo = num2(s + 5);
        d = num2(s + 8);
        i = 10;
        if (i < n && (s[i] == 'T' || s[i] == ' '))
            i++;
        else if (i < n)
            return 0;
    }
    if (i < n) {
        if (n - i < 5 || !digits(s + i, 2) || s[i + 2] != ':' || !digits(s + i + 3, 2))
            return 0;
        has_time = 1;
        h = num2(s + i);
        mi = num2(s + i + 3);
        i += 5;
        if (i < n && s[i] == ':') {
            if (n - i < 3 || !digits(s + i + 1, 2))
                return 0;
            sec = num2(s + i + 1);
            i += 3;
            if (i < n && s[i] == '.') {
                size_t k = 0;
                for (i++; i < n && isdigit((unsigned char)s[i]); i++, k++)
                    if (k < 6)
                        frac[k] = s[i];
                if (k == 0)
                    return 0;
            }
        }
        if (i < n && s[i] == 'Z' && has_date) {
            has_off = 1;
            i++;
        } else if (i < n && (s[i] == '+' || s[i] == '-') && has_date) {
            int sign = s[i] == '-' ? -1 : 1;
            i++;
            if (n - i >= 5 && digits(s + i, 2) && s[i + 2] == ':' && digits(s + i + 3, 2)) {
                off = sign * (num2(s + i) * 60 + num2(s + i + 3));
                i += 5;
            } else if (n - i >= 4 && digits(s + i, 4)) {
                off = sign * (num2(s + i) * 60 + num2(s + i + 2));
                i += 4;
            } else {
                return 0;
            }
            has_off = 1;
        }
        if (i != n)
            return 0;
    }
    if (!has_date && !has_time)
        return 0;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (has_date && (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
                     (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 || y % 400 == 0))))) {
        *why = mo < 1 || mo > 12 ? "the month must be 01 to 12" : "no such day in that month";
        return -1;
    }
    if (has_time && (h > 23 || mi > 59 || sec > 59)) {
        *why = "the time must be 00:00:00 to 23:59:59";
        return -1;
    }
    if (has_off && off) {
        struct tm tm = {0};
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = sec;
        time_t t = timegm(&tm) - (time_t)off * 60;
        gmtime_r(&t, &tm);
        y = tm.tm_year + 1900;
        mo = tm.tm_mon + 1;
        d = tm.tm_mday;
        h = tm.tm_hour;
        mi = tm.tm_min;
        sec = tm.tm_sec;
    }
    if (has_date && has_time) {
        w->kind = 2;
        snprintf(w->s, sizeof w->s, "%04d-%02d-%02dT%02d:%02d:%02d.%s", y % 10000, mo, d, h,
                 mi, sec, frac);
    } else if (has_date) {
        w->kind = 1;
        snprintf(w->s, sizeof w->s, "%04d-%02d-%02d", y % 10000, mo, d);
    } else {
        w->kind = 3;
        snprintf(w->s, sizeof w->s, "%02d:%02d:%02d.%s", h, mi, sec, frac);
    }
    return 1;
}

/* Is s[0..n) a JSON-style number?  1 when it is a plain decimal (no
** exponent), 2 with an exponent, 0 when not a number. */
static int is_number(const char *s, size_t n)
{
    size_t i = 0;
    int plain = 1;
    if (i < n && s[i] == '-')
        i++;
    if (i >= n || !isdigit((unsigned char)s[i]))
        return 0;
    while (i < n && isdigit((unsigned char)s[i]))
        i++;
    if (i < n && s[i] == '.') {
        if (++i >= n || !isdigit((unsigned char)s[i]))
            return 0;
        while (i < n && isdigit((unsigned char)s[i]))
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        plain = 0;
        if (++i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || !isdigit((unsigned char)s[i]))
            return 0;
        while (i < n && isdigit((unsigned char)s[i]))
            i++;
    }
    return i == n ? 1 + !plain : 0;
}

/* Compare two plain decimals exactly, whatever their length. */
static int cmp_plain(const char *a, size_t an, const char *b, size_t bn)
{
    int na = an && a[0] == '-', nb = bn && b[0] == '-';
    a += na, an -= (size_t)na, b += nb, bn -= (size_t)nb;
    const char *da = memchr(a, '.', an), *db = memchr(b, '.', bn);
    size_t ia = da ? (size_t)(da - a) : an, ib = db ? (size_t)(db - b) : bn;
    while (ia > 1 && *a == '0')         /* leading zeros */
        a++, ia--, an--;
    while (ib > 1 && *b == '0')
        b++, ib--, bn--;
    size_t fa = da ? an - ia - 1 : 0, fb = db ? bn - ib - 1 : 0;
    const char *pa = a + ia + 1, *pb = b + ib + 1;
    while (fa && pa[fa - 1] == '0')     /* trailing zeros */
        fa--;
    while (fb && pb[fb - 1] == '0')
        fb--;
    int zero_a = ia == 1 && a[0] == '0' && fa == 0, zero_b = ib == 1 && b[0] == '0' && fb == 0;
    if (zero_a)
        na = 0;
    if (zero_b)
        nb = 0;
    if (na != nb)
        return na ? -1 : 1;
    int c = ia != ib ? (ia < ib ? -1 : 1) : memcmp(a, b, ia);
    if (c == 0) {
        size_t m = fa < fb ? fa : fb;
        c = memcmp(pa, pb, m);
        if (c == 0 && fa != fb)
            c = fa > fb ? 1 : -1;
    }
    c = c < 0 ? -1 : c > 0;
    return na ? -c : c;
}

/* Compare numbers a and b (texts that is_number() accepted, or NaN and
** Infinity as Python writes them); 2 when unordered (NaN). */
static int cmp_number(const char *a, size_t an, int ka, const char *b, size_t bn, int kb)
{
    if (ka == 1 && kb == 1)
        return cmp_plain(a, an, b, bn);
    char sa[64], sb[64];
    snprintf(sa, sizeof sa, "%.*s", (int)(an < 63 ? an : 63), a);
    snprintf(sb, sizeof sb, "%.*s", (int)(bn < 63 ? bn : 63), b);
    double x = strtod(sa, NULL), y = strtod(sb, NULL);
    if (isnan(x) || isnan(y))
        return 2;
    return (x > y) - (x < y);
}

static int holds(op_kind op, int c)
{
    if (c == 2)                         /* unordered */
        return op == OP_NE;
    switch (op) {
    case OP_EQ: return c == 0;
    case OP_NE: return c != 0;
    case OP_LT: return c < 0;
    case OP_LE: return c <= 0;
    case OP_GT: return c > 0;
    default: return c >= 0;
    }
}

/* ------------------------------------------------------------ parsing */

static int perr(fx_error *err, const char *expr, const char *at, const char *fmt, const char *arg)
{
    char msg[512];
    unsigned long col = 1;
    for (const char *p = expr; p < at; p++)
        if ((*p & 0xC0) != 0x80)
            col++;
    snprintf(msg, sizeof msg, fmt, arg);
    return fx_error_set(err, FX_EUSAGE, NULL, 0, col, (uint64_t)(at - expr),
                        "bad --where '%s' at column %lu: %s", expr, col, msg);
}

/* Field names are Python identifiers: non-ASCII letters are allowed. */
static int ident_start(char c)
{
    return c == '_' || isalpha((unsigned char)c) || (unsigned char)c >= 0x80;
}

static int ident_char(char c)
{
    return ident_start(c) || isdigit((unsigned char)c);
}

/* The character at p (a whole UTF-8 sequence; "" at the end) into tok[0..5). */
static const char *char_at(char tok[5], const char *p)
{
    size_t n = *p ? 1 : 0;   /* never past the NUL */
    while (n && n < 4 && ((unsigned char)p[n] & 0xC0) == 0x80)
        n++;
    memcpy(tok, p, n);
    tok[n] = '\0';
    return tok;
}

void fx_where_free(fx_where *w)
{
    if (!w)
        return;
    free(w->label);
    free(w->field);
    free(w->text);
    free(w);
}

int fx_where_parse(fx_where **out, const char *expr, fx_error *err)
{
    const char *p = expr, *end = expr + strlen(expr);
    char tok[5] = "";
    *out = NULL;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p)
        return perr(err, expr, p, "empty expression: write FIELD OP VALUE, as in "
                    "'statut=payée'%s", "");
    const char *f0 = p;
    int parts = 0;
    for (;;) {
        if (!*p)   /* after a dot */
            return perr(err, expr, p, "expected a field name after '.'%s", "");
        if (!ident_start(*p)) {
            return perr(err, expr, p, strchr("=!<>", *p) ? "expected a field name before "
                        "'%s': write FIELD OP VALUE" : "expected a field name, not '%s'",
                        char_at(tok, p));
        }
        while (ident_char(*p))
            p++;
        parts++;
        if (*p != '.')
            break;
        p++;
    }
    const char *f1 = p;
    if (parts == 2)
        return perr(err, expr, f0, "a field is NAME or app_label.model.NAME%s", "");
    if (parts > 3)
        return perr(err, expr, f0, "too many dots: a field is NAME or "
                    "app_label.model.NAME%s", "");
    while (*p == ' ' || *p == '\t')
        p++;
    op_kind op;
    const char *o = p;
    if (p[0] == '=' && p[1] == '=')
        return perr(err, expr, p, "unknown operator '==': write '='%s", "");
    if (p[0] == '<' && p[1] == '>')
        return perr(err, expr, p, "unknown operator '<>': write '!='%s", "");
    if (p[0] == '!' && p[1] == '=')
        op = OP_NE, p += 2;
    else if (p[0] == '<' && p[1] == '=')
        op = OP_LE, p += 2;
    else if (p[0] == '>' && p[1] == '=')
        op = OP_GE, p += 2;
    else if (*p == '<')
        op = OP_LT, p++;
    else if (*p == '>')
        op = OP_GT, p++;
    else if (*p == '=')
        op = OP_EQ, p++;
    else if (!*p)
        return perr(err, expr, p, "expected an operator (= != < <= > >=) and a value "
                    "after the field%s", "");
    else {
        return perr(err, expr, p, "expected an operator (= != < <= > >=), not '%s'",
                    char_at(tok, p));
    }
    char opname[3] = {0};
    memcpy(opname, o, (size_t)(p - o));
    while (*p == ' ' || *p == '\t')
        p++;
    const char *v0 = p;

    fx_where *w = calloc(1, sizeof *w);
    if (!w)
        return FX_ENOMEM;
    w->op = op;
    const char *name = f0;
    if (parts == 3) {
        const char *last = f1;
        while (last[-1] != '.')
            last--;
        if (!(w->label = fx__strndup_lower(f0, (size_t)(last - 1 - f0))))
            goto nomem;
        name = last;
    }
    if (!(w->field = strndup(name, (size_t)(f1 - name))))
        goto nomem;

    if (*p == '"' || *p == '\'') {
        char q = *p++;
        fx_buf b = FX_BUF_INIT;
        for (; *p && *p != q; p++) {
            if (*p == '\\' && p[1])
                p++;
            if (fx_buf_addc(&b, *p)) {
                fx_buf_free(&b);
                goto nomem;
            }
        }
        if (!*p) {
            fx_buf_free(&b);
            fx_where_free(w);
            tok[0] = q;
            return perr(err, expr, v0, "this quote (%s) is not closed", tok);
        }
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p) {
            fx_buf_free(&b);
            fx_where_free(w);
            return perr(err, expr, p, "unexpected text after the closing quote%s", "");
        }
        if (fx_buf_add(&b, "", 0)) {
            fx_buf_free(&b);
            goto nomem;
        }
        w->kind = LIT_STRING;
        w->text = b.data;
        w->len = b.len;
        *out = w;
        return 0;
    }
    const char *v1 = end;
    while (v1 > p && (v1[-1] == ' ' || v1[-1] == '\t'))
        v1--;
    size_t n = (size_t)(v1 - p);
    if (n == 0) {
        fx_where_free(w);
        return perr(err, expr, p, "expected a value after '%s' (write \"\" for the empty "
                    "string, null for null)", opname);
    }
    if (strchr("=!<>", *p)) {
        fx_where_free(w);
        tok[0] = *p;
        return perr(err, expr, p, "a value cannot start with '%s' (quote it if it does)", tok);
    }
    const char *why = NULL;
    int k;
    if (n == 4 && memcmp(p, "null", 4) == 0) {
        w->kind = LIT_NULL;
    } else if ((n == 4 && memcmp(p, "true", 4) == 0) || (n == 5 && memcmp(p, "false", 5) == 0)) {
        w->kind = LIT_BOOL;
        w->truth = *p == 't';
    } else if (is_number(p, n)) {
        w->kind = LIT_NUMBER;
    } else if ((k = fx__parse_when(p, n, &w->date, &why)) != 0) {
        if (k < 0) {
            fx_where_free(w);
            return perr(err, expr, v0, "not a valid date or time: %s", why);
        }
        w->kind = LIT_DATE;
    } else {
        w->kind = LIT_STRING;
    }
    if ((w->kind == LIT_NULL || w->kind == LIT_BOOL) && op != OP_EQ && op != OP_NE) {
        fx_where_free(w);
        return perr(err, expr, o, "'%s' cannot compare with null, true or false: use = "
                    "or !=", opname);
    }
    if (!(w->text = strndup(p, n)))
        goto nomem;
    w->len = n;
    *out = w;
    return 0;
nomem:
    fx_where_free(w);
    return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
}

/* ------------------------------------------------------------ evaluation */

/* Decoded text of a string value: into b when it has escapes, else in place. */
static const char *str_of(fx_value v, fx_buf *b, size_t *n)
{
    if (!memchr(v.text, '\\', v.len)) {
        *n = v.len - 2;
        return v.text + 1;
    }
    fx_buf_reset(b);
    if (fx_value_str(b, v))
        return NULL;
    *n = b->len;
    return b->data;
}

static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c == 0)
        c = (an > bn) - (an < bn);
    return c < 0 ? -1 : c > 0;
}

int fx_where_match(const fx_where *w, const fx_record *rec)
{
    if (w->label && strcmp(w->label, rec->label) != 0)
        return 1;                        /* constrains another model */
    fx_value v;
    if (strcmp(w->field, "pk") == 0 && !fx_record_field(rec, "pk")) {
        if (!rec->has_pk)
            return 0;
        v = rec->pk;
    } else {
        const fx_field *f = fx_record_field(rec, w->field);
        if (!f)
            return 0;
        v = f->value;
    }
    op_kind op = w->op;
    if (w->kind == LIT_NULL)
        return (v.type == FX_NULL) == (op == OP_EQ);
    if (v.type == FX_NULL || v.type == FX_ARRAY || v.type == FX_OBJECT)
        return op == OP_NE;
    if (w->kind == LIT_BOOL) {
        if (v.type != FX_TRUE && v.type != FX_FALSE)
            return op == OP_NE;
        return ((v.type == FX_TRUE) == w->truth) == (op == OP_EQ);
    }
    fx_buf b = FX_BUF_INIT;
    const char *s = v.text;
    size_t n = v.len;
    int c = 3;                           /* 3: not comparable */
    if (v.type == FX_STRING && !(s = str_of(v, &b, &n))) {
        fx_buf_free(&b);
        return 0;
    }
    if (w->kind == LIT_NUMBER) {
        int kv = is_number(s, n);
        if (v.type == FX_NUMBER && !kv)
            kv = 2;                      /* NaN, Infinity */
        if (kv)
            c = cmp_number(s, n, kv, w->text, w->len, is_number(w->text, w->len));
    } else if (w->kind == LIT_DATE) {
        when d;
        const char *why;
        if (v.type == FX_STRING && fx__parse_when(s, n, &d, &why) == 1) {
            const when *l = &w->date;
            if ((l->kind == 3) != (d.kind == 3))
                c = 3;
            else if (l->kind == 1 || d.kind == 1)
                c = bytes_cmp(d.s, 10, l->s, 10);
            else
                c = bytes_cmp(d.s, strlen(d.s), l->s, strlen(l->s));
        }
    } else {
        c = bytes_cmp(s, n, w->text, w->len);
    }
    fx_buf_free(&b);
    if (c == 3)
        return op == OP_NE;
    return holds(op, c);
}

/* ------------------------------------------------------------ pk lists */

struct range {
    uint64_t lo, hi;
};

struct fx_pks {
    struct range *r;     /* sorted, merged */
    size_t nr;
    char **s;            /* other pks, exact text */
    size_t ns;
};

void fx_pks_free(fx_pks *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->ns; i++)
        free(p->s[i]);
    free(p->s);
    free(p->r);
    free(p);
}

static int parse_u64(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 19)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return 0;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 1;
}

static int cmp_range(const void *a, const void *b)
{
    const struct range *x = a, *y = b;
    return (x->lo > y->lo) - (x->lo < y->lo);
}

int fx_pks_parse(fx_pks **out, const char *list, fx_error *err)
{
    fx_pks *p = calloc(1, sizeof *p);
    *out = NULL;
    if (!p)
        return FX_ENOMEM;
    const char *s = list;
    for (;;) {
        const char *e = s + strcspn(s, ",");
        const char *a = s, *b = e;
        while (a < b && *a == ' ')
            a++;
        while (b > a && b[-1] == ' ')
            b--;
        if (a == b) {
            fx_pks_free(p);
            return fx_error_set(err, FX_EUSAGE, NULL, 0, (unsigned long)(a - list) + 1, 0,
                                "bad --pk '%s' at column %lu: an empty item; write a "
                                "list such as 1,5,10-20", list,
                                (unsigned long)(a - list) + 1);
        }
        const char *dash = memchr(a + 1, '-', (size_t)(b - a - 1));
        struct range r;
        if (parse_u64(a, (size_t)(b - a), &r.lo)) {
            r.hi = r.lo;
        } else if (dash && parse_u64(a, (size_t)(dash - a), &r.lo) &&
                   parse_u64(dash + 1, (size_t)(b - dash - 1), &r.hi)) {
            if (r.hi < r.lo) {
                fx_pks_free(p);
                return fx_error_set(err, FX_EUSAGE, NULL, 0, (unsigned long)(a - list) + 1,
                                    0, "bad --pk '%s' at column %lu: the range %.*s runs "
                                    "backwards", list, (unsigned long)(a - list) + 1,
                                    (int)(b - a), a);
            }
        } else {                         /* a string pk: uuid, code */
            char **v = realloc(p->s, (p->ns + 1) * sizeof *v);
            if (!v || !(v[p->ns] = strndup(a, (size_t)(b - a)))) {
                if (v)
                    p->s = v;
                fx_pks_free(p);
                return FX_ENOMEM;
            }
            p->s = v;
            p->ns++;
            goto next;
        }
        struct range *v = realloc(p->r, (p->nr + 1) * sizeof *v);
        if (!v) {
            fx_pks_free(p);
            return FX_ENOMEM;
        }
        p->r = v;
        p->r[p->nr++] = r;
    next:
        if (!*e)
            break;
        s = e + 1;
    }
    if (p->nr) {
        qsort(p->r, p->nr, sizeof *p->r, cmp_range);
        size_t j = 0;
        for (size_t i = 1; i < p->nr; i++) {
            if (p->r[i].lo <= p->r[j].hi + 1 && p->r[j].hi != UINT64_MAX) {
                if (p->r[i].hi > p->r[j].hi)
                    p->r[j].hi = p->r[i].hi;
            } else {
                p->r[++j] = p->r[i];
            }
        }
        p->nr = j + 1;
    }
    *out = p;
    return 0;
}

int fx_pks_match(const fx_pks *p, const fx_record *rec)
{
    if (!rec->pk_key)
        return 0;
    const char *k = rec->pk_key;
    uint64_t v;
    if (p->nr && parse_u64(k, strlen(k), &v)) {
        size_t lo = 0, hi = p->nr;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (v < p->r[mid].lo)
                hi = mid;
            else if (v > p->r[mid].hi)
                lo = mid + 1;
            else
                return 1;
        }
    }
    for (size_t i = 0; i < p->ns; i++)
        if (strcmp(p->s[i], k) == 0)
            return 1;
    return 0;
}

/* ------------------------------------------------------------ selection */

struct fx_filter {
    fx_models *models;
    char **inc;              /* labels to keep, as given, for messages */
    uint64_t *hits;          /* records matched by each */
    size_t ninc;
    char **exc;
    size_t nexc;
    fx_pks *pks;
    char *pks_text;
    fx_where **where;
    size_t nwhere;
};

int fx_filter_new(fx_filter **out)
{
    fx_filter *f = calloc(1, sizeof *f);
    *out = NULL;
    if (!f || fx_models_new(&f->models)) {
        free(f);
        return FX_ENOMEM;
    }
    *out = f;
    return 0;
}

void fx_filter_free(fx_filter *f)
{
    if (!f)
        return;
    fx_models_free(f->models);
    for (size_t i = 0; i < f->ninc; i++)
        free(f->inc[i]);
    for (size_t i = 0; i < f->nexc; i++)
        free(f->exc[i]);
    free(f->inc);
    free(f->exc);
    free(f->hits);
    fx_pks_free(f->pks);
    free(f->pks_text);
    for (size_t i = 0; i < f->nwhere; i++)
        fx_where_free(f->where[i]);
    free(f->where);
    free(f);
}

int fx_filter_model(fx_filter *f, const char *label, int exclude, fx_error *err)
{
    int rc = fx_models_add(f->models, label, exclude, err);
    if (rc)
        return rc;
    char ***v = exclude ? &f->exc : &f->inc;
    size_t *n = exclude ? &f->nexc : &f->ninc;
    char **nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv)
        return FX_ENOMEM;
    *v = nv;
    if (!exclude) {
        uint64_t *h = realloc(f->hits, (*n + 1) * sizeof *h);
        if (!h)
            return FX_ENOMEM;
        f->hits = h;
        h[*n] = 0;
    }
    if (!(nv[*n] = fx__strndup_lower(label, strlen(label))))
        return FX_ENOMEM;
    (*n)++;
    return 0;
}

int fx_filter_pks(fx_filter *f, const char *list, fx_error *err)
{
    if (f->pks)
        return fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0,
                            "--pk given twice: put every pk in one list, as 1,5,10-20");
    int rc = fx_pks_parse(&f->pks, list, err);
    if (rc == 0 && !(f->pks_text = strdup(list)))
        rc = FX_ENOMEM;
    return rc;
}

int fx_filter_where(fx_filter *f, const char *expr, fx_error *err)
{
    fx_where *w;
    int rc = fx_where_parse(&w, expr, err);
    if (rc)
        return rc;
    fx_where **v = realloc(f->where, (f->nwhere + 1) * sizeof *v);
    if (!v) {
        fx_where_free(w);
        return FX_ENOMEM;
    }
    f->where = v;
    v[f->nwhere++] = w;
    return 0;
}

int fx_filter_wants(void *ctx, const char *label)
{
    const fx_filter *f = ctx;
    return fx_models_match(f->models, label);
}

int fx_filter_empty(const fx_filter *f)
{
    return fx_models_empty(f->models) && !f->pks && f->nwhere == 0;
}

int fx_filter_match(fx_filter *f, const fx_record *rec)
{
    if (!fx_models_match(f->models, rec->label))
        return 0;
    if (f->pks && !fx_pks_match(f->pks, rec))
        return 0;
    for (size_t i = 0; i < f->nwhere; i++)
        if (!fx_where_match(f->where[i], rec))
            return 0;
    for (size_t i = 0; i < f->ninc; i++)
        if (fx_label_keeps(f->inc[i], rec->label))
            f->hits[i]++;
    return 1;
}

const char *fx_filter_unmatched(const fx_filter *f, size_t i)
{
    for (size_t k = 0; k < f->ninc; k++)
        if (f->hits[k] == 0 && i-- == 0)
            return f->inc[k];
    return NULL;
}

/* Levenshtein distance, for suggestions; labels are short. */
static size_t distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b), row[128];
    if (n >= 127 || m >= 127)
        return 99;
    for (size_t j = 0; j <= m; j++)
        row[j] = j;
    for (size_t i = 1; i <= n; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[m];
}

struct cand {
    char name[128];
    size_t d;
};

static int cmp_cand(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->d != y->d)
        return x->d < y->d ? -1 : 1;
    return strcmp(x->name, y->name);
}

int fx_schema_suggest(fx_buf *out, const fx_schema *s, const char *label)
{
    char *l = fx__strndup_lower(label, strlen(label));
    struct cand *c = calloc(2 * s->nmodels + 1, sizeof *c);
    size_t nc = 0, limit = strlen(label) / 8 + 2;
    int count = 0;
    if (!l || !c) {
        free(l);
        free(c);
        return FX_ENOMEM;
    }
    for (size_t i = 0; i < s->nmodels; i++) {
        const char *ml = s->models[i].label, *dot = strchr(ml, '.');
        if (strchr(l, '.')) {
            snprintf(c[nc].name, sizeof c[nc].name, "%s", ml);
            c[nc++].d = distance(l, ml);
        } else if (dot) {          /* an app label, or a model named alone */
            snprintf(c[nc].name, sizeof c[nc].name, "%.*s", (int)(dot - ml), ml);
            c[nc].d = distance(l, c[nc].name);
            nc++;
            snprintf(c[nc].name, sizeof c[nc].name, "%s", ml);
            c[nc++].d = distance(l, dot + 1);
        }
    }
    qsort(c, nc, sizeof *c, cmp_cand);
    for (size_t i = 0; i < nc && count < 3; i++) {
        if (c[i].d > limit || (i && strcmp(c[i].name, c[i - 1].name) == 0))
            continue;
        if (fx_buf_printf(out, "%s'%s'", count ? ", " : "", c[i].name)) {
            count = FX_ENOMEM;
            break;
        }
        count++;
    }
    free(l);
    free(c);
    return count;
}

/* Does the schema know label ("app" or "app.model")? */
static int schema_knows(const fx_schema *s, const char *l)
{
    for (size_t i = 0; i < s->nmodels; i++)
        if (fx_label_keeps(l, s->models[i].label))
            return 1;
    return 0;
}

int fx_filter_check(const fx_filter *f, const fx_schema *s, fx_error *err)
{
    if (f->pks) {
        if (f->ninc != 1 || !strchr(f->inc[0], '.'))
            return fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0,
                                "--pk needs exactly one --model app_label.ModelName (pks "
                                "are per model)");
    }
    if (!s)
        return 0;
    for (size_t k = 0; k < f->ninc + f->nexc; k++) {
        const char *l = k < f->ninc ? f->inc[k] : f->exc[k - f->ninc];
        if (schema_knows(s, l))
            continue;
        fx_buf b = FX_BUF_INIT;
        int n = fx_schema_suggest(&b, s, l);
        if (n < 0)
            return FX_ENOMEM;
        fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0, "unknown %s '%s' in %s%s%s%s",
                     strchr(l, '.') ? "model" : "app", l, s->source ? s->source : "the schema",
                     n ? ": did you mean " : " (fxvalidate --schema ", n ? b.data : "",
                     n ? "?" : "--print-schema lists its models)");
        fx_buf_free(&b);
        return FX_EUSAGE;
    }
    for (size_t k = 0; k < f->nwhere; k++) {
        const fx_where *w = f->where[k];
        if (w->label && !schema_knows(s, w->label))
            return fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0,
                                "--where names model '%s', which %s does not know",
                                w->label, s->source ? s->source : "the schema");
    }
    return 0;
}

/* ------------------------------------------------------------ tally */

struct fx_tally {
    fx_tally_row *rows;
    size_t n, cap;
    size_t last;             /* the row hit last: runs of one model are common */
};

int fx_tally_new(fx_tally **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : FX_ENOMEM;
}

int fx_tally_add(fx_tally *t, const fx_record *rec)
{
    size_t i = t->last;
    if (!(i < t->n && strcmp(t->rows[i].label, rec->label) == 0)) {
        for (i = 0; i < t->n && strcmp(t->rows[i].label, rec->label) != 0; i++)
            ;
        if (i == t->n) {
            if (t->n == t->cap) {
                size_t cap = t->cap ? t->cap * 2 : 16;
                fx_tally_row *r = realloc(t->rows, cap * sizeof *r);
                if (!r)
                    return FX_ENOMEM;
                t->rows = r;
                t->cap = cap;
            }
            fx_tally_row *r = &t->rows[t->n];
            memset(r, 0, sizeof *r);
            if (!(r->label = strdup(rec->label)))
                return FX_ENOMEM;
            t->n++;
        }
        t->last = i;
    }
    t->rows[i].records++;
    t->rows[i].bytes += rec->len;
    return 0;
}

static int cmp_rows(const void *a, const void *b)
{
    const fx_tally_row *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes < y->bytes ? 1 : -1;
    return strcmp(x->label, y->label);
}

size_t fx_tally_rows(fx_tally *t, const fx_tally_row **out)
{
    if (t->n > 1)
        qsort(t->rows, t->n, sizeof *t->rows, cmp_rows);
    t->last = 0;
    *out = t->rows;
    return t->n;
}

void fx_tally_free(fx_tally *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->rows[i].label);
    free(t->rows);
    free(t);
}
