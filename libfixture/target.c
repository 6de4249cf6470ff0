/*
** target.c: naming a database target, as the tools take it (--db, and
** --schema when it is not a file): which back end it is, and its text with
** every password masked, for every message, summary and schema "source"
** that names it.  A password must never reach a terminal, a log or a CI
** report because fx printed the target it was given.
**
** PostgreSQL targets are libpq's two forms (the grammar of libpq's
** conninfo_parse() and conninfo_uri_parse()):
**   postgresql://[user[:password]@][host][:port][/dbname][?key=value&...]
**   key=value key='quoted value' ...      (backslash escapes \' and \\)
** A keyword string's dbname may itself be a URI or a keyword string
** (libpq expands it): it is masked the same way.
*/
#include "internal.h"

#include <ctype.h>
#include <stdlib.h>

#define MASK "****"

int fx_target_is_pg(const char *t)
{
    if (!t)
        return 0;
    return strncmp(t, "postgresql://", 13) == 0 || strncmp(t, "postgres://", 11) == 0 ||
           (strchr(t, '=') && strncmp(t, "sqlite:", 7) != 0);
}

/* The secrets of a target, as spans of its text, in order. */
typedef struct span {
    size_t at, len;
} span;

typedef struct spans {
    span s[32];
    size_t n;
} spans;

static void add(spans *sp, size_t at, size_t len)
{
    if (len && sp->n < sizeof sp->s / sizeof sp->s[0]) {
        sp->s[sp->n].at = at;
        sp->s[sp->n].len = len;
        sp->n++;
    }
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f'
           ? (c | 0x20) - 'a' + 10 : -1;
}

/* Is t[0..n), percent-decoded, one of the keywords whose value is secret? */
static int secret_key(const char *t, size_t n, int uri)
{
    char k[16];
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (uri && c == '%' && i + 2 < n && hexval(t[i + 1]) >= 0 &&
            hexval(t[i + 2]) >= 0) {
            c = (char)(hexval(t[i + 1]) * 16 + hexval(t[i + 2]));
            i += 2;
        }
        if (m + 1 >= sizeof k)
            return 0;
        k[m++] = c;
    }
    k[m] = '\0';
    return strcmp(k, "password") == 0 || strcmp(k, "sslpassword") == 0;
}

static void find(spans *sp, const char *t, size_t base, size_t n);

/* postgresql://...: the password of the user information, and the values
** of secret query parameters.  The user information ends at the last '@'
** before the query (libpq stops at the first '@' or '/': a password with
** an unencoded '/' or '@' in it is masked whole all the same). */
static void find_uri(spans *sp, const char *t, size_t base, size_t n)
{
    const char *p = memchr(t, ':', n);   /* the scheme's */
    size_t start = (size_t)(p - t) + 3, q = start;
    while (q < n && t[q] != '?')
        q++;
    size_t at = q;
    while (at > start && t[at - 1] != '@')
        at--;
    if (at > start) {   /* user information: t[start..at-1) */
        const char *colon = memchr(t + start, ':', at - 1 - start);
        if (colon)
            add(sp, base + (size_t)(colon + 1 - t), at - 1 - (size_t)(colon + 1 - t));
    }
    for (size_t i = q; i < n;) {   /* ?key=value&key=value */
        size_t k = ++i;
        while (i < n && t[i] != '=' && t[i] != '&')
            i++;
        size_t klen = i - k;
        if (i >= n || t[i] == '&')
            continue;
        size_t v = ++i;
        while (i < n && t[i] != '&')
            i++;
        if (secret_key(t + k, klen, 1))
            add(sp, base + v, i - v);
    }
}

/* key=value ...: the values of the secret keys, unquoted or quoted.  An
** unquoted secret runs on over the words after it that have no '=' (a
** password with a space, quotes forgotten: libpq takes the first word and
** complains about the next, naming it).  dbname's value is a target too. */
static void find_keywords(spans *sp, const char *t, size_t base, size_t n)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && isspace((unsigned char)t[i]))
            i++;
        size_t k = i;
        while (i < n && t[i] != '=' && !isspace((unsigned char)t[i]))
            i++;
        size_t klen = i - k;
        while (i < n && isspace((unsigned char)t[i]))
            i++;
        if (i >= n || t[i] != '=') {   /* not key=value: skip the word */
            if (i == k)
                i++;
            continue;
        }
        i++;
        while (i < n && isspace((unsigned char)t[i]))
            i++;
        size_t v = i, vlen;
        int secret = secret_key(t + k, klen, 0);
        if (i < n && t[i] == '\'') {
            i++;
            while (i < n && t[i] != '\'')
                i += t[i] == '\\' && i + 1 < n ? 2 : 1;
            if (i < n)
                i++;
            vlen = i - v;
            if (secret && vlen >= 2)
                add(sp, base + v + 1, vlen - 1 - (t[i - 1] == '\'' && vlen > 1));
        } else {
            while (i < n && !isspace((unsigned char)t[i]))
                i += t[i] == '\\' && i + 1 < n ? 2 : 1;
            if (secret) {
                for (;;) {   /* words without '=' after it */
                    size_t j = i;
                    while (j < n && isspace((unsigned char)t[j]))
                        j++;
                    size_t w = j;
                    while (j < n && !isspace((unsigned char)t[j]) && t[j] != '=')
                        j++;
                    if (j == w || (j < n && t[j] == '='))
                        break;
                    size_t e = j;   /* "word =" is a key too */
                    while (e < n && isspace((unsigned char)t[e]))
                        e++;
                    if (e < n && t[e] == '=')
                        break;
                    i = j;
                }
            }
            vlen = i - v;
            if (secret)
                add(sp, base + v, vlen);
        }
        if (!secret && klen == 6 && memcmp(t + k, "dbname", 6) == 0) {
            size_t a = v, b = v + vlen;
            if (b > a && t[a] == '\'') {   /* 'quoted' */
                a++;
                if (b > a && t[b - 1] == '\'')
                    b--;
            }
            char *sub = strndup(t + a, b - a);
            if (sub && fx_target_is_pg(sub))
                find(sp, t + a, base + a, b - a);
            free(sub);
        }
    }
}

