/*
** value.c: JSON values kept as their original bytes (fx_value), and what
** the tools need to look inside them without reformatting anything:
** decoding strings, walking arrays and objects, structural equality and the
** canonical form the record hash is computed over.
**
** Every function here assumes the value is well-formed JSON, as every value
** of a record returned by the reader is; none of them allocates what it
** returns except into the caller's fx_buf.
*/
#include "internal.h"

#include <stdlib.h>

fx_type fx__value_type(const char *p)
{
    switch (*p) {
    case '"': return FX_STRING;
    case '[': return FX_ARRAY;
    case '{': return FX_OBJECT;
    case 'n': return FX_NULL;
    case 't': return FX_TRUE;
    case 'f': return FX_FALSE;
    default: return FX_NUMBER;   /* digits, '-', NaN, Infinity */
    }
}

static const char *skip_string(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\')
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return end;
}

const char *fx__skip_value(const char *p, const char *end)
{
    if (p >= end)
        return end;
    if (*p == '"')
        return skip_string(p, end);
    if (*p == '[' || *p == '{') {
        int depth = 0;
        while (p < end) {
            char c = *p;
            if (c == '"') {
                p = skip_string(p, end);
                continue;
            }
            if (c == '[' || c == '{')
                depth++;
            else if ((c == ']' || c == '}') && --depth == 0)
                return p + 1;
            p++;
        }
        return end;
    }
    while (p < end && *p != ',' && *p != ']' && *p != '}' && *p != ' ' &&
           *p != '\n' && *p != '\r' && *p != '\t')
        p++;
    return p;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static unsigned hex4(const char *p)
{
    return (unsigned)(hexval(p[0]) << 12 | hexval(p[1]) << 8 | hexval(p[2]) << 4 |
                      hexval(p[3]));
}

static int put_utf8(fx_buf *out, unsigned cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp; n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | cp >> 6); b[1] = (char)(0x80 | (cp & 0x3F)); n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | cp >> 12); b[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
    } else {
        b[0] = (char)(0xF0 | cp >> 18); b[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        b[2] = (char)(0x80 | (cp >> 6 & 0x3F)); b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return fx_buf_add(out, b, n);
}

int fx_value_str(fx_buf *out, fx_value v)
{
    const char *p = v.text + 1, *end = v.text + v.len - 1;   /* inside quotes */
    if (fx_buf_grow(out, v.len))
        return FX_ENOMEM;
    while (p < end) {
        const char *q = p;
        while (q < end && *q != '\\')
            q++;
        if (q > p && fx_buf_add(out, p, (size_t)(q - p)))
            return FX_ENOMEM;
        if (q >= end)
            break;
        char c = q[1], e;
        p = q + 2;
        switch (c) {
        case 'b': e = '\b'; break;
        case 'f': e = '\f'; break;
        case 'n': e = '\n'; break;
        case 'r': e = '\r'; break;
        case 't': e = '\t'; break;
        case 'u': {
            unsigned cp = hex4(p);
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && p + 6 <= end && p[0] == '\\' &&
                p[1] == 'u') {
                unsigned lo = hex4(p + 2);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
            }
            if (put_utf8(out, cp))
                return FX_ENOMEM;
            continue;
        }
        default: e = c; break;   /* " \ / */
        }
        if (fx_buf_addc(out, e))
            return FX_ENOMEM;
    }
    if (!out->data && fx_buf_add(out, "", 0))
        return FX_ENOMEM;
    return 0;
}

int fx_value_str_eq(fx_value v, const char *s, size_t n)
{
    if (v.type != FX_STRING)
        return 0;
    if (!memchr(v.text, '\\', v.len))   /* the common case: no escapes */
        return v.len == n + 2 && memcmp(v.text + 1, s, n) == 0;
    fx_buf b = FX_BUF_INIT;
    int eq = fx_value_str(&b, v) == 0 && b.len == n && memcmp(b.data, s, n) == 0;
    fx_buf_free(&b);
    return eq;
}

void fx_iter_init(fx_iter *it, fx_value v)
{
    it->object = v.type == FX_OBJECT;
    if (v.type == FX_ARRAY || v.type == FX_OBJECT) {
        it->p = v.text + 1;
        it->end = v.text + v.len - 1;
    } else {
        it->p = it->end = v.text;
    }
}

static fx_value value_at(const char *p, const char *end)
{
    fx_value v;
    v.type = fx__value_type(p);
    v.text = p;
    v.len = (size_t)(fx__skip_value(p, end) - p);
    return v;
}

int fx_iter_next(fx_iter *it, fx_value *key, fx_value *val)
{
    const char *p = fx__skip_ws(it->p, it->end);
    if (p < it->end && *p == ',')
        p = fx__skip_ws(p + 1, it->end);
    if (p >= it->end) {
        it->p = it->end;
        return 0;
    }
    fx_value k = {FX_NULL, NULL, 0};
    if (it->object) {
        k = value_at(p, it->end);
        p = fx__skip_ws(p + k.len, it->end);
        p = fx__skip_ws(p + 1, it->end);   /* ':' */
    }
    fx_value v = value_at(p, it->end);
    it->p = p + v.len;
    if (key)
        *key = k;
    if (val)
        *val = v;
    return 1;
}

