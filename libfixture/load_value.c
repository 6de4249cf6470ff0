/*
** load_value.c: turn a fixture value into what Django 3.2's database
** backends store for it, so that fxload writes the same bytes loaddata
** does.  Checked against databases loaddata filled (tests/django/):
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
**
** Naive datetimes are taken as UTC (Django would take them in its
** TIME_ZONE setting, which a database does not record).  Fractions of a
** second past six digits are cut, as Django's parse_datetime does.
*/
#include "load_int.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

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
        if (binds[i].type == FX__B_TEXT)
            binds[i].s = arena->data + (uintptr_t)binds[i].s;
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

static int parse_date(const char **p, int *y, int *mo, int *d)
{
    if (!digits(p, 4, y) || **p != '-' || (++*p, !digits(p, 2, mo)) || **p != '-' ||
        (++*p, !digits(p, 2, d)))
        return 0;
    return *y >= 1 && *mo >= 1 && *mo <= 12 && *d >= 1 && *d <= days_in_month(*y, *mo);
}

/* HH:MM[:SS[.f{1,6}]] as Django's time_re; fraction padded to microseconds. */
static int parse_time(const char **p, int *h, int *mi, int *s, int *us)
{
    *s = *us = 0;
    if (!digits(p, 2, h) || **p != ':' || (++*p, !digits(p, 2, mi)))
        return 0;
    if (**p == ':') {
        ++*p;
        if (!digits(p, 2, s))
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

static int conv_datetime(fx__bind *out, const char *t, int pg, fx_buf *arena, char *msg,
                         size_t n)
{
    const char *p = t;
    int y, mo, d, h = 0, mi = 0, s = 0, us = 0, off = 0, aware = 0;
    if (!parse_date(&p, &y, &mo, &d))
        goto bad;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (!parse_time(&p, &h, &mi, &s, &us))
            goto bad;
        while (*p == ' ')
            p++;
        if (*p == 'Z') {
            aware = 1;
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
            if (!digits(&p, 2, &oh))
                goto bad;
            if (*p == ':')
                p++;
            if (isdigit((unsigned char)*p) && !digits(&p, 2, &om))
                goto bad;
            off = sign * (oh * 60 + om);
            aware = 1;
        }
    }
    if (*p)
        goto bad;
    if (aware && off) {   /* to UTC */
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
    return add_str(out, arena, t) ? FX_ENOMEM : 0;
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

/* ---------------------------------------------------------------- json */

/* Python's float repr: the shortest text that reads back the same, fixed
** notation for exponents -4..15, else d.ddde[+-]XX. */
static void py_float(char *b, size_t n, double d)
{
    if (isnan(d)) {
        snprintf(b, n, "NaN");
        return;
    }
    if (isinf(d)) {
        snprintf(b, n, d < 0 ? "-Infinity" : "Infinity");
        return;
    }
    char e[40];
    int prec;
    for (prec = 0; prec < 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec, d);
        if (strtod(e, NULL) == d)
            break;
    }
    /* e: [-]D[.DDD]e[+-]XX */
    char dig[24];
    size_t nd = 0;
    const char *p = e;
    int neg = *p == '-';
    if (neg)
        p++;
    for (; *p && *p != 'e'; p++)
        if (isdigit((unsigned char)*p))
            dig[nd++] = *p;
    int exp = atoi(p + 1);
    while (nd > 1 && dig[nd - 1] == '0')
        nd--;
    dig[nd] = '\0';
    char *o = b;
    size_t left = n;
#define PUT(...) do { int k_ = snprintf(o, left, __VA_ARGS__); if (k_ > 0 && (size_t)k_ < left) { o += k_; left -= k_; } } while (0)
    if (neg)
        PUT("-");
    if (exp >= -4 && exp < 16) {
        if (exp < 0) {
            PUT("0.");
            for (int i = -1; i > exp; i--)
                PUT("0");
            PUT("%s", dig);
        } else {
            for (int i = 0; i <= exp; i++)
                PUT("%c", (size_t)i < nd ? dig[i] : '0');
            PUT(".");
            if ((size_t)exp + 1 < nd)
                PUT("%s", dig + exp + 1);
            else
                PUT("0");
        }
    } else {
        PUT("%c", dig[0]);
        if (nd > 1)
            PUT(".%s", dig + 1);
        PUT("e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    }
#undef PUT
}

static int dump_number(fx_buf *out, fx_value v)
{
    int is_int = 1;
    for (size_t i = 0; i < v.len; i++)
        if (!(isdigit((unsigned char)v.text[i]) || (i == 0 && v.text[i] == '-')))
            is_int = 0;
    if (is_int) {   /* Python int: digits kept, "-0" is 0 */
        if (v.len == 2 && v.text[0] == '-' && v.text[1] == '0')
            return fx_buf_addc(out, '0');
        return fx_buf_add(out, v.text, v.len);
    }
    char t[400], b[64];
    if (v.len >= sizeof t)
        return fx_buf_add(out, v.text, v.len);
    memcpy(t, v.text, v.len);
    t[v.len] = '\0';
    double d = strcmp(t, "NaN") == 0 ? NAN : strcmp(t, "Infinity") == 0 ? INFINITY
               : strcmp(t, "-Infinity") == 0 ? -INFINITY : strtod(t, NULL);
    py_float(b, sizeof b, d);
    return fx_buf_adds(out, b);
}

static int dump_string(fx_buf *out, fx_value v)
{
    fx_buf s = FX_BUF_INIT;
    int rc = fx_value_str(&s, v) || fx_buf_addc(out, '"');
    const unsigned char *p = (const unsigned char *)(s.data ? s.data : ""), *end = p + s.len;
    while (!rc && p < end) {
        unsigned c = *p;
        if (c == '"' || c == '\\') {
            rc = fx_buf_addc(out, '\\') || fx_buf_addc(out, (char)c);
            p++;
            continue;
        }
        if (c >= 0x20 && c < 0x7f) {
            rc = fx_buf_addc(out, (char)c);
            p++;
            continue;
        }
        const char *esc = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t"
                          : c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
        if (esc) {
            rc = fx_buf_adds(out, esc);
            p++;
            continue;
        }
        unsigned cp = c;
        int len = 1;
        if (c >= 0xf0 && p + 3 < end) {
            cp = ((c & 7u) << 18) | ((p[1] & 63u) << 12) | ((p[2] & 63u) << 6) | (p[3] & 63u);
            len = 4;
        } else if (c >= 0xe0 && p + 2 < end) {
            cp = ((c & 15u) << 12) | ((p[1] & 63u) << 6) | (p[2] & 63u);
            len = 3;
        } else if (c >= 0xc0 && p + 1 < end) {
            cp = ((c & 31u) << 6) | (p[1] & 63u);
            len = 2;
        }
        if (cp >= 0x10000) {
            cp -= 0x10000;
            rc = fx_buf_printf(out, "\\u%04x\\u%04x", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
        } else {
            rc = fx_buf_printf(out, "\\u%04x", cp);
        }
        p += len;
    }
    if (!rc)
        rc = fx_buf_addc(out, '"');
    fx_buf_free(&s);
    return rc ? FX_ENOMEM : 0;
}

int fx__json_dumps(fx_buf *out, fx_value v)
{
    switch (v.type) {
    case FX_NULL: return fx_buf_adds(out, "null");
    case FX_TRUE: return fx_buf_adds(out, "true");
    case FX_FALSE: return fx_buf_adds(out, "false");
    case FX_NUMBER: return dump_number(out, v);
    case FX_STRING: return dump_string(out, v);
    case FX_ARRAY: {
        fx_iter it;
        fx_value k, e;
        int first = 1;
        if (fx_buf_addc(out, '['))
            return FX_ENOMEM;
        fx_iter_init(&it, v);
        while (fx_iter_next(&it, &k, &e)) {
            if ((!first && fx_buf_adds(out, ", ")) || fx__json_dumps(out, e))
                return FX_ENOMEM;
            first = 0;
        }
        return fx_buf_addc(out, ']');
    }
    case FX_OBJECT: {
        /* a Python dict: a key keeps the place of its first occurrence and
        ** the value of its last */
        fx_iter it, jt;
        fx_value k, e, k2, e2;
        int first = 1;
        if (fx_buf_addc(out, '{'))
            return FX_ENOMEM;
        fx_iter_init(&it, v);
        while (fx_iter_next(&it, &k, &e)) {
            int seen = 0;
            fx_value last = e;
            fx_iter_init(&jt, v);
            while (fx_iter_next(&jt, &k2, &e2)) {
                if (k2.text == k.text)
                    break;
                if (fx_value_equal(k2, k)) {
                    seen = 1;
                    break;
                }
            }
            if (seen)
                continue;
            jt = it;
            while (fx_iter_next(&jt, &k2, &e2))
                if (fx_value_equal(k2, k))
                    last = e2;
            if ((!first && fx_buf_adds(out, ", ")) || dump_string(out, k) ||
                fx_buf_adds(out, ": ") || fx__json_dumps(out, last))
                return FX_ENOMEM;
            first = 0;
        }
        return fx_buf_addc(out, '}');
    }
    }
    return 0;
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
            py_float(b, sizeof b, d);
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
        size_t k = 0;
        const char *s = t;
        if (!strncmp(s, "urn:uuid:", 9))
            s += 9;
        for (; *s && k < 33; s++) {
            if (isxdigit((unsigned char)*s))
                h[k++] = (char)tolower((unsigned char)*s);
            else if (*s != '-' && *s != '{' && *s != '}')
                break;
        }
        if (k != 32 || *s)
            return fail(msg, n, "'%s' is not a UUID", t);
        h[32] = '\0';
        return add_str(out, arena, h) ? FX_ENOMEM : 0;
    }
    default:
        return add_str(out, arena, t) ? FX_ENOMEM : 0;
    }
}
