/*
 * nidus.h — the whole public API of libnidus, an embeddable exact-search vector store.
 *
 * Only what is declared in this file is published. Every exported symbol starts with
 * `nidus_` (functions, types) or `NIDUS_` (macros, constants); anything else in the
 * library is internal and may change without notice.
 *
 * A store is a directory holding `data` (the vector matrix), `log` (the CRC-framed
 * operation log) and, while a writer has it open, `lock`. The bytes are the same as
 * nidus 0.3 (the Rust crate) writes: a store written by either opens in the other.
 * docs/FORMAT.md describes them.
 *
 * Conventions
 * -----------
 * - Every fallible function returns an `int` result code: NIDUS_OK (0) on success,
 *   otherwise one of the NIDUS_E* codes below. On failure a detailed message is left
 *   on the handle (nidus_errmsg) and the store is exactly as it was before the call:
 *   memory, the log, and every byte of `data` (which may keep rows the call had
 *   appended, as dead orphan rows no record names: SPEC.md §14.1).
 * - Strings passed in are NUL-terminated UTF-8; invalid UTF-8 is refused with
 *   NIDUS_EINVAL (nidus 0.3 could not read it back).
 * - Ownership of every pointer is stated with one of these phrases:
 *     "Borrowed": the library only reads it during the call.
 *     "Caller owns; free with nidus_free()": one allocation, released whole.
 *     "Valid until the next call on db": handle-owned text.
 * - Results (hits, records, names, meta) are self-contained copies: they stay valid
 *   after later writes and after nidus_close(), until passed to nidus_free().
 * - Every call takes the handle as `nidus_db *`, reads included: a read takes the
 *   handle's lock and may rebuild its scan order, so none is const in fact.
 *
 * Threading
 * ---------
 * A handle may be shared by any number of threads. Read calls (search,
 * search_batch, search_similar, get, get_all, list_docs, aggregate, collections,
 * meta, footprint, has_collection, get_filter_index) run concurrently; write calls
 * (upsert, delete, delete_where, delete_where_filter, create, drop, set_meta,
 * set_filter_index, flush, compact) take the handle exclusively and wait for
 * running reads. nidus_close() must not race any other call
 * on the same handle. When threads share a handle, read a failure's message with
 * nidus_errmsg_copy(), which is atomic with respect to other threads' failures.
 *
 * Processes: one writer per store (an advisory lock on `lock` for the handle's life),
 * any number of read-only handles, which take no lock and see a consistent snapshot
 * as of their open: every write that returned before it, and of a write running
 * during it a prefix of its batch's records, as a crash would leave (nidus's log
 * format has no batch marker; docs/FORMAT.md section 6.3).
 *
 * Versioning
 * ----------
 * NIDUS_VERSION_* describe this header; nidus_version_number() the linked library.
 * Applications may assert they match. Within one major version the ABI only grows:
 * signatures never change, new calls are added. nidus_config and
 * nidus_search_opts start with a struct_size field so they can grow.
 */
#ifndef NIDUS_H
#define NIDUS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define NIDUS_API
#elif defined(__GNUC__) || defined(__clang__)
#define NIDUS_API __attribute__((visibility("default")))
#else
#define NIDUS_API
#endif

#define NIDUS_VERSION_MAJOR 0
#define NIDUS_VERSION_MINOR 4
#define NIDUS_VERSION_PATCH 0
#define NIDUS_VERSION_NUMBER \
    (NIDUS_VERSION_MAJOR * 10000 + NIDUS_VERSION_MINOR * 100 + NIDUS_VERSION_PATCH)
#define NIDUS_VERSION_STRING "0.4.0"

/* The linked library's version, as NIDUS_VERSION_NUMBER / NIDUS_VERSION_STRING.
 * @return a number; the string is static. Never fails. */
NIDUS_API int nidus_version_number(void);
NIDUS_API const char *nidus_version_string(void);

/* ------------------------------------------------------------------------------ */
/* Result codes. Values are pinned and never reused.                              */
/* ------------------------------------------------------------------------------ */

#define NIDUS_RESULT_CODES(X)                                                        \
    X(NIDUS_OK, 0, "not an error")                                                   \
    X(NIDUS_EINVAL, 1, "invalid argument")                                           \
    X(NIDUS_ENOMEM, 2, "out of memory")                                              \
    X(NIDUS_EIO, 3, "input/output error")                                            \
    X(NIDUS_ENOSPC, 4, "no space left on device")                                    \
    X(NIDUS_ECORRUPT, 5, "store is corrupt")                                         \
    X(NIDUS_ENOTDB, 6, "not a nidus data file")                                      \
    X(NIDUS_EVERSION, 7, "unsupported format version")                               \
    X(NIDUS_EDIM, 8, "dimension mismatch")                                           \
    X(NIDUS_ELOCKED, 9, "store is locked by another writer")                         \
    X(NIDUS_EREADONLY, 10, "read-only store: mutations are not allowed")             \
    X(NIDUS_ECAPACITY, 11, "max_vector_bytes would be exceeded")                     \
    X(NIDUS_ENOTFOUND, 12, "not found")                                              \
    X(NIDUS_EMISUSE, 13, "library misuse (bad or closed handle)")                    \
    X(NIDUS_EPERM, 14, "permission denied")                                          \
    X(NIDUS_EBROKEN, 15, "handle unusable after a failed rollback; reopen the store")

enum nidus_result {
#define NIDUS__ENUM(name, value, text) name = value,
    NIDUS_RESULT_CODES(NIDUS__ENUM)
#undef NIDUS__ENUM
};
/* How many result codes there are (their values run from 0 without gaps). */
#define NIDUS__COUNT(name, value, text) +1
enum { NIDUS_RESULT_COUNT = 0 NIDUS_RESULT_CODES(NIDUS__COUNT) };
#undef NIDUS__COUNT

/* Static description of a result code, e.g. "store is corrupt".
 * @return never NULL; "unknown result code" for values outside the enum. */
NIDUS_API const char *nidus_strerror(int rc);

/* ------------------------------------------------------------------------------ */
/* Values and records                                                             */
/* ------------------------------------------------------------------------------ */

/* Attribute value types. The numbers are the on-disk tags. Float and DateTime are
 * the tags later nidus versions append; nidus 0.3 itself cannot read them. */
typedef enum nidus_type {
    NIDUS_NULL = 0,     /* set, and empty (distinct from an absent key) */
    NIDUS_STR = 1,      /* UTF-8 string */
    NIDUS_INT = 2,      /* int64 */
    NIDUS_BOOL = 3,     /* 0 or 1 */
    NIDUS_LIST = 4,     /* ordered list of strings */
    NIDUS_FLOAT = 5,    /* IEEE double */
    NIDUS_DATETIME = 6  /* int64 milliseconds since the Unix epoch */
} nidus_type;

/* A string with its byte length. `ptr` is also NUL-terminated in everything the
 * library returns. On input `len` may be NIDUS_NTS: "use strlen(ptr)". */
typedef struct nidus_str {
    const char *ptr;
    size_t len;
} nidus_str;

#define NIDUS_NTS ((size_t)-1)

