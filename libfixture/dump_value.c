/*
** dump_value.c: a value read from the database, written as Django 3.2's
** serializer writes it.  Each case follows two steps of Django: what its
** backend makes of the stored value (django/db/backends/sqlite3/
** operations.py converters and the sqlite3 module's declared-type
** converters; psycopg2's typecasters on PostgreSQL), then how
** core/serializers/python.py hands it to the encoder: protected types
** (None, numbers, Decimal, dates) as they are, through DjangoJSONEncoder
** (core/serializers/json.py), the others through the field's
** value_to_string().  ../shared/dumpdata-rules.md section 5 lists each
** rule with an example.
*/
#include "dump_int.h"

#include <ctype.h>
#include <math.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#define TRY(x) do { if ((x) < 0) return FX_ENOMEM; } while (0)

static int fail(char *msg, size_t n, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int fail(char *msg, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (msg && n)
        vsnprintf(msg, n, fmt, ap);
    va_end(ap);
    return 1;
}

int fx__cell_eq(const fx__cell *a, const fx__cell *b)
{
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case FX__C_NULL: return 1;
    case FX__C_INT: return a->i == b->i;
    case FX__C_REAL: return a->d == b->d;
    default: return a->n == b->n && memcmp(a->s, b->s, a->n) == 0;
    }
}

/* The cell's text as the sqlite3 module hands it to a converter
** (sqlite3_column_text: integers and reals printed by SQLite). */
static const char *cell_text(const fx__cell *c, char *buf, size_t n)
{
    if (c->type == FX__C_INT)
        snprintf(buf, n, "%" PRId64, c->i);
    else if (c->type == FX__C_REAL) {
        snprintf(buf, n, "%.15g", c->d);
        if (!strpbrk(buf, ".eni"))
            strncat(buf, ".0", n - strlen(buf) - 1);   /* SQLite writes 1.0 */
    }
    else if (c->type == FX__C_TEXT || c->type == FX__C_BLOB)
        return c->s;
    else
        buf[0] = '\0';
    return buf;
}

/* v in decimal into the end of b[0..24); returns where it starts. */
static char *fmt_int(char *end, int64_t v)
{
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char *p = end;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    return p;
}

static int put_int(fx__emit *e, int64_t v)
{
    char b[24], *p = fmt_int(b + sizeof b, v);
    return fx_buf_add(e->b, p, (size_t)(b + sizeof b - p));
}

