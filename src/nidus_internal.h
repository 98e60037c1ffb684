/*
 * nidus_internal.h — declarations shared between the library's modules and its
 * tests. Nothing here is public: cross-file functions are named nidus__* and are
 * hidden from the shared library by -fvisibility=hidden.
 */
#ifndef NIDUS__INTERNAL_H
#define NIDUS__INTERNAL_H

#include "nidus.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define NIDUS__HEADER_LEN 64
#define NIDUS__FORMAT_VERSION 1

/* ------------------------------------------------------------ assertions ---- */

/* Preconditions the library's own callers guarantee ("room was reserved", "the
 * sizing pass accepted it, so this cannot fail"). Checked in debug builds
 * (-DNIDUS_DEBUG; make test's sanitizer build has it), compiled out otherwise: a
 * violation is a bug in the library, never a reaction to input. */
#ifdef NIDUS_DEBUG
#include <assert.h>
#define NIDUS__ASSERT(c) assert(c)
#else
#define NIDUS__ASSERT(c) ((void)0)
#endif
#define NIDUS__HEADER_DISTANCE 12 /* the header byte holding the distance (nidus 0.5+) */

/* ---------------------------------------------------------------- errors ---- */

/* Where a module leaves the reason for a failure; the store copies it onto the
 * handle. */
typedef struct nerr {
    int code;     /* NIDUS_E* */
    int sys;      /* errno behind it, or 0 */
    char msg[512];
} nerr;