/* One attribute value. Only the member named by `type` is read. */
typedef struct nidus_value {
    nidus_type type;
    union {
        nidus_str str;   /* NIDUS_STR */
        int64_t i;       /* NIDUS_INT and NIDUS_DATETIME */
        int b;           /* NIDUS_BOOL: 0 or 1 (any non-zero reads as 1 on input) */
        double f;        /* NIDUS_FLOAT */
        struct {
            const nidus_str *items; /* NIDUS_LIST: `count` strings */
            size_t count;
        } list;
    } v;
} nidus_value;

/* A key and its value. Keys are unique in a record; on input a repeated key keeps
 * the last value. Records come back with attributes sorted by key (bytewise). */
typedef struct nidus_attr {
    const char *key;
    nidus_value value;
} nidus_attr;

/* Input record for nidus_upsert. All pointers Borrowed. `vector` holds `dim` finite
 * floats; `dim` must equal the store's dimension. In a cosine store the vector is
 * unit-normalized before it is stored; euclidean and dot stores keep it as given. */
typedef struct nidus_record {
    const char *id;
    const float *vector;
    size_t dim;
    const nidus_attr *attrs;
    size_t n_attrs;
} nidus_record;

/* Convenience constructors for values (header-only; no library state). */
static inline nidus_value nidus_null(void) { nidus_value v; v.type = NIDUS_NULL; v.v.i = 0; return v; }
static inline nidus_value nidus_string(const char *s) { nidus_value v; v.type = NIDUS_STR; v.v.str.ptr = s; v.v.str.len = NIDUS_NTS; return v; }
static inline nidus_value nidus_int(int64_t i) { nidus_value v; v.type = NIDUS_INT; v.v.i = i; return v; }
static inline nidus_value nidus_bool(int b) { nidus_value v; v.type = NIDUS_BOOL; v.v.b = b != 0; return v; }
static inline nidus_value nidus_float(double f) { nidus_value v; v.type = NIDUS_FLOAT; v.v.f = f; return v; }
static inline nidus_value nidus_datetime(int64_t ms) { nidus_value v; v.type = NIDUS_DATETIME; v.v.i = ms; return v; }
static inline nidus_value nidus_list(const nidus_str *items, size_t count) { nidus_value v; v.type = NIDUS_LIST; v.v.list.items = items; v.v.list.count = count; return v; }

/* ------------------------------------------------------------------------------ */
/* Filters                                                                        */
/* ------------------------------------------------------------------------------ */

typedef enum nidus_pred_kind {
    NIDUS_PRED_EQ = 0,   /* attrs[key] == value (structural; absent key never matches) */
    NIDUS_PRED_GLOB = 1, /* attrs[key] is a Str matching `pattern` (anchored glob) */
    NIDUS_PRED_IN = 2    /* attrs[key] equals one of set[0..set_len) */
} nidus_pred_kind;

/* One predicate; a filter is an array of them, ANDed (an empty filter matches all).
 * Glob dialect: `*` any run, `?` one char, `[abc]`, `[a-z]`, `[!x]` / `[^x]`; no
 * escapes; matching is by Unicode scalar and case-sensitive. */
typedef struct nidus_pred {
    nidus_pred_kind kind;
    const char *key;
    nidus_value value;        /* NIDUS_PRED_EQ */
    const char *pattern;      /* NIDUS_PRED_GLOB */
    const nidus_value *set;   /* NIDUS_PRED_IN */
    size_t set_len;
} nidus_pred;

/* The filter language of later nidus versions (0.52 .. 0.80): a tree of predicates.
 * The caller builds it without allocating (nodes in its own arrays, compound
 * literals, or the nidus_f_* constructors below); the library validates and
 * compiles it once per call and never keeps a pointer into it (Borrowed).
 *
 * Rules (SPEC.md section 10 has the details):
 * - An absent key fails every leaf, Ne, NotIn and NotContains included; Null is a
 *   present value. Not(Eq(k, v)) is true on an absent key (unlike Ne).
 * - Equality is structural, same type only (Int(1) is not Float(1.0)); Float uses
 *   ==, so NaN equals nothing (Ne and NotIn are true against a NaN) and -0.0 == 0.0.
 * - Ranges compare the same type only: Int, Float (NaN never), Str (bytewise),
 *   Bool (false < true), DateTime; anything else is false.
 * - Glob/IGlob need a Str; Contains/NotContains/ContainsAny need a List (of
 *   strings; a non-Str needle never matches); Fuzzy, the token predicates and
 *   Regex read a Str or any one element of a List.
 * - All of nothing is true, Any of nothing is false.
 * - Tokens are maximal runs of ASCII letters and digits and of bytes >= 0x80,
 *   compared with ASCII case folded. Fuzzy is Levenshtein over characters, ASCII
 *   case folded, against the whole string, at most 8 edits. Regex is POSIX ERE
 *   (libc) anchored at both ends, over UTF-8; a leading (?i) and (?:...) groups
 *   are accepted; back-references, other (? groups and patterns over 1024 bytes
 *   are refused.
 * - At most 64 nested All/Any/Not. A bad filter is NIDUS_EINVAL with a message
 *   naming the predicate ("invalid filter: ..."), before anything is read or
 *   written. */
typedef enum nidus_filter_op {
    NIDUS_F_EQ = 0,                  /* attrs[key] == value */
    NIDUS_F_NE,                      /* key present and attrs[key] != value */
    NIDUS_F_GLOB,                    /* Str matching the glob `text` */
    NIDUS_F_IGLOB,                   /* the same, ASCII case folded on both sides */
    NIDUS_F_IN,                      /* attrs[key] equals one of values[0..count) */
    NIDUS_F_NOT_IN,                  /* key present and equal to none of them */
    NIDUS_F_LT,                      /* attrs[key] < value (same type only) */
    NIDUS_F_LE,
    NIDUS_F_GT,
    NIDUS_F_GE,
    NIDUS_F_CONTAINS,                /* a List holding the Str `value` */
    NIDUS_F_NOT_CONTAINS,            /* a List not holding it */
    NIDUS_F_CONTAINS_ANY,            /* a List holding one of values[0..count) */
    NIDUS_F_ALL,                     /* every one of children[0..count) */
    NIDUS_F_ANY,                     /* at least one of children[0..count) */
    NIDUS_F_NOT,                     /* not children[0]; count must be 1 */
    NIDUS_F_FUZZY,                   /* text within max_edits edits of `text` */
    NIDUS_F_CONTAINS_ALL_TOKENS,     /* every token of `text` is one of the text's */
    NIDUS_F_CONTAINS_ANY_TOKEN,      /* some token of `text` is */
    NIDUS_F_CONTAINS_TOKEN_SEQUENCE, /* the tokens of `text`, consecutive, in order */
    NIDUS_F_REGEX                    /* the whole text matches the pattern `text` */
} nidus_filter_op;                   /* nidus 0.80's Predicate, in its declaration order */

/* One node. Only the fields its op names are read. All pointers Borrowed. */
typedef struct nidus_filter {
    nidus_filter_op op;
    const char *key;                     /* every leaf: the attribute (UTF-8) */
    nidus_value value;                   /* EQ NE LT LE GT GE CONTAINS NOT_CONTAINS */
    const nidus_value *values;           /* IN NOT_IN CONTAINS_ANY: `count` values */
    const struct nidus_filter *children; /* ALL ANY: `count` nodes; NOT: exactly one */
    size_t count;
    const char *text;                    /* GLOB IGLOB: pattern; FUZZY: needle; token
                                            predicates: query; REGEX: pattern */
    unsigned max_edits;                  /* FUZZY: 0..8 */
} nidus_filter;

