/*
 * cli.h — shared declarations of the `nidus` command-line tool.
 *
 * The tool uses only the public API (nidus.h). Errors are reported by cli_fail(),
 * which prints one line "error: <message>" on stderr (as nidus's CLI) and exits; an atexit handler
 * closes the open store first, so a failed command never leaves a stray lock file.
 */
#ifndef NIDUS_CLI_H
#define NIDUS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nidus.h"

/* Exit codes: 0 success, 1 failure (bad input, library error, damage found by
 * check), 2 usage error (unknown flag, missing argument). */
enum { EXIT_FAIL = 1, EXIT_USAGE = 2 };

#define CLI_MAX_POS 4096 /* positional arguments per command */

/* Options of one invocation: the global ones plus every command's. */
typedef struct cli_opts {
    const char *cmd;      /* subcommand name, e.g. "search"; "meta get" for meta */
    const char *dir;      /* --dir (or $NIDUS_DIR) */
    uint32_t dim;         /* --dim; 0 = not given */
    int distance;         /* --distance (or $NIDUS_DISTANCE), a nidus_distance;
                             NIDUS_DISTANCE_AUTO = not given: the store's */
    bool read_only;       /* --read-only */
    bool table;           /* --format table */
    bool help;            /* --help */
    bool quiet;           /* -q: no progress bar, no summary line */
    bool timing;          /* --timing: search prints its time on stderr */
    const char *file;     /* upsert --file */
    const char *query_file;
    const char *where;    /* --where JSON */
    const char *like;     /* search --like ID */
    const char *in;       /* search --in COLLECTION */
    const char *ids_file; /* import --ids */
    const char *attrs_file;
    const char *type;     /* import --type npy|fvecs|raw|ndjson */
    size_t k;             /* -k, default 10 */
    bool has_min_score;
    float min_score;
    size_t batch;         /* import/load batch size */
    bool exact;           /* search/similar --exact: accepted, always exact */
    size_t offset;        /* --offset, default 0 */
    size_t limit;         /* list -n/--limit, default 100 */
    const char **include; /* --include-attr (repeatable) */
    size_t n_include;
    const char **exclude; /* --exclude-attr (repeatable) */
    size_t n_exclude;
    const char **scope;   /* similar --scope (repeatable) */
    size_t n_scope;
    const char **sums;    /* aggregate --sum (repeatable) */
    size_t n_sums;
    const char *order_by; /* list --order-by */
    bool desc;            /* list --desc */
    const char *group_by; /* aggregate --group-by */
    size_t npos;
    const char *pos[CLI_MAX_POS];
} cli_opts;

/* --- errors and memory (main.c) --- */
_Noreturn void cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Fail with the message of a library call that returned rc on db. */
_Noreturn void cli_fail_db(nidus_db *db, int rc, const char *what);
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* --- argument parsing (args.c) --- */
void cli_parse(int argc, char **argv, cli_opts *o);
/* The help text of a command ("" = the overview); NULL if unknown. */
const char *cli_help(const char *cmd);

/* --- opening the store (main.c) --- */
typedef enum { OPEN_READ, OPEN_WRITE, OPEN_CREATE } open_mode;
/* OPEN_READ: read-only handle, no lock. OPEN_WRITE: the store must exist.
 * OPEN_CREATE: a missing store is created with `create_dim` (or --dim). The handle
 * is closed automatically at exit. */
nidus_db *cli_open(const cli_opts *o, open_mode mode, uint32_t create_dim);
/* 1 if `dir` holds a `data` file (the store exists). */
bool cli_store_exists(const char *dir);
/* Forget the handle registered by cli_open after closing it. */
void cli_close(nidus_db *db);

/* --- reading input --- */
/* Whole file (or stdin for NULL / "-") into a NUL-terminated buffer. */
char *cli_read_all(const char *path, size_t *len);
double cli_now(void); /* monotonic seconds */
/* The whole file mapped read-only (NULL for an empty file); cli_unmap releases. */
const unsigned char *cli_map(const char *path, size_t *size);
void cli_unmap(const unsigned char *p, size_t size);
bool cli_utf8_valid(const char *s, size_t n);
/* Split text into lines in place (NUL-terminating each, dropping a trailing "\r");
 * a final newline does not start an empty line. Returns the count. */
size_t cli_lines(char *text, size_t len, char ***lines);
/* Progress on stderr, only when it is a terminal and not --quiet. */
typedef struct cli_progress {
    bool on;
    const char *label;
    size_t total;
    double start, last;
} cli_progress;
void cli_progress_start(cli_progress *p, const cli_opts *o, const char *label, size_t total);
void cli_progress_update(cli_progress *p, size_t done);
void cli_progress_end(cli_progress *p);

/* CRC-32 (ISO-HDLC, as zlib) of n bytes; crc32.c. */
uint32_t cli_crc32(const void *data, size_t n);

/* --- query options (records.c; the hit printer is in json.h) --- */
/* --include-attr/--exclude-attr as the library's projection; both: fails. */
void cli_projection(const cli_opts *o, const char *const **inc, size_t *ninc, const char *const **exc,
                    size_t *nexc);

/* --- commands --- */
int cmd_create(cli_opts *o);
int cmd_drop(cli_opts *o);
int cmd_collections(cli_opts *o);
int cmd_stats(cli_opts *o);
int cmd_compact(cli_opts *o);
int cmd_flush(cli_opts *o);
int cmd_meta_get(cli_opts *o);
int cmd_meta_set(cli_opts *o);
int cmd_filter_index_get(cli_opts *o);
int cmd_filter_index_set(cli_opts *o);
int cmd_upsert(cli_opts *o);
int cmd_get(cli_opts *o);
int cmd_delete(cli_opts *o);
int cmd_search(cli_opts *o);
int cmd_similar(cli_opts *o);
int cmd_list(cli_opts *o);
int cmd_aggregate(cli_opts *o);
int cmd_import(cli_opts *o);
int cmd_dump(cli_opts *o);
int cmd_load(cli_opts *o);
int cmd_check(cli_opts *o);

#endif
