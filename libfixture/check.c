/*
** check.c: does a JSON value fit a field of the schema, the way Django 3.2's
** loaddata takes it?  loaddata runs Field.to_python() on every value (for a
** relation: the target field's to_python(), or get_by_natural_key() for a
** list) and hands the result to the database; it runs no validators.  So
** the rules below are those of to_python() (django/db/models/fields and
** django/utils/dateparse.py, read off Django 3.2.25) plus what the database
** refuses: NOT NULL, integer ranges (base/operations.py
** integer_field_ranges), varchar lengths, and the DecimalValidator limits.
**
** Deliberate differences from Django, where it would load a value silently
** changed: a fractional number in an integer field (int() truncates), a
** boolean in a numeric or uuid field (stored as 1/0), a list or object in a
** char or text field (stored as its Python repr), a string in an m2m field
** (iterated character by character), a decimal with too many places
** (rounded by the database adapter) are all rejected.  A JSON float in a
** decimal field is checked as written, not as the double Django makes of
** it.  Digits are ASCII only: Python's \d and int() also take other Unicode
** digits.
*/
#include "internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* ---------------------------------------------------------------- kinds */

static const char *const kind_names[] = {
    [FX_K_UNKNOWN] = "unknown", [FX_K_CHAR] = "char", [FX_K_TEXT] = "text",
    [FX_K_INT] = "int", [FX_K_SMALLINT] = "smallint", [FX_K_BIGINT] = "bigint",
    [FX_K_BOOL] = "bool", [FX_K_DECIMAL] = "decimal", [FX_K_FLOAT] = "float",
    [FX_K_DATE] = "date", [FX_K_DATETIME] = "datetime", [FX_K_TIME] = "time",
    [FX_K_DURATION] = "duration", [FX_K_UUID] = "uuid", [FX_K_JSON] = "json",
    [FX_K_FK] = "fk", [FX_K_O2O] = "o2o", [FX_K_M2M] = "m2m",
    [FX_K_BINARY] = "binary",
};
#define NKINDS (sizeof kind_names / sizeof kind_names[0])

const char *fx_kind_name(fx_kind k)
{
    return (unsigned)k < NKINDS ? kind_names[k] : "unknown";
}

fx_kind fx_kind_from_name(const char *s)
{
    for (size_t i = 1; s && i < NKINDS; i++)
        if (strcmp(s, kind_names[i]) == 0)
            return (fx_kind)i;
    return FX_K_UNKNOWN;
}

/* ---------------------------------------------------------------- context */

/* The value being checked, with its decoded text when it is a string. */
typedef struct chk {
    fx_value v;
    const char *s;   /* decoded string (FX_STRING), else NULL */
    size_t slen;
    char *msg;
    size_t n;
} chk;

#define MAX_DEPTH 8   /* fk to a to_field that is an fk to ... */

static int fail(const chk *c, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static int fail(const chk *c, const char *fmt, ...)
{
    if (c->msg && c->n) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->msg, c->n, fmt, ap);
        va_end(ap);
    }
    return 1;
}

/* The value for a message: 'text' (quoted, escaped, cut at 48 bytes) for
** strings and numbers, true/false/null, "a list", "an object". */
static const char *show(const chk *c, char *q, size_t qn)
{
    const char *s = c->v.text, *e;
    switch (c->v.type) {
    case FX_NULL: return "null";
    case FX_TRUE: return "true";
    case FX_FALSE: return "false";
    case FX_ARRAY: return "a list";
    case FX_OBJECT: return "an object";
    case FX_STRING: s = c->s; e = c->s + c->slen; break;
    default: e = s + c->v.len; break;
    }
    size_t j = 0;
    q[j++] = '\'';
    for (; s < e && j + 8 < qn; s++) {
        unsigned char u = (unsigned char)*s;
        if (j > 48 && (u & 0xC0) != 0x80)
            break;
        if (u == '\n' || u == '\t')
            q[j++] = '\\', q[j++] = u == '\n' ? 'n' : 't';
        else if (u < 0x20 || u == 0x7f)
            j += (size_t)snprintf(q + j, qn - j, "\\x%02x", u);
        else
            q[j++] = (char)u;
    }
    if (s < e)
        j += (size_t)snprintf(q + j, qn - j, "...");
    q[j++] = '\'';
    q[j] = '\0';
    return q;
}
#define SHOW(c) show((c), qbuf, sizeof qbuf)

/* ---------------------------------------------------------------- text */

static int isdig(char ch) { return ch >= '0' && ch <= '9'; }

static int digval(char ch, int base)
{
    int d = isdig(ch) ? ch - '0' : (ch | 0x20) >= 'a' && (ch | 0x20) <= 'f' ?
            (ch | 0x20) - 'a' + 10 : 99;
    return d < base ? d : -1;
}

unsigned fx__utf8_at(const char *s, const char *e, int *len)
{
    const unsigned char *p = (const unsigned char *)s;
    int n = p[0] < 0xC0 ? 1 : p[0] < 0xE0 ? 2 : p[0] < 0xF0 ? 3 : 4;
    if (n > e - s)
        n = 1;
    unsigned cp = n == 1 ? p[0] : p[0] & (0x7F >> n);
    for (int i = 1; i < n; i++)
        cp = cp << 6 | (p[i] & 0x3F);
    *len = n;
    return cp;
}

static size_t count_chars(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += ((unsigned char)s[i] & 0xC0) != 0x80;
    return k;
}

