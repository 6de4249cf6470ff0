/*
** pyjson.c: JSON written exactly as Python's json module writes it, which
** is what Django's serializers hand their records to: json.dump() with an
** indent (or none), separators, ensure_ascii, allow_nan.  fxdump writes
** every byte of its records through here; fxload's JSONField storage
** (json.dumps with ASCII escapes) uses the same string and number rules.
**
** The emitter (fx__emit) follows json.encoder's _make_iterencode: an empty
** list or dict is "[]" or "{}"; otherwise, with an indent, each item goes
** on a line of its own indented by the level, and the closing bracket on
** a line indented one level less; without one, items are joined by the
** item separator.  The caller says where values go; the emitter writes
** separators, newlines and indentation.
*/
#include "db_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define TRY(x) do { if ((x) < 0) return FX_ENOMEM; } while (0)

void fx__emit_init(fx__emit *e, fx_buf *b, int indent, const char *item_sep, int ascii)
{
    memset(e, 0, sizeof *e);
    e->b = b;
    e->indent = indent;
    e->item_sep = item_sep;
    e->sep_len = strlen(item_sep);
    e->ascii = ascii;
}

static int newline(fx__emit *e, int level)
{
    size_t n = (size_t)level * (size_t)e->indent;
    TRY(fx_buf_grow(e->b, n + 1));
    e->b->data[e->b->len++] = '\n';
    memset(e->b->data + e->b->len, ' ', n);
    e->b->len += n;
    e->b->data[e->b->len] = '\0';
    return 0;
}

/* Before an item of the innermost container: its separator and line. */
static int item(fx__emit *e)
{
    if (e->level == 0)
        return 0;
    if (e->items[e->level - 1]++)
        TRY(fx_buf_add(e->b, e->item_sep, e->sep_len));
    if (e->indent >= 0)
        TRY(newline(e, e->level));
    return 0;
}

int fx__emit_item(fx__emit *e)
{
    return item(e);
}

int fx__emit_open(fx__emit *e, char c)
{
    if (e->level >= FX_MAX_DEPTH)
        return FX_ERROR;
    TRY(fx_buf_addc(e->b, c));
    e->items[e->level++] = 0;
    return 0;
}

int fx__emit_close(fx__emit *e, char c)
{
    e->level--;
    if (e->items[e->level] && e->indent >= 0)
        TRY(newline(e, e->level));
    return fx_buf_addc(e->b, c);
}

int fx__emit_key(fx__emit *e, const char *k, size_t n)
{
    TRY(item(e));
    TRY(fx__emit_str(e, k, n));
    return fx_buf_add(e->b, ": ", 2);
}

int fx__emit_key_raw(fx__emit *e, const char *k, size_t n)
{
    TRY(item(e));
    return fx_buf_add(e->b, k, n);
}

int fx__emit_raw(fx__emit *e, const char *s, size_t n)
{
    return fx_buf_add(e->b, s, n);
}

/* The code point of the UTF-8 (or WTF-8) sequence at p[0..n), its length
** in *len; a byte that starts no sequence stands for itself. */
static unsigned utf8_at(const unsigned char *p, size_t n, int *len)
{
    unsigned c = p[0];
    if (c >= 0xf0 && n >= 4) {
        *len = 4;
        return ((c & 7u) << 18) | ((p[1] & 63u) << 12) | ((p[2] & 63u) << 6) | (p[3] & 63u);
    }
    if (c >= 0xe0 && n >= 3) {
        *len = 3;
        return ((c & 15u) << 12) | ((p[1] & 63u) << 6) | (p[2] & 63u);
    }
    if (c >= 0xc0 && n >= 2) {
        *len = 2;
        return ((c & 31u) << 6) | (p[1] & 63u);
    }
    *len = 1;
    return c;
}

