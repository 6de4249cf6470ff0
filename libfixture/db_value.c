/*
** db_value.c: values between fixtures and databases, both ways, for both
** back ends: the one place that knows what Django 3.2's backends store
** for each kind of field and what its serializer writes back.
**
** Into the database (fx__convert, for fxload), so that fxload writes the
** same bytes loaddata does; checked against databases loaddata filled
** (tests/django/):
**
**   kind      SQLite (django/db/backends/sqlite3)   PostgreSQL (psycopg2)
**   bool      1 / 0                                  true / false
**   datetime  'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC  ISO text with +00:00
**   date      'YYYY-MM-DD'                           same, into date
**   time      'HH:MM:SS[.ffffff]'                    same, into time
**   duration  integer microseconds                   'D days S.ffffff seconds'
**   uuid      32 lower-case hex digits               same, into uuid
**   decimal   the text, bound as text: the column's  the text, into numeric
**             NUMERIC affinity makes it REAL or
**             INTEGER exactly as for Django's str
**   float     a double                               the number's text
**   json      json.dumps(value): ensure_ascii,       the same text, into jsonb
**             separators ", " and ": "; null: NULL
**   binary    the bytes base64 stood for, a BLOB     the same, as bytea
**
** Naive datetimes are taken as UTC (Django would take them in its
** TIME_ZONE setting, which a database does not record).  Fractions of a
** second past six digits are cut, as Django's parse_datetime does.
**
** Out of the database (fx__render, for fxdump): what Django's backend
** makes of the stored value (django/db/backends/sqlite3/operations.py
** converters and the sqlite3 module's declared-type converters; psycopg2's
** typecasters on PostgreSQL), then what core/serializers/python.py hands
** the encoder: protected types (None, numbers, Decimal, dates) as they
** are, through DjangoJSONEncoder (core/serializers/json.py), the others
** through the field's value_to_string().  ../shared/dumpdata-rules.md
** section 5 lists each rule with an example.
*/
#include "db_int.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

static int fail(char *msg, size_t n, const char *fmt, const char *what)
{
    snprintf(msg, n, fmt, what);
    return 1;
}

/* Text of v as a C string in buf (decoded for strings); 0 if too long. */
static int value_text(fx_value v, char *buf, size_t n)
{
    if (v.type == FX_STRING && v.len >= 2 && !memchr(v.text + 1, '\\', v.len - 2)) {
        if (v.len - 2 >= n)   /* no escape: the text between the quotes */
            return 0;
        memcpy(buf, v.text + 1, v.len - 2);
        buf[v.len - 2] = '\0';
        return 1;
    }
    if (v.type == FX_STRING) {
        fx_buf b = FX_BUF_INIT;
        if (fx_value_str(&b, v) || b.len >= n) {
            fx_buf_free(&b);
            return 0;
        }
        memcpy(buf, b.data ? b.data : "", b.len + 1);
        fx_buf_free(&b);
        return 1;
    }
    if (v.len >= n)
        return 0;
    memcpy(buf, v.text, v.len);
    buf[v.len] = '\0';
    return 1;
}

static int add_text(fx__bind *out, fx_buf *arena, const char *s, size_t n)
{
    size_t off = arena->len;
    if (fx_buf_add(arena, s, n) || fx_buf_addc(arena, '\0'))
        return FX_ENOMEM;
    out->type = FX__B_TEXT;
    out->s = (const char *)(uintptr_t)off;
    out->n = n;
    return 0;
}

static int add_str(fx__bind *out, fx_buf *arena, const char *s)
{
    return add_text(out, arena, s, strlen(s));
}

void fx__bind_fix(fx__bind *binds, size_t n, const fx_buf *arena)
{
    for (size_t i = 0; i < n; i++)
        if (binds[i].type == FX__B_TEXT || binds[i].type == FX__B_BLOB)
            binds[i].s = arena->data + (uintptr_t)binds[i].s;
}

int fx__bind_eq(const fx__bind *a, const fx__bind *b)
{
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case FX__B_NULL: return 1;
    case FX__B_INT: return a->i == b->i;
    case FX__B_REAL: return a->d == b->d;
    default: return a->n == b->n && memcmp(a->s, b->s, a->n) == 0;
    }
}

/* ---------------------------------------------------------------- uuids, base64 */

