/* alloc.c — the library's only door to the heap, and the test seam that fails the
 * Nth allocation (see fault.c). */
#include "nidus_internal.h"

#include <stdlib.h>
#include <sys/mman.h>

bool nidus__fault_hit(int kind, int *err); /* fault.c */

void *nidus__malloc(size_t n) {
    int err;
    if (nidus__fault_hit(NIDUS__FAULT_ALLOC, &err)) return NULL;
    return malloc(n ? n : 1);
}

void *nidus__calloc(size_t n, size_t size) {
    int err;
    if (nidus__fault_hit(NIDUS__FAULT_ALLOC, &err)) return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void *nidus__realloc(void *p, size_t n) {
    int err;
    if (nidus__fault_hit(NIDUS__FAULT_ALLOC, &err)) return NULL;
    return realloc(p, n ? n : 1);
}

void nidus__free(void *p) { free(p); }

void *nidus__mallocarray(size_t n, size_t size) {
    if (size && n > SIZE_MAX / size) return NULL;
    return nidus__malloc(n * size);
}

void *nidus__reallocarray(void *p, size_t n, size_t size) {
    if (size && n > SIZE_MAX / size) return NULL;
    return nidus__realloc(p, n * size);
}

char *nidus__strndup(const char *s, size_t len) {
    if (len == SIZE_MAX) return NULL;
    char *p = nidus__malloc(len + 1);
    if (!p) return NULL;
    if (len) memcpy(p, s, len);
    p[len] = 0;
    return p;
}

/* Ask for huge pages on a large block (the row matrix, a big collection's doc
 * array and id table): filling 1 GB then costs a few hundred page faults instead of
 * a quarter million. Only a hint; failure changes nothing. */
void nidus__hint_huge(void *p, size_t n) {
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)2 << 20;
    if (!p || n < 4 * huge) return;
    uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1), e = ((uintptr_t)p + n) & ~(huge - 1);
    if (e > a) (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

void nidus_free(void *result) { free(result); }