/* py_encode_basestring (ensure_ascii=False): '"', '\\' and the controls
** below U+0020 escaped, everything else as is; with ascii set,
** py_encode_basestring_ascii: every non-ASCII code point as \uXXXX (a
** surrogate pair above U+FFFF). */
int fx__emit_str(fx__emit *e, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    TRY(fx_buf_grow(e->b, n + 2));
    e->b->data[e->b->len++] = '"';
    while (p < end) {
        const unsigned char *q = p;
        while (q < end && *q >= 0x20 && *q != '"' && *q != '\\' && (*q < 0x7f || !e->ascii))
            q++;
        if (q > p)
            TRY(fx_buf_add(e->b, p, (size_t)(q - p)));
        if (q >= end)
            break;
        unsigned c = *q;
        char esc[16];
        size_t k = 0;
        p = q + 1;
        esc[k++] = '\\';
        switch (c) {
        case '"': esc[k++] = '"'; break;
        case '\\': esc[k++] = '\\'; break;
        case '\n': esc[k++] = 'n'; break;
        case '\r': esc[k++] = 'r'; break;
        case '\t': esc[k++] = 't'; break;
        case '\b': esc[k++] = 'b'; break;
        case '\f': esc[k++] = 'f'; break;
        default: {                      /* a control, or not ASCII (ascii set) */
            int len = 1;
            if (c >= 0x80)
                c = utf8_at(q, (size_t)(end - q), &len);
            p = q + len;
            if (c >= 0x10000) {
                unsigned hi = 0xd800 + ((c - 0x10000) >> 10), lo = 0xdc00 + ((c - 0x10000) & 0x3ff);
                esc[k++] = 'u';
                for (int i = 12; i >= 0; i -= 4)
                    esc[k++] = hex[(hi >> i) & 15];
                esc[k++] = '\\';
                c = lo;
            }
            esc[k++] = 'u';
            for (int i = 12; i >= 0; i -= 4)
                esc[k++] = hex[(c >> i) & 15];
        }
        }
        TRY(fx_buf_add(e->b, esc, k));
    }
    return fx_buf_addc(e->b, '"');
}

/* ---------------------------------------------------------------- numbers */

/* Python's repr(float): the shortest digits that read back the same, fixed
** notation for decimal exponents -4..15, else d[.ddd]e[+-]XX; json writes
** NaN, Infinity and -Infinity (allow_nan). */
void fx__py_float(char *b, size_t n, double d)
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
        if (*p >= '0' && *p <= '9')
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

int fx__emit_float(fx__emit *e, double d)
{
    char b[64];
    fx__py_float(b, sizeof b, d);
    return fx_buf_adds(e->b, b);
}

/* A JSON number as json.loads reads it and json.dumps writes it back: an
** integer (no '.', no exponent) as Python's int, "-0" as "0"; anything else
** through float(), NaN and the infinities included. */
static int emit_number(fx__emit *e, const char *t, size_t n)
{
    int is_int = 1;
    for (size_t i = 0; i < n && is_int; i++)
        if (!((t[i] >= '0' && t[i] <= '9') || (i == 0 && t[i] == '-')))
            is_int = 0;
    if (is_int) {
        if (n == 2 && t[0] == '-' && t[1] == '0')
            return fx_buf_addc(e->b, '0');
        return fx_buf_add(e->b, t, n);
    }
    char small[64], *c = n < sizeof small ? small : malloc(n + 1);
    if (!c)
        return FX_ENOMEM;
    memcpy(c, t, n);
    c[n] = '\0';
    double d = strcmp(c, "NaN") == 0 ? NAN : strcmp(c, "Infinity") == 0 ? INFINITY
               : strcmp(c, "-Infinity") == 0 ? -INFINITY : strtod(c, NULL);
    if (c != small)
        free(c);
    return fx__emit_float(e, d);
}

/* ---------------------------------------------------------------- values */

typedef struct member {
    fx_value key, val;
    size_t kofs, klen;      /* decoded key in the scratch buffer */
    size_t last;            /* index of the last member with this key */
    int dup;                /* a member before it has the same key */
} member;

static fx_buf *sort_keys_buf;   /* qsort has no context argument */

static int by_key(const void *a, const void *b)
{
    const member *x = *(member *const *)a, *y = *(member *const *)b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(sort_keys_buf->data + x->kofs, sort_keys_buf->data + y->kofs, n);
    if (c)
        return c;
    if (x->klen != y->klen)
        return x->klen < y->klen ? -1 : 1;
    return x < y ? -1 : x > y;
}

