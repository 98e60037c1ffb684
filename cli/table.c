/*
 * table.c — aligned text columns. Widths count UTF-8 code points, which lines up
 * Latin, Greek, Cyrillic and most symbols (wide CJK glyphs will still be off).
 */
#include "table.h"

#include <inttypes.h>
#include <time.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

struct table {
    size_t ncols, nrows, cap;
    char **cells; /* row-major, row 0 = headers */
    char align[16];
};

/* Copy s, escaping control characters so one cell stays one line. */
static char *cell_copy(const char *s) {
    size_t n = strlen(s);
    char *o = xmalloc(n * 4 + 1), *p = o;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n') p += sprintf(p, "\\n");
        else if (c == '\t') p += sprintf(p, "\\t");
        else if (c < 0x20 || c == 0x7f) p += sprintf(p, "\\x%02x", c);
        else *p++ = (char)c;
    }
    *p = 0;
    return o;
}

static size_t width(const char *s) {
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) w++;
    return w;
}

table *table_new(size_t ncols, const char *const *headers, const char *align) {
    table *t = xcalloc(1, sizeof *t);
    t->ncols = ncols;
    snprintf(t->align, sizeof t->align, "%s", align);
    table_row(t, headers);
    return t;
}

void table_row(table *t, const char *const *cells) {
    if (t->nrows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->cells = xrealloc(t->cells, t->cap * t->ncols * sizeof *t->cells);
    }
    for (size_t c = 0; c < t->ncols; c++) t->cells[t->nrows * t->ncols + c] = cell_copy(cells[c] ? cells[c] : "");
    t->nrows++;
}

void table_print(table *t, FILE *f) {
    size_t *w = xcalloc(t->ncols, sizeof *w);
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t x = width(t->cells[r * t->ncols + c]);
            if (x > w[c]) w[c] = x;
        }
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * t->ncols + c];
            size_t pad = w[c] - width(s);
            bool right = t->align[c] == 'r';
            bool last = c + 1 == t->ncols;
            if (right) fprintf(f, "%*s", (int)pad, "");
            fputs(s, f);
            if (!right && !last) fprintf(f, "%*s", (int)pad, "");
            if (!last) fputs("  ", f);
            free((void *)s);
        }
        fputc('\n', f);
    }
    free(w);
    free(t->cells);
    free(t);
}

/* A growable string. */
typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_add(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(sbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->n + (size_t)need + 1 > b->cap) {
        b->cap = (b->n + (size_t)need + 1) * 2;
        b->p = xrealloc(b->p, b->cap);
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    b->n += (size_t)need;
}

static void value_text(sbuf *b, const nidus_value *v) {
    switch (v->type) {
    case NIDUS_NULL: sb_add(b, "null"); break;
    case NIDUS_STR: sb_add(b, "\"%.*s\"", (int)v->v.str.len, v->v.str.ptr); break;
    case NIDUS_INT: sb_add(b, "%" PRId64, v->v.i); break;
    case NIDUS_BOOL: sb_add(b, "%s", v->v.b ? "true" : "false"); break;
    case NIDUS_FLOAT: sb_add(b, "%.*g", cj_digits_f64(v->v.f), v->v.f); break;
    case NIDUS_DATETIME: {
        /* ISO-8601 UTC with milliseconds; floor division keeps pre-1970 right. */
        int64_t ms = v->v.i, sec = ms / 1000, rem = ms % 1000;
        if (rem < 0) rem += 1000, sec -= 1;
        time_t tt = (time_t)sec;
        struct tm tm;
        char when[64];
        if (gmtime_r(&tt, &tm) && strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm))
            sb_add(b, "%s.%03dZ", when, (int)rem);
        else sb_add(b, "%" PRId64 "ms", ms);
        break;
    }
    case NIDUS_LIST:
        sb_add(b, "[");
        for (size_t i = 0; i < v->v.list.count; i++)
            sb_add(b, "%s%.*s", i ? ", " : "", (int)v->v.list.items[i].len, v->v.list.items[i].ptr);
        sb_add(b, "]");
        break;
    }
}

char *table_value_text(const nidus_value *v) {
    sbuf b = {0};
    sb_add(&b, "%s", "");
    value_text(&b, v);
    return b.p;
}

char *table_attrs_text(const nidus_attr *attrs, size_t n) {
    sbuf b = {0};
    sb_add(&b, "%s", "");
    for (size_t i = 0; i < n; i++) {
        sb_add(&b, "%s%s=", i ? " " : "", attrs[i].key);
        value_text(&b, &attrs[i].value);
    }
    return b.p;
}