int fx__uuid_hex(const char *s, char out[33])
{
    size_t k = 0;
    if (!strncmp(s, "urn:uuid:", 9))
        s += 9;
    for (; *s && k < 33; s++) {
        if (isxdigit((unsigned char)*s))
            out[k++] = (char)tolower((unsigned char)*s);
        else if (*s != '-' && *s != '{' && *s != '}')
            break;
    }
    out[k < 33 ? k : 32] = '\0';
    return k == 32 && !*s;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* base64.b64decode(s) (not validating, as BinaryField.to_python calls it):
** characters outside the alphabet are skipped, '=' ends the data, a
** length that leaves one character over is an error.  The bytes go to
** out; returns 0, 1 for bad base64, or FX_ENOMEM. */
static int unbase64(fx_buf *out, const char *s, size_t n)
{
    unsigned acc = 0;
    int bits = 0;
    size_t chars = 0;
    for (size_t i = 0; i < n && s[i] != '='; i++) {
        const char *p = s[i] ? strchr(b64, s[i]) : NULL;
        if (!p)
            continue;
        acc = acc << 6 | (unsigned)(p - b64);
        bits += 6;
        chars++;
        if (bits >= 8) {
            bits -= 8;
            if (fx_buf_addc(out, (char)(acc >> bits & 0xff)))
                return FX_ENOMEM;
        }
    }
    return chars % 4 == 1;
}

/* ---------------------------------------------------------------- dates */

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return 0;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 1;
}

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : d[m - 1];
}

/* One or two digits, as \\d{1,2} in Django's dateparse regexes. */
static int digits12(const char **p, int *out)
{
    if (!isdigit((unsigned char)**p))
        return 0;
    return digits(p, isdigit((unsigned char)(*p)[1]) ? 2 : 1, out);
}

static int parse_date(const char **p, int *y, int *mo, int *d)
{
    if (!digits(p, 4, y) || **p != '-' || (++*p, !digits12(p, mo)) || **p != '-' ||
        (++*p, !digits12(p, d)))
        return 0;
    return *y >= 1 && *mo >= 1 && *mo <= 12 && *d >= 1 && *d <= days_in_month(*y, *mo);
}

/* HH:MM[:SS[.f{1,6}]] as Django's time_re; fraction padded to microseconds. */
static int parse_time(const char **p, int *h, int *mi, int *s, int *us)
{
    *s = *us = 0;
    if (!digits12(p, h) || **p != ':' || (++*p, !digits12(p, mi)))
        return 0;
    if (**p == ':') {
        ++*p;
        if (!digits12(p, s))
            return 0;
        if (**p == '.' || **p == ',') {
            ++*p;
            int nd = 0, v = 0;
            while (isdigit((unsigned char)**p)) {
                if (nd < 6)
                    v = v * 10 + (**p - '0'), nd++;
                ++*p;
            }
            if (!nd)
                return 0;
            while (nd++ < 6)
                v *= 10;
            *us = v;
        }
    }
    return *h < 24 && *mi < 60 && *s < 60;
}