static int emit_value(fx__emit *e, fx_value v, fx_buf *scratch);

/* A dict as json.loads builds it: each key at the place of its first
** occurrence, with the value of its last. */
static int emit_object(fx__emit *e, fx_value v, fx_buf *scratch)
{
    fx_iter it;
    fx_value k, x;
    size_t n = 0, cap = 0, base = scratch->len;
    member *m = NULL;
    int rc = 0;
    fx_iter_init(&it, v);
    while (fx_iter_next(&it, &k, &x)) {
        if (n == cap) {
            member *p = realloc(m, (cap = cap ? 2 * cap : 8) * sizeof *m);
            if (!p) {
                rc = FX_ENOMEM;
                goto done;
            }
            m = p;
        }
        size_t off = scratch->len;
        if (fx_value_str(scratch, k)) {
            rc = FX_ENOMEM;
            goto done;
        }
        m[n] = (member){k, x, off, scratch->len - off, n, 0};
        n++;
    }
    if (n > 1) {
        member **s = malloc(n * sizeof *s);
        if (!s) {
            rc = FX_ENOMEM;
            goto done;
        }
        for (size_t i = 0; i < n; i++)
            s[i] = &m[i];
        sort_keys_buf = scratch;
        qsort(s, n, sizeof *s, by_key);
        for (size_t i = 0, j; i < n; i = j) {
            for (j = i + 1; j < n && s[j]->klen == s[i]->klen &&
                 memcmp(scratch->data + s[j]->kofs, scratch->data + s[i]->kofs,
                        s[i]->klen) == 0; j++)
                s[j]->dup = 1;
            s[i]->last = (size_t)(s[j - 1] - m);
        }
        free(s);
    }
    if ((rc = fx__emit_open(e, '{')))
        goto done;
    for (size_t i = 0; i < n && !rc; i++) {
        if (m[i].dup)
            continue;
        if ((rc = fx__emit_key(e, scratch->data + m[i].kofs, m[i].klen)) == 0)
            rc = emit_value(e, m[m[i].last].val, scratch);
    }
    if (!rc)
        rc = fx__emit_close(e, '}');
done:
    free(m);
    scratch->len = base;
    return rc;
}

static int emit_value(fx__emit *e, fx_value v, fx_buf *scratch)
{
    switch (v.type) {
    case FX_NULL: return fx_buf_add(e->b, "null", 4);
    case FX_TRUE: return fx_buf_add(e->b, "true", 4);
    case FX_FALSE: return fx_buf_add(e->b, "false", 5);
    case FX_NUMBER: return emit_number(e, v.text, v.len);
    case FX_STRING: {
        size_t base = scratch->len;
        int rc = fx_value_str(scratch, v);
        if (!rc)
            rc = fx__emit_str(e, scratch->data + base, scratch->len - base);
        scratch->len = base;
        return rc;
    }
    case FX_ARRAY: {
        fx_iter it;
        fx_value k, x;
        int rc = fx__emit_open(e, '[');
        fx_iter_init(&it, v);
        while (!rc && fx_iter_next(&it, &k, &x))
            if ((rc = item(e)) == 0)
                rc = emit_value(e, x, scratch);
        return rc ? rc : fx__emit_close(e, ']');
    }
    case FX_OBJECT: return emit_object(e, v, scratch);
    }
    return 0;
}

int fx__emit_value(fx__emit *e, fx_value v)
{
    fx_buf scratch = FX_BUF_INIT;
    int rc = emit_value(e, v, &scratch);
    fx_buf_free(&scratch);
    return rc;
}

int fx__emit_json(fx__emit *e, const char *json, size_t n)
{
    fx_type type;
    if (!fx__json_valid(json, n, &type))
        return 1;
    const char *p = fx__skip_ws(json, json + n), *end = json + n;
    while (end > p && (end[-1] == ' ' || end[-1] == '\n' || end[-1] == '\r' || end[-1] == '\t'))
        end--;
    fx_value v = {type, p, (size_t)(end - p)};
    return fx__emit_value(e, v);
}