/* Constructors (header-only; no library state). */
static inline nidus_filter nidus__f_node(nidus_filter_op op, const char *key) {
    nidus_filter f;
    f.op = op;
    f.key = key;
    f.value.type = NIDUS_NULL;
    f.value.v.i = 0;
    f.values = NULL;
    f.children = NULL;
    f.count = 0;
    f.text = NULL;
    f.max_edits = 0;
    return f;
}
static inline nidus_filter nidus__f_value(nidus_filter_op op, const char *key, nidus_value v) {
    nidus_filter f = nidus__f_node(op, key);
    f.value = v;
    return f;
}
static inline nidus_filter nidus__f_values(nidus_filter_op op, const char *key, const nidus_value *vs, size_t n) {
    nidus_filter f = nidus__f_node(op, key);
    f.values = vs;
    f.count = n;
    return f;
}
static inline nidus_filter nidus__f_text(nidus_filter_op op, const char *key, const char *text) {
    nidus_filter f = nidus__f_node(op, key);
    f.text = text;
    return f;
}
static inline nidus_filter nidus__f_group(nidus_filter_op op, const nidus_filter *children, size_t n) {
    nidus_filter f = nidus__f_node(op, NULL);
    f.children = children;
    f.count = n;
    return f;
}
static inline nidus_filter nidus_f_eq(const char *key, nidus_value v) { return nidus__f_value(NIDUS_F_EQ, key, v); }
static inline nidus_filter nidus_f_ne(const char *key, nidus_value v) { return nidus__f_value(NIDUS_F_NE, key, v); }
static inline nidus_filter nidus_f_lt(const char *key, nidus_value v) { return nidus__f_value(NIDUS_F_LT, key, v); }
static inline nidus_filter nidus_f_le(const char *key, nidus_value v) { return nidus__f_value(NIDUS_F_LE, key, v); }
static inline nidus_filter nidus_f_gt(const char *key, nidus_value v) { return nidus__f_value(NIDUS_F_GT, key, v); }
static inline nidus_filter nidus_f_ge(const char *key, nidus_value v) { return nidus__f_value(NIDUS_F_GE, key, v); }
static inline nidus_filter nidus_f_contains(const char *key, nidus_value v) {
    return nidus__f_value(NIDUS_F_CONTAINS, key, v);
}
static inline nidus_filter nidus_f_not_contains(const char *key, nidus_value v) {
    return nidus__f_value(NIDUS_F_NOT_CONTAINS, key, v);
}
static inline nidus_filter nidus_f_in(const char *key, const nidus_value *vs, size_t n) {
    return nidus__f_values(NIDUS_F_IN, key, vs, n);
}
static inline nidus_filter nidus_f_not_in(const char *key, const nidus_value *vs, size_t n) {
    return nidus__f_values(NIDUS_F_NOT_IN, key, vs, n);
}
static inline nidus_filter nidus_f_contains_any(const char *key, const nidus_value *vs, size_t n) {
    return nidus__f_values(NIDUS_F_CONTAINS_ANY, key, vs, n);
}
static inline nidus_filter nidus_f_glob(const char *key, const char *pat) { return nidus__f_text(NIDUS_F_GLOB, key, pat); }
static inline nidus_filter nidus_f_iglob(const char *key, const char *pat) {
    return nidus__f_text(NIDUS_F_IGLOB, key, pat);
}
static inline nidus_filter nidus_f_regex(const char *key, const char *pat) {
    return nidus__f_text(NIDUS_F_REGEX, key, pat);
}
static inline nidus_filter nidus_f_fuzzy(const char *key, const char *needle, unsigned max_edits) {
    nidus_filter f = nidus__f_text(NIDUS_F_FUZZY, key, needle);
    f.max_edits = max_edits;
    return f;
}
static inline nidus_filter nidus_f_contains_all_tokens(const char *key, const char *q) {
    return nidus__f_text(NIDUS_F_CONTAINS_ALL_TOKENS, key, q);
}
static inline nidus_filter nidus_f_contains_any_token(const char *key, const char *q) {
    return nidus__f_text(NIDUS_F_CONTAINS_ANY_TOKEN, key, q);
}
static inline nidus_filter nidus_f_contains_token_sequence(const char *key, const char *q) {
    return nidus__f_text(NIDUS_F_CONTAINS_TOKEN_SEQUENCE, key, q);
}
static inline nidus_filter nidus_f_all(const nidus_filter *children, size_t n) {
    return nidus__f_group(NIDUS_F_ALL, children, n);
}
static inline nidus_filter nidus_f_any(const nidus_filter *children, size_t n) {
    return nidus__f_group(NIDUS_F_ANY, children, n);
}
static inline nidus_filter nidus_f_not(const nidus_filter *child) { return nidus__f_group(NIDUS_F_NOT, child, 1); }

/* ------------------------------------------------------------------------------ */
/* Opening and closing                                                            */
/* ------------------------------------------------------------------------------ */

typedef struct nidus_db nidus_db;

typedef enum nidus_fsync {
    NIDUS_FSYNC_PER_BATCH = 0, /* every acknowledged write is durable when it returns */
    NIDUS_FSYNC_ON_FLUSH = 1   /* log fsync only in nidus_flush(); data still synced per batch */
} nidus_fsync;

#define NIDUS_AUTO_COMPACT_OFF (-1.0)

/* The distance metric of a store: `data` header byte 12, as nidus 0.5+ writes it
 * (a store from nidus 0.3/0.4 has 0 there: cosine). Every metric's score is
 * "higher is better", so one ranking rule (score descending, then row) serves all.
 *   COSINE     rows are unit-normalized when stored and the query when searched;
 *              score = dot(q, v), the cosine similarity.
 *   EUCLIDEAN  rows and query stay as given; score = -|q - v|^2, the negated
 *              squared distance (0 for an exact match, never positive).
 *   DOT        rows and query stay as given; score = dot(q, v).
 * NIDUS_DISTANCE_AUTO is for nidus_config only: "an existing store's; cosine for a
 * new one". */
typedef enum nidus_distance {
    NIDUS_DISTANCE_AUTO = -1,
    NIDUS_DISTANCE_COSINE = 0,
    NIDUS_DISTANCE_EUCLIDEAN = 1,
    NIDUS_DISTANCE_DOT = 2
} nidus_distance;

/* The name nidus 0.80 gives a metric (its `stats` output): "Cosine", "Euclidean",
 * "DotProduct".
 * @return static text; NULL for NIDUS_DISTANCE_AUTO or any other value. Never
 *         fails otherwise. */
NIDUS_API const char *nidus_distance_name(int distance);

/* Open options. Always start from nidus_config_init(); fields may be added at the
 * end in later versions, which struct_size tells apart (a config from a header
 * before `distance`, `shadow` or `map_rows` is accepted, the later fields at their
 * defaults). */