/* str.isspace(); int() and float() do not strip \x1c-\x1f (all == 0). */
static int py_space(unsigned cp, int all)
{
    return cp == ' ' || (cp >= '\t' && cp <= '\r') || (all && cp >= 0x1c && cp <= 0x1f) ||
           cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

static void py_strip(const char **ps, const char **pe, int all)
{
    const char *s = *ps, *e = *pe;
    int len;
    while (s < e && py_space(fx__utf8_at(s, e, &len), all))
        s += len;
    while (e > s) {
        const char *q = e - 1;
        while (q > s && e - q < 4 && ((unsigned char)*q & 0xC0) == 0x80)
            q--;
        if (!py_space(fx__utf8_at(q, e, &len), all) || q + len != e)
            break;
        e = q;
    }
    *ps = s;
    *pe = e;
}

/* Case-insensitive: is s[0..e) exactly word? */
static int word_is(const char *s, const char *e, const char *word)
{
    size_t n = strlen(word);
    return (size_t)(e - s) == n && strncasecmp(s, word, n) == 0;
}

/* ---------------------------------------------------------------- numbers */

/* An integer's magnitude as its significant digits (the first 47 kept). */
typedef struct bignum {
    int neg;
    size_t ndig;
    char d[48];
} bignum;

/* Python's int(s, base) on s[0..e): whitespace, sign, 0x for base 16,
** digits with single underscores between them.  1 if accepted. */
static int py_int(const char *s, const char *e, int base, bignum *b)
{
    memset(b, 0, sizeof *b);
    py_strip(&s, &e, 0);
    if (s < e && (*s == '+' || *s == '-'))
        b->neg = *s++ == '-';
    if (base == 16 && e - s >= 2 && s[0] == '0' && (s[1] | 0x20) == 'x') {
        s += 2;
        if (s < e && *s == '_')
            s++;
    }
    if (s == e)
        return 0;
    for (;;) {
        int d = digval(*s, base);
        if (d < 0)
            return 0;
        if (b->ndig || d) {
            if (b->ndig < sizeof b->d - 1)
                b->d[b->ndig] = *s;
            b->ndig++;
        }
        if (++s == e)
            return 1;
        if (*s == '_' && ++s == e)
            return 0;
    }
}

/* |b| > lim (a digit string without leading zeros)? */
static int big_gt(const bignum *b, const char *lim)
{
    size_t n = strlen(lim);
    if (b->ndig != n)
        return b->ndig > n;
    return memcmp(b->d, lim, n) > 0;
}

/* NaN, Infinity, -Infinity as Python writes them. */
static int num_special(fx_value v)
{
    return v.len && (v.text[0] == 'N' || v.text[0] == 'I' || v.text[v.len - 1] == 'y');
}

/* A JSON number Python reads as an int (no fraction, no exponent). */
static int num_is_int(fx_value v)
{
    return !num_special(v) && !memchr(v.text, '.', v.len) && !memchr(v.text, 'e', v.len) &&
           !memchr(v.text, 'E', v.len);
}

/* strtod() of a JSON number (text not NUL-terminated). */
static double num_double(fx_value v)
{
    char tmp[64];
    char *p = v.len < sizeof tmp ? tmp : malloc(v.len + 1);
    if (!p)
        return NAN;
    memcpy(p, v.text, v.len);
    p[v.len] = '\0';
    double d = strtod(p, NULL);
    if (p != tmp)
        free(p);
    return d;
}

/* Python float()/Decimal() syntax of s[0..e), after stripping.  dec: Decimal
** rules (all underscores dropped, NaN/sNaN payloads); else float() rules
** (underscores only between digits).  Returns 0 bad, 1 finite, 2 special
** (inf, nan); for a finite decimal, *ndig and *exp as Decimal.as_tuple(). */
static int py_num(const char *s, const char *e, int dec, size_t *ndig, long long *exp)
{
    char tmp[128];
    size_t n = 0, cap = (size_t)(e - s) + 1;
    char *t = cap <= sizeof tmp ? tmp : malloc(cap);
    int rc = 0;
    if (!t)
        return 0;
    py_strip(&s, &e, dec);
    for (; s < e; s++)
        if (!(dec && *s == '_'))
            t[n++] = *s;
    const char *p = t, *end = t + n;
    if (p < end && (*p == '+' || *p == '-'))
        p++;
    if (p < end && !isdig(*p) && *p != '.') {
        if (word_is(p, end, "inf") || word_is(p, end, "infinity")) {
            rc = 2;
        } else if (!dec) {
            rc = word_is(p, end, "nan") ? 2 : 0;
        } else {   /* NaN or sNaN, with an optional payload of digits */
            const char *r = p + ((*p | 0x20) == 's'), *d = r + 3;
            if (end - r >= 3 && strncasecmp(r, "nan", 3) == 0) {
                while (d < end && isdig(*d))
                    d++;
                rc = d == end ? 2 : 0;
            }
        }
        goto out;
    }
    size_t nint = 0, nfrac = 0, sig = 0;
    int seen = 0;   /* a non-zero digit met */
    for (int part = 0; part < 2; part++) {
        size_t *cnt = part ? &nfrac : &nint;
        if (part) {
            if (p >= end || *p != '.')
                break;
            p++;
        }
        while (p < end && isdig(*p)) {
            seen |= *p != '0';
            sig += seen;
            (*cnt)++;
            if (++p < end && *p == '_' && p + 1 < end && isdig(p[1]))
                p++;
        }
    }
    if (nint + nfrac == 0)
        goto out;
    long long x = 0;
    if (p < end && (*p | 0x20) == 'e') {
        int neg = 0;
        if (++p < end && (*p == '+' || *p == '-'))
            neg = *p++ == '-';
        if (p >= end || !isdig(*p))
            goto out;
        while (p < end && isdig(*p)) {
            if (x < 1000000000000000LL)
                x = x * 10 + (*p - '0');
            if (++p < end && *p == '_' && p + 1 < end && isdig(p[1]))
                p++;
        }
        x = neg ? -x : x;
    }
    if (p == end) {
        rc = 1;
        *ndig = sig ? sig : 1;
        *exp = x - (long long)nfrac;
    }
out:
    if (t != tmp)
        free(t);
    return rc;
}

/* ---------------------------------------------------------------- scalars */

static int check_int(const fx_field_schema *f, fx_kind k, const chk *c)
{
    static const char *const lo[] = {"32768", "2147483648", "9223372036854775808"};
    static const char *const hi[] = {"32767", "2147483647", "9223372036854775807"};
    static const double lim[] = {32768.0, 2147483648.0, 9223372036854775808.0};
    int i = k == FX_K_SMALLINT ? 0 : k == FX_K_INT ? 1 : 2;
    char qbuf[80];
    bignum b;
    int out;
    if (c->v.type == FX_NUMBER && !num_is_int(c->v)) {
        double d = num_double(c->v);   /* int(float): exact when integral */
        if (!isfinite(d) || d != floor(d))
            return fail(c, "%s is not an integer", SHOW(c));
        out = d >= lim[i] || (f->positive ? d < 0 : d < -lim[i]);
    } else {
        const char *s = c->v.type == FX_STRING ? c->s : c->v.text;
        size_t n = c->v.type == FX_STRING ? c->slen : c->v.len;
        if ((c->v.type != FX_STRING && c->v.type != FX_NUMBER) || !py_int(s, s + n, 10, &b))
            return fail(c, "%s is not an integer", SHOW(c));
        if (b.neg && b.ndig)
            out = f->positive || big_gt(&b, lo[i]);
        else
            out = big_gt(&b, hi[i]);
    }
    if (out)
        return fail(c, "%s is out of range for %s%s: expected %s%s to %s", SHOW(c),
                    f->positive ? "positive " : "", fx_kind_name(k),
                    f->positive ? "" : "-", f->positive ? "0" : lo[i], hi[i]);
    return 0;
}

/* Empty string, list or object: in Field.empty_values. */
static int is_empty(const chk *c)
{
    if (c->v.type == FX_STRING)
        return c->slen == 0;
    if (c->v.type != FX_ARRAY && c->v.type != FX_OBJECT)
        return 0;
    const char *p = fx__skip_ws(c->v.text + 1, c->v.text + c->v.len);
    return *p == ']' || *p == '}';
}

/* BooleanField.to_python: True/False (and 1/0, equal to them), 't' 'True'
** '1' 'f' 'False' '0'; with null=True, empty values are None. */
static int check_bool(const fx_field_schema *f, const chk *c)
{
    static const char *const ok[] = {"t", "True", "1", "f", "False", "0"};
    char qbuf[80];
    if (c->v.type == FX_TRUE || c->v.type == FX_FALSE || (f->null && is_empty(c)))
        return 0;
    if (c->v.type == FX_NUMBER && !num_special(c->v)) {
        double d = num_double(c->v);
        if (d == 0 || d == 1)
            return 0;
    }
    for (size_t i = 0; c->v.type == FX_STRING && i < 6; i++)
        if (c->slen == strlen(ok[i]) && memcmp(c->s, ok[i], c->slen) == 0)
            return 0;
    return fail(c, "%s is not a boolean: expected true or false", SHOW(c));
}

static int check_decimal(const fx_field_schema *f, const chk *c)
{
    char qbuf[80];
    size_t nd = 0;
    long long ex = 0;
    int r = 0;
    if (c->v.type == FX_STRING)
        r = py_num(c->s, c->s + c->slen, 1, &nd, &ex);
    else if (c->v.type == FX_NUMBER)   /* checked as written: see the top */
        r = num_special(c->v) || (!num_is_int(c->v) && isinf(num_double(c->v))) ? 2 :
            py_num(c->v.text, c->v.text + c->v.len, 1, &nd, &ex);
    if (r == 0)
        return fail(c, "%s is not a decimal number", SHOW(c));
    if (r == 2)
        return fail(c, "%s is not allowed in a decimal column: expected a finite number",
                    SHOW(c));
    /* DecimalValidator */
    long long digits, decimals;
    if (ex >= 0) {
        digits = (long long)nd + ex;
        decimals = 0;
    } else {
        decimals = -ex;
        digits = decimals > (long long)nd ? decimals : (long long)nd;
    }
    int md = f->max_digits, dp = f->decimal_places;
    if (md >= 0 && digits > md)
        return fail(c, "ensure that there are no more than %d digit%s in total", md,
                    md == 1 ? "" : "s");
    if (dp >= 0 && decimals > dp)
        return fail(c, "ensure that there are no more than %d decimal place%s", dp,
                    dp == 1 ? "" : "s");
    if (md >= 0 && dp >= 0 && digits - decimals > md - dp)
        return fail(c, "ensure that there are no more than %d digit%s before the decimal "
                    "point", md - dp, md - dp == 1 ? "" : "s");
    return 0;
}

/* FloatField.to_python: float(value).  NaN and infinities pass (the caller
** warns); an int too large for a double makes float() raise. */
static int check_float(const chk *c)
{
    char qbuf[80];
    size_t nd;
    long long ex;
    if (c->v.type == FX_NUMBER) {
        if (num_is_int(c->v) && isinf(num_double(c->v)))
            return fail(c, "%s is too large for a float", SHOW(c));
        return 0;
    }
    if (c->v.type == FX_STRING && py_num(c->s, c->s + c->slen, 0, &nd, &ex))
        return 0;
    return fail(c, "%s is not a number", SHOW(c));
}

/* len(str(value)) of a JSON number as Python reads it. */
static size_t py_str_len(fx_value v)
{
    if (num_special(v))
        return v.text[0] == '-' ? 4 : 3;   /* nan inf -inf */
    if (num_is_int(v))
        return v.len == 2 && v.text[0] == '-' && v.text[1] == '0' ? 1 : v.len;
    double d = num_double(v);   /* repr(): shortest round trip */
    if (isinf(d))
        return d < 0 ? 4 : 3;
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    char *ep = strchr(buf, 'e');
    int decpt = atoi(ep + 1) + 1, neg = buf[0] == '-';
    size_t nd = 0;
    for (const char *p = buf; p < ep; p++)
        nd += isdig(*p);
    while (nd > 1 && ep[-1] == '0')
        ep--, nd--;
    if (decpt > -4 && decpt <= 16)
        return (size_t)neg + (decpt <= 0 ? 2 + (size_t)-decpt + nd :
                              (size_t)decpt < nd ? nd + 1 : (size_t)decpt + 2);
    int ax = abs(decpt - 1);
    return (size_t)neg + nd + (nd > 1) + 2 + (ax >= 100 ? 3 : 2);
}

/* CharField/TextField.to_python: str(value) for anything not a string. */
static int check_char(const fx_field_schema *f, fx_kind k, const chk *c)
{
    size_t len;
    switch (c->v.type) {
    case FX_STRING: len = count_chars(c->s, c->slen); break;
    case FX_NUMBER: len = py_str_len(c->v); break;
    case FX_TRUE: len = 4; break;    /* "True" */
    case FX_FALSE: len = 5; break;   /* "False" */
    default:
        return fail(c, "expected a string, got %s", c->v.type == FX_ARRAY ? "a list" :
                    "an object");
    }
    if (k == FX_K_CHAR && f->max_length >= 0 && len > (size_t)f->max_length)
        return fail(c, "ensure this value has at most %ld character%s (it has %zu)",
                    f->max_length, f->max_length == 1 ? "" : "s", len);
    return 0;
}

/* BinaryField.to_python: b64decode(value.encode('ascii')), which skips
** characters outside the alphabet and fails on a bad length. */
static int check_binary(const chk *c)
{
    if (c->v.type != FX_STRING)
        return fail(c, "expected a string of base64, as dumpdata writes binary data");
    size_t n = 0;
    for (size_t i = 0; i < c->slen; i++) {
        unsigned char ch = (unsigned char)c->s[i];
        if (ch >= 0x80)
            return fail(c, "not base64: binary data is written in ASCII base64");
        if (((ch | 32) >= 'a' && (ch | 32) <= 'z') || (ch >= '0' && ch <= '9') || ch == '+' || ch == '/')
            n++;
    }
    if (n % 4 == 1)
        return fail(c, "not base64: %zu data characters is not a length base64 has", n);
    return 0;
}

/* ---------------------------------------------------------------- dates */

/* Up to max ASCII digits (greedy), at least min; value in *val. */
static int digits(const char **pp, const char *e, int min, int max, long *val)
{
    const char *p = *pp;
    long v = 0;
    while (p < e && p - *pp < max && isdig(*p))
        v = v * 10 + (*p++ - '0');
    if (p - *pp < min)
        return 0;
    *pp = p;
    *val = v;
    return 1;
}

/* Python's $: the end, or before a final newline. */
static const char *dollar(const char *s, const char *e)
{
    return e > s && e[-1] == '\n' ? e - 1 : e;
}

static int valid_date(long y, long m, long d)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return 0;
    return !(m == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400)));
}

