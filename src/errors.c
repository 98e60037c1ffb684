/* errors.c — result-code strings and the helpers that fill an nerr. */
#include "nidus_internal.h"

#include <errno.h>
#include <stdio.h>

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

int nidus__err(nerr *e, int code, int sys, const char *fmt, ...) {
    if (!e) return code;
    e->code = code;
    e->sys = sys;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
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