/* Record a failure; returns `code` so callers can `return nidus__err(...)`. */
int nidus__err(nerr *e, int code, int sys, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* Map an errno from a failed system call to a result code. */
int nidus__errno_code(int sys);
/* Record a failed system call: "<what>: <strerror>", code from errno. */
int nidus__err_sys(nerr *e, int sys, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ------------------------------------------------------------ allocation ---- */

/* Every allocation goes through these, so tests can fail the Nth one. */
void *nidus__malloc(size_t n);
void *nidus__calloc(size_t n, size_t size);
void *nidus__realloc(void *p, size_t n);
void nidus__free(void *p);
/* Free what the library owns but holds through a public const view (the strings
 * of an owned nidus_value, of owned attribute keys and decoded ops). The one
 * place that casts const away. */
void nidus__free_view(const void *p);
/* Overflow-checked n*size; NULL on overflow or failure. */
void *nidus__mallocarray(size_t n, size_t size);
void *nidus__reallocarray(void *p, size_t n, size_t size);
/* Copy of s[0..len) with a NUL after it. */
char *nidus__strndup(const char *s, size_t len);
/* A string the library owns (NUL-terminated; nidus__free(ptr) releases it). The
 * public nidus_str is a borrowed view and its pointer is const, so owners keep an
 * nstr and lend views of it. (Attribute values keep the public nidus_value even
 * when owned, so results copy them as they are: value.c alone frees those.) */
typedef struct nstr {
    char *ptr;
    size_t len;
} nstr;
static inline nidus_str nidus__view(nstr s) {
    nidus_str v = {s.ptr, s.len};
    return v;
}
/* An owned copy of s[0..len); ptr is NULL when out of memory. */
static inline nstr nidus__str_dup(const char *s, size_t len) {
    nstr o = {nidus__strndup(s, len), len};
    return o;
}
/* Hint that a large block be backed by huge pages (no-op below 8 MiB). */
void nidus__hint_huge(void *p, size_t n);

/* Bump allocation in chunks that never move, released all at once (arena.c). */
typedef struct narena_chunk narena_chunk;
#define NIDUS__ARENA_MAX_CHUNK ((size_t)4 << 20) /* chunk growth stops doubling here */
typedef struct narena {
    narena_chunk *head; /* the chunk allocations come from; older ones follow */
    uint64_t bytes;     /* every chunk, with its header: the memory it holds */
} narena;
/* Room for n more bytes in the head chunk (NIDUS_OK or NIDUS_ENOMEM); after it, a
 * take of up to n bytes cannot fail. */
int nidus__arena_reserve(narena *a, size_t n);
/* n bytes (8-byte aligned) from reserved room. */
void *nidus__arena_take(narena *a, size_t n);
/* reserve + take; NULL when out of memory. */
void *nidus__arena_alloc(narena *a, size_t n);
/* Forget every allocation; keeps the head chunk for reuse, frees the rest. */
/* The arena's state before a reservation, and undoing it: rollback frees the
 * chunks a reserve pushed since the mark (nothing may have been taken from them),
 * so a call that fails after reserving leaves the arena as it found it. */
narena_chunk *nidus__arena_mark(const narena *a);
void nidus__arena_rollback(narena *a, narena_chunk *mark);
void nidus__arena_reset(narena *a);
void nidus__arena_free(narena *a);

/* ------------------------------------------------------------------ io ---- */

/* Thin wrappers over POSIX file calls; every file operation of the library goes
 * through them. They retry EINTR and loop on short transfers. Return 0 or -errno. */
int nidus__io_open(const char *path, int flags, int mode);  /* fd or -errno */
int nidus__io_close(int fd);
int nidus__io_pread_full(int fd, void *buf, size_t n, uint64_t off); /* -EIO at EOF */
int nidus__io_pwrite_full(int fd, const void *buf, size_t n, uint64_t off);
int nidus__io_fsync(int fd);
int nidus__io_ftruncate(int fd, uint64_t len);
/* A read-only shared mapping of fd's first len bytes (*out), or -errno (fault kind
 * NIDUS__FAULT_MAP). munmap never fails on a mapping of ours. */
int nidus__io_mmap(int fd, size_t len, void **out);
void nidus__io_munmap(void *p, size_t len);
int nidus__io_fsize(int fd, uint64_t *size);
int nidus__io_rename(const char *from, const char *to);
int nidus__io_unlink(const char *path);
int nidus__io_link(const char *from, const char *to);
int nidus__io_fsync_dir(const char *dir);
int nidus__io_mkdir_p(const char *path);
/* Call fn(ctx, name) for every entry of directory dir but "." and "..", in the
 * directory's order; stops at fn's first non-zero return and returns it. 0, or
 * -errno (-ENOENT: no such directory). Changes nothing. */
int nidus__io_list(const char *dir, int (*fn)(void *ctx, const char *name), void *ctx);
/* Whether path still names the file open as fd (same device and inode): a rename
 * over it or an unlink of it says no. fd_st, when not NULL, receives fd's stat. */
struct stat;
bool nidus__io_same_file(int fd, const char *path, struct stat *fd_st);

/* --------------------------------------------------------------- crc32 ---- */

/* Standard CRC-32 (IEEE, reflected 0xEDB88320, init and xorout 0xFFFFFFFF). */
uint32_t nidus__crc32(const void *buf, size_t len);

/* ------------------------------------------------------------- strings ---- */

/* Bytewise order, shorter prefix first (Rust's String order). */
int nidus__str_cmp(const char *a, size_t alen, const char *b, size_t blen);
bool nidus__utf8_valid(const char *s, size_t len);
/* A NUL-terminated argument: not NULL and valid UTF-8. */
static inline bool nidus__utf8_cstr(const char *s) { return s && nidus__utf8_valid(s, strlen(s)); }
/* Decode one UTF-8 scalar at s[*i] (valid input assumed), advancing *i. */
uint32_t nidus__utf8_next(const char *s, size_t len, size_t *i);

/* ---------------------------------------------------------------- values ---- */

/* An owned attribute: key and value strings are library allocations, each
 * NUL-terminated, with lengths. Arrays of them are sorted by key, keys unique. */
typedef struct nattr {
    nidus_str key;
    nidus_value val;
} nattr;

typedef struct nattrs {
    nattr *items;
    size_t n;
} nattrs;

/* Structural equality (no coercion between types; List order matters; Float uses
 * ==, so NaN equals nothing). */
bool nidus__value_eq(const nidus_value *a, const nidus_value *b);
void nidus__value_free(nidus_value *v);
void nidus__attrs_free(nattrs *a);
/* Deep copy of caller input into owned, sorted, de-duplicated (last wins) attrs;
 * validates UTF-8 and types. */
int nidus__attrs_from_input(const nidus_attr *in, size_t n, nattrs *out, nerr *e);
/* Look up a key; NULL if absent. */
const nidus_value *nidus__attrs_get(const nattrs *a, const char *key, size_t klen);
/* Length of an input string (NIDUS_NTS resolved). */
static inline size_t nidus__in_len(nidus_str s) {
    return s.len == NIDUS_NTS ? (s.ptr ? strlen(s.ptr) : 0) : s.len;
}

/* ---------------------------------------------------------------- glob ---- */

/* Anchored glob match of text against pattern (both UTF-8), nidus 0.3 dialect
 * (unchanged through nidus 0.80). */
bool nidus__glob_match(const char *pat, size_t plen, const char *text, size_t tlen);
/* The same with ASCII case folded on both sides (nidus 0.80's IGlob: `[A-Z]`
 * folds to `[a-z]`; non-ASCII is not folded). */
bool nidus__iglob_match(const char *pat, size_t plen, const char *text, size_t tlen);

/* ----------------------------------------------------------------- text ---- */

/* text.c: nidus 0.80's token and fuzzy predicates. A token is a maximal run of
 * ASCII letters and digits and of bytes >= 0x80; tokens compare with ASCII case
 * folded. */
#define NIDUS__MAX_FUZZY_EDITS 8
/* The next token of s[0..len) at or after *pos: true with *tok set and *pos past
 * it, or false at the end. */
bool nidus__token_next(const char *s, size_t len, size_t *pos, nidus_str *tok);
bool nidus__token_eq(nidus_str a, nidus_str b);
/* A query's tokens (views into q), as the token predicates keep them. */
typedef struct ntokens {
    nidus_str *v;
    size_t n;
} ntokens;
/* Fill t with the tokens of q (one allocation, freed with nidus__free(t->v)). */
int nidus__tokens_of(const char *q, size_t len, ntokens *t);
bool nidus__text_all_tokens(const ntokens *q, const char *s, size_t len);
bool nidus__text_any_token(const ntokens *q, const char *s, size_t len);
bool nidus__text_token_sequence(const ntokens *q, const char *s, size_t len);
/* Levenshtein distance over Unicode scalars with ASCII case folded, capped:
 * returns min(distance, cap + 1); cap <= NIDUS__MAX_FUZZY_EDITS. `needle` holds
 * n folded scalars (nidus__fold_scalars). */
unsigned nidus__levenshtein_capped(const char *s, size_t len, const uint32_t *needle, size_t n, unsigned cap);
/* The folded scalars of s (caller frees *out; n may be 0 with *out NULL). */
int nidus__fold_scalars(const char *s, size_t len, uint32_t **out, size_t *n);
/* The uncapped distance, for tests: a and b UTF-8. */
size_t nidus__levenshtein(const char *a, size_t alen, const char *b, size_t blen);

/* -------------------------------------------------------------- pattern ---- */

/* pattern.c: the Regex predicate over libc's POSIX ERE, anchored at both ends,
 * compiled and run under a C.UTF-8 locale (SPEC.md section 10.4). */
#define NIDUS__MAX_PATTERN 1024
typedef struct npattern npattern;
/* Compile `pat` (valid UTF-8). NIDUS_EINVAL with the reason in e->msg (no prefix),
 * or NIDUS_ENOMEM. */
int nidus__pattern_compile(const char *pat, size_t len, npattern **out, nerr *e);
/* Whole-text match; safe from several threads at once on one npattern. */
bool nidus__pattern_match(const npattern *p, const char *s, size_t len);
void nidus__pattern_free(npattern *p);

/* -------------------------------------------------------------- filter ---- */

/* A filter compiled from caller predicates and a filter tree: lengths resolved,
 * input validated, copies owned (filter.c). */
typedef struct nfilter nfilter;
#define NIDUS__MAX_FILTER_DEPTH 64       /* nested All/Any/Not */
#define NIDUS__MAX_FILTER_NODES (1u << 20) /* nodes after expanding shared subtrees */
/* n == 0 gives a filter that matches everything (*out may be NULL then). */
int nidus__filter_compile(const nidus_pred *preds, size_t n, nfilter **out, nerr *e);
/* The old predicates (n of them) ANDed with the tree `where` (NULL: none). *out
 * is NULL when nothing was given (match all). */
int nidus__filter_compile_tree(const nidus_pred *preds, size_t n, const nidus_filter *where, nfilter **out,
                               nerr *e);
bool nidus__filter_match(const nfilter *f, const nattrs *attrs);
void nidus__filter_free(nfilter *f);
/* A read-only view of compiled node i (preorder; 0 is the root), for the filter
 * index's planner (findex.c). Pointers borrow from f. */
typedef struct nfilter_node {
    unsigned op;        /* nidus_filter_op */
    bool lit;           /* GLOB without wildcards: a byte compare */
    uint32_t size, nkids;
    nidus_str key;      /* leaves */
    const nidus_value *val;
    const nidus_value *set;
    size_t nset;
    nidus_str text;     /* GLOB: the pattern */
    const ntokens *toks; /* token predicates */
} nfilter_node;
size_t nidus__filter_nodes(const nfilter *f);
void nidus__filter_node(const nfilter *f, size_t i, nfilter_node *out);

/* ---------------------------------------------------------------- codec ---- */

enum { NIDUS__OP_CREATE = 0, NIDUS__OP_DROP = 1, NIDUS__OP_SETMETA = 2, NIDUS__OP_UPSERT = 3, NIDUS__OP_DELETE = 4,
       NIDUS__OP_SET_FILTER_INDEX = 8 /* nidus 0.64+'s SetFilterIndex: read and written (SPEC.md §12) */ };

/* One field of a SetFilterIndex declaration, as nidus 0.80 logs it: the field and
 * its two flags (which structures nidus builds for its text predicates). We build
 * every structure regardless and keep the flags only to log them back. */
typedef struct nfx_field {
    nidus_str name;
    bool tokens, trigrams;
} nfx_field;

typedef struct nmeta_kv {
    nidus_str key;
    nidus_str value;
} nmeta_kv;

typedef struct nmeta {
    nmeta_kv *items; /* sorted by key, unique */
    size_t n;
} nmeta;
/* (value.c) *out owns copies of kv[0..n)'s borrowed strings and takes kv; on
 * NIDUS_ENOMEM kv and every copy made are freed and *out is empty. */
int nidus__meta_own(nmeta_kv *kv, size_t n, nmeta *out);
/* Caller input validated (UTF-8), sorted by key, the last of equal keys kept, owned. */
int nidus__meta_from_input(const nidus_meta_entry *in, size_t n, nmeta *out, nerr *e);

/* One log operation. Fields unused by a tag are zero. When decoded, every string
 * is an owned copy (free with nidus__op_free). */
typedef struct nlogop {
    uint32_t tag;
    nidus_str coll;
    nidus_str id;    /* UPSERT, DELETE */
    uint64_t row;    /* UPSERT */
    nattrs attrs;    /* UPSERT */
    nmeta meta;      /* SETMETA */
    nfx_field *fields; /* SET_FILTER_INDEX: the declaration (empty: dropped) */
    size_t nfields;
} nlogop;

/* A growable byte buffer. */
typedef struct nbuf {
    uint8_t *p;
    size_t len, cap;
} nbuf;
int nidus__buf_reserve(nbuf *b, size_t extra);
void nidus__buf_free(nbuf *b);

/* Append one whole frame [len][bincode payload][crc] for `op` to `b`. */
int nidus__frame_append(nbuf *b, const nlogop *op, nerr *e);
/* Decode a bincode payload into *op (owned). Returns NIDUS_OK, NIDUS_ECORRUPT
 * (malformed: message says why), NIDUS_EVERSION (a well-formed op 5-9 of a later
 * nidus, which this library does not apply: message names it), or NIDUS_ENOMEM. */
int nidus__op_decode(const uint8_t *p, size_t len, nlogop *op, nerr *e);
/* Either decoder (scratch NULL: owned, else a view), and with `unknown` whether an
 * NIDUS_ECORRUPT is a tag no nidus up to 0.80 writes (op >= 10, value > 6) rather
 * than a malformed op: a log never takes such a frame, with a good CRC, for a torn
 * tail. */
int nidus__op_read(const uint8_t *p, size_t len, nlogop *op, narena *scratch, bool *unknown, nerr *e);
/* The name of later op `tag` (5-9: "UpsertText" .. "Reinforce") and the first nidus
 * version writing it ("0.14" ..), or NULL. */
const char *nidus__later_op_name(uint32_t tag, const char **version);
/* The same decoding and verdicts, as a view: strings point into p[0..len) and are
 * not NUL-terminated; arrays (attributes, list items, meta) come from `scratch`.
 * Valid while both are; never nidus__op_free it. */
int nidus__op_view(const uint8_t *p, size_t len, nlogop *op, narena *scratch, nerr *e);
void nidus__op_free(nlogop *op);
void nidus__meta_free(nmeta *m);

/* ------------------------------------------------------------------ log ---- */

/* Walk the frames in buf[0..len). For each good frame, decode and call cb (which
 * takes ownership of the op; a non-OK return stops the walk with that code).
 * *good_end receives the end of the last good frame. A torn tail (a short frame, or
 * a bad last frame ending exactly at len) ends the walk with NIDUS_OK and
 * *torn = true; a bad frame followed by more bytes is NIDUS_ECORRUPT. */
typedef int (*nidus__op_cb)(void *ctx, nlogop *op);
int nidus__log_scan(const uint8_t *buf, size_t len, size_t *good_end, bool *torn,
                    nidus__op_cb cb, void *ctx, nerr *e);

/* The same walk over the log file fd[0..size), read in windows of `window` bytes
 * (0: the default; a frame longer than a window gets a window of its own), with ops
 * decoded as views (nidus__op_view, arrays from `scratch`), each passed with the
 * offset where its frame ends (progress through the file). A view stays valid
 * until cb is called with op == NULL, which announces that the window moves: the
 * callback must be done with every view by then (and may reset `scratch`). On an
 * error the walk ends with cb(ctx, NULL, NIDUS__SCAN_ABANDON): views are dropped
 * unused, and that call's result is ignored. The verdicts (torn tail, corruption)
 * are nidus__log_scan's on the whole file. */
#define NIDUS__SCAN_ABANDON UINT64_MAX
typedef int (*nidus__view_cb)(void *ctx, const nlogop *op, uint64_t end); /* end: the frame's end offset */
int nidus__log_scan_fd(int fd, uint64_t size, size_t window, uint64_t *good_end, bool *torn,
                       narena *scratch, nidus__view_cb cb, void *ctx, nerr *e);

/* The log file: an fd (-1 in memory) and its logical size. */
typedef struct nlog {
    int fd;
    uint64_t size;
} nlog;
/* Append bytes at the end in one write; on failure the file is cut back to its
 * previous size (best effort) and the error returned. */
int nidus__log_append(nlog *l, const nbuf *frames, nerr *e);
int nidus__log_truncate(nlog *l, uint64_t size, nerr *e);
int nidus__log_sync(nlog *l, nerr *e);

/* ----------------------------------------------------------------- data ---- */

/* The vector matrix, mirrored by the `data` file (fd -1 in memory). Its rows are
 * either copied to the heap or, when `map` is set, read through a read-only shared
 * mapping of the file (SPEC.md §14): vec is then map + the header, and cap_rows the
 * rows the mapping spans, which may run past the file's end (never touched: only
 * rows [0, rows) are read, and they are in the file). */
typedef struct ndata {
    int fd;
    uint32_t dim;
    float *vec;
    uint64_t rows, cap_rows;
    bool want_map;  /* set before the header is read: try to map the rows (a writer,
                       which keeps fd, maps room ahead for its appends) */
    uint8_t *map;   /* the mapping (from offset 0), or NULL: rows on the heap */
    size_t map_len;
} ndata;

/* The header of a store of `distance` (a nidus_distance 0..2: byte 12, as nidus
 * 0.5+ writes it); nidus__header_encode writes a cosine one (byte 12 = 0, the
 * zero padding of nidus 0.3). */
void nidus__header_encode_distance(uint8_t out[NIDUS__HEADER_LEN], uint32_t dim, int distance);
void nidus__header_encode(uint8_t out[NIDUS__HEADER_LEN], uint32_t dim);
/* Magic, version, dimension: NIDUS_ENOTDB (magic), NIDUS_EVERSION, or NIDUS_OK
 * with *dim set. Bytes 12..63 are not looked at (nidus__header_distance reads 12). */
int nidus__header_decode(const uint8_t in[NIDUS__HEADER_LEN], uint32_t *dim, nerr *e);
/* Byte 12, the distance: NIDUS_OK with *distance 0..2, or NIDUS_EVERSION (above 2:
 * a nidus newer than 0.80). Bytes 13..63 stay unchecked, as in nidus. */
int nidus__header_distance(const uint8_t in[NIDUS__HEADER_LEN], int *distance, nerr *e);
/* Make room for `extra` more rows: a larger heap block, or a larger mapping (a
 * writer's, under the write lock: no reader of the handle holds vec). */
int nidus__data_reserve(ndata *d, uint64_t extra, nerr *e);
/* Append n rows (already normalized) to file and RAM in one write. On failure the
 * row count is unchanged and the file is never cut (a reader may have mapped what
 * reached it, SPEC.md §14): the next append writes over those bytes, and a tail
 * shorter than a row is cut by the next writer open. Room must be reserved. */
int nidus__data_append(ndata *d, const float *rows, uint64_t n, nerr *e);
/* Keep rows [0, rows) and cut the file after them. A writer's open calls it with
 * rows = d->rows to cut a crash's partial row, which no reader counts; cutting
 * whole rows is only for a file no other process can have mapped (SPEC.md §14). */
int nidus__data_truncate(ndata *d, uint64_t rows, nerr *e);
int nidus__data_sync(ndata *d, nerr *e);
void nidus__data_free(ndata *d);
/* Read the header and every whole row of an open `data` file of `size` bytes into
 * d (fd not kept). *dim: the requested dimension, 0 = adopt the file's. A partial
 * tail row is ignored here; the caller decides whether to cut it. */
int nidus__data_load(ndata *d, int fd, uint64_t size, uint32_t *dim, uint64_t cap,
                     const char *path, nerr *e);
/* The two halves of nidus__data_load (which adopts any distance): check the header
 * (*distance: the requested metric, NIDUS_DISTANCE_AUTO = adopt the file's; on
 * NIDUS_OK the file's; a mismatch is NIDUS_EDIM) and allocate the rows, then
 * read them (open overlaps the second with the log replay, on another thread). */
int nidus__data_load_header(ndata *d, int fd, uint64_t size, uint32_t *dim, int *distance, uint64_t cap,
                            const char *path, nerr *e);
int nidus__data_read_rows(ndata *d, int fd, const char *path, nerr *e);
int nidus__data_read_range(ndata *d, int fd, uint64_t first, uint64_t count, const char *path, nerr *e);
/* Write a whole data file (header with `distance` + rows) at path and fsync it;
 * removed on failure. */
int nidus__data_write_file(const char *path, uint32_t dim, int distance, const float *rows, uint64_t n, nerr *e);
/* After a compaction: the rows are now `vec` (rows rows, heap, taken over) of the
 * file open as fd (-1 in memory). The old rows and fd are released; when the rows
 * are wanted mapped and fd maps, vec is freed and the rows read through the map. */
void nidus__data_replace(ndata *d, int fd, float *vec, uint64_t rows);

/* Reading the rows of an open `data` (nidus__data_load_header done) on threads
 * while the caller replays the log: the rows are cut into 16 MiB blocks that reader
 * threads take in turn (at most two, one per core the replay leaves free; none
 * below 8 MiB of rows, read at once instead); nidus__rows_finish makes the caller
 * take blocks too, then joins. */
#define NIDUS__ROW_THREADS 2
typedef struct nrow_worker {
    struct nrow_reader *r;
    pthread_t t;
    bool started;
    int rc;
    nerr e;
} nrow_worker;
typedef struct nrow_reader {
    ndata *d; /* NULL: not started */
    int fd;
    const char *path;
    uint64_t block, nblocks; /* rows per block, blocks */
    _Atomic uint64_t next;   /* the next block to take */
    _Atomic bool stop;       /* a reader failed, or the open did: take no more */
    nrow_worker w[NIDUS__ROW_THREADS + 1]; /* the last one is the opening thread */
} nrow_reader;
void nidus__rows_start(nrow_reader *r, ndata *d, int fd, const char *path);
/* Help with the blocks left (unless rc says the open failed), join, and keep the
 * first error (rc) or report a reader's. */
int nidus__rows_finish(nrow_reader *r, int rc, nerr *e);

/* -------------------------------------------------------------- foreign ---- */

/* foreign.c: the files later nidus versions (0.5 to 0.80) write into a store
 * directory (docs/FORMAT.md §10). */

/* Which kind of later version's file `name` is (an index, -1: none of theirs), the
 * version that first writes it and what it is (static strings; either may be NULL). */
int nidus__foreign_kind(const char *name, const char **version, const char **what);
/* A writer's open, before the lock or anything is created: NIDUS_EVERSION naming
 * the most telling such file in dir, NIDUS_OK when there is none (or no dir). */
int nidus__foreign_refuse_writer(const char *dir, nerr *e);
/* A reader's open: a `manifest` must parse and name only `data`, agreeing with its
 * header; seg-* files without a manifest are refused (rows may live there). */
int nidus__foreign_check_reader(const char *dir, nerr *e);

/* A `manifest` (nidus 0.18+): [crc32 LE of the rest][bincode ManifestV1 fields,
 * then for format 2 an open profile, ignored]. */
typedef struct nmanifest {
    uint16_t format;     /* 1 (nidus 0.18 to 0.59) or 2 (0.60 to 0.80) */
    uint64_t dimension;
    uint32_t distance;   /* 0 Cosine, 1 Euclidean, 2 DotProduct */
    uint64_t nsegments;  /* the first is always `data` */
    uint64_t next_id, version;
    char first[64];      /* the first segment's name (cut at 60 bytes) */
    char extra[160];     /* the names after it, ", "-separated, cut short with " …" */
} nmanifest;
/* NIDUS_OK; NIDUS_ECORRUPT (CRC, shape, no segments, first not `data`) or
 * NIDUS_EVERSION (format version > 2, distance > 2), the message saying why
 * (without the file's name). */
int nidus__manifest_parse(const uint8_t *p, size_t len, nmanifest *m, nerr *e);

/* ----------------------------------------------------------------- lock ---- */

typedef struct nlock {
    int fd; /* -1 when not held */
    char *path;
    uint64_t last_touch_ms;
    uint64_t ttl_ms;
} nlock;
int nidus__lock_acquire(nlock *l, const char *dir, uint64_t ttl_ms, nerr *e);
/* Refresh the lock file's mtime if it is older than a quarter of the TTL, so a
 * nidus 0.3 writer (which only looks at mtime) never sees it as stale. */
void nidus__lock_touch(nlock *l);
void nidus__lock_release(nlock *l);
uint64_t nidus__now_ms(void);

/* -------------------------------------------------------------- kernels ---- */

/* kernels.c: nidus 0.3's normalization and dot product, the exact kernels that
 * reproduce that dot's bits, and one table of every kernel (exact kernels and the
 * batch screens of screen.c) that the run-time choice and the test hooks read. */

/* nidus 0.3 normalization: f32 sum of squares, multiply by 1/norm; a near-zero
 * vector is left as is. Finite input whose squares overflow is scaled first. */
void nidus__normalize(float *v, size_t n);
/* Dot product with nidus 0.3's summation order (8 lanes, pairwise fold, tail). */
float nidus__dot(const float *a, const float *b, size_t n);
/* nidus 0.5+'s euclidean score -sum((a[i] - b[i])^2), in the dot's order: lanes
 * accumulate d*d (d = a - b), fold 8 -> 4 -> 2 -> 1, the tail added one by one
 * after the fold, negated last. */
float nidus__l2neg(const float *a, const float *b, size_t n);

/* Whether the environment variable NIDUS_KERNEL names `name` ("portable" turns off
 * every run-time choice: dot kernels, batch screens, the CRC). */
bool nidus__kernel_env_is(const char *name);
/* The run-time chosen kernel (kernels.c), bit-identical to nidus__dot, for loops
 * that call it per row. */
typedef float (*nidus__dot_fn)(const float *a, const float *b, size_t n);
nidus__dot_fn nidus__kdot_fn(void);
/* One query against nr rows of mat in order: out[r] = dot(q, mat + rows[r] * n),
 * each row's lines prefetched `ahead` rows early. Bit-identical to nidus__dot. */
void nidus__kscan1(const float *q, const float *mat, const uint64_t *rows, size_t nr, size_t n, float *out,
                   size_t ahead);
/* Every query against every row: out[qi * ld + r] = dot(q + qi * n, rows[r]). */
void nidus__kblock(const float *q, size_t nq, const float *const *rows, size_t nr, size_t n, float *out, size_t ld);
/* The run-time chosen exact kernels of one metric, picked once per search so the
 * scan loops branch on nothing per row: cosine and dot get the dot kernels
 * (nidus__kdot_fn, nidus__kscan1, nidus__kblock), euclidean their nidus__l2neg
 * counterparts (same shapes, same contracts). */
typedef struct nidus__kfns {
    nidus__dot_fn score;
    void (*scan1)(const float *q, const float *mat, const uint64_t *rows, size_t nr, size_t n, float *out,
                  size_t ahead);
    void (*block)(const float *q, size_t nq, const float *const *rows, size_t nr, size_t n, float *out, size_t ld);
} nidus__kfns;
void nidus__kfns_get(int distance, nidus__kfns *out);

/* Batch screening kernels (screen.c): FMA scores over packed row panels, only
 * to decide which (query, row) pairs the exact kernel must score. */
typedef struct nidus__screen {
    const char *name;
    unsigned width; /* rows per panel */
    unsigned qmax;  /* queries per screen call */
    int bf16;       /* panels and queries hold bfloat16 pairs, one per 32-bit word */
    double rel;     /* relative error its input rounding adds to each product */
    /* rows: nrows (a multiple of 8) pointers to dim floats; panels: nrows * cols
     * words (cols = nidus__screen_cols); norms: nrows floats. */
    void (*pack)(const float *const *rows, size_t nrows, size_t dim, unsigned width, float *panels, float *norms);
    /* q: nq (<= qmax) queries of dim floats back to back; qp: cols * nq words,
     * interleaved (word k of query j at qp[k * nq + j]). */
    void (*pack_queries)(const float *q, unsigned nq, size_t dim, float *qp);
    /* qp from pack_queries; npanels even. Sets bit b of masks[p * nq + j] when
     * the screen's score s of query j and row r = p * width + b has
     * s >= thr[j] - cq[j] * norms[r]. */
    void (*screen)(const float *qp, unsigned nq, const float *panels, size_t npanels, size_t dim,
                   const float *thr, const float *cq, const float *norms, uint32_t *masks);
} nidus__screen;
/* The screens screen.c defines (x86 builds without NIDUS__PORTABLE_ONLY); the
 * kernel table in kernels.c lists them. */
extern const nidus__screen nidus__screen_avx2_fma, nidus__screen_avx512, nidus__screen_avx512_bf16;
/* The screen for this CPU, or NULL (none; or NIDUS_KERNEL=portable); kernels.c. */
const nidus__screen *nidus__screen_get(void);
/* The margin coefficient cq of a query (sized so that no pair that could enter
 * a top-k is held back), and a threshold T lowered for the screen's roundings:
 * pass thr = nidus__screen_floor(T) to let every row whose exact score could be
 * >= T through. */
float nidus__screen_coef(const nidus__screen *s, const float *q, uint32_t dim);
/* Words per panel row and per packed query: dim, or (bf16) dim rounded up to 16, halved. */
size_t nidus__screen_cols(const nidus__screen *s, size_t dim);
float nidus__screen_floor(float t);
/* Raw rows and queries (a dot store): the screen is used only while every query
 * and every row of a block has a norm of at most this (so no sum of either kernel
 * can overflow), and each query's threshold is lowered by an absolute slack too:
 * nidus__screen_slack(cq, dim) (0 when the floor's own absolute term covers it, as
 * for every unit query), applied by nidus__screen_floor_abs(T, slack), which is
 * nidus__screen_floor(T) lowered by slack, rounded down. See screen.c. */
#define NIDUS__SCREEN_NORM_MAX 0x1p60f
float nidus__screen_slack(float cq, uint32_t dim);
float nidus__screen_floor_abs(float t, float slack);
/* Euclidean batches screened through the dot product (-|q - x|^2 = 2 q.x - |q|^2
 * - |x|^2; proof in screen.c): the screen's row norms are squared (rounded down,
 * nidus__screen_l2_norms), each query's coefficient is nidus__screen_l2_coef
 * (negative; 0: this dimension cannot be screened) and its threshold, for an
 * exact euclidean score T to beat, nidus__screen_l2_floor(T, base) with base =
 * nidus__screen_l2_base(s, q, dim). A pair passes when its screen score s >=
 * thr - coef * |x|^2, as the dot screen's test, so the same kernels run. */
float nidus__screen_l2_coef(const nidus__screen *s, uint32_t dim);
float nidus__screen_l2_base(const nidus__screen *s, const float *q, uint32_t dim);
float nidus__screen_l2_floor(float t, float base);
void nidus__screen_l2_norms(float *norms, size_t n);

/* ----------------------------------------------------------------- topk ---- */

/* Bounded top-k by (score desc, row asc); NaN ranks below every number (topk.c). */
typedef struct ntopk_item {
    float score;
    uint64_t row;
    const void *ref; /* caller's doc pointer */
    const void *ref2; /* caller's collection pointer */
} ntopk_item;
typedef struct ntopk {
    ntopk_item *heap; /* min-heap: root is the worst kept item */
    size_t n, k;
} ntopk;
/* `storage` must hold k items. */
void nidus__topk_init(ntopk *t, ntopk_item *storage, size_t k);
void nidus__topk_push(ntopk *t, float score, uint64_t row, const void *ref, const void *ref2);
/* Sort the kept items best first (in place); returns the count. */
size_t nidus__topk_finish(ntopk *t);
/* Push every item `from` keeps into `into` (merging the threads of a scan). */
void nidus__topk_merge(ntopk *into, const ntopk *from);
/* a ranks before b (better): higher score, or equal score and lower row. */
bool nidus__rank_before(float sa, uint64_t ra, float sb, uint64_t rb);
/* Whether (v, row) would enter t (push would keep it); t->k > 0. Most rows of a
 * scan fail the first comparison, so it is inline, for the scan loops to test
 * before calling push. */
static inline bool nidus__topk_beats_worst(const ntopk *t, float v, uint64_t row) {
    if (t->n < t->k) return true;
    const ntopk_item *w = &t->heap[0];
    if (v > w->score) return true;
    if (v < w->score) return false;
    return nidus__rank_before(v, row, w->score, w->row); /* a tie, or NaN */
}

#endif /* NIDUS__INTERNAL_H */