/* date_re without $: YYYY-M[M]-D[D]; 1 matched (*ok: a real date), the
** year, month and day in v[0..3) when v is not NULL. */
static int scan_date(const char **pp, const char *e, int *ok, long *v)
{
    long y, m, d;
    const char *p = *pp;
    if (!digits(&p, e, 4, 4, &y) || p >= e || *p++ != '-' || !digits(&p, e, 1, 2, &m) ||
        p >= e || *p++ != '-' || !digits(&p, e, 1, 2, &d))
        return 0;
    *ok = valid_date(y, m, d);
    *pp = p;
    if (v)
        v[0] = y, v[1] = m, v[2] = d;
    return 1;
}

/* time_re without $: H[H]:M[M][:S[S][[.,]f{1,12}]]; 1 matched, the hour,
** minute, second and microsecond (the first six digits, as Django takes
** them) in v[0..4) when v is not NULL. */
static int scan_time(const char **pp, const char *e, int *ok, long *v)
{
    long h, m, s = 0, us = 0, f;   /* any 1-12 digits make a valid microsecond */
    const char *p = *pp;
    if (!digits(&p, e, 1, 2, &h) || p >= e || *p++ != ':' || !digits(&p, e, 1, 2, &m))
        return 0;
    const char *q = p;
    if (q < e && *q++ == ':' && digits(&q, e, 1, 2, &s)) {
        p = q;
        if (q < e && (*q == '.' || *q == ',')) {
            const char *r = q + 1;
            if (digits(&r, e, 1, 6, &us)) {
                for (long k = r - q - 1; k < 6; k++)
                    us *= 10;
                digits(&r, e, 0, 6, &f);
                p = r;
            }
        }
    }
    *ok = h <= 23 && m <= 59 && s <= 59;
    *pp = p;
    if (v)
        v[0] = h, v[1] = m, v[2] = s, v[3] = us;
    return 1;
}