/* w digits of v (v < 10^w) at p. */
static char *digits(char *p, int v, int w)
{
    for (int i = w - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + w;
}

static int put_quoted(fx__emit *e, const char *s, size_t n)
{
    return fx__emit_str(e, s, n);
}

static int base64(fx__emit *e, const unsigned char *p, size_t n)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    TRY(fx_buf_grow(e->b, (n + 2) / 3 * 4 + 2));
    char *o = e->b->data + e->b->len;
    *o++ = '"';
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        *o++ = a[v >> 18];
        *o++ = a[(v >> 12) & 63];
        *o++ = a[(v >> 6) & 63];
        *o++ = a[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);
        *o++ = a[v >> 18];
        *o++ = a[(v >> 12) & 63];
        *o++ = i + 1 < n ? a[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    *o++ = '"';
    e->b->len = (size_t)(o - e->b->data);
    *o = '\0';
    return 0;
}

/* A value with no converter, as the sqlite3 module returns it: int, float,
** str, or bytes (written as base64, what BinaryField would write). */
static int raw(fx__emit *e, const fx__cell *c)
{
    switch (c->type) {
    case FX__C_NULL: return fx_buf_add(e->b, "null", 4);
    case FX__C_INT: return put_int(e, c->i);
    case FX__C_REAL: return fx__emit_float(e, c->d);
    case FX__C_TEXT: return put_quoted(e, c->s, c->n);
    case FX__C_BLOB: return base64(e, (const unsigned char *)c->s, c->n);
    }
    return 0;
}

/* ---------------------------------------------------------------- decimals */

/* A decimal as Python's Decimal holds it: sign, coefficient digits
** (no leading zeros but "0" itself), exponent. */
typedef struct dec {
    int neg, nan;
    char d[800];
    int nd;
    long exp;
} dec;

static void dec_trim(dec *x)
{
    int z = 0;
    while (z < x->nd - 1 && x->d[z] == '0')
        z++;
    memmove(x->d, x->d + z, (size_t)(x->nd - z));
    x->nd -= z;
    if (x->nd == 0) {
        x->d[0] = '0';
        x->nd = 1;
    }
}

/* Drop the last k digits, rounding half to even (Python's default). */
static void dec_round(dec *x, int k)
{
    if (k <= 0)
        return;
    int keep = x->nd - k;
    int up = 0;
    if (keep < 0) {
        up = 0;                      /* less than half of the last place */
    } else {
        char first = x->d[keep];
        int rest = 0;
        for (int i = keep + 1; i < x->nd; i++)
            rest |= x->d[i] != '0';
        int odd = keep > 0 && (x->d[keep - 1] - '0') % 2;
        up = first > '5' || (first == '5' && (rest || odd));
    }
    x->exp += k;
    if (keep <= 0) {
        x->d[0] = up ? '1' : '0';
        x->nd = 1;
        return;
    }
    x->nd = keep;
    for (int i = keep - 1; up && i >= 0; i--) {
        if (x->d[i] == '9') {
            x->d[i] = '0';
        } else {
            x->d[i]++;
            up = 0;
        }
    }
    if (up) {                        /* 999 -> 1000: one digit more */
        memmove(x->d + 1, x->d, (size_t)x->nd);
        x->d[0] = '1';
        x->nd++;
    }
}

/* Decimal.quantize(Decimal(1).scaleb(-places)): the exponent becomes -places. */
static void dec_quantize(dec *x, int places)
{
    long want = -(long)places;
    if (x->exp > want) {
        long add = x->exp - want;
        if (x->nd + add >= (long)sizeof x->d)
            add = (long)sizeof x->d - x->nd - 1;
        memset(x->d + x->nd, '0', (size_t)add);
        x->nd += (int)add;
        x->exp = want;
    } else if (x->exp < want) {
        long drop = want - x->exp;
        dec_round(x, drop > x->nd + 1 ? x->nd + 1 : (int)drop);
        x->exp = want;
    }
    dec_trim(x);
}

/* Parse decimal text ("-12.50", "1E+2", "NaN") into x; 0, or -1. */
static int dec_parse(dec *x, const char *s)
{
    memset(x, 0, sizeof *x);
    while (*s == ' ')
        s++;
    if (*s == '-' || *s == '+')
        x->neg = *s++ == '-';
    if (!strncasecmp(s, "nan", 3)) {
        x->nan = 1;
        return 0;
    }
    int seen = 0, frac = 0;
    for (; *s; s++) {
        if (*s >= '0' && *s <= '9') {
            if (x->nd < (int)sizeof x->d - 1) {
                x->d[x->nd++] = *s;
                if (frac)
                    x->exp--;
            } else if (!frac) {
                x->exp++;                /* past 799 digits: kept as zeros */
            }
            seen = 1;
        } else if (*s == '.' && !frac) {
            frac = 1;
        } else {
            break;
        }
    }
    if (*s == 'e' || *s == 'E')
        x->exp += strtol(s + 1, (char **)&s, 10);
    while (*s == ' ')
        s++;
    if (!seen || *s)
        return -1;
    dec_trim(x);
    return 0;
}

/* Context(prec=15).create_decimal_from_float(v) of a double. */
static void dec_from_double(dec *x, double v)
{
    char b[40];
    memset(x, 0, sizeof *x);
    snprintf(b, sizeof b, "%.14e", v);   /* exact value, rounded half-even: 15 digits */
    const char *p = b;
    if (*p == '-') {
        x->neg = 1;
        p++;
    }
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            x->d[x->nd++] = *p;
    x->exp = strtol(p + 1, NULL, 10) - (x->nd - 1);
    dec_trim(x);
}

/* str(Decimal) (Decimal.__str__ with eng=False). */
static int dec_str(fx__emit *e, const dec *x)
{
    char b[900];
    size_t k = 0;
    if (x->neg)
        b[k++] = '-';
    if (x->nan) {
        memcpy(b + k, "NaN", 3);
        return put_quoted(e, b, k + 3);
    }
    long left = x->exp + x->nd, dot;
    dot = x->exp <= 0 && left > -6 ? left : 1;
    if (dot <= 0) {
        b[k++] = '0';
        b[k++] = '.';
        for (long i = 0; i < -dot && k < 850; i++)
            b[k++] = '0';
        for (int i = 0; i < x->nd && k < 880; i++)
            b[k++] = x->d[i];
    } else if (dot >= x->nd) {
        for (int i = 0; i < x->nd && k < 880; i++)
            b[k++] = x->d[i];
        for (long i = x->nd; i < dot && k < 880; i++)
            b[k++] = '0';
    } else {
        for (long i = 0; i < x->nd && k < 880; i++) {
            if (i == dot)
                b[k++] = '.';
            b[k++] = x->d[i];
        }
    }
    if (left != dot)
        k += (size_t)snprintf(b + k, sizeof b - k, "E%+ld", left - dot);
    return put_quoted(e, b, k);
}

static const double tens[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
                                1e11, 1e12, 1e13, 1e14, 1e15};

/* The common case of a SQLite REAL with known places: v * 10^places is
** within 0.4 of an integer n under 10^15, so that neither the rounding to
** 15 digits nor the one to places can change n (the value is not near a
** half).  Writes n with places decimals and returns 1; 0 when the general
** case must decide. */
static int decimal_fast(fx__emit *e, double v, int places)
{
    if (places < 0 || places > 15)
        return 0;
    double x = v * tens[places];
    if (!(x > -1e15 && x < 1e15))
        return 0;
    double r = x < 0 ? -(double)(int64_t)(-x + 0.5) : (double)(int64_t)(x + 0.5);
    if (x - r > 0.4 || r - x > 0.4)
        return 0;
    int64_t n = (int64_t)r;
    char b[48], *end = b + sizeof b - 1, *p = fmt_int(end, n < 0 ? -n : n);
    if (places - (end - p) >= 6)       /* str(Decimal) writes 1E-8: the general case */
        return 0;
    *end = '"';
    if (places) {                      /* pad to places + 1 digits, put the point */
        while (end - p < places + 1)
            *--p = '0';
        memmove(p - 1, p, (size_t)(end - p - places));
        p--;
        end[-places - 1] = '.';
    }
    if (signbit(v))                    /* Decimal keeps the sign of -0.001 rounded */
        *--p = '-';
    *--p = '"';
    return fx_buf_add(e->b, p, (size_t)(end + 1 - p)) ? FX_ENOMEM : 1;
}

static int render_decimal(fx__emit *e, const fx__cell *c, int places, int pg, char *msg,
                          size_t n)
{
    dec x;
    if (c->type == FX__C_REAL && !pg) {
        int rc = decimal_fast(e, c->d, places);
        if (rc)
            return rc < 0 ? rc : 0;
    }
    if (c->type == FX__C_INT && !pg && places >= 0 && places <= 15 &&
        c->i > -100000000000000 && c->i < 100000000000000) {
        int rc = decimal_fast(e, (double)c->i, places);
        if (rc)
            return rc < 0 ? rc : 0;
    }
    if (c->type == FX__C_REAL) {
        dec_from_double(&x, c->d);
    } else if (c->type == FX__C_INT) {
        char b[24];
        snprintf(b, sizeof b, "%" PRId64, c->i);
        dec_parse(&x, b);
    } else if (c->type != FX__C_TEXT || dec_parse(&x, c->s)) {
        return fail(msg, n, "'%.40s' is not a decimal number", c->type == FX__C_TEXT ? c->s : "?");
    }
    if (!pg && !x.nan) {
        dec_round(&x, x.nd - 15);    /* SQLite keeps 15 significant digits */
        if (x.nd > 15) {             /* rounded up to 10...0: still 15 digits */
            x.nd = 15;
            x.exp++;
        }
        dec_trim(&x);
        if (places >= 0) {
            dec_quantize(&x, places);
        } else {                     /* places unknown: the digits it has */
            while (x.exp < 0 && x.nd > 1 && x.d[x.nd - 1] == '0') {
                x.nd--;
                x.exp++;
            }
            if (x.exp > 0)
                dec_quantize(&x, 0);
        }
    }
    return dec_str(e, &x);
}

/* ---------------------------------------------------------------- dates */

typedef struct when {
    int y, mo, d, h, mi, s, us;
    int has_tz;
    int off;           /* minutes east of UTC */
} when;

/* 1 to max digits into *v; the pointer moves past them. */
static int num(const char **p, int min, int max, int *v)
{
    int k = 0, x = 0;
    while (k < max && (*p)[k] >= '0' && (*p)[k] <= '9')
        x = x * 10 + ((*p)[k++] - '0');
    if (k < min)
        return 0;
    *p += k;
    *v = x;
    return 1;
}

/* HH:MM[:SS[.ffffff]] as django.utils.dateparse's time_re (extra fraction
** digits past six ignored). */
static int parse_clock(const char **pp, when *w)
{
    const char *p = *pp;
    if (!num(&p, 1, 2, &w->h) || *p++ != ':' || !num(&p, 1, 2, &w->mi))
        return 0;
    w->s = w->us = 0;
    if (*p == ':' && p[1] >= '0' && p[1] <= '9') {
        p++;
        num(&p, 1, 2, &w->s);
        if ((*p == '.' || *p == ',') && p[1] >= '0' && p[1] <= '9') {
            p++;
            int k = 0, us = 0;
            while (*p >= '0' && *p <= '9') {
                if (k < 6)
                    us = us * 10 + (*p - '0');
                k++;
                p++;
            }
            for (; k < 6; k++)
                us *= 10;
            w->us = us;
        }
    }
    *pp = p;
    return 1;
}

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : d[m - 1];
}

