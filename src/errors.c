/* errors.c — result-code strings and the helpers that fill an nerr. */
#include "nidus_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *nidus_strerror(int rc) {
    switch (rc) {
#define NIDUS__CASE(name, value, text) case value: return text;
        NIDUS_RESULT_CODES(NIDUS__CASE)
#undef NIDUS__CASE
    default: return "unknown result code";
    }
}

int nidus_version_number(void) { return NIDUS_VERSION_NUMBER; }
const char *nidus_version_string(void) { return NIDUS_VERSION_STRING; }

/* Messages quote caller strings (keys cut at a byte count, paths that are not
 * UTF-8) and may be cut by the buffer: each byte that does not start a valid
 * UTF-8 sequence becomes '?', so every message is valid UTF-8 and a binding can
 * always decode it. */
static void utf8_mend(char *s) {
    size_t len = strlen(s), i = 0;
    while (i < len) {
        size_t at = i;
        uint32_t cp = nidus__utf8_next(s, len, &i);
        if (i == at + 1 && cp >= 0xDC80 && cp <= 0xDCFF) s[at] = '?'; /* its mark for a bad byte */
    }
}

int nidus__err(nerr *e, int code, int sys, const char *fmt, ...) {
    if (!e) return code;
    e->code = code;
    e->sys = sys;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    utf8_mend(e->msg);
    return code;
}

int nidus__errno_code(int sys) {
    switch (sys) {
    case ENOSPC:
#ifdef EDQUOT
    case EDQUOT:
#endif
    case EFBIG: return NIDUS_ENOSPC;
    case ENOMEM: return NIDUS_ENOMEM;
    case EACCES:
    case EPERM:
    case EROFS: return NIDUS_EPERM;
    case ENOENT: return NIDUS_ENOTFOUND;
    default: return NIDUS_EIO;
    }
}

int nidus__err_sys(nerr *e, int sys, const char *fmt, ...) {
    int code = nidus__errno_code(sys);
    if (!e) return code;
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    e->code = code;
    e->sys = sys;
    snprintf(e->msg, sizeof e->msg, "%s: %s", what, strerror(sys));
    return code;
}