typedef struct nidus_config {
    size_t struct_size;        /* set by nidus_config_init */
    uint32_t dimension;        /* vector length; 0 = take it from an existing store */
    int read_only;             /* 1: no lock, no file is created or modified */
    nidus_fsync fsync;         /* default NIDUS_FSYNC_PER_BATCH */
    double auto_compact;       /* compact on open when dead/rows > ratio; default 0.5;
                                  NIDUS_AUTO_COMPACT_OFF (any negative) disables */
    uint64_t lock_ttl_ms;      /* age after which a lock file of a writer that holds no
                                  advisory lock (nidus 0.3) is stale; default 60000 */
    uint64_t max_vector_bytes; /* cap on rows*dimension*4 (dead rows count); 0 = none */
    int distance;              /* a nidus_distance; default NIDUS_DISTANCE_AUTO: an
                                  existing store's metric, cosine for a new store.
                                  An explicit metric must match an existing store's
                                  (else NIDUS_EDIM) and is written into a new one. */
    int shadow;                /* 1 (default): keep an in-memory int8 shadow copy of the
                                  rows that single-query searches screen with a proven
                                  bound before exact rescoring (same results, fewer
                                  bytes read; SPEC.md §13); 0: no shadow, every row
                                  scored exactly. Anything else: NIDUS_EINVAL. */
    int map_rows;              /* 1 (default): read the rows of `data` through a
                                  read-only shared mapping instead of copying them
                                  to the heap: open costs the log replay only,
                                  processes share one copy in the page cache, and a
                                  store larger than RAM still opens (SPEC.md §14).
                                  If the mapping fails (at open, or when a writer's
                                  appends outgrow it), the rows are copied. A read
                                  error of the disk or a truncation of `data` by
                                  another program then raises SIGBUS instead of
                                  NIDUS_EIO: 0 copies the rows, as before. Anything
                                  else: NIDUS_EINVAL. */
} nidus_config;

/* Fill `cfg` (Caller-provided, `size` bytes: sizeof of the caller's nidus_config)
 * with the defaults (distance NIDUS_DISTANCE_AUTO, shadow and map_rows 1) and the
 * given dimension; struct_size becomes the smaller of size and this header's
 * sizeof, and nothing past it is written. Call it through the nidus_config_init
 * macro. Never fails (a size below the first header's struct writes nothing). */
NIDUS_API void nidus_config_init_sized(nidus_config *cfg, size_t size, uint32_t dimension);

/* The entry point of the headers before `map_rows`, kept for binaries built
 * against them: writes their layout (up to `shadow`; struct_size 56 on LP64, so
 * open ignores any map_rows set after it). Code compiled against this header
 * calls nidus_config_init_sized through the macro; code that cannot expand macros
 * (FFIs, function pointers) calls nidus_config_init_sized itself. */
NIDUS_API void nidus_config_init(nidus_config *cfg, uint32_t dimension);
#define nidus_config_init(cfg, dimension) nidus_config_init_sized((cfg), sizeof(nidus_config), (dimension))

/* Open the store in directory `path` (Borrowed), creating the directory and an empty
 * store if absent (read-write only). Replays the log, recovers a torn tail (in
 * memory only when read-only) and auto-compacts above the configured ratio
 * (read-write only).
 * @param cfg Borrowed; NULL means defaults with dimension 0.
 * @param out receives the handle. On failure *out is still a handle (unless the
 *        failure is NIDUS_ENOMEM or NIDUS_EMISUSE, then NULL) whose nidus_errmsg()
 *        says why; it accepts only nidus_errmsg*, nidus_errcode and nidus_close.
 * @return NIDUS_OK; NIDUS_EINVAL (dimension 0 for a new store, bad config, a
 *         distance outside -1..2); NIDUS_ENOTFOUND (read-only open of a missing
 *         store); NIDUS_ELOCKED; NIDUS_EDIM (dimension or distance differs from the
 *         store's: "data file distance metric mismatch: file has Euclidean,
 *         requested Cosine"); NIDUS_ENOTDB; NIDUS_EVERSION (also a header distance
 *         byte above 2: a newer nidus); NIDUS_ECORRUPT; NIDUS_ECAPACITY
 *         (data file over max_vector_bytes); NIDUS_EIO; NIDUS_ENOSPC; NIDUS_EPERM;
 *         NIDUS_ENOMEM.
 * @note Cost: one sequential read of `data` and `log`. */
NIDUS_API int nidus_open(const char *path, const nidus_config *cfg, nidus_db **out);

/* Open a store that lives only in memory: no files, no lock, no auto-compaction.
 * Cosine; nidus_open_memory_cfg chooses the metric.
 * @return NIDUS_OK; NIDUS_EINVAL (dimension 0); NIDUS_ENOMEM (*out is NULL). */
NIDUS_API int nidus_open_memory(uint32_t dimension, nidus_db **out);

/* An in-memory store from a config (Borrowed, from nidus_config_init): its
 * dimension (at least 1), distance (AUTO means cosine) and max_vector_bytes are
 * honoured; the file options (read_only, fsync, auto_compact, lock_ttl_ms) do not
 * apply and are ignored. *out as nidus_open's: on failure a handle that says why
 * (NULL on NIDUS_ENOMEM and NIDUS_EMISUSE).
 * @return NIDUS_OK; NIDUS_EINVAL (dimension 0, distance outside -1..2);
 *         NIDUS_EMISUSE (cfg NULL or not from nidus_config_init); NIDUS_ENOMEM. */
NIDUS_API int nidus_open_memory_cfg(const nidus_config *cfg, nidus_db **out);

/* Release the handle: drop the writer lock and free memory. Nothing is synced (use
 * nidus_flush() first under NIDUS_FSYNC_ON_FLUSH). NULL is a no-op. After this call
 * db is freed memory: using or closing it again is undefined, as with free().
 * Results already returned stay valid.
 * @return NIDUS_OK; NIDUS_EMISUSE for a pointer that is not a nidus handle. */
NIDUS_API int nidus_close(nidus_db *db);

/* ------------------------------------------------------------------------------ */
/* Errors                                                                         */
/* ------------------------------------------------------------------------------ */

/* The detailed message of the last failed call on `db` ("not an error" if none).
 * Per thread: a thread whose latest failed call (on any handle) was on db reads
 * that failure, whatever other threads' calls on db did since; any other thread
 * reads db's last failure from any thread (so does everyone after a failed open).
 * The same holds for nidus_errmsg_copy, nidus_errcode and nidus_sys_errno.
 * @return Valid until this thread's next call on db (its own failure) or the next
 *         call on db (the handle's); never NULL (for a NULL or closed handle, as
 *         after an open that failed with NIDUS_ENOMEM, the static text
 *         "no handle (NULL or closed)"). Threads that share db and want the text
 *         past that use nidus_errmsg_copy. */
NIDUS_API const char *nidus_errmsg(nidus_db *db);

/* Copy the last message (as nidus_errmsg chooses it) into buf (Caller-provided
 * buffer of `cap` bytes, always NUL-terminated when cap > 0). Safe while other
 * threads use db.
 * @return the result code of that failure (NIDUS_OK if none). */
NIDUS_API int nidus_errmsg_copy(nidus_db *db, char *buf, size_t cap);