static int valid_date(const when *w)
{
    return w->y >= 1 && w->y <= 9999 && w->mo >= 1 && w->mo <= 12 && w->d >= 1 &&
           w->d <= days_in_month(w->y, w->mo);
}

static int valid_clock(const when *w)
{
    return w->h < 24 && w->mi < 60 && w->s < 60;
}

/* YYYY-MM-DD[T ]HH:MM[:SS[.f]][Z|+HH[:MM]|+HHMM]: parse_datetime, and
** PostgreSQL's timestamptz output ("+00", "+05:30"). */
static int parse_datetime(const char *t, when *w)
{
    const char *p = t;
    memset(w, 0, sizeof *w);
    if (!num(&p, 4, 4, &w->y) || *p++ != '-' || !num(&p, 1, 2, &w->mo) || *p++ != '-' ||
        !num(&p, 1, 2, &w->d) || (*p != 'T' && *p != ' '))
        return 0;
    p++;
    if (!parse_clock(&p, w))
        return 0;
    if (*p == 'Z') {
        w->has_tz = 1;
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, hh, mm = 0;
        if (!num(&p, 2, 2, &hh))
            return 0;
        if (*p == ':')
            p++;
        num(&p, 2, 2, &mm);
        w->has_tz = 1;
        w->off = sign * (hh * 60 + mm);
    }
    return *p == '\0';
}

