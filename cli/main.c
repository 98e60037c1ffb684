/*
 * main.c — `nidus` entry point: dispatch, opening the store, error reporting,
 * input helpers (files, lines, UTF-8, progress) and the small commands (create,
 * drop, collections, stats, compact, flush, meta).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "table.h"

/* ---- errors ---- */

static nidus_db *g_db; /* the open handle, closed at exit even on failure */

static void close_at_exit(void) {
    if (g_db) {
        nidus_close(g_db);
        g_db = NULL;
    }
}

static void vfail(const char *fmt, va_list ap) {
    fflush(stdout);
    fputs("error: ", stderr); /* as nidus's CLI (its tests check the prefix) */
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

/* A failure ends the process at once: close the store (so no lock file stays
 * behind) and leave without unwinding; what the command allocated goes with the
 * process (and LeakSanitizer, which runs only on a normal exit, does not count it). */
static _Noreturn void die(int code) {
    close_at_exit();
    fflush(stdout);
    fflush(stderr);
    _exit(code);
}

void cli_fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfail(fmt, ap);
    va_end(ap);
    die(EXIT_FAIL);
}

void cli_usage(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfail(fmt, ap);
    va_end(ap);
    die(EXIT_USAGE);
}

void cli_fail_db(nidus_db *db, int rc, const char *what) {
    const char *msg = db ? nidus_errmsg(db) : nidus_strerror(rc);
    /* A bad filter's message names itself; no command prefix (as nidus's). */
    if (strncmp(msg, "invalid filter:", 15) == 0) cli_fail("%s", msg);
    /* Bad input and missing records: the library's message says it all. */
    if ((rc == NIDUS_EINVAL || rc == NIDUS_ENOTFOUND) && *msg) cli_fail("%s: %s", what, msg);
    /* (NIDUS_EDIM covers the distance metric too: its message says which.) */
    if (strcmp(msg, nidus_strerror(rc)) == 0 || strstr(msg, nidus_strerror(rc)) ||
        (rc == NIDUS_EDIM && strstr(msg, "distance metric mismatch")))
        cli_fail("%s: %s", what, msg);
    cli_fail("%s: %s (%s)", what, nidus_strerror(rc), msg);
}

void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) cli_fail("out of memory (%zu bytes)", n);
    return p;
}

void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) cli_fail("out of memory");
    return p;
}

void *xrealloc(void *p, size_t n) {
    p = realloc(p, n ? n : 1);
    if (!p) cli_fail("out of memory (%zu bytes)", n);
    return p;
}

char *xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *cli_read_all(const char *path, size_t *len) {
    bool std = !path || strcmp(path, "-") == 0;
    FILE *f = std ? stdin : fopen(path, "rb");
    if (!f) cli_fail("cannot open '%s': %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (cap - n < 2) buf = xrealloc(buf, cap *= 2);
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) cli_fail("cannot read %s: %s", std ? "stdin" : path, strerror(errno));
    if (!std) fclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}

const unsigned char *cli_map(const char *path, size_t *size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) cli_fail("cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) cli_fail("cannot stat '%s': %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode)) cli_fail("'%s' is not a regular file", path);
    *size = (size_t)st.st_size;
    void *p = NULL;
    if (*size > 0) {
        p = mmap(NULL, *size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) cli_fail("cannot map '%s': %s", path, strerror(errno));
    }
    close(fd);
    return p;
}

void cli_unmap(const unsigned char *p, size_t size) {
    if (p) munmap((void *)p, size);
}

bool cli_utf8_valid(const char *str, size_t n) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F;
        else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F;
        else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07;
        else return false;
        if (n - i < len) return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return false;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        /* No overlong forms, no surrogates, nothing past U+10FFFF. */
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

size_t cli_lines(char *text, size_t len, char ***lines) {
    size_t n = 0, cap = 1024;
    char **v = xmalloc(cap * sizeof *v);
    char *p = text, *end = text + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *e = nl ? nl : end;
        if (e > p && e[-1] == '\r') e[-1] = 0;
        *e = 0; /* text has a NUL past len (cli_read_all) */
        if (n == cap) v = xrealloc(v, (cap *= 2) * sizeof *v);
        v[n++] = p;
        p = e + 1;
    }
    *lines = v;
    return n;
}

/* ---- progress ---- */

void cli_progress_start(cli_progress *p, const cli_opts *o, const char *label, size_t total) {
    p->on = !o->quiet && isatty(STDERR_FILENO);
    p->label = label;
    p->total = total;
    p->start = p->last = cli_now();
}