/* The result code of the last failed call on db, and the errno behind it (0 if the
 * failure was not a system call); per thread, as nidus_errmsg. */
NIDUS_API int nidus_errcode(nidus_db *db);
NIDUS_API int nidus_sys_errno(nidus_db *db);

/* ------------------------------------------------------------------------------ */
/* Store information                                                              */
/* ------------------------------------------------------------------------------ */

/* Size of the store. `rows` counts every row in the matrix (live, dead, orphaned);
 * vector_bytes = rows * dimension * 4; index_bytes estimates the in-memory index
 * (ids, attrs, tables) beyond the vectors; filter_index_bytes what the filter
 * indexes (nidus_set_filter_index) hold, not counted in index_bytes; shadow_bytes
 * what the shadow copy of the rows holds (SPEC.md §13: its codes and per-row
 * bounds, as allocated; 0 until the first single-query search codes the rows, and
 * with nidus_config.shadow = 0); mapped_bytes how much of vector_bytes is read
 * through the shared read-only mapping of `data` (nidus_config.map_rows: page
 * cache, shared between processes and evictable, not this process's heap; 0 when
 * the rows are copied to the heap). The heap the store holds is about
 * vector_bytes - mapped_bytes + index_bytes + filter_index_bytes + shadow_bytes. */
typedef struct nidus_footprint {
    uint64_t rows;
    uint64_t dead_rows;
    uint32_t dimension;
    uint64_t vector_bytes;
    uint64_t doc_count;
    uint64_t index_bytes;
    uint64_t filter_index_bytes;
    uint64_t shadow_bytes;
    uint64_t mapped_bytes;
} nidus_footprint;

/* @return the pinned dimension; 0 for a NULL or closed handle. */
NIDUS_API uint32_t nidus_dimension(nidus_db *db);

/* Copy the effective configuration into *out (Borrowed, `size` bytes: the
 * caller's sizeof(nidus_config); nothing in it is read, nothing past size is
 * written, and struct_size says how much was): the dimension and the distance are
 * the store's (never NIDUS_DISTANCE_AUTO); map_rows is 1 only when the rows are
 * mapped now (0 when asked for but the mapping failed, and in memory). Call it
 * through the nidus_get_config macro.
 * @return NIDUS_OK; NIDUS_EMISUSE (bad handle, out NULL, size below the first
 *         header's struct). */
NIDUS_API int nidus_get_config_sized(nidus_db *db, nidus_config *out, size_t size);

/* The entry point of the headers before `map_rows`, kept for binaries built
 * against them: writes their layout (up to `shadow`; map_rows is not written).
 * FFIs call nidus_get_config_sized.
 * @return NIDUS_OK; NIDUS_EMISUSE. */
NIDUS_API int nidus_get_config(nidus_db *db, nidus_config *out);
#define nidus_get_config(db, out) nidus_get_config_sized((db), (out), sizeof(nidus_config))

/* Fill *out (Borrowed) with the store's footprint. nidus_footprint grows at the end
 * between versions, so the call takes the size of the caller's struct: the
 * nidus_get_footprint macro below passes this header's sizeof, and fields beyond
 * `size` are not written. Every size from 0.4.0's struct (the first six fields)
 * up to this header's is accepted.
 * @return NIDUS_OK; NIDUS_EMISUSE (bad handle, out NULL, size below 0.4.0's). */
NIDUS_API int nidus_get_footprint_sized(nidus_db *db, nidus_footprint *out, size_t size);

/* The 0.4.0 entry point, kept for binaries built against that header: writes only
 * the first six fields (rows .. index_bytes). Code compiled against this header
 * calls nidus_get_footprint_sized through the macro, and gets every field.
 * @return NIDUS_OK; NIDUS_EMISUSE. */
NIDUS_API int nidus_get_footprint(nidus_db *db, nidus_footprint *out);
#define nidus_get_footprint(db, out) nidus_get_footprint_sized((db), (out), sizeof(nidus_footprint))

/* ------------------------------------------------------------------------------ */
/* Collections and their metadata                                                 */
/* ------------------------------------------------------------------------------ */

/* Create collection `name` if absent (idempotent: nothing is logged if present).
 * @return NIDUS_OK; NIDUS_EREADONLY; NIDUS_EINVAL; NIDUS_EIO; NIDUS_ENOSPC;
 *         NIDUS_ENOMEM. */
NIDUS_API int nidus_create_collection(nidus_db *db, const char *name);

/* Drop collection `name` and all its records (their rows become dead until
 * compaction). Absent: a no-op returning NIDUS_OK.
 * @return as nidus_create_collection. */
NIDUS_API int nidus_drop_collection(nidus_db *db, const char *name);

/* @return 1 if the collection exists, 0 if not (or on a bad handle). */
NIDUS_API int nidus_has_collection(nidus_db *db, const char *name);

/* A list of names. */
typedef struct nidus_names {
    size_t count;
    const char *const *names;
} nidus_names;

/* All collection names in bytewise order.
 * @param out Caller owns; free with nidus_free().
 * @return NIDUS_OK; NIDUS_ENOMEM; NIDUS_EMISUSE. */
NIDUS_API int nidus_collections(nidus_db *db, nidus_names **out);

/* One metadata entry: both strings NUL-terminated UTF-8. */
typedef struct nidus_meta_entry {
    const char *key;
    const char *value;
} nidus_meta_entry;

typedef struct nidus_meta {
    size_t count;
    const nidus_meta_entry *entries; /* sorted by key */
} nidus_meta;

/* The collection's metadata map (empty for an absent collection).
 * @param out Caller owns; free with nidus_free().
 * @return NIDUS_OK; NIDUS_ENOMEM; NIDUS_EMISUSE. */
NIDUS_API int nidus_get_meta(nidus_db *db, const char *collection, nidus_meta **out);

/* Replace the collection's whole metadata map with entries[0..count) (Borrowed; a
 * repeated key keeps the last value). Creates the collection if absent.
 * @return as nidus_create_collection. */
NIDUS_API int nidus_set_meta(nidus_db *db, const char *collection,
                             const nidus_meta_entry *entries, size_t count);

/* ------------------------------------------------------------------------------ */
/* The filter index                                                               */
/* ------------------------------------------------------------------------------ */

/* Declare the attribute fields of `collection` whose values are indexed, so that a
 * filtered search, list_docs, aggregate or nidus_delete_where* walks only the records its indexed
 * predicates can match instead of the whole collection: Eq, In, Glob (by its
 * literal prefix), Contains, ContainsAny, the three token predicates and
 * Lt/Le/Gt/Ge, alone or under All (and Any when every branch is indexed), when
 * they match at most about an eighth of the collection. Results are exactly
 * those without the index. The declaration replaces the previous one; an empty
 * list (n_fields 0) drops the index. It is logged as nidus 0.80's SetFilterIndex
 * (log op 8, each field with both of nidus's structures on), so nidus 0.80 reads
 * it too; the collection is created if absent (even by an empty list), as there. Declaring what is
 * already declared logs nothing. The index is built from the records already
 * stored before the call returns, kept up to date by every write and rebuilt
 * at open.
 * @param fields Borrowed array of `n_fields` NUL-terminated UTF-8 names, none
 *        empty, none twice.
 * @return NIDUS_OK; NIDUS_EINVAL (a NULL, empty, repeated or non-UTF-8 name;
 *         fields NULL with n_fields > 0; a bad collection name); NIDUS_EREADONLY;
 *         NIDUS_EIO; NIDUS_ENOSPC; NIDUS_ENOMEM; NIDUS_EBROKEN; NIDUS_EMISUSE. */