static int parse_date(const char *t, when *w)
{
    const char *p = t;
    memset(w, 0, sizeof *w);
    return num(&p, 1, 9, &w->y) && *p++ == '-' && num(&p, 1, 2, &w->mo) && *p++ == '-' &&
           num(&p, 1, 2, &w->d) && *p == '\0' && valid_date(w);
}

static int put_date(char *b, const when *w)
{
    char *p = digits(b, w->y, 4);
    *p++ = '-';
    p = digits(p, w->mo, 2);
    *p++ = '-';
    return (int)(digits(p, w->d, 2) - b);
}

/* time.isoformat(), cut to milliseconds when there are microseconds. */
static int put_clock(char *b, const when *w)
{
    char *p = digits(b, w->h, 2);
    *p++ = ':';
    p = digits(p, w->mi, 2);
    *p++ = ':';
    p = digits(p, w->s, 2);
    if (w->us) {
        *p++ = '.';
        p = digits(p, w->us / 1000, 3);
    }
    return (int)(p - b);
}

static int render_datetime(fx__emit *e, const fx__cell *c, int pg, char *msg, size_t n)
{
    char buf[40], out[64];
    const char *t = cell_text(c, buf, sizeof buf);
    when w;
    if (!parse_datetime(t, &w))
        return pg ? fail(msg, n, "'%.40s' is not a date and time", t)
                  : fx_buf_add(e->b, "null", 4);     /* parse_datetime() gives None */
    if (!valid_date(&w) || !valid_clock(&w))
        return fail(msg, n, "'%.40s' is not a valid date and time", t);
    if (!pg && !w.has_tz)
        w.has_tz = 1;                                   /* made aware in UTC */
    int k = put_date(out, &w);
    out[k++] = 'T';
    k += put_clock(out + k, &w);
    if (w.has_tz && w.off == 0)
        out[k++] = 'Z';
    else if (w.has_tz)
        k += sprintf(out + k, "%c%02d:%02d", w.off < 0 ? '-' : '+', abs(w.off) / 60,
                     abs(w.off) % 60);
    return put_quoted(e, out, (size_t)k);
}

static int render_date(fx__emit *e, const fx__cell *c, char *msg, size_t n)
{
    char buf[40], out[24];
    const char *t = cell_text(c, buf, sizeof buf);
    when w;
    if (!parse_date(t, &w))
        return fail(msg, n, "'%.40s' is not a date", t);
    return put_quoted(e, out, (size_t)put_date(out, &w));
}