static int check_date(const chk *c)
{
    char qbuf[80];
    int ok = 0;
    if (c->v.type == FX_STRING) {
        const char *p = c->s, *e = dollar(c->s, c->s + c->slen);
        if (scan_date(&p, e, &ok, NULL) && p == e && ok)
            return 0;
    }
    return fail(c, "%s is not a valid date: expected YYYY-MM-DD", SHOW(c));
}

/* A datetime as DateTimeField.to_python() reads it. */
typedef struct dtime {
    long v[7];          /* year, month, day, hour, minute, second, microsecond */
    int tz;             /* an offset was given */
    long offset;        /* minutes east of UTC */
} dtime;

/* datetime_re, else date_re (midnight, no offset), on s[0..n): 1 a valid
** datetime in *t, 0 no match, -1 a date alone that is no real date. */
static int parse_datetime(const char *s, size_t n, dtime *t)
{
    int ok = 0, tok = 0;
    const char *p = s, *e = dollar(s, s + n);
    memset(t, 0, sizeof *t);
    if (!scan_date(&p, e, &ok, t->v))
        return 0;
    if (p == e)
        return ok ? 1 : -1;
    long th, tm = 0;
    if ((*p == 'T' || *p == ' ') && (p++, scan_time(&p, e, &tok, t->v + 3))) {
        const char *q = p + 1;   /* (Z|[+-]\d{2}(:?\d{2})?)? */
        if (p < e && *p == 'Z') {
            p = q;
            t->tz = 1;
        } else if (p < e && (*p == '+' || *p == '-') && digits(&q, e, 2, 2, &th)) {
            int neg = *p == '-';
            p = q;
            q += q < e && *q == ':';
            if (digits(&q, e, 2, 2, &tm))
                p = q;
            tok &= th * 60 + tm < 24 * 60;
            t->tz = 1;
            t->offset = (neg ? -1 : 1) * (th * 60 + tm);
        }
        if (p == e && ok && tok)
            return 1;
    }
    return 0;
}

/* DateTimeField.to_python: datetime_re, else date_re. */
static int check_datetime(const chk *c)
{
    char qbuf[80];
    dtime t;
    int r = c->v.type == FX_STRING ? parse_datetime(c->s, c->slen, &t) : 0;
    if (r == 1)
        return 0;
    if (r == -1)
        return fail(c, "%s is not a valid date: expected YYYY-MM-DD", SHOW(c));
    return fail(c, "%s is not a valid datetime: expected YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ]",
                SHOW(c));
}

/* TimeField.to_python: time_re.match(), which has no $: what follows a
** valid time is ignored, as Django does. */
static int check_time(const chk *c)
{
    char qbuf[80];
    int ok = 0;
    if (c->v.type == FX_STRING) {
        const char *p = c->s;
        if (scan_time(&p, c->s + c->slen, &ok, NULL) && ok)
            return 0;
    }
    return fail(c, "%s is not a valid time: expected HH:MM[:ss[.uuuuuu]]", SHOW(c));
}

/* ---------------------------------------------------------------- durations */

/* \d+ as a number (inf when huge); 0 if no digit. */
static int dnum(const char **pp, const char *e, long double *v)
{
    const char *p = *pp;
    *v = 0;
    while (p < e && isdig(*p))
        *v = *v * 10 + (*p++ - '0');
    if (p == *pp)
        return 0;
    *pp = p;
    return 1;
}

/* A fraction of a second: one of seps, then 1 to max digits (the first six
** count).  Standard form [.,]\d{1,6}\d{0,6}, postgres \.\d{1,6}. */
static int frac(const char **pp, const char *e, const char *seps, int max, long double *v)
{
    const char *p = *pp;
    long double scale = 1;
    *v = 0;
    if (p >= e || !strchr(seps, *p) || !*p)
        return 0;
    for (p++; p < e && isdig(*p) && p - *pp <= max; p++)
        if (p - *pp <= 6)
            *v += (*p - '0') / (scale *= 10);
    if (p - *pp < 2)
        return 0;
    *pp = p;
    return 1;
}