static void human_rate(char *b, size_t cap, double r) {
    if (r >= 1e6) snprintf(b, cap, "%.1fM", r / 1e6);
    else if (r >= 1e3) snprintf(b, cap, "%.1fk", r / 1e3);
    else snprintf(b, cap, "%.0f", r);
}

void cli_progress_update(cli_progress *p, size_t done) {
    if (!p->on) return;
    double now = cli_now();
    if (now - p->last < 0.1 && done < p->total) return;
    p->last = now;
    double frac = p->total ? (double)done / (double)p->total : 1.0;
    double el = now - p->start, rate = el > 0 ? (double)done / el : 0;
    double eta = rate > 0 ? (double)(p->total - done) / rate : 0;
    char bar[31], r[32];
    int fill = (int)(frac * 30);
    for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '-';
    bar[30] = 0;
    human_rate(r, sizeof r, rate);
    fprintf(stderr, "\r%s [%s] %3.0f%%  %zu/%zu  %s rec/s  ETA %d:%02d ", p->label, bar, frac * 100, done,
            p->total, r, (int)eta / 60, (int)eta % 60);
    fflush(stderr);
}

void cli_progress_end(cli_progress *p) {
    if (p->on) fputs("\r\033[K", stderr);
}

/* ---- opening ---- */

bool cli_store_exists(const char *dir) {
    char *p = xmalloc(strlen(dir) + 8);
    sprintf(p, "%s/data", dir);
    struct stat st;
    bool ok = stat(p, &st) == 0;
    free(p);
    return ok;
}

nidus_db *cli_open(const cli_opts *o, open_mode mode, uint32_t create_dim) {
    nidus_config cfg;
    nidus_config_init(&cfg, o->dim);
    cfg.distance = o->distance; /* AUTO: the store's, cosine for a new one */
    bool exists = cli_store_exists(o->dir);
    /* nidus 0.80's words for a missing store (its CLI tests look for "no store at"). */
    if (!exists && (mode != OPEN_CREATE || (!o->dim && !create_dim))) {
        if (!o->dim) cli_fail("no store at %s yet — pass --dim to create one", o->dir);
        cli_fail("no store at %s yet — '%s' does not create one (create, upsert, import or meta set do)", o->dir,
                 o->cmd);
    }
    if (mode == OPEN_READ) cfg.read_only = 1;
    else if (!exists) {
        if (o->dim && create_dim && o->dim != create_dim)
            cli_fail("--dim %u does not match the input's dimension %u", o->dim, create_dim);
        cfg.dimension = o->dim ? o->dim : create_dim;
    }
    nidus_db *db = NULL;
    int rc = nidus_open(o->dir, &cfg, &db);
    if (rc != NIDUS_OK) {
        char what[512];
        snprintf(what, sizeof what, "cannot open store '%s'", o->dir);
        g_db = db; /* closed at exit */
        cli_fail_db(db, rc, what);
    }
    g_db = db;
    return db;
}

void cli_close(nidus_db *db) {
    if (db == g_db) g_db = NULL;
    nidus_close(db);
}

static void want_args(const cli_opts *o, size_t min, size_t max, const char *what) {
    if (o->npos < min || o->npos > max) cli_usage("%s: expected %s (see nidus %s --help)", o->cmd, what, o->cmd);
}

static void print_obj_str(const char *key, const char *val) {
    json_t *j = json_object();
    json_object_set_new(j, key, cj_str(val));
    cj_print(stdout, j, true);
}

static void print_ok(void) {
    json_t *j = json_object();
    json_object_set_new(j, "ok", json_true());
    cj_print(stdout, j, true);
}

/* ---- small commands ---- */

int cmd_create(cli_opts *o) {
    want_args(o, 1, 1, "one collection name");
    nidus_db *db = cli_open(o, OPEN_CREATE, 0);
    int rc = nidus_create_collection(db, o->pos[0]);
    if (rc) cli_fail_db(db, rc, "create");
    print_obj_str("created", o->pos[0]);
    return 0;
}

int cmd_drop(cli_opts *o) {
    want_args(o, 1, 1, "one collection name");
    nidus_db *db = cli_open(o, OPEN_WRITE, 0);
    int rc = nidus_drop_collection(db, o->pos[0]);
    if (rc) cli_fail_db(db, rc, "drop");
    print_obj_str("dropped", o->pos[0]);
    return 0;
}