static int render_time(fx__emit *e, const fx__cell *c, int pg, char *msg, size_t n)
{
    char buf[40], out[24];
    const char *t = cell_text(c, buf, sizeof buf), *p = t;
    when w;
    memset(&w, 0, sizeof w);
    if (!parse_clock(&p, &w))
        return pg ? fail(msg, n, "'%.40s' is not a time", t) : fx_buf_add(e->b, "null", 4);
    if (!valid_clock(&w))
        return fail(msg, n, "'%.40s' is not a valid time", t);
    return put_quoted(e, out, (size_t)put_clock(out, &w));
}

/* ---------------------------------------------------------------- durations */

/* PostgreSQL's interval output (IntervalStyle postgres: "1 year 2 mons
** -3 days +04:05:06.5") in microseconds, months and years counted as
** psycopg2 does (30 and 365 days). */
static int parse_interval(const char *t, int64_t *out)
{
    const int64_t day = 86400000000LL;
    int64_t total = 0;
    const char *p = t;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *q = p;
        int neg = 0;
        if (*q == '-' || *q == '+')
            neg = *q++ == '-';
        if (strchr(q, ':') && (strchr(q, ' ') == NULL || strchr(q, ':') < strchr(q, ' '))) {
            when w;
            memset(&w, 0, sizeof w);
            int h;
            if (!num(&q, 1, 9, &h) || *q != ':')
                return 0;
            w.h = 0;
            q++;
            if (!num(&q, 1, 2, &w.mi) || *q != ':')
                return 0;
            q++;
            if (!num(&q, 1, 2, &w.s))
                return 0;
            if (*q == '.') {
                int k = 0, us = 0;
                for (q++; *q >= '0' && *q <= '9'; q++, k++)
                    if (k < 6)
                        us = us * 10 + (*q - '0');
                for (; k < 6; k++)
                    us *= 10;
                w.us = us;
            }
            int64_t v = ((int64_t)h * 3600 + w.mi * 60 + w.s) * 1000000 + w.us;
            total += neg ? -v : v;
            p = q;
            continue;
        }
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p)
            return 0;
        p = end;
        while (*p == ' ')
            p++;
        int64_t unit;
        if (!strncmp(p, "year", 4))
            unit = 365 * day;
        else if (!strncmp(p, "mon", 3))
            unit = 30 * day;
        else if (!strncmp(p, "day", 3))
            unit = day;
        else
            return 0;
        total += (int64_t)v * unit;
        while (*p && *p != ' ')
            p++;
    }
    *out = total;
    return 1;
}

/* duration_string(), or duration_iso_string() for the encoder, of a
** timedelta of us microseconds. */
static int put_duration(fx__emit *e, int64_t us, int iso)
{
    const int64_t day = 86400000000LL;
    char b[80];
    int k;
    if (iso) {
        int neg = us < 0;
        uint64_t a = neg ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
        uint64_t days = a / (uint64_t)day, rest = a % (uint64_t)day;
        uint64_t sec = rest / 1000000, frac = rest % 1000000;
        k = snprintf(b, sizeof b, "%sP%" PRIu64 "DT%02" PRIu64 "H%02" PRIu64 "M%02" PRIu64,
                     neg ? "-" : "", days, sec / 3600, sec / 60 % 60, sec % 60);
        if (frac)
            k += snprintf(b + k, sizeof b - (size_t)k, ".%06" PRIu64, frac);
        b[k++] = 'S';
        return put_quoted(e, b, (size_t)k);
    }
    int64_t days = us >= 0 ? us / day : -((-(us + 1)) / day) - 1;
    int64_t rest = us - days * day, sec = rest / 1000000, frac = rest % 1000000;
    k = 0;
    if (days)
        k = snprintf(b, sizeof b, "%" PRId64 " ", days);
    k += snprintf(b + k, sizeof b - (size_t)k, "%02" PRId64 ":%02" PRId64 ":%02" PRId64,
                  sec / 3600, sec / 60 % 60, sec % 60);
    if (frac)
        k += snprintf(b + k, sizeof b - (size_t)k, ".%06" PRId64, frac);
    return put_quoted(e, b, (size_t)k);
}