/* standard_duration_re after the days: -?(\d+:)?(\d+:)?\d+([.,]f)?$ */
static int dur_std_rest(const char *p, const char *e, long double *sec)
{
    int neg = p < e && *p == '-';
    long double g[3], f = 0, t = 0;
    int n = 0;
    p += neg;
    while (n < 3 && dnum(&p, e, &g[n])) {
        n++;
        if (p >= e || *p != ':')
            break;
        p++;
    }
    if (n == 0 || p[-1] == ':' || (p < e && !frac(&p, e, ".,", 12, &f)) || p != e)
        return 0;
    for (int i = 0; i < n; i++)
        t = t * 60 + g[i];
    *sec = (neg ? -1 : 1) * (t + f);
    return 1;
}

/* -?\d+ followed by a space: the days of the standard and postgres forms. */
static const char *dur_days(const char *p, const char *e, long double *days)
{
    int neg = p < e && *p == '-';
    p += neg;
    if (!dnum(&p, e, days) || p >= e || *p != ' ')
        return NULL;
    *days = neg ? -*days : *days;
    return p + 1;
}

static int pfx(const char **pp, const char *e, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(e - *pp) < n || memcmp(*pp, w, n) != 0)
        return 0;
    *pp += n;
    return 1;
}

/* iso8601_duration_re's number \d+(.\d+)? (. is any character) and its
** unit letter.  longer: the form with the separator, which re tries first.
** *bad when float() would refuse the number. */
static const char *iso_num(const char *p, const char *e, char unit, int longer,
                           long double *v, int *bad)
{
    long double a, b;
    if (!dnum(&p, e, &a))
        return NULL;
    *v = a;
    if (longer) {
        int len;
        if (p >= e || *p == '\n')
            return NULL;
        char sep = *p;
        fx__utf8_at(p, e, &len);
        const char *q = p += len;
        if (!dnum(&p, e, &b))
            return NULL;
        long double scale = powl(10, (long double)(p - q));
        if (sep == '.' || sep == ',')
            *v = a + b / scale;
        else if (sep == 'e' || sep == 'E')
            *v = a * powl(10, b);
        else if (sep == '_')
            *v = a * scale + b;
        else
            *bad = 1;
    }
    return p < e && *p == unit ? p + 1 : NULL;
}

/* The rest of the ISO form from unit u: 0 D, 1 the T group, 2 H, 3 M, 4 S,
** 5 the end; each unit tried as re does (longer number, shorter, none).
** Adds the seconds of the first match to *acc. */
static int iso_units(const char *p, const char *e, int u, long double *acc, int *bad)
{
    static const char units[] = "D-HMS";
    static const long double secs[] = {86400, 0, 3600, 60, 1};
    if (u == 1)
        return (p < e && *p == 'T' && iso_units(p + 1, e, 2, acc, bad)) || p == e;
    if (u == 5)
        return p == e;
    for (int opt = 0; opt < 3; opt++) {
        long double v = 0;
        int b = 0;
        const char *q = opt == 2 ? p : iso_num(p, e, units[u], opt == 0, &v, &b);
        if (q && iso_units(q, e, u + 1, acc, bad)) {
            *acc += v * secs[u];
            *bad |= b;
            return 1;
        }
    }
    return 0;
}

/* parse_duration(): 0 no match, 1 a timedelta (its length in seconds in
** *total when not NULL), 2 matched but Django fails (float() refuses the
** number, or the timedelta overflows). */
static int parse_duration(const char *s, size_t n, long double *total)
{
    const char *e = dollar(s, s + n), *p;
    long double days = 0, sec = 0, lim = 1e9L * 86400;
    int bad = 0, m = 0;
    /* standard: ((-?\d+) (days?, )?)? rest */
    if ((p = dur_days(s, e, &days)) &&
        (pfx(&p, e, "days, ") || pfx(&p, e, "day, ") || 1) && dur_std_rest(p, e, &sec))
        m = 1;
    else if ((days = 0, dur_std_rest(s, e, &sec)))
        m = 1;
    /* ISO 8601: [-+]?P(nD)?(T(nH)?(nM)?(nS)?)? */
    if (!m) {
        p = s + (s < e && (*s == '-' || *s == '+'));
        if (p < e && *p == 'P' && iso_units(p + 1, e, 0, &sec, &bad)) {
            m = 1;
            sec = *s == '-' ? -sec : sec;
            days = 0;
        }
    }
    /* postgres: ((-?\d+) (days? ?))?([-+]?\d+:\d\d:\d\d(\.\d{1,6})?)?$ */
    for (int with_days = 1; !m && with_days >= 0; with_days--) {
        days = 0;
        p = s;
        if (with_days && (!(p = dur_days(s, e, &days)) || !pfx(&p, e, "day")))
            continue;
        if (with_days) {
            pfx(&p, e, "s");
            pfx(&p, e, " ");
        }
        if (p == e) {
            m = 1;
            break;
        }
        int neg = *p == '-';
        long double h, mi, se, f = 0;
        p += *p == '-' || *p == '+';
        const char *q;
        if (dnum(&p, e, &h) && pfx(&p, e, ":") && (q = p, dnum(&p, e, &mi)) && p - q == 2 &&
            pfx(&p, e, ":") && (q = p, dnum(&p, e, &se)) && p - q == 2 &&
            (p == e || frac(&p, e, ".", 6, &f)) && p == e) {
            sec = (neg ? -1 : 1) * (h * 3600 + mi * 60 + se + f);
            m = 1;
        }
    }
    if (!m)
        return 0;
    /* timedelta(days) + sign * timedelta(hours=..., ...), each within
    ** +-999999999 days (the sum counted in whole days, then seconds) */
    long double t = days + floorl(sec / 86400);
    if (bad || fabsl(days) > 999999999 || !(fabsl(sec) < lim) || t < -999999999 ||
        t > 999999999)
        return 2;
    if (total)
        *total = days * 86400 + sec;
    return 1;
}

/* DurationField.to_python: parse_duration() of a string (an int makes it
** raise TypeError: an alt_kind bigint takes those). */
static int check_duration(const chk *c)
{
    char qbuf[80];
    int r = c->v.type == FX_STRING ? parse_duration(c->s, c->slen, NULL) : 0;
    if (r == 1)
        return 0;
    if (r == 2 && c->v.type == FX_STRING)
        return fail(c, "%s is not a valid duration: a number is malformed or out of range "
                    "(at most 999999999 days)", SHOW(c));
    return fail(c, "%s is not a valid duration: expected [DD] [[HH:]MM:]ss[.uuuuuu]", SHOW(c));
}