/*
** Canonical form: a byte string that is equal for two values exactly when
** they are equal as JSON data.  Tags: n f t, 'd'+len+text for numbers (by
** their text), 's'+len+decoded UTF-8 for strings, '[' elements ']', '{'
** members sorted by key, last duplicate kept, '}'.  Lengths are 8 bytes so
** that no two different values share a form.
*/
static int put_len(fx_buf *out, size_t n)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)n >> (8 * i));
    return fx_buf_add(out, b, 8);
}

static int canon_string(fx_buf *out, fx_value v)
{
    if (fx_buf_addc(out, 's'))
        return FX_ENOMEM;
    if (!memchr(v.text, '\\', v.len))
        return put_len(out, v.len - 2) || fx_buf_add(out, v.text + 1, v.len - 2)
                   ? FX_ENOMEM : 0;
    size_t at = out->len;
    if (put_len(out, 0) || fx_value_str(out, v))
        return FX_ENOMEM;
    size_t n = out->len - at - 8;
    for (int i = 0; i < 8; i++)
        out->data[at + i] = (char)((uint64_t)n >> (8 * i));
    return 0;
}

struct member {
    fx_buf key;       /* canonical form of the key */
    fx_value val;
};

static int cmp_member(const struct member *x, const struct member *y)
{
    size_t n = x->key.len < y->key.len ? x->key.len : y->key.len;
    int c = memcmp(x->key.data, y->key.data, n);
    if (c)
        return c;
    return x->key.len < y->key.len ? -1 : x->key.len > y->key.len;
}

static int canon_object(fx_buf *out, fx_value v)
{
    fx_iter it;
    fx_value k, val;
    size_t n = 0, i;
    int rc = FX_ENOMEM;
    fx_iter_init(&it, v);
    while (fx_iter_next(&it, &k, &val))
        n++;
    struct member *m = calloc(n ? n : 1, sizeof *m);
    if (!m)
        return FX_ENOMEM;
    fx_iter_init(&it, v);
    for (i = 0; fx_iter_next(&it, &k, &val); i++) {
        m[i].val = val;
        if (canon_string(&m[i].key, k))
            goto done;
    }
    /* Python keeps the last of duplicate keys: a stable sort keeps source
    ** order among equal keys, so the last of a run is the one to keep. */
    {
        size_t *idx = malloc((n ? n : 1) * sizeof *idx);
        if (!idx)
            goto done;
        for (i = 0; i < n; i++)
            idx[i] = i;
        for (i = 1; i < n; i++) {          /* small n: insertion sort, stable */
            size_t j = i, t = idx[i];
            while (j > 0 && cmp_member(&m[idx[j - 1]], &m[t]) > 0) {
                idx[j] = idx[j - 1];
                j--;
            }
            idx[j] = t;
        }
        if (fx_buf_addc(out, '{')) {
            free(idx);
            goto done;
        }
        for (i = 0; i < n; i++) {
            if (i + 1 < n && cmp_member(&m[idx[i]], &m[idx[i + 1]]) == 0)
                continue;                  /* a later duplicate wins */
            if (fx_buf_add(out, m[idx[i]].key.data, m[idx[i]].key.len) ||
                fx_value_canon(out, m[idx[i]].val)) {
                free(idx);
                goto done;
            }
        }
        free(idx);
        if (fx_buf_addc(out, '}'))
            goto done;
    }
    rc = 0;
done:
    for (i = 0; i < n; i++)
        fx_buf_free(&m[i].key);
    free(m);
    return rc;
}

int fx_value_canon(fx_buf *out, fx_value v)
{
    switch (v.type) {
    case FX_NULL: return fx_buf_addc(out, 'n');
    case FX_FALSE: return fx_buf_addc(out, 'f');
    case FX_TRUE: return fx_buf_addc(out, 't');
    case FX_NUMBER:
        return fx_buf_addc(out, 'd') || put_len(out, v.len) ||
                       fx_buf_add(out, v.text, v.len) ? FX_ENOMEM : 0;
    case FX_STRING: return canon_string(out, v);
    case FX_ARRAY: {
        fx_iter it;
        fx_value e;
        if (fx_buf_addc(out, '['))
            return FX_ENOMEM;
        fx_iter_init(&it, v);
        while (fx_iter_next(&it, NULL, &e))
            if (fx_value_canon(out, e))
                return FX_ENOMEM;
        return fx_buf_addc(out, ']');
    }
    case FX_OBJECT: return canon_object(out, v);
    }
    return FX_ERROR;
}

int fx_value_equal(fx_value a, fx_value b)
{
    if (a.len == b.len && memcmp(a.text, b.text, a.len) == 0)
        return 1;
    if (a.type != b.type)
        return 0;
    if (a.type == FX_NUMBER)
        return 0;
    fx_buf x = FX_BUF_INIT, y = FX_BUF_INIT;
    int eq = fx_value_canon(&x, a) == 0 && fx_value_canon(&y, b) == 0 &&
             x.len == y.len && memcmp(x.data, y.data, x.len) == 0;
    fx_buf_free(&x);
    fx_buf_free(&y);
    return eq;
}
