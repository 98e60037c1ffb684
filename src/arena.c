/* arena.c — bump allocation in chunks that never move.
 *
 * Two users: each collection keeps its docs' ids and attributes in one (a doc's
 * strings are one contiguous blob, so replaying a million Upserts costs a few dozen
 * chunk allocations instead of a million mallocs, and 8-byte granularity instead of
 * malloc's 32-byte minimum), and log replay decodes operations as views whose
 * arrays live in a scratch arena that is reset after every group.
 *
 * Nothing is freed one by one: a blob that is no longer needed only counts as dead
 * (coll.c); compaction rebuilds an arena holding only live blobs, and freeing the
 * arena releases everything. Every chunk comes from nidus__malloc, so the fault
 * tests reach them.
 */
#include "nidus_internal.h"

struct narena_chunk {
    struct narena_chunk *next;
    size_t cap, used;
    max_align_t data[]; /* cap bytes */
};

#define ARENA_MIN_CHUNK ((size_t)256)
#define ARENA_MAX_CHUNK NIDUS__ARENA_MAX_CHUNK

static size_t round8(size_t n) { return (n + 7) & ~(size_t)7; }

/* Make the head chunk hold at least n more bytes. */
int nidus__arena_reserve(narena *a, size_t n) {
    if (n > SIZE_MAX / 2) return NIDUS_ENOMEM;
    n = round8(n);
    if (a->head && a->head->cap - a->head->used >= n) return NIDUS_OK;
    size_t cap = a->head ? a->head->cap * 2 : ARENA_MIN_CHUNK;
    if (cap > ARENA_MAX_CHUNK) cap = ARENA_MAX_CHUNK;
    if (cap < n) cap = n;
    narena_chunk *c = nidus__malloc(sizeof *c + cap);
    if (!c) return NIDUS_ENOMEM;
    c->next = a->head;
    c->cap = cap;
    c->used = 0;
    a->head = c;
    a->bytes += sizeof *c + cap;
    return NIDUS_OK;
}

void *nidus__arena_take(narena *a, size_t n) {
    n = round8(n);
    narena_chunk *c = a->head;
    void *p = (char *)c->data + c->used;
    c->used += n;
    return p;
}

void *nidus__arena_alloc(narena *a, size_t n) {
    return nidus__arena_reserve(a, n) == NIDUS_OK ? nidus__arena_take(a, n) : NULL;
}

narena_chunk *nidus__arena_mark(const narena *a) { return a->head; }

void nidus__arena_rollback(narena *a, narena_chunk *mark) {
    while (a->head && a->head != mark) {
        narena_chunk *c = a->head;
        a->head = c->next;
        a->bytes -= sizeof *c + c->cap;
        nidus__free(c);
    }
}

void nidus__arena_reset(narena *a) {
    narena_chunk *keep = a->head;
    if (!keep) return;
    for (narena_chunk *c = keep->next, *next; c; c = next) {
        next = c->next;
        a->bytes -= sizeof *c + c->cap;
        nidus__free(c);
    }
    keep->next = NULL;
    keep->used = 0;
}

void nidus__arena_free(narena *a) {
    for (narena_chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        nidus__free(c);
    }
    a->head = NULL;
    a->bytes = 0;
}
