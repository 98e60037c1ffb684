/*
 * json.h — conversions between nidus's JSON forms and the library's structs, and
 * exact float printing. All JSON is parsed and printed by jansson.
 *
 * Input conversions borrow strings from the json_t they read (keep it alive while
 * the result is used) and allocate everything else from an arena.
 */
#ifndef NIDUS_CLI_JSON_H
#define NIDUS_CLI_JSON_H

#include <jansson.h>

#include "cli.h"

/* A bump allocator: many small allocations, freed at once. */
typedef struct arena_block arena_block;
typedef struct arena {
    arena_block *head;
} arena;
void *arena_alloc(arena *a, size_t n);
void arena_free(arena *a);
void arena_join(arena *dst, arena *src); /* move src's allocations into dst */

#define CJ_ERR 512 /* size of the error buffers below */

/* Parse JSON text; on failure, fail with "<source>: malformed JSON at line L,
 * column C: <reason>". */
json_t *cj_parse(const char *text, size_t len, const char *source);
/* Same, but return NULL and describe the problem in err. */
json_t *cj_try_parse(const char *text, size_t len, char *err);

/* nidus value form -> value: "Null", {"Str": s}, {"Int": i}, {"Bool": b},
 * {"List": [s...]}, {"Float": x}, {"DateTime": ms}. */
bool cj_value(json_t *j, nidus_value *out, arena *a, char *err);
/* {key: value, ...} -> attrs (NULL/absent gives none). */
bool cj_attrs(json_t *obj, const nidus_attr **out, size_t *n, arena *a, char *err);
/* Array of numbers -> floats; each must be finite as a float. */
bool cj_vector(json_t *arr, float **out, size_t *dim, arena *a, char *err);
/* nidus 0.80's filter, a JSON array of externally tagged predicates (ANDed), e.g.
 * [{"Eq": ["lang", {"Str": "en"}]}, {"Not": {"Glob": ["path", "test-*"]}}] -> a
 * tree whose nodes are one arena array (*out NULL for [], which matches all). On
 * failure err says "invalid filter: ..." naming the predicate and its place. */
bool cj_where(json_t *arr, const nidus_filter **out, arena *a, char *err);
/* {"id", "vector", "attrs"} -> record. */
bool cj_record(json_t *obj, nidus_record *r, arena *a, char *err);
/* A JSON string that is a valid C string (no U+0000): its text, else NULL + err. */
const char *cj_cstr(json_t *j, const char *what, char *err);

/* --where of o parsed (NULL: none, or []), and validated by the library before any
 * store is opened; fails the command on a bad filter. Strings borrow from *keep. */
const nidus_filter *parse_where(const cli_opts *o, json_t **keep, arena *a);

/* Output. Reals are made only through cj_f32/cj_f64 so that printing can pick the
 * fewest digits that read back exactly (see json.c). */
json_t *cj_f32(float f); /* null for a non-finite value (JSON has none) */
json_t *cj_f64(double d);
json_t *cj_value_out(const nidus_value *v);
/* nidus 0.80's Aggregation: {"count", "sums": {field: value}, "groups": [{"value"
 * (null: the records without the attribute), "count", "sums"}], "groups_truncated"}.
 * compact: the HTTP API's AggregationDto, which leaves out an empty "groups" and a
 * false "groups_truncated"; otherwise the CLI's, with both always present. */
json_t *cj_aggregation_out(const nidus_aggregation *ag, bool compact);
json_t *cj_attrs_out(const nidus_attr *attrs, size_t n);
json_t *cj_vector_out(const float *v, size_t n);
json_t *cj_str(const char *s); /* fails the command on invalid UTF-8 */

/* Print j (stealing the reference) pretty (2-space indent) or compact, then a
 * newline. */
void cj_print(FILE *f, json_t *j, bool pretty);
/* Stream a pretty top-level array item by item without holding it all in memory;
 * the text equals cj_print of the whole array. */
typedef struct cj_stream {
    FILE *f;
    size_t n;
} cj_stream;
void cj_stream_open(cj_stream *s, FILE *f);
void cj_stream_item(cj_stream *s, json_t *item); /* steals item */
void cj_stream_close(cj_stream *s);

/* Hits as nidus prints them, [{"collection", "id", "score", "attrs"}, ...], or with
 * --format table a table (without the score column when score is false: list).
 * records.c. */
typedef struct cli_hits_out {
    struct table *table;
    cj_stream s;
    bool score;
    size_t n;
} cli_hits_out;
void cli_hits_begin(cli_hits_out *w, const cli_opts *o, bool score);
void cli_hits_item(cli_hits_out *w, const char *collection, const char *id, float score, const nidus_attr *attrs,
                   size_t n_attrs);
void cli_hits_end(cli_hits_out *w);

/* Shortest decimal text that reads back to exactly f / d ("%.Ng" digits). */
int cj_digits_f32(float f);
int cj_digits_f64(double d);

#endif