/* ---------------------------------------------------------------- uuid */

/* Copy s[0..e) to t dropping every occurrence of pat; returns the end. */
static char *drop_all(char *t, const char *s, const char *e, const char *pat)
{
    size_t n = strlen(pat);
    while (s < e) {
        if ((size_t)(e - s) >= n && memcmp(s, pat, n) == 0)
            s += n;
        else
            *t++ = *s++;
    }
    return t;
}

/* UUIDField.to_python: uuid.UUID(int=value) or uuid.UUID(hex=value). */
static int check_uuid(const chk *c)
{
    char qbuf[80];
    bignum b;
    if (c->v.type == FX_NUMBER && num_is_int(c->v) &&
        py_int(c->v.text, c->v.text + c->v.len, 10, &b) && !(b.neg && b.ndig) &&
        !big_gt(&b, "340282366920938463463374607431768211455"))
        return 0;
    if (c->v.type == FX_STRING) {
        char *t = malloc(c->slen + 1), *u;
        if (!t)
            return fail(c, "out of memory");
        /* .replace('urn:', '').replace('uuid:', '').strip('{}').replace('-', '') */
        u = drop_all(t, c->s, c->s + c->slen, "urn:");
        u = drop_all(t, t, u, "uuid:");
        const char *p = t;
        while (p < u && (*p == '{' || *p == '}'))
            p++;
        while (u > p && (u[-1] == '{' || u[-1] == '}'))
            u--;
        u = drop_all(t, p, u, "-");
        int ok = count_chars(t, (size_t)(u - t)) == 32 && py_int(t, u, 16, &b) && !b.neg;
        free(t);
        if (ok)
            return 0;
    }
    return fail(c, "%s is not a valid uuid: expected 32 hex digits, with or without dashes",
                SHOW(c));
}

/* ---------------------------------------------------------------- relations */

static int check_kind(const fx_field_schema *f, fx_kind k, const fx_schema *s,
                      const chk *c, int depth);

/* Length of m's natural key with the natural keys of fk members flattened
** in, as natural_key() methods build them (Permission: codename + the
** content type's app_label and model). */
static size_t nk_flat(const fx_schema *s, const fx_model_schema *m, int depth)
{
    size_t n = 0;
    for (size_t i = 0; i < m->natural_key.n; i++) {
        const fx_field_schema *f = fx_model_field(m, m->natural_key.names[i]);
        const fx_model_schema *t = f && (f->kind == FX_K_FK || f->kind == FX_K_O2O) ?
                                   fx_schema_model(s, f->to) : NULL;
        n += t && t->natural_key.n && depth < MAX_DEPTH ? nk_flat(s, t, depth + 1) : 1;
    }
    return n;
}

size_t fx__natural_len(const fx_schema *s, const fx_model_schema *m)
{
    return nk_flat(s, m, 0);
}

/* One reference to model `to` (an fk value or an m2m member). */
static int check_ref(const char *to, const char *to_field, const fx_schema *s,
                     const chk *c, int depth)
{
    const fx_model_schema *m = fx_schema_model(s, to);
    if (c->v.type == FX_OBJECT)
        return fail(c, "an object is not a reference to '%s': expected its pk or a natural "
                    "key list", to);
    if (c->v.type == FX_NULL)
        return fail(c, "null is not a reference to '%s'", to);
    if (c->v.type == FX_ARRAY) {
        if (m && m->natural_key.n == 0)
            return fail(c, "natural key given but '%s' has no natural key in the schema", to);
        fx_iter it;
        fx_value item;
        size_t n = 0;
        fx_iter_init(&it, c->v);
        while (fx_iter_next(&it, NULL, &item)) {
            n++;
            if (item.type == FX_ARRAY || item.type == FX_OBJECT)
                return fail(c, "natural key of '%s': item %zu is %s, expected a string or "
                            "number", to, n, item.type == FX_ARRAY ? "a list" : "an object");
        }
        if (m && n != m->natural_key.n && n != nk_flat(s, m, 0))
            return fail(c, "natural key of '%s' has %zu value%s, got %zu", to,
                        m->natural_key.n, m->natural_key.n == 1 ? "" : "s", n);
        return 0;
    }
    if (!m)
        return 0;
    const char *name = to_field ? to_field : m->pk_name;
    fx_field_schema pk = {.name = m->pk_name, .kind = m->pk_kind, .max_length = -1,
                          .max_digits = -1, .decimal_places = -1};
    const fx_field_schema *tf = fx_model_field(m, name);
    if (!tf && (!name || !m->pk_name || strcmp(name, m->pk_name) == 0))
        tf = &pk;
    if (!tf || tf->kind == FX_K_M2M)
        return 0;   /* unknown target field: nothing to check against */
    if (tf->kind == FX_K_FK || tf->kind == FX_K_O2O) {
        if (depth >= MAX_DEPTH)
            return 0;
        return check_ref(tf->to, tf->to_field, s, c, depth + 1);
    }
    char sub[512];
    chk c2 = *c, c3 = *c;
    c2.msg = sub;
    c2.n = sizeof sub;
    c3.msg = NULL;
    c3.n = 0;
    if (!check_kind(tf, tf->kind, s, &c2, depth + 1) ||
        (tf->alt_kind && !check_kind(tf, tf->alt_kind, s, &c3, depth + 1)))
        return 0;
    if (to_field)
        return fail(c, "%s (field '%s' of '%s')", sub, to_field, to);
    return fail(c, "%s (the pk of '%s')", sub, to);
}

/* ManyToManyField: a list of references. */
static int check_m2m(const fx_field_schema *f, const fx_schema *s, const chk *c, int depth)
{
    static const char *const what[] = {"null", "false", "true", "a number", "a string",
                                       "a list", "an object"};
    const char *to = f->to ? f->to : "?";
    if (c->v.type != FX_ARRAY)
        return fail(c, "expected a list of references to '%s', got %s", to, what[c->v.type]);
    fx_iter it;
    fx_value item;
    size_t i = 0;
    fx_iter_init(&it, c->v);
    while (fx_iter_next(&it, NULL, &item)) {
        fx_buf b = FX_BUF_INIT;
        char sub[512];
        chk c2 = {item, NULL, 0, sub, sizeof sub};
        i++;
        if (item.type == FX_STRING) {
            if (fx_value_str(&b, item))
                return fail(c, "out of memory");
            c2.s = b.data;
            c2.slen = b.len;
        }
        int r = check_ref(to, NULL, s, &c2, depth);
        fx_buf_free(&b);
        if (r)
            return fail(c, "item %zu: %s", i, sub);
    }
    return 0;
}

