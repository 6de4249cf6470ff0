/*
** select.c: choosing models and fields by name, with dumpdata's
** vocabulary: "app" or "app.Model" (case-insensitive) to keep or exclude
** models, and "label.field" patterns with shell wildcards ("*.email",
** "auth.user.password") for fields.  Shared by every tool that selects.
*/
#define _GNU_SOURCE             /* FNM_CASEFOLD */
#include "internal.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>

struct fx_models {
    char **inc, **exc;          /* lower-case "app" or "app.model" */
    size_t ninc, nexc;
};

int fx_models_new(fx_models **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : FX_ENOMEM;
}

static int valid(const char *s)
{
    size_t dots = 0;
    if (!*s || *s == '.')
        return 0;
    for (const char *p = s; *p; p++) {
        if (*p == '.') {
            if (p[1] == '\0' || p[1] == '.')
                return 0;
            dots++;
        } else if (!(*p == '_' || (*p >= '0' && *p <= '9') ||
                     ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') || (unsigned char)*p >= 0x80)) {
            return 0;
        }
    }
    return dots <= 1;
}

int fx_models_add(fx_models *m, const char *label, int exclude, fx_error *err)
{
    if (!valid(label))
        return fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0,
                            "'%s' is not a model label: give 'app_label' or "
                            "'app_label.ModelName', as dumpdata takes", label);
    char ***v = exclude ? &m->exc : &m->inc;
    size_t *n = exclude ? &m->nexc : &m->ninc;
    char **nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv)
        return FX_ENOMEM;
    *v = nv;
    if (!(nv[*n] = fx__strndup_lower(label, strlen(label))))
        return FX_ENOMEM;
    (*n)++;
    return 0;
}

int fx_label_keeps(const char *pattern, const char *label)
{
    if (strchr(pattern, '.'))
        return strcmp(pattern, label) == 0;
    size_t n = strlen(pattern);
    return strncmp(pattern, label, n) == 0 && label[n] == '.';
}

static int matches(char **v, size_t n, const char *label)
{
    for (size_t i = 0; i < n; i++)
        if (fx_label_keeps(v[i], label))
            return 1;
    return 0;
}

int fx_models_match(const fx_models *m, const char *label)
{
    if (!m)
        return 1;
    if (m->ninc && !matches(m->inc, m->ninc, label))
        return 0;
    return !matches(m->exc, m->nexc, label);
}

int fx_models_empty(const fx_models *m)
{
    return !m || (m->ninc == 0 && m->nexc == 0);
}

size_t fx_models_includes(const fx_models *m, const char ***out)
{
    *out = (const char **)m->inc;
    return m->ninc;
}

void fx_models_free(fx_models *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->ninc; i++)
        free(m->inc[i]);
    for (size_t i = 0; i < m->nexc; i++)
        free(m->exc[i]);
    free(m->inc);
    free(m->exc);
    free(m);
}

int fx_field_match(const char *pattern, const char *label, const char *field)
{
    char full[512];
    snprintf(full, sizeof full, "%s.%s", label, field);
    return fnmatch(pattern, full, FNM_CASEFOLD) == 0;
}