NIDUS_API int nidus_set_filter_index(nidus_db *db, const char *collection,
                                     const char *const *fields, size_t n_fields);

/* The fields declared for `collection`'s filter index, in declaration order (an
 * empty list when none are, or the collection is absent).
 * @param out Caller owns; free with nidus_free().
 * @return NIDUS_OK; NIDUS_ENOMEM; NIDUS_EMISUSE. */
NIDUS_API int nidus_get_filter_index(nidus_db *db, const char *collection, nidus_names **out);

/* ------------------------------------------------------------------------------ */
/* Writing                                                                        */
/* ------------------------------------------------------------------------------ */

/* Insert or replace records by id in `collection` (created if absent). All records
 * are validated first (dimension, finite values, UTF-8); then the batch is applied
 * all-or-nothing: on an error return, files and memory are exactly as before. (If
 * the process dies or power fails during the call, a prefix of the batch's records
 * may survive; a call that returned NIDUS_OK always does.) A repeated id in one
 * batch: the last one wins.
 * @param records Borrowed array of `count`.
 * @return NIDUS_OK; NIDUS_EDIM (a record's dim differs from the store's);
 *         NIDUS_EINVAL (non-finite value, bad UTF-8, NULL); NIDUS_ECAPACITY;
 *         NIDUS_EREADONLY; NIDUS_EIO; NIDUS_ENOSPC; NIDUS_ENOMEM; NIDUS_EBROKEN. */
NIDUS_API int nidus_upsert(nidus_db *db, const char *collection,
                           const nidus_record *records, size_t count);

/* Flags for nidus_upsert_ex. */
#define NIDUS_UPSERT_NORMALIZED 1u /* vectors are stored vectors (from nidus_get,
                                      nidus_get_all or a dump): keep their bits.
                                      Normalizing a unit vector again in f32 can
                                      change its last bits; a copy or a restore
                                      uses this. Each must be all zeros or have a
                                      norm within 1e-4 of 1, else NIDUS_EINVAL.
                                      Only cosine stores normalize: elsewhere the
                                      flag changes nothing and checks nothing. */

/* nidus_upsert with flags (0 behaves exactly like nidus_upsert).
 * @return as nidus_upsert; NIDUS_EINVAL for unknown flags. */
NIDUS_API int nidus_upsert_ex(nidus_db *db, const char *collection, const nidus_record *records,
                              size_t count, unsigned flags);

/* Delete records by id. Missing ids (and a missing collection) are skipped; a
 * repeated id counts once. All-or-nothing.
 * @param ids Borrowed array of `count` ids.
 * @param deleted if not NULL receives the number removed.
 * @return as nidus_create_collection. */
NIDUS_API int nidus_delete(nidus_db *db, const char *collection, const char *const *ids,
                           size_t count, size_t *deleted);

/* Delete every record of `collection` whose attributes match the filter (an empty
 * filter deletes all). All-or-nothing.
 * @return as nidus_create_collection. */
NIDUS_API int nidus_delete_where(nidus_db *db, const char *collection,
                                 const nidus_pred *filter, size_t n_filter,
                                 size_t *deleted);

/* Delete every record of `collection` matching the filter tree `where` (Borrowed;
 * NULL deletes all). The filter is validated before anything is read or written; a
 * missing collection deletes nothing. All-or-nothing.
 * @param deleted if not NULL receives the number removed (0 on failure).
 * @return as nidus_create_collection; NIDUS_EINVAL for a bad filter ("invalid
 *         filter: ..."), the store untouched. */
NIDUS_API int nidus_delete_where_filter(nidus_db *db, const char *collection,
                                        const nidus_filter *where, size_t *deleted);

/* fsync `data` then `log`. In-memory: a no-op. Under NIDUS_FSYNC_ON_FLUSH a
 * failed fsync leaves the handle broken (every later write and flush returns
 * NIDUS_EBROKEN; reads still work): the writes since the last successful flush
 * may be lost, and a later fsync could succeed without them. Reopen the store to
 * see what the files hold.
 * @return NIDUS_OK; NIDUS_EREADONLY; NIDUS_EIO; NIDUS_EBROKEN. */
NIDUS_API int nidus_flush(nidus_db *db);

/* Rewrite both files to hold only live records, renumbered from row 0 (collections
 * by name, records by id: the same live set always gives the same bytes).
 * Crash-atomic: a crash leaves the old store or the compacted one.
 * @return NIDUS_OK; NIDUS_EREADONLY; NIDUS_EIO; NIDUS_ENOSPC; NIDUS_ENOMEM. */
NIDUS_API int nidus_compact(nidus_db *db);

/* ------------------------------------------------------------------------------ */
/* Reading                                                                        */
/* ------------------------------------------------------------------------------ */

/* A stored record: its vector as stored (dimension floats: unit-normalized in a
 * cosine store, as given otherwise) and attributes. */
typedef struct nidus_doc {
    const char *collection;
    const char *id;
    const float *vector;
    const nidus_attr *attrs;
    size_t n_attrs;
} nidus_doc;

typedef struct nidus_docs {
    size_t count;
    const nidus_doc *docs;
} nidus_docs;

/* Every live record of `collection`, sorted by id (empty if the collection is
 * absent).
 * @param out Caller owns; free with nidus_free().
 * @return NIDUS_OK; NIDUS_ENOMEM; NIDUS_EMISUSE. */
NIDUS_API int nidus_get_all(nidus_db *db, const char *collection, nidus_docs **out);

/* The records of `collection` with the given ids, in the order asked; missing ids
 * are left out.
 * @param out Caller owns; free with nidus_free().
 * @return NIDUS_OK; NIDUS_ENOMEM; NIDUS_EMISUSE. */
NIDUS_API int nidus_get(nidus_db *db, const char *collection, const char *const *ids,
                        size_t count, nidus_docs **out);

/* Search options. Always start from nidus_search_opts_init(); fields may be added
 * at the end in later versions, which struct_size tells apart: a struct of an
 * earlier version of this header (0.4.0: up to `threads`; then up to `where`) is
 * read with the later fields at their defaults; any other struct_size is refused
 * with NIDUS_EMISUSE. */