static int check_kind(const fx_field_schema *f, fx_kind k, const fx_schema *s,
                      const chk *c, int depth)
{
    switch (k) {
    case FX_K_CHAR: case FX_K_TEXT: return check_char(f, k, c);
    case FX_K_BINARY: return check_binary(c);
    case FX_K_INT: case FX_K_SMALLINT: case FX_K_BIGINT: return check_int(f, k, c);
    case FX_K_BOOL: return check_bool(f, c);
    case FX_K_DECIMAL: return check_decimal(f, c);
    case FX_K_FLOAT: return check_float(c);
    case FX_K_DATE: return check_date(c);
    case FX_K_DATETIME: return check_datetime(c);
    case FX_K_TIME: return check_time(c);
    case FX_K_DURATION: return check_duration(c);
    case FX_K_UUID: return check_uuid(c);
    case FX_K_FK: case FX_K_O2O: return check_ref(f->to ? f->to : "?", f->to_field, s, c, depth);
    case FX_K_M2M: return check_m2m(f, s, c, depth);
    default: return 0;   /* json, unknown: anything */
    }
}

int fx_check_value(const fx_field_schema *f, const fx_schema *s, fx_value v,
                   char *msg, size_t n)
{
    chk c = {v, NULL, 0, msg, n};
    if (msg && n)
        msg[0] = '\0';
    if (!f)
        return 0;
    if (v.type == FX_NULL) {
        if (f->kind == FX_K_M2M)
            return fail(&c, "null is not allowed: a many-to-many field takes a list");
        return f->null ? 0 : fail(&c, "null is not allowed: this field is NOT NULL");
    }
    fx_buf b = FX_BUF_INIT;
    if (v.type == FX_STRING) {
        if (fx_value_str(&b, v))
            return fail(&c, "out of memory");
        c.s = b.data;
        c.slen = b.len;
    }
    int r = check_kind(f, f->kind, s, &c, 0);
    if (r && f->alt_kind && f->alt_kind != f->kind) {
        chk c2 = c;
        c2.msg = NULL;
        c2.n = 0;
        if (check_kind(f, f->alt_kind, s, &c2, 0) == 0) {
            r = 0;
            if (msg && n)
                msg[0] = '\0';
        }
    }
    fx_buf_free(&b);
    return r;
}

/* ---------------------------------------------------------------- sameness
**
** Two values are the same for a field when to_python() makes them equal:
** each value that fits the kind is reduced to a key (tagged with the kind)
** and the keys are compared.  A datetime with an offset is an instant;
** one without stays a local time (Django would put it in the project's time
** zone, which the schema does not know). */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static long long days_from_civil(long y, long m, long d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (long long)era * 146097 + doe - 719468;
}

/* A decimal number's value in s[0..e) (Decimal() syntax, checked already):
** sign, significant digits, exponent: "1.50" and "15e-1" both "15e-1". */
static int decimal_key(fx_buf *out, const char *s, const char *e)
{
    py_strip(&s, &e, 1);
    int neg = s < e && *s == '-';
    s += s < e && (*s == '-' || *s == '+');
    fx_buf d = FX_BUF_INIT;
    long long exp = 0, x = 0;
    int frac = 0, rc = 0;
    for (; s < e && (isdig(*s) || *s == '.' || *s == '_'); s++) {
        if (*s == '.')
            frac = 1;
        else if (*s != '_') {
            if (fx_buf_addc(&d, *s) < 0)
                rc = FX_ENOMEM;
            exp -= frac;
        }
    }
    if (s < e && (*s | 0x20) == 'e') {
        int xneg = 0;
        s++;
        if (s < e && (*s == '+' || *s == '-'))
            xneg = *s++ == '-';
        for (; s < e; s++)
            if (isdig(*s) && x < 1000000000000000LL)
                x = x * 10 + (*s - '0');
        exp += xneg ? -x : x;
    }
    const char *p = d.data ? d.data : "", *q = p + d.len;
    while (p < q && *p == '0')
        p++;
    while (q > p && q[-1] == '0')
        q--, exp++;
    if (rc == 0)
        rc = p == q ? fx_buf_adds(out, "0") :
             fx_buf_printf(out, "%s%.*se%lld", neg ? "-" : "", (int)(q - p), p, exp);
    fx_buf_free(&d);
    return rc;
}

/* A uuid's 32 hex digits, lower-cased, from a string UUID() takes (as
** check_uuid reads it). */
static int uuid_key(fx_buf *out, const char *s, size_t n)
{
    char *t = malloc(n + 1), *u;
    if (!t)
        return FX_ENOMEM;
    u = drop_all(t, s, s + n, "urn:");
    u = drop_all(t, t, u, "uuid:");
    int rc = 0;
    for (const char *p = t; p < u && rc == 0; p++)
        if (*p != '{' && *p != '}' && *p != '-')
            rc = fx_buf_addc(out, (char)(isdig(*p) ? *p : *p | 0x20));
    free(t);
    return rc;
}

static int key_kind(fx_buf *out, const fx_field_schema *f, fx_kind k, const fx_schema *s,
                    const chk *c, int depth);

/* The key of a reference: by the target field's kind, as check_ref finds
** it; a natural key by its canonical form. */
static int key_ref(fx_buf *out, const char *to, const char *to_field, const fx_schema *s,
                   const chk *c, int depth)
{
    const fx_model_schema *m = fx_schema_model(s, to);
    if (c->v.type == FX_ARRAY || !m || depth >= MAX_DEPTH)
        return fx_value_canon(out, c->v) < 0 ? FX_ENOMEM : 0;
    const char *name = to_field ? to_field : m->pk_name;
    fx_field_schema pk = {.name = m->pk_name, .kind = m->pk_kind, .max_length = -1,
                          .max_digits = -1, .decimal_places = -1};
    const fx_field_schema *tf = fx_model_field(m, name);
    if (!tf && (!name || !m->pk_name || strcmp(name, m->pk_name) == 0))
        tf = &pk;
    if (!tf || tf->kind == FX_K_M2M)
        return fx_value_canon(out, c->v) < 0 ? FX_ENOMEM : 0;
    if (tf->kind == FX_K_FK || tf->kind == FX_K_O2O)
        return key_ref(out, tf->to, tf->to_field, s, c, depth + 1);
    int r = key_kind(out, tf, tf->kind, s, c, depth + 1);
    if (r == 1 && tf->alt_kind)
        r = key_kind(out, tf, tf->alt_kind, s, c, depth + 1);
    return r;
}