/* Days since 1970-01-01 (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* v in exactly w decimal digits at b (0 <= v < 10^w); returns b + w. */
static char *put_digits(char *b, int v, int w)
{
    for (int i = w - 1; i >= 0; i--) {
        b[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return b + w;
}

/* "HH:MM:SS[.ffffff]" at b (at least 16 bytes); returns its end. */
static char *put_clock(char *b, int h, int mi, int s, int us)
{
    b = put_digits(b, h, 2);
    *b++ = ':';
    b = put_digits(b, mi, 2);
    *b++ = ':';
    b = put_digits(b, s, 2);
    if (us) {
        *b++ = '.';
        b = put_digits(b, us, 6);
    }
    *b = '\0';
    return b;
}

/* A date and time as Django's parse_datetime reads it, and PostgreSQL
** writes timestamptz ("+00"): YYYY-MM-DD[(T| )HH:MM[:SS[.f]]][Z|(+|-)HH[[:]MM]]. */
typedef struct when {
    int y, mo, d, h, mi, s, us;
    int off;           /* minutes east of UTC, when aware */
    int aware;
} when;

static int parse_when(const char *t, when *w)
{
    const char *p = t;
    memset(w, 0, sizeof *w);
    if (!parse_date(&p, &w->y, &w->mo, &w->d))
        return 0;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (!parse_time(&p, &w->h, &w->mi, &w->s, &w->us))
            return 0;
        while (*p == ' ')
            p++;
        if (*p == 'Z') {
            w->aware = 1;
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
            if (!digits(&p, 2, &oh))
                return 0;
            if (*p == ':')
                p++;
            if (isdigit((unsigned char)*p) && !digits(&p, 2, &om))
                return 0;
            w->off = sign * (oh * 60 + om);
            w->aware = 1;
        }
    }
    return *p == '\0';
}

static int conv_datetime(fx__bind *out, const char *t, int pg, fx_buf *arena, char *msg,
                         size_t n)
{
    when w;
    if (!parse_when(t, &w))
        goto bad;
    int y = w.y, mo = w.mo, d = w.d, h = w.h, mi = w.mi, s = w.s, us = w.us, off = w.off;
    if (w.aware && off) {   /* to UTC */
        int64_t min = (days_from_civil(y, mo, d) * 24 + h) * 60 + mi - off;
        int64_t days = min >= 0 ? min / 1440 : -((-min + 1439) / 1440);
        min -= days * 1440;
        h = (int)(min / 60);
        mi = (int)(min % 60);
        civil_from_days(days, &y, &mo, &d);
    }
    char b[64], *e = b;
    if (y < 1 || y > 9999)   /* past the years Python's datetime takes */
        goto bad;
    e = put_digits(e, y, 4);
    *e++ = '-';
    e = put_digits(e, mo, 2);
    *e++ = '-';
    e = put_digits(e, d, 2);
    *e++ = ' ';
    e = put_clock(e, h, mi, s, us);
    if (pg)
        memcpy(e, "+00:00", 7);
    return add_str(out, arena, b) ? FX_ENOMEM : 0;
bad:
    return fail(msg, n, "'%s' is not a date and time (expected YYYY-MM-DDTHH:MM[:SS[.ffffff]]"
                "[Z or +HH:MM])", t);
}

static int conv_date(fx__bind *out, const char *t, fx_buf *arena, char *msg, size_t n)
{
    const char *p = t;
    int y, mo, d;
    if (!parse_date(&p, &y, &mo, &d) || *p)
        return fail(msg, n, "'%s' is not a date (expected YYYY-MM-DD)", t);
    char b[16], *e = put_digits(b, y, 4);   /* date.isoformat(): 2024-1-2 is 2024-01-02 */
    *e++ = '-';
    e = put_digits(e, mo, 2);
    *e++ = '-';
    *put_digits(e, d, 2) = '\0';
    return add_str(out, arena, b) ? FX_ENOMEM : 0;
}

static int conv_time(fx__bind *out, const char *t, fx_buf *arena, char *msg, size_t n)
{
    const char *p = t;
    int h, mi, s, us;
    if (!parse_time(&p, &h, &mi, &s, &us) || *p)
        return fail(msg, n, "'%s' is not a time (expected HH:MM[:SS[.ffffff]])", t);
    char b[32];
    put_clock(b, h, mi, s, us);
    return add_str(out, arena, b) ? FX_ENOMEM : 0;
}

/* Django's parse_duration, standard format "[-][D ]HH:MM:SS[.ffffff]"
** (also "[D days, ]..." as str(timedelta) writes) and ISO 8601
** "P[nD][T[nH][nM][n[.f]S]]", into microseconds. */
static int parse_duration(const char *t, int64_t *out)
{
    const char *p = t;
    int neg = 0;
    if (*p == 'P' || ((*p == '-' || *p == '+') && p[1] == 'P')) {
        if (*p == '-')
            neg = 1;
        if (*p != 'P')
            p++;
        p++;
        double total = 0;
        int time = 0, any = 0;
        while (*p) {
            if (*p == 'T' && !time) {
                time = 1;
                p++;
                continue;
            }
            char *e;
            double v = strtod(p, &e);
            if (e == p)
                return 0;
            p = e;
            double mul = *p == 'D' && !time ? 86400.0 : *p == 'H' && time ? 3600.0
                         : *p == 'M' && time ? 60.0 : *p == 'S' && time ? 1.0 : -1;
            if (mul < 0)
                return 0;
            total += v * mul;
            any = 1;
            p++;
        }
        if (!any)
            return 0;
        *out = (int64_t)llround(total * 1e6) * (neg ? -1 : 1);
        return 1;
    }
    int64_t days = 0;
    int sign = 1;
    const char *q = p;
    if (*q == '-' || *q == '+')
        q++;
    while (isdigit((unsigned char)*q))
        q++;
    if (*q == ' ' || strncmp(q, " day", 4) == 0) {   /* a day count */
        char *e;
        days = strtoll(p, &e, 10);
        p = e;
        while (*p == ' ')
            p++;
        if (strncmp(p, "days,", 5) == 0)
            p += 5;
        else if (strncmp(p, "day,", 4) == 0)
            p += 4;
        while (*p == ' ')
            p++;
    }
    if (*p == '-') {
        sign = -1;
        p++;
    } else if (*p == '+') {
        p++;
    }
    /* [[HH:]MM:]SS[.f] */
    int64_t parts[3] = {0, 0, 0};
    int np = 0, us = 0;
    for (;;) {
        if (!isdigit((unsigned char)*p) || np == 3)
            return 0;
        int64_t v = 0;
        while (isdigit((unsigned char)*p))
            v = v * 10 + (*p++ - '0');
        parts[np++] = v;
        if (*p == ':') {
            p++;
            continue;
        }
        break;
    }
    if (*p == '.' || *p == ',') {
        p++;
        int nd = 0;
        while (isdigit((unsigned char)*p)) {
            if (nd < 6)
                us = us * 10 + (*p - '0'), nd++;
            p++;
        }
        if (!nd)
            return 0;
        while (nd++ < 6)
            us *= 10;
    }
    if (*p)
        return 0;
    int64_t h = 0, m = 0, s = 0;
    if (np == 3)
        h = parts[0], m = parts[1], s = parts[2];
    else if (np == 2)
        m = parts[0], s = parts[1];
    else
        s = parts[0];
    *out = days * 86400000000LL + sign * ((h * 3600 + m * 60 + s) * 1000000LL + us);
    return 1;
}

/* psycopg2 adapts a timedelta as '%d days %d.%06d seconds' of its
** normalised days, seconds and microseconds. */
static void pg_interval(char *b, size_t n, int64_t us)
{
    int64_t day = 86400000000LL;
    int64_t days = us >= 0 ? us / day : -((-us + day - 1) / day);
    int64_t rest = us - days * day;
    snprintf(b, n, "%" PRId64 " days %" PRId64 ".%06" PRId64 " seconds", days,
             rest / 1000000, rest % 1000000);
}

/* ---------------------------------------------------------------- SQL text */

int fx__quote_id(fx_buf *b, const char *id)
{
    if (fx_buf_addc(b, '"'))
        return FX_ENOMEM;
    for (; *id; id++)
        if ((*id == '"' && fx_buf_addc(b, '"')) || fx_buf_addc(b, *id))
            return FX_ENOMEM;
    return fx_buf_addc(b, '"');
}

/* ---------------------------------------------------------------- json */

/* json.dumps(v): ensure_ascii, separators ", " and ": " (pyjson.c). */
int fx__json_dumps(fx_buf *out, fx_value v)
{
    fx__emit e;
    fx__emit_init(&e, out, -1, ", ", 1);
    return fx__emit_value(&e, v) ? FX_ENOMEM : 0;
}

/* ---------------------------------------------------------------- convert */

static int conv_int(fx__bind *out, const char *t, char *msg, size_t n)
{
    /* the common case, up to 18 digits: no strtoll */
    const char *q = t + (*t == '-');
    size_t k = 0;
    int64_t u = 0;
    while (q[k] >= '0' && q[k] <= '9' && k < 18)
        u = u * 10 + (q[k++] - '0');
    if (k && !q[k]) {
        out->type = FX__B_INT;
        out->i = *t == '-' ? -u : u;
        return 0;
    }
    char *e;
    errno = 0;
    long long v = strtoll(t, &e, 10);
    if (e != t && *e == '.') {   /* 12.0: Python's int(12.0) */
        const char *z = e + 1;
        while (*z == '0')
            z++;
        if (!*z)
            e = (char *)z;
    }
    if (e == t || *e || errno)
        return fail(msg, n, "'%s' is not an integer", t);
    out->type = FX__B_INT;
    out->i = v;
    return 0;
}

int fx__convert(fx__bind *out, fx_kind kind, fx_kind alt_kind, fx_value v, int pg,
                fx_buf *arena, char *msg, size_t n)
{
    char t[512];
    memset(out, 0, sizeof *out);
    if (v.type == FX_NULL && kind != FX_K_JSON)
        return 0;
    if (kind == FX_K_JSON) {
        if (v.type == FX_NULL)
            return 0;   /* Django 3.2's JSONField saves None as SQL NULL */
        size_t off = arena->len;
        if (fx__json_dumps(arena, v) || fx_buf_addc(arena, '\0'))
            return FX_ENOMEM;
        out->type = FX__B_TEXT;
        out->s = (const char *)(uintptr_t)off;
        out->n = arena->len - off - 1;
        return 0;
    }
    if (kind == FX_K_CHAR || kind == FX_K_TEXT || kind == FX_K_UNKNOWN) {
        if (v.type == FX_STRING) {
            size_t off = arena->len;
            if (fx_value_str(arena, v) || fx_buf_addc(arena, '\0'))
                return FX_ENOMEM;
            out->type = FX__B_TEXT;
            out->s = (const char *)(uintptr_t)off;
            out->n = arena->len - off - 1;
            return 0;
        }
        if (v.type == FX_TRUE || v.type == FX_FALSE)   /* Python's str(True) */
            return add_str(out, arena, v.type == FX_TRUE ? "True" : "False") ? FX_ENOMEM : 0;
        if (v.type == FX_NUMBER)
            return add_text(out, arena, v.text, v.len) ? FX_ENOMEM : 0;
        return fail(msg, n, "%s is not text", v.type == FX_ARRAY ? "a list" : "an object");
    }
    if (v.type == FX_ARRAY || v.type == FX_OBJECT)
        return fail(msg, n, "%s is not a single value", v.type == FX_ARRAY ? "a list" : "an object");
    if (kind == FX_K_BINARY) {
        if (v.type != FX_STRING)
            return fail(msg, n, "%s is not base64", "the value");
        fx_buf raw = FX_BUF_INIT, txt = FX_BUF_INIT;
        int rc = fx_value_str(&txt, v) ? FX_ENOMEM : unbase64(&raw, txt.data ? txt.data : "",
                                                                txt.len);
        size_t off = arena->len;
        if (rc == 0 && pg) {             /* bytea's hex input: \x0aff */
            static const char hex[] = "0123456789abcdef";
            rc = fx_buf_adds(arena, "\\x") ? FX_ENOMEM : 0;
            for (size_t i = 0; i < raw.len && !rc; i++)
                if (fx_buf_addc(arena, hex[(unsigned char)raw.data[i] >> 4]) ||
                    fx_buf_addc(arena, hex[raw.data[i] & 15]))
                    rc = FX_ENOMEM;
        } else if (rc == 0 && raw.len && fx_buf_add(arena, raw.data, raw.len)) {
            rc = FX_ENOMEM;
        }
        if (rc == 0 && fx_buf_addc(arena, '\0'))
            rc = FX_ENOMEM;
        fx_buf_free(&raw);
        fx_buf_free(&txt);
        if (rc == 1)
            return fail(msg, n, "%s is not base64 (a length base64 does not have)", "the value");
        if (rc)
            return rc;
        out->type = pg ? FX__B_TEXT : FX__B_BLOB;
        out->s = (const char *)(uintptr_t)off;
        out->n = arena->len - off - 1;
        return 0;
    }
    if (kind == FX_K_BOOL) {
        int b = -1;
        if (v.type == FX_TRUE || v.type == FX_FALSE)
            b = v.type == FX_TRUE;
        else if (value_text(v, t, sizeof t)) {
            if (!strcmp(t, "1") || !strcmp(t, "t") || !strcmp(t, "True") || !strcmp(t, "true"))
                b = 1;
            else if (!strcmp(t, "0") || !strcmp(t, "f") || !strcmp(t, "False") || !strcmp(t, "false"))
                b = 0;
        }
        if (b < 0)
            return fail(msg, n, "%s is not true or false", "the value");
        if (pg)
            return add_str(out, arena, b ? "true" : "false") ? FX_ENOMEM : 0;
        out->type = FX__B_INT;
        out->i = b;
        return 0;
    }
    if (v.type == FX_TRUE || v.type == FX_FALSE) {   /* Python: True == 1 */
        if (kind == FX_K_INT || kind == FX_K_SMALLINT || kind == FX_K_BIGINT ||
            kind == FX_K_FK || kind == FX_K_O2O) {
            out->type = FX__B_INT;
            out->i = v.type == FX_TRUE;
            if (pg)
                return add_str(out, arena, out->i ? "1" : "0") ? FX_ENOMEM : 0;
            return 0;
        }
        return fail(msg, n, "%s is not valid here", v.type == FX_TRUE ? "true" : "false");
    }
    if (!value_text(v, t, sizeof t))
        return fail(msg, n, "%s", "the value is too long for its kind");
    switch (kind) {
    case FX_K_INT: case FX_K_SMALLINT: case FX_K_BIGINT: {
        if (alt_kind == FX_K_DURATION && v.type == FX_STRING) {
            int64_t us;
            if (parse_duration(t, &us)) {
                out->type = FX__B_INT;
                out->i = us;
                return 0;
            }
        }
        int rc = conv_int(out, t, msg, n);
        if (rc || !pg)
            return rc;
        snprintf(t, sizeof t, "%" PRId64, out->i);
        return add_str(out, arena, t) ? FX_ENOMEM : 0;
    }
    case FX_K_FK: case FX_K_O2O:
        /* the target's pk: an integer when it reads as one, else text */
        if (conv_int(out, t, msg, n) == 0 && !pg)
            return 0;
        return add_str(out, arena, t) ? FX_ENOMEM : 0;
    case FX_K_DECIMAL: {
        char *e;
        const char *s = t;
        while (*s == ' ')
            s++;
        const char *q = s + (*s == '-');   /* the common case: [-]digits[.digits] */
        size_t k = strspn(q, "0123456789");
        if (k && q[k] == '.')
            k += 1 + strspn(q + k + 1, "0123456789");
        if (k && !q[k])
            return add_str(out, arena, s) ? FX_ENOMEM : 0;
        strtod(s, &e);
        if (e == s)
            return fail(msg, n, "'%s' is not a decimal number", t);
        return add_str(out, arena, s) ? FX_ENOMEM : 0;
    }
    case FX_K_FLOAT: {
        char *e;
        double d = strcmp(t, "NaN") == 0 ? NAN : strcmp(t, "Infinity") == 0 ? INFINITY
                   : strcmp(t, "-Infinity") == 0 ? -INFINITY : strtod(t, &e);
        if (isfinite(d) && (e == t || *e))
            return fail(msg, n, "'%s' is not a number", t);
        if (pg) {
            char b[64];
            fx__py_float(b, sizeof b, d);
            return add_str(out, arena, b) ? FX_ENOMEM : 0;
        }
        out->type = FX__B_REAL;
        out->d = d;
        return 0;
    }
    case FX_K_DATE: return conv_date(out, t, arena, msg, n);
    case FX_K_DATETIME: return conv_datetime(out, t, pg, arena, msg, n);
    case FX_K_TIME: return conv_time(out, t, arena, msg, n);
    case FX_K_DURATION: {
        int64_t us;
        if (!parse_duration(t, &us))
            return fail(msg, n, "'%s' is not a duration (expected [D ]HH:MM:SS[.ffffff])", t);
        if (!pg) {
            out->type = FX__B_INT;
            out->i = us;
            return 0;
        }
        char b[96];
        pg_interval(b, sizeof b, us);
        return add_str(out, arena, b) ? FX_ENOMEM : 0;
    }
    case FX_K_UUID: {
        char h[33];
        if (!fx__uuid_hex(t, h))
            return fail(msg, n, "'%s' is not a UUID", t);
        return add_str(out, arena, h) ? FX_ENOMEM : 0;
    }
    default:
        return add_str(out, arena, t) ? FX_ENOMEM : 0;
    }
}

/* ---------------------------------------------------------------- out of the database */

#define TRY(x) do { if ((x) < 0) return FX_ENOMEM; } while (0)

static int failf(char *msg, size_t n, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int failf(char *msg, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (msg && n)
        vsnprintf(msg, n, fmt, ap);
    va_end(ap);
    return 1;
}

/* The cell's text as the sqlite3 module hands it to a converter
** (sqlite3_column_text: integers and reals printed by SQLite). */
static const char *cell_text(const fx__bind *c, char *buf, size_t n)
{
    if (c->type == FX__B_INT)
        snprintf(buf, n, "%" PRId64, c->i);
    else if (c->type == FX__B_REAL) {
        snprintf(buf, n, "%.15g", c->d);
        if (!strpbrk(buf, ".eni"))
            strncat(buf, ".0", n - strlen(buf) - 1);   /* SQLite writes 1.0 */
    }
    else if (c->type == FX__B_TEXT || c->type == FX__B_BLOB)
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


static int put_quoted(fx__emit *e, const char *s, size_t n)
{
    return fx__emit_str(e, s, n);
}

static int base64(fx__emit *e, const unsigned char *p, size_t n)
{
    const char *a = b64;
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
static int raw(fx__emit *e, const fx__bind *c)
{
    switch (c->type) {
    case FX__B_NULL: return fx_buf_add(e->b, "null", 4);
    case FX__B_INT: return put_int(e, c->i);
    case FX__B_REAL: return fx__emit_float(e, c->d);
    case FX__B_TEXT: return put_quoted(e, c->s, c->n);
    case FX__B_BLOB: return base64(e, (const unsigned char *)c->s, c->n);
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

static int render_decimal(fx__emit *e, const fx__bind *c, int places, int pg, char *msg,
                          size_t n)
{
    dec x;
    if (c->type == FX__B_REAL && !pg) {
        int rc = decimal_fast(e, c->d, places);
        if (rc)
            return rc < 0 ? rc : 0;
    }
    if (c->type == FX__B_INT && !pg && places >= 0 && places <= 15 &&
        c->i > -100000000000000 && c->i < 100000000000000) {
        int rc = decimal_fast(e, (double)c->i, places);
        if (rc)
            return rc < 0 ? rc : 0;
    }
    if (c->type == FX__B_REAL) {
        dec_from_double(&x, c->d);
    } else if (c->type == FX__B_INT) {
        char b[24];
        snprintf(b, sizeof b, "%" PRId64, c->i);
        dec_parse(&x, b);
    } else if (c->type != FX__B_TEXT || dec_parse(&x, c->s)) {
        return failf(msg, n, "'%.40s' is not a decimal number", c->type == FX__B_TEXT ? c->s : "?");
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

static int put_date(char *b, const when *w)
{
    char *p = put_digits(b, w->y, 4);
    *p++ = '-';
    p = put_digits(p, w->mo, 2);
    *p++ = '-';
    return (int)(put_digits(p, w->d, 2) - b);
}

/* time.isoformat(), cut to milliseconds when there are microseconds, as
** DjangoJSONEncoder writes it. */
static int put_clock_ms(char *b, const when *w)
{
    char *p = put_digits(b, w->h, 2);
    *p++ = ':';
    p = put_digits(p, w->mi, 2);
    *p++ = ':';
    p = put_digits(p, w->s, 2);
    if (w->us) {
        *p++ = '.';
        p = put_digits(p, w->us / 1000, 3);
    }
    return (int)(p - b);
}

static int render_datetime(fx__emit *e, const fx__bind *c, int pg, char *msg, size_t n)
{
    char buf[40], out[64];
    const char *t = cell_text(c, buf, sizeof buf);
    when w;
    if (!parse_when(t, &w))
        return pg ? failf(msg, n, "'%.40s' is not a date and time", t)
                  : fx_buf_add(e->b, "null", 4);     /* parse_datetime() gives None */
    if (!pg && !w.aware)
        w.aware = 1;                                    /* made aware in UTC */
    int k = put_date(out, &w);
    out[k++] = 'T';
    k += put_clock_ms(out + k, &w);
    if (w.aware && w.off == 0)
        out[k++] = 'Z';
    else if (w.aware)
        k += snprintf(out + k, sizeof out - (size_t)k, "%c%02d:%02d", w.off < 0 ? '-' : '+',
                      abs(w.off) / 60, abs(w.off) % 60);
    return put_quoted(e, out, (size_t)k);
}

static int render_date(fx__emit *e, const fx__bind *c, char *msg, size_t n)
{
    char buf[40], out[24];
    const char *t = cell_text(c, buf, sizeof buf), *p = t;
    when w;
    if (!parse_date(&p, &w.y, &w.mo, &w.d) || *p)
        return failf(msg, n, "'%.40s' is not a date", t);
    return put_quoted(e, out, (size_t)put_date(out, &w));
}

static int render_time(fx__emit *e, const fx__bind *c, int pg, char *msg, size_t n)
{
    char buf[40], out[24];
    const char *t = cell_text(c, buf, sizeof buf), *p = t;
    when w;
    if (!parse_time(&p, &w.h, &w.mi, &w.s, &w.us))  /* parse_time() gives None */
        return pg ? failf(msg, n, "'%.40s' is not a time", t) : fx_buf_add(e->b, "null", 4);
    return put_quoted(e, out, (size_t)put_clock_ms(out, &w));
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
        const char *q = p, *colon = strchr(p, ':'), *space = strchr(p, ' ');
        int neg = 0;
        if (*q == '-' || *q == '+')
            neg = *q++ == '-';
        if (colon && (!space || colon < space)) {       /* [+-]H:MM:SS[.f] */
            char *e;
            long long h = strtoll(q, &e, 10);
            int mi, s, us = 0;
            q = e;
            if (*q++ != ':' || !digits(&q, 2, &mi) || *q++ != ':' || !digits(&q, 2, &s))
                return 0;
            if (*q == '.') {
                int k = 0;
                for (q++; isdigit((unsigned char)*q); q++, k++)
                    if (k < 6)
                        us = us * 10 + (*q - '0');
                for (; k < 6; k++)
                    us *= 10;
            }
            int64_t v = ((int64_t)h * 3600 + mi * 60 + s) * 1000000 + us;
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

static int render_duration(fx__emit *e, const fx__bind *c, int pg, int iso, char *msg,
                           size_t n)
{
    int64_t us;
    if (c->type == FX__B_INT)
        us = c->i;
    else if (c->type == FX__B_REAL)
        us = (int64_t)c->d;
    else if (c->type != FX__B_TEXT || !(pg ? parse_interval(c->s, &us)
                                             : sscanf(c->s, "%" SCNd64, &us) == 1))
        return failf(msg, n, "'%.40s' is not a duration", c->type == FX__B_TEXT ? c->s : "?");
    return put_duration(e, us, iso);
}

/* ---------------------------------------------------------------- the rest */

static int render_uuid(fx__emit *e, const fx__bind *c, char *msg, size_t n)
{
    char h[33], out[37];
    if (c->type != FX__B_TEXT)
        return raw(e, c);
    if (!fx__uuid_hex(c->s, h))
        return failf(msg, n, "'%.40s' is not a UUID", c->s);
    snprintf(out, sizeof out, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
    return put_quoted(e, out, 36);
}

static int hexval(int c)
{
    return c <= '9' ? c - '0' : (c | 32) - 'a' + 10;
}

/* PostgreSQL's bytea in hex output ("\x00ff"), as bytes, as base64. */
static int render_bytea(fx__emit *e, const fx__bind *c, char *msg, size_t n)
{
    if (c->type != FX__B_TEXT || c->n < 2 || c->s[0] != '\\' || c->s[1] != 'x' || c->n % 2)
        return failf(msg, n, "bytea not in hex output: set bytea_output to hex");
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

int fx__render(fx__emit *e, const fx__bind *c, fx_kind kind, int places, int pg, int mode,
               char *msg, size_t n)
{
    if (c->type == FX__B_NULL)
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
        if (c->type != FX__B_TEXT)
            return raw(e, c);
        int rc = fx__emit_json(e, c->s, c->n);
        if (rc == 1)                 /* not JSON: from_db_value keeps the text */
            return put_quoted(e, c->s, c->n);
        return rc;
    }
    case FX_K_BINARY:
        if (mode == FX__R_ENCODER)
            return failf(msg, n, "binary data in a natural key cannot be written as JSON "
                        "(Django fails the same way)");
        if (pg)
            return render_bytea(e, c, msg, n);
        return c->type == FX__B_TEXT ? base64(e, (const unsigned char *)c->s, c->n) : raw(e, c);
    default:
        if (pg)
            return put_quoted(e, c->s, c->n);
        return raw(e, c);
    }
}