typedef struct nidus_search_opts {
    size_t struct_size;              /* set by nidus_search_opts_init */
    size_t top_k;                    /* number of hits wanted; 0 gives none */
    const char *const *collections;  /* scope: NULL = every collection; names
                                        absent from the store are skipped; a name
                                        given twice is searched once */
    size_t n_collections;
    const nidus_pred *filter;        /* ANDed predicates; NULL/0 = match all */
    size_t n_filter;
    int has_min_score;               /* 1: drop hits scoring below min_score */
    float min_score;
    unsigned threads;                /* threads for one scan: 0 = online cores,
                                        1 = the calling thread only. Results are
                                        identical whatever the count. */
    const nidus_filter *where;       /* a filter tree (Borrowed); NULL = match all.
                                        With `filter` too, a record must match both.
                                        A bad tree: NIDUS_EINVAL. */
    /* ---- added after `where`: paging and projection ---- */
    size_t offset;                   /* skip the first `offset` hits of the ranking
                                        (a page: hits offset .. offset+top_k-1 of
                                        the order described at nidus_hits). With
                                        offset > 0, offset + top_k must be at most
                                        NIDUS_MAX_DEPTH, else NIDUS_EINVAL ("offset
                                        O + top_k K exceeds the maximum of 10000");
                                        offset 0 keeps top_k unbounded (clamped to
                                        the scope). An offset past the end: no hits. */
    const char *const *include_attrs; /* projection (Borrowed): non-NULL = the hits
                                         carry only these keys (n_include_attrs of
                                         them, possibly 0: no attributes); a key no
                                         record has is simply absent. NULL = all. */
    size_t n_include_attrs;
    const char *const *exclude_attrs; /* non-NULL = every key but these (unknown
                                         keys drop nothing). include and exclude
                                         both non-NULL: NIDUS_EINVAL. A NULL or
                                         non-UTF-8 key: NIDUS_EINVAL. Projection
                                         changes only what a hit carries, never
                                         which records match or rank. */
    size_t n_exclude_attrs;
} nidus_search_opts;

/* The deepest ranking a paged call may ask for: offset + top_k (search, similar),
 * as nidus 0.80's HTTP API bounds it (MAX_TOP_K). */
#define NIDUS_MAX_DEPTH 10000

/* struct_size, then top_k 10, whole store, no filter, no min_score, threads 0,
 * offset 0, no projection. Never fails (NULL is a no-op). */
NIDUS_API void nidus_search_opts_init(nidus_search_opts *opts);

typedef struct nidus_hit {
    const char *collection;
    const char *id;
    float score;                     /* by the store's distance: cosine similarity,
                                        dot product, or -|q - v|^2 (euclidean);
                                        higher is better */
    uint64_t row;                    /* the record's row in `data` */
    const nidus_attr *attrs;
    size_t n_attrs;
} nidus_hit;

typedef struct nidus_hits {
    size_t count;
    const nidus_hit *hits;           /* best first; equal scores: lower row first */
} nidus_hits;

/* Exact nearest neighbours of `query` (Borrowed, `qlen` floats, which must be the
 * store's dimension and finite) by the store's distance (nidus_distance): a
 * cosine store normalizes a copy of the query, the others use it as given. Hits
 * are ranked by score descending; among equal scores the lowest row wins, so
 * results are deterministic. min_score applies to the metric's score.
 * @param opts Borrowed; NULL means the defaults of nidus_search_opts_init().
 * @param out Caller owns; free with nidus_free().
 * @return NIDUS_OK; NIDUS_EDIM; NIDUS_EINVAL (also a bad filter: "invalid
 *         filter: ...", offset + top_k above NIDUS_MAX_DEPTH, include_attrs and
 *         exclude_attrs both given, a NULL or non-UTF-8 projection key or scope
 *         name, a NULL array with a count); NIDUS_ENOMEM; NIDUS_EMISUSE (also for opts
 *         not from nidus_search_opts_init).
 * @note Cost: one pass over the rows of the scope; with the shadow copy
 *       (nidus_config.shadow, the default) a pass over its int8 codes, a quarter
 *       of the bytes, plus the exact scores of the few rows its proven bound
 *       cannot rule out: the same hits, bit for bit. The first search after an
 *       open (or a compaction) codes every row, later ones the rows written
 *       since. Runs concurrently with other reads on the same handle. */
NIDUS_API int nidus_search(nidus_db *db, const float *query, size_t qlen,
                           const nidus_search_opts *opts, nidus_hits **out);

/* Answer nq queries in one call: queries holds nq vectors of qlen floats each,
 * back to back (Borrowed). Rows are read once per block for all the queries, and
 * (2 or more queries, on a CPU with a screen: see nidus_batch_kernel_name; every
 * metric) a fast screen picks the pairs the exact kernel must score, so a batch
 * runs near the
 * core's arithmetic peak instead of at memory speed. out is a
 * Caller-provided array of nq pointers; out[i] receives query i's hits exactly as
 * nidus_search would return them (each: Caller owns; free with nidus_free()).
 * On failure every out[i] is NULL.
 * @return as nidus_search. */
NIDUS_API int nidus_search_batch(nidus_db *db, const float *queries, size_t nq, size_t qlen,
                                 const nidus_search_opts *opts, nidus_hits **out);

/* The name of the exact kernels in use (dot product and euclidean: "avx2", "neon"
 * or "portable"), chosen once from what the CPU reports. The environment variable
 * NIDUS_KERNEL=portable (read at first use) forces the portable kernel. Static
 * text. */
NIDUS_API const char *nidus_kernel_name(void);

/* The kernel that screens query batches ("avx512", "avx2-fma", or "none": every
 * pair of a batch is then scored by the exact kernel). A screen sums in its own
 * order, with fused multiply-adds, only to decide which (query, row) pairs could
 * enter a top-k; those pairs are scored again with the exact kernel, so batch
 * results equal single-query results bit for bit. Chosen once from the CPU;
 * NIDUS_KERNEL=portable turns screening off, NIDUS_KERNEL=avx2 keeps it to
 * AVX2+FMA. Static text. */
NIDUS_API const char *nidus_batch_kernel_name(void);

/* "More like this" (nidus 0.80's search_similar): search with the stored vector of
 * record `id` of `collection` (both Borrowed, UTF-8) as the query, exactly as
 * nidus_search would with that vector (normalized again in a cosine store, as nidus
 * does), and leave the source record itself out by identity (its collection and
 * id, never by score: a duplicate vector under another id is still a hit). The
 * ranking is computed one hit deeper than offset + top_k and the source removed
 * before the page is cut, so a full page comes back when enough other records
 * match. Every other option means what it means for nidus_search (filter, where,
 * min_score, threads, offset and its NIDUS_MAX_DEPTH bound, projection), except
 * the scope: opts->collections NULL or n_collections 0 means the source's own
 * collection (as an empty scope does in nidus), not every collection; a scope
 * may name other collections, with or without the source's.
 * @param opts Borrowed; NULL means the defaults of nidus_search_opts_init().
 * @param out Caller owns; free with nidus_free(). NULL on failure.
 * @return NIDUS_OK; NIDUS_ENOTFOUND (no such collection or record: "no record
 *         `id` in collection `c`"); NIDUS_EINVAL (NULL or non-UTF-8 collection
 *         or id, a bad filter, offset + top_k too deep, a NULL or non-UTF-8
 *         projection key or scope name, include and exclude
 *         both given); NIDUS_ENOMEM; NIDUS_EMISUSE (bad handle, out NULL, opts
 *         not from nidus_search_opts_init). */
NIDUS_API int nidus_search_similar(nidus_db *db, const char *collection, const char *id,
                                   const nidus_search_opts *opts, nidus_hits **out);

/* ------------------------------------------------------------------------------ */
/* Listing and aggregating by attributes (no query vector)                       */
/* ------------------------------------------------------------------------------ */