/* Append the key of c's value in kind k: 0, 1 when the value does not fit
** the kind (nothing appended), or FX_ENOMEM. */
static int key_kind(fx_buf *out, const fx_field_schema *f, fx_kind k, const fx_schema *s,
                    const chk *c, int depth)
{
    chk q = *c;
    q.msg = NULL;
    q.n = 0;
    if (c->v.type == FX_NULL)
        return fx_buf_adds(out, "null");
    if (k != FX_K_FK && k != FX_K_O2O && check_kind(f, k, s, &q, depth))
        return 1;
    const char *t = c->v.type == FX_STRING ? c->s : c->v.text;
    size_t n = c->v.type == FX_STRING ? c->slen : c->v.len;
    if (fx_buf_printf(out, "%d:", (int)k) < 0)
        return FX_ENOMEM;
    switch (k) {
    case FX_K_CHAR: case FX_K_TEXT:
        if (c->v.type == FX_TRUE || c->v.type == FX_FALSE)
            return fx_buf_adds(out, c->v.type == FX_TRUE ? "True" : "False");
        return fx_buf_add(out, t, n);
    case FX_K_INT: case FX_K_SMALLINT: case FX_K_BIGINT: {
        bignum b;
        if (c->v.type == FX_NUMBER && !num_is_int(c->v))
            return fx_buf_printf(out, "%.0f", num_double(c->v));
        py_int(t, t + n, 10, &b);
        if (b.ndig == 0)
            return fx_buf_adds(out, "0");
        return fx_buf_printf(out, "%s%.*s", b.neg ? "-" : "", (int)b.ndig, b.d);
    }
    case FX_K_BOOL:
        if (c->v.type == FX_TRUE || c->v.type == FX_FALSE)
            return fx_buf_adds(out, c->v.type == FX_TRUE ? "1" : "0");
        if (c->v.type == FX_NUMBER)
            return fx_buf_adds(out, num_double(c->v) == 1 ? "1" : "0");
        if (n == 0)
            return fx_buf_adds(out, "null");     /* an empty value, null=True */
        return fx_buf_adds(out, (n == 1 && *t == 't') || (n == 4 && memcmp(t, "True", 4) == 0) ||
                                (n == 1 && *t == '1') ? "1" : "0");
    case FX_K_DECIMAL:
        return decimal_key(out, t, t + n);
    case FX_K_FLOAT: {
        char tmp[128];
        size_t j = 0;
        const char *p = t, *e = t + n;
        py_strip(&p, &e, 0);
        for (; p < e && j + 1 < sizeof tmp; p++)
            if (*p != '_')
                tmp[j++] = *p;
        tmp[j] = '\0';
        double d = strtod(tmp, NULL);
        if (isnan(d))
            return fx_buf_adds(out, "nan");
        return fx_buf_printf(out, "%a", d == 0 ? 0.0 : d);
    }
    case FX_K_DATE: {
        long v[3];
        int ok;
        const char *p = t;
        scan_date(&p, t + n, &ok, v);
        return fx_buf_printf(out, "%04ld-%02ld-%02ld", v[0], v[1], v[2]);
    }
    case FX_K_DATETIME: {
        dtime d;
        parse_datetime(t, n, &d);
        if (!d.tz)
            return fx_buf_printf(out, "%04ld-%02ld-%02ld %02ld:%02ld:%02ld.%06ld", d.v[0],
                                 d.v[1], d.v[2], d.v[3], d.v[4], d.v[5], d.v[6]);
        long long sec = days_from_civil(d.v[0], d.v[1], d.v[2]) * 86400 +
                        d.v[3] * 3600 + d.v[4] * 60 + d.v[5] - d.offset * 60;
        return fx_buf_printf(out, "@%lld.%06ld", sec, d.v[6]);
    }
    case FX_K_TIME: {
        long v[4];
        int ok;
        const char *p = t;
        scan_time(&p, t + n, &ok, v);
        return fx_buf_printf(out, "%02ld:%02ld:%02ld.%06ld", v[0], v[1], v[2], v[3]);
    }
    case FX_K_DURATION: {
        long double sec = 0;
        parse_duration(t, n, &sec);
        return fx_buf_printf(out, "%lld", (long long)llroundl(sec * 1e6L));
    }
    case FX_K_UUID:
        if (c->v.type == FX_NUMBER) {   /* UUID(int=...): 32 hex digits */
            unsigned __int128 u = 0;
            for (size_t i = 0; i < n; i++)
                u = u * 10 + (unsigned)(t[i] - '0');
            return fx_buf_printf(out, "%016llx%016llx", (unsigned long long)(u >> 64),
                                 (unsigned long long)u);
        }
        return uuid_key(out, t, n);
    case FX_K_FK: case FX_K_O2O:
        return key_ref(out, f->to ? f->to : "?", f->to_field, s, c, depth);
    default:                              /* json, m2m, unknown: the structure */
        return fx_value_canon(out, c->v) < 0 ? FX_ENOMEM : 0;
    }
}

int fx__value_key(fx_buf *out, const fx_field_schema *f, const fx_schema *s, fx_value v,
                  int alt)
{
    fx_kind k = alt ? f->alt_kind : f->kind;
    if (!k)
        return 1;
    chk c = {v, NULL, 0, NULL, 0};
    fx_buf b = FX_BUF_INIT;
    if (v.type == FX_STRING) {
        if (fx_value_str(&b, v))
            return FX_ENOMEM;
        c.s = b.data ? b.data : "";
        c.slen = b.len;
    }
    size_t len = out->len;
    int r = key_kind(out, f, k, s, &c, 0);
    if (r == 1 && out->data)
        out->data[out->len = len] = '\0';
    fx_buf_free(&b);
    return r < 0 ? FX_ENOMEM : r;
}

int fx_value_same(const fx_field_schema *f, const fx_schema *s, fx_value a, fx_value b)
{
    if (!f || !a.text || !b.text || a.type == FX_NULL || b.type == FX_NULL ||
        f->kind == FX_K_M2M)
        return fx_value_equal(a, b);
    fx_buf ka = FX_BUF_INIT, kb = FX_BUF_INIT;
    int same = -1;
    for (int alt = 0; alt < 2 && same < 0; alt++) {
        fx_buf_reset(&ka);
        fx_buf_reset(&kb);
        if (fx__value_key(&ka, f, s, a, alt) == 0 && fx__value_key(&kb, f, s, b, alt) == 0)
            same = ka.len == kb.len && memcmp(ka.data, kb.data, ka.len) == 0;
    }
    fx_buf_free(&ka);
    fx_buf_free(&kb);
    return same < 0 ? fx_value_equal(a, b) : same;
}