int cmd_collections(cli_opts *o) {
    want_args(o, 0, 0, "no arguments");
    nidus_db *db = cli_open(o, OPEN_READ, 0);
    nidus_names *names;
    int rc = nidus_collections(db, &names);
    if (rc) cli_fail_db(db, rc, "collections");
    if (o->table) {
        const char *h[] = {"collection"};
        table *t = table_new(1, h, "l");
        for (size_t i = 0; i < names->count; i++) table_row(t, &names->names[i]);
        table_print(t, stdout);
    } else {
        json_t *arr = json_array();
        for (size_t i = 0; i < names->count; i++) json_array_append_new(arr, cj_str(names->names[i]));
        cj_print(stdout, arr, true);
    }
    nidus_free(names);
    return 0;
}

int cmd_stats(cli_opts *o) {
    want_args(o, 0, 0, "no arguments");
    nidus_db *db = cli_open(o, OPEN_READ, 0);
    nidus_names *names;
    nidus_footprint fp;
    nidus_config cfg;
    nidus_config_init(&cfg, 0);
    int rc = nidus_collections(db, &names);
    if (rc) cli_fail_db(db, rc, "stats");
    if ((rc = nidus_get_footprint(db, &fp))) cli_fail_db(db, rc, "stats");
    if ((rc = nidus_get_config(db, &cfg))) cli_fail_db(db, rc, "stats");
    const char *distance = nidus_distance_name(cfg.distance);
    if (o->table) {
        char v[8][32];
        snprintf(v[0], 32, "%u", fp.dimension);
        snprintf(v[6], 32, "%s", distance);
        snprintf(v[1], 32, "%zu", names->count);
        snprintf(v[2], 32, "%llu", (unsigned long long)fp.rows);
        snprintf(v[3], 32, "%llu", (unsigned long long)fp.dead_rows);
        snprintf(v[4], 32, "%llu", (unsigned long long)fp.doc_count);
        snprintf(v[5], 32, "%llu", (unsigned long long)fp.vector_bytes);
        snprintf(v[7], 32, "%llu", (unsigned long long)fp.filter_index_bytes);
        const char *keys[] = {"dimension", "distance",     "collections",       "rows",
                              "dead_rows", "doc_count",    "vector_bytes",      "filter_index_bytes"};
        const int at[] = {0, 6, 1, 2, 3, 4, 5, 7};
        const char *h[] = {"stat", "value"};
        table *t = table_new(2, h, "lr");
        for (int i = 0; i < 8; i++) {
            const char *row[] = {keys[i], v[at[i]]};
            table_row(t, row);
        }
        table_print(t, stdout);
    } else {
        json_t *j = json_object(), *arr = json_array(), *f = json_object();
        for (size_t i = 0; i < names->count; i++) json_array_append_new(arr, cj_str(names->names[i]));
        json_object_set_new(j, "dimension", json_integer(nidus_dimension(db)));
        json_object_set_new(j, "distance", cj_str(distance));
        json_object_set_new(j, "ann", json_null()); /* nidus 0.80's key: no ANN index, always exact */
        json_object_set_new(j, "collections", arr);
        json_object_set_new(f, "rows", json_integer((json_int_t)fp.rows));
        json_object_set_new(f, "dead_rows", json_integer((json_int_t)fp.dead_rows));
        json_object_set_new(f, "dimension", json_integer(fp.dimension));
        json_object_set_new(f, "vector_bytes", json_integer((json_int_t)fp.vector_bytes));
        json_object_set_new(f, "doc_count", json_integer((json_int_t)fp.doc_count));
        /* nidus 0.80's key: what the declared filter indexes hold (0: none). */
        json_object_set_new(f, "filter_index_bytes", json_integer((json_int_t)fp.filter_index_bytes));
        json_object_set_new(j, "footprint", f);
        cj_print(stdout, j, true);
    }
    nidus_free(names);
    return 0;
}

int cmd_compact(cli_opts *o) {
    want_args(o, 0, 0, "no arguments");
    nidus_db *db = cli_open(o, OPEN_WRITE, 0);
    int rc = nidus_compact(db);
    if (rc) cli_fail_db(db, rc, "compact");
    print_ok();
    return 0;
}

int cmd_flush(cli_opts *o) {
    want_args(o, 0, 0, "no arguments");
    nidus_db *db = cli_open(o, OPEN_WRITE, 0);
    int rc = nidus_flush(db);
    if (rc) cli_fail_db(db, rc, "flush");
    print_ok();
    return 0;
}