#define NIDUS_LIST_DEFAULT_LIMIT 100

/* Options of nidus_list_docs. Always start from nidus_list_opts_init(); struct_size
 * tells versions apart as for nidus_search_opts (this is the first version; any
 * other size is NIDUS_EMISUSE). */
typedef struct nidus_list_opts {
    size_t struct_size;              /* set by nidus_list_opts_init */
    const char *const *collections;  /* scope: NULL = every collection; absent
                                        names skipped; a name given twice is
                                        listed once */
    size_t n_collections;
    const nidus_filter *where;       /* filter tree (Borrowed); NULL = match all */
    size_t offset;                   /* skip this many records of the order */
    size_t limit;                    /* at most this many (default 100; 0: none;
                                        no upper bound, as in nidus) */
    const char *order_by;            /* NULL: storage order (row ascending, across
                                        the scope's collections: the order records
                                        were written, nidus's default). A field:
                                        see nidus_list_docs. */
    int descending;                  /* with order_by: largest first */
    const char *const *include_attrs; /* projection, exactly as nidus_search_opts */
    size_t n_include_attrs;
    const char *const *exclude_attrs;
    size_t n_exclude_attrs;
} nidus_list_opts;

/* struct_size, every collection, no filter, offset 0, limit 100, storage order,
 * no projection. Never fails (NULL is a no-op). */
NIDUS_API void nidus_list_opts_init(nidus_list_opts *opts);

/* The records of the scope matching `where`, without scoring (nidus 0.80's list;
 * named _docs because nidus_list is the List value constructor above),
 * ordered, then paged: records [offset, offset + limit) of the order.
 * Order: without order_by, by row (storage order). With order_by = f (nidus's
 * rules): the first record in storage order whose f is orderable (an Int, Str,
 * Bool, Float other than NaN, or DateTime) fixes the type; records whose f is of
 * that type (a Float: not NaN) are sorted by it (Str bytewise, false < true,
 * -0.0 == 0.0), ascending or descending, equal values keeping storage order;
 * every other record (f absent, Null, a List, NaN, another type) follows them in
 * one trailing group in storage order, in both directions. No orderable f at all:
 * storage order. Each doc carries its collection, id, stored vector and the
 * projected attributes. nidus returns no total count, so neither does this; a
 * caller pages until a short page.
 * @param opts Borrowed; NULL means the defaults of nidus_list_opts_init().
 * @param out Caller owns; free with nidus_free(). NULL on failure.
 * @return NIDUS_OK; NIDUS_EINVAL (bad filter, NULL names, collections NULL
 *         with n_collections > 0, a non-UTF-8 collection name or projection
 *         key, order_by not UTF-8, include and exclude
 *         both given); NIDUS_ENOMEM; NIDUS_EMISUSE (bad handle, out NULL, opts
 *         not from nidus_list_opts_init). */
NIDUS_API int nidus_list_docs(nidus_db *db, const nidus_list_opts *opts, nidus_docs **out);

/* nidus 0.80's cap on distinct group_by values tracked by one aggregate. */
#define NIDUS_MAX_GROUPS 10000

/* Options of nidus_aggregate. Always start from nidus_aggregate_opts_init();
 * struct_size as for nidus_list_opts. */
typedef struct nidus_aggregate_opts {
    size_t struct_size;              /* set by nidus_aggregate_opts_init */
    const char *const *collections;  /* scope, as nidus_list_opts */
    size_t n_collections;
    const nidus_filter *where;       /* filter tree (Borrowed); NULL = match all */
    const char *const *sum;          /* attributes to sum (Borrowed, UTF-8) */
    size_t n_sum;
    const char *group_by;            /* NULL: totals only; a field: also one group
                                        per distinct value; "" is NIDUS_EINVAL
                                        ("group_by needs a field name") */
    size_t max_groups;               /* distinct values tracked (default
                                        NIDUS_MAX_GROUPS); at least 1 */
} nidus_aggregate_opts;

/* struct_size, every collection, no filter, no sums, no group_by, max_groups
 * NIDUS_MAX_GROUPS. Never fails (NULL is a no-op). */
NIDUS_API void nidus_aggregate_opts_init(nidus_aggregate_opts *opts);

/* One sum: `value` is NIDUS_INT while every addend was an Int and the exact total
 * fits int64 (no wrap: the total is kept in 128 bits), else NIDUS_FLOAT (a Float
 * addend seen, or the Int total overflowed int64: then the total as a double).
 * Only Int and Float values are added; absent, Null, Str, Bool, List and DateTime
 * values are skipped, never counted as 0. No addend at all: Int 0. A Float total
 * is (the exact Int part, rounded) + (the Float addends summed in the order
 * nidus_aggregate visits the records); NaN and infinities propagate. */
typedef struct nidus_sum {
    const char *field;
    nidus_value value;
} nidus_sum;

/* One distinct value of group_by and the aggregates over its records. */
typedef struct nidus_group {
    int present;                     /* 0: the records missing the attribute (nidus's
                                        JSON `"value": null`); `value` is then Null.
                                        1: `value` holds it (a present Null is its
                                        own group) */
    nidus_value value;
    uint64_t count;
    const nidus_sum *sums;           /* the same fields as nidus_aggregation.sums */
    size_t n_sums;
} nidus_group;

/* nidus 0.80's {"count", "sums", "groups", "groups_truncated"}. */
typedef struct nidus_aggregation {
    uint64_t count;                  /* records matching across the scope */
    const nidus_sum *sums;           /* one per distinct sum field, sorted by field
                                        bytewise (nidus's JSON map) */
    size_t n_sums;
    const nidus_group *groups;       /* group_by only: largest count first; equal
                                        counts in the order of nidus's group key
                                        (SPEC.md section 11) */
    size_t n_groups;
    int groups_truncated;            /* 1: more than max_groups distinct values; a
                                        value first met past the cap got no group
                                        (its records still count in the totals,
                                        and tracked groups stay exact) */
} nidus_aggregation;

/* Count the records of the scope matching `where` and sum the `sum` attributes,
 * in one pass over the index (no vector is read), optionally grouped (nidus
 * 0.80's aggregate). Records are visited collection by collection, in scope
 * order (every collection: by name), each in storage order (row); that order
 * decides Float rounding, each group's reported value (its first record's) and
 * which values get a group when the cap is reached (nidus visits a hash map).
 * @param opts Borrowed; NULL means the defaults of nidus_aggregate_opts_init().
 * @param out Caller owns; free with nidus_free(). NULL on failure.
 * @return NIDUS_OK; NIDUS_EINVAL (bad filter, NULL or non-UTF-8 names, group_by
 *         "", max_groups 0, sum NULL with n_sum > 0); NIDUS_ENOMEM;
 *         NIDUS_EMISUSE (bad handle, out NULL, opts not from
 *         nidus_aggregate_opts_init). */
NIDUS_API int nidus_aggregate(nidus_db *db, const nidus_aggregate_opts *opts, nidus_aggregation **out);

/* Release anything the library returned as "Caller owns". NULL is a no-op. */
NIDUS_API void nidus_free(void *result);

#ifdef __cplusplus
}
#endif

#endif /* NIDUS_H */