static void find(spans *sp, const char *t, size_t base, size_t n)
{
    if ((n >= 13 && strncmp(t, "postgresql://", 13) == 0) ||
        (n >= 11 && strncmp(t, "postgres://", 11) == 0))
        find_uri(sp, t, base, n);
    else
        find_keywords(sp, t, base, n);
}

const char *fx_target_mask(char *buf, size_t n, const char *target)
{
    if (!n)
        return buf;
    buf[0] = '\0';
    if (!target)
        return buf;
    spans sp = {.n = 0};
    if (fx_target_is_pg(target))
        find(&sp, target, 0, strlen(target));
    fx_buf b = FX_BUF_INIT;
    size_t at = 0, len = strlen(target);
    int bad = 0;
    for (size_t i = 0; i < sp.n && !bad; i++) {
        if (sp.s[i].at < at)
            continue;
        bad = fx_buf_add(&b, target + at, sp.s[i].at - at) || fx_buf_adds(&b, MASK);
        at = sp.s[i].at + sp.s[i].len;
    }
    bad = bad || fx_buf_add(&b, target + at, len - at);
    if (bad) {   /* out of memory: say nothing of the target rather than leak */
        snprintf(buf, n, "%s", fx_target_is_pg(target) ? "(a PostgreSQL database)" : target);
    } else {
        snprintf(buf, n, "%s", b.data ? b.data : "");
    }
    fx_buf_free(&b);
    return buf;
}

/* Does the token t[0..len) start at msg[i], not inside a longer word (a
** password "a" is not masked in "failed"; libpq quotes what it names)? */
static int at_word(const char *msg, size_t mlen, size_t i, const char *t, size_t len)
{
    if (len > mlen - i || memcmp(msg + i, t, len) != 0)
        return 0;
    if (i > 0 && isalnum((unsigned char)msg[i - 1]) && isalnum((unsigned char)t[0]))
        return 0;
    return i + len == mlen || !isalnum((unsigned char)msg[i + len]) ||
           !isalnum((unsigned char)t[len - 1]);
}

void fx__mask_secrets(char *msg, size_t n, const char *target)
{
    if (!msg || !n || !fx_target_is_pg(target))
        return;
    spans sp = {.n = 0};
    find(&sp, target, 0, strlen(target));
    /* each secret as written in the target, and each of its words (libpq
    ** names the word it stopped at), longest first */
    struct tok {
        const char *p;
        size_t len;
    } tok[96];
    size_t nt = 0;
    for (size_t i = 0; i < sp.n; i++) {
        const char *s = target + sp.s[i].at;
        size_t len = sp.s[i].len;
        tok[nt].p = s, tok[nt++].len = len;
        for (size_t j = 0; j < len && nt < sizeof tok / sizeof tok[0];) {
            while (j < len && isspace((unsigned char)s[j]))
                j++;
            size_t w = j;
            while (j < len && !isspace((unsigned char)s[j]))
                j++;
            if (j > w && j - w < len)
                tok[nt].p = s + w, tok[nt++].len = j - w;
        }
    }
    for (size_t i = 1; i < nt; i++)
        for (size_t j = i; j > 0 && tok[j].len > tok[j - 1].len; j--) {
            struct tok x = tok[j];
            tok[j] = tok[j - 1];
            tok[j - 1] = x;
        }
    fx_buf out = FX_BUF_INIT;
    size_t mlen = strlen(msg);
    int bad = 0;
    for (size_t i = 0; i < mlen && !bad;) {
        size_t k = 0;
        while (k < nt && !at_word(msg, mlen, i, tok[k].p, tok[k].len))
            k++;
        if (k < nt) {
            bad = fx_buf_adds(&out, MASK);
            i += tok[k].len;
        } else {
            bad = fx_buf_addc(&out, msg[i++]);
        }
    }
    if (bad)   /* out of memory: drop the message rather than leak */
        snprintf(msg, n, "(message withheld: it may name a password)");
    else
        snprintf(msg, n, "%s", out.data ? out.data : "");
    fx_buf_free(&out);
}