int cmd_meta_get(cli_opts *o) {
    want_args(o, 1, 1, "one collection name");
    nidus_db *db = cli_open(o, OPEN_READ, 0);
    nidus_meta *m;
    int rc = nidus_get_meta(db, o->pos[0], &m);
    if (rc) cli_fail_db(db, rc, "meta get");
    if (o->table) {
        const char *h[] = {"key", "value"};
        table *t = table_new(2, h, "ll");
        for (size_t i = 0; i < m->count; i++) {
            const char *row[] = {m->entries[i].key, m->entries[i].value};
            table_row(t, row);
        }
        table_print(t, stdout);
    } else {
        json_t *j = json_object();
        for (size_t i = 0; i < m->count; i++) json_object_set_new(j, m->entries[i].key, cj_str(m->entries[i].value));
        cj_print(stdout, j, true);
    }
    nidus_free(m);
    return 0;
}

int cmd_meta_set(cli_opts *o) {
    want_args(o, 2, 2, "a collection name and a JSON object");
    json_t *j = cj_parse(o->pos[1], strlen(o->pos[1]), "meta");
    if (!json_is_object(j)) cli_fail("meta: want a JSON object of strings, e.g. '{\"model\": \"e5\"}'");
    size_t n = json_object_size(j), i = 0;
    nidus_meta_entry *e = xcalloc(n, sizeof *e);
    const char *key;
    json_t *v;
    char err[CJ_ERR];
    json_object_foreach(j, key, v) {
        char what[300];
        snprintf(what, sizeof what, "the value of \"%.200s\"", key);
        if (!(e[i].value = cj_cstr(v, what, err))) cli_fail("meta: %s", err);
        e[i++].key = key;
    }
    nidus_db *db = cli_open(o, OPEN_CREATE, 0);
    int rc = nidus_set_meta(db, o->pos[0], e, n);
    if (rc) cli_fail_db(db, rc, "meta set");
    print_ok();
    free(e);
    json_decref(j);
    return 0;
}

int cmd_filter_index_get(cli_opts *o) {
    want_args(o, 1, 1, "one collection name");
    nidus_db *db = cli_open(o, OPEN_READ, 0);
    nidus_names *n;
    int rc = nidus_get_filter_index(db, o->pos[0], &n);
    if (rc) cli_fail_db(db, rc, "filter-index get");
    json_t *fields = json_array();
    for (size_t i = 0; i < n->count; i++) json_array_append_new(fields, cj_str(n->names[i]));
    json_t *j = json_object();
    json_object_set_new(j, "fields", fields);
    cj_print(stdout, j, true);
    nidus_free(n);
    return 0;
}

int cmd_filter_index_set(cli_opts *o) {
    want_args(o, 1, CLI_MAX_POS, "a collection name and the fields to index");
    nidus_db *db = cli_open(o, OPEN_WRITE, 0);
    int rc = nidus_set_filter_index(db, o->pos[0], o->pos + 1, o->npos - 1);
    if (rc) cli_fail_db(db, rc, "filter-index set");
    print_ok();
    return 0;
}

/* ---- dispatch ---- */

typedef struct command {
    const char *name;
    int (*run)(cli_opts *);
    bool writes; /* refused under --read-only */
} command;

static const command COMMANDS[] = {
    {"create", cmd_create, true},     {"drop", cmd_drop, true},
    {"upsert", cmd_upsert, true},     {"search", cmd_search, false},
    {"similar", cmd_similar, false},  {"list", cmd_list, false},
    {"aggregate", cmd_aggregate, false},
    {"get", cmd_get, false},          {"delete", cmd_delete, true},
    {"collections", cmd_collections, false}, {"stats", cmd_stats, false},
    {"compact", cmd_compact, true},   {"flush", cmd_flush, true},
    {"meta get", cmd_meta_get, false}, {"meta set", cmd_meta_set, true},
    {"import", cmd_import, true},     {"dump", cmd_dump, false},
    {"load", cmd_load, true},         {"check", cmd_check, false},
    {"filter-index get", cmd_filter_index_get, false},
    {"filter-index set", cmd_filter_index_set, true},
};

/* `nidus serve` has its own options and lifetime (cli/serve.c). */
int serve_main(int argc, char **argv);

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "serve") == 0) return serve_main(argc - 1, argv + 1);
    cli_opts o;
    cli_parse(argc, argv, &o);
    atexit(close_at_exit);
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++) {
        const command *c = &COMMANDS[i];
        if (strcmp(c->name, o.cmd) != 0) continue;
        if (c->writes && o.read_only) cli_usage("--read-only refuses '%s', which modifies the store", c->name);
        int rc = c->run(&o);
        close_at_exit();
        if (fflush(stdout) != 0 || ferror(stdout)) cli_fail("cannot write output: %s", strerror(errno));
        return rc;
    }
    cli_usage("unknown command '%s'", o.cmd);
}