static int render_duration(fx__emit *e, const fx__cell *c, int pg, int iso, char *msg,
                           size_t n)
{
    int64_t us;
    if (c->type == FX__C_INT)
        us = c->i;
    else if (c->type == FX__C_REAL)
        us = (int64_t)c->d;
    else if (c->type != FX__C_TEXT || !(pg ? parse_interval(c->s, &us)
                                             : sscanf(c->s, "%" SCNd64, &us) == 1))
        return fail(msg, n, "'%.40s' is not a duration", c->type == FX__C_TEXT ? c->s : "?");
    return put_duration(e, us, iso);
}

/* ---------------------------------------------------------------- the rest */

static int render_uuid(fx__emit *e, const fx__cell *c, char *msg, size_t n)
{
    char h[33], out[37];
    size_t k = 0;
    const char *s = c->s;
    if (c->type != FX__C_TEXT)
        return raw(e, c);
    if (!strncmp(s, "urn:uuid:", 9))
        s += 9;
    for (; *s && k < 33; s++) {
        if (isxdigit((unsigned char)*s))
            h[k++] = (char)tolower((unsigned char)*s);
        else if (*s != '-' && *s != '{' && *s != '}')
            break;
    }
    if (k != 32 || *s)
        return fail(msg, n, "'%.40s' is not a UUID", c->s);
    snprintf(out, sizeof out, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
    return put_quoted(e, out, 36);
}

static int hexval(int c)
{
    return c <= '9' ? c - '0' : (c | 32) - 'a' + 10;
}

/* PostgreSQL's bytea in hex output ("\x00ff"), as bytes, as base64. */
static int render_bytea(fx__emit *e, const fx__cell *c, char *msg, size_t n)
{
    if (c->type != FX__C_TEXT || c->n < 2 || c->s[0] != '\\' || c->s[1] != 'x' || c->n % 2)
        return fail(msg, n, "bytea not in hex output: set bytea_output to hex");
    size_t len = (c->n - 2) / 2;
    unsigned char small[256] = {0}, *b = len <= sizeof small ? small : malloc(len);
    if (!b)
        return FX_ENOMEM;
    for (size_t i = 0; i < len; i++)
        b[i] = (unsigned char)(hexval(c->s[2 + 2 * i]) << 4 | hexval(c->s[3 + 2 * i]));
    int rc = base64(e, b, len);
    if (b != small)
        free(b);
    return rc;
}

int fx__render(fx__emit *e, const fx__cell *c, fx_kind kind, int places, int pg, int mode,
               char *msg, size_t n)
{
    if (c->type == FX__C_NULL)
        return fx_buf_add(e->b, "null", 4);
    switch (kind) {
    case FX_K_INT: case FX_K_SMALLINT: case FX_K_BIGINT:
        if (pg)
            return fx_buf_add(e->b, c->s, c->n);
        return raw(e, c);
    case FX_K_BOOL: {
        char buf[40];
        int t = pg ? c->s[0] == 't' : strcmp(cell_text(c, buf, sizeof buf), "1") == 0;
        return t ? fx_buf_add(e->b, "true", 4) : fx_buf_add(e->b, "false", 5);
    }
    case FX_K_FLOAT:
        if (pg)
            return fx__emit_float(e, strtod(c->s, NULL));
        return raw(e, c);
    case FX_K_DECIMAL: return render_decimal(e, c, places, pg, msg, n);
    case FX_K_DATETIME: return render_datetime(e, c, pg, msg, n);
    case FX_K_DATE: return render_date(e, c, msg, n);
    case FX_K_TIME: return render_time(e, c, pg, msg, n);
    case FX_K_DURATION: return render_duration(e, c, pg, mode == FX__R_ENCODER, msg, n);
    case FX_K_UUID: return render_uuid(e, c, msg, n);
    case FX_K_JSON: {
        if (c->type != FX__C_TEXT)
            return raw(e, c);
        int rc = fx__emit_json(e, c->s, c->n);
        if (rc == 1)                 /* not JSON: from_db_value keeps the text */
            return put_quoted(e, c->s, c->n);
        return rc;
    }
    case FX_K_BINARY:
        if (mode == FX__R_ENCODER)
            return fail(msg, n, "binary data in a natural key cannot be written as JSON "
                        "(Django fails the same way)");
        if (pg)
            return render_bytea(e, c, msg, n);
        return c->type == FX__C_TEXT ? base64(e, (const unsigned char *)c->s, c->n) : raw(e, c);
    default:
        if (pg)
            return put_quoted(e, c->s, c->n);
        return raw(e, c);
    }
}
