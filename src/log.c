/* log.c — walking and appending the operation log (frames as in codec.c).
 *
 * Replay follows nidus 0.3's OpLog::open exactly, because it decides which bytes of
 * a crashed store survive: a frame that is short, or complete but bad and last in
 * the file, is a torn tail from an interrupted append (dropped, the store opens);
 * a bad frame with bytes after it cannot come from a crash, so it is corruption.
 */
#include "nidus_internal.h"

#include <inttypes.h>
#include <stdio.h>

static uint32_t get_u32le(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Only zeros from here to the end: what a file system that kept an append's new
 * size but not its data leaves (ext4 data=writeback, XFS). A torn tail, not damage. */
static bool zeros_to_end(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return false;
    return true;
}

int nidus__log_scan(const uint8_t *buf, size_t len, size_t *good_end, bool *torn,
                    nidus__op_cb cb, void *ctx, nerr *e) {
    size_t pos = 0;
    *good_end = 0;
    *torn = false;
    for (;;) {
        size_t rem = len - pos;
        if (rem == 0) return NIDUS_OK;
        if (rem < 4) break;
        uint32_t plen = get_u32le(buf + pos);
        /* A subtraction, so a garbage length cannot overflow pos + 8 + plen. */
        if (rem < 8 || rem - 8 < plen) break;
        const uint8_t *payload = buf + pos + 4;
        size_t end = pos + 8 + (size_t)plen;
        bool last = end == len;
        uint32_t stored = get_u32le(payload + plen);
        uint32_t computed = nidus__crc32(payload, plen);
        if (stored != computed) {
            if (last || zeros_to_end(buf + pos, len - pos)) break;
            return nidus__err(e, NIDUS_ECORRUPT, 0,
                              "log corruption: CRC mismatch at offset %zu: expected 0x%08" PRIx32
                              ", got 0x%08" PRIx32,
                              pos, computed, stored);
        }
        nop op;
        int rc = nidus__op_decode(payload, plen, &op, e);
        if (rc == NIDUS_ENOMEM) return rc; /* not the log's fault: no torn tail */
        if (rc != NIDUS_OK) {
            if (last || zeros_to_end(buf + pos, len - pos)) break;
            char why[sizeof e->msg];
            snprintf(why, sizeof why, "%s", e ? e->msg : "malformed payload");
            return nidus__err(e, NIDUS_ECORRUPT, 0,
                              "log corruption: bincode decode failed at offset %zu: %s", pos, why);
        }
        if (cb) {
            rc = cb(ctx, &op); /* the callback owns op from here, whatever it returns */
            if (rc != NIDUS_OK) return rc;
        } else {
            nidus__op_free(&op);
        }
        pos = end;
        *good_end = pos;
    }
    *torn = true;
    return NIDUS_OK;
}

int nidus__log_append(nlog *l, const nbuf *frames, nerr *e) {
    if (frames->len == 0) return NIDUS_OK;
    if (l->fd >= 0) {
        int rc = nidus__io_pwrite_full(l->fd, frames->p, frames->len, l->size);
        if (rc < 0) {
            /* A partial frame must not stay behind: frames appended after it would
             * turn a recoverable torn tail into mid-log corruption. If the cut fails
             * too, l->size is unchanged, so the next append overwrites it. */
            (void)nidus__io_ftruncate(l->fd, l->size);
            return nidus__err_sys(e, -rc, "write log frame");
        }
    }
    l->size += frames->len;
    return NIDUS_OK;
}

int nidus__log_truncate(nlog *l, uint64_t size, nerr *e) {
    if (size > l->size)
        return nidus__err(e, NIDUS_EINVAL, 0,
                          "truncate log to %" PRIu64 " bytes: past its end (%" PRIu64 " bytes)",
                          size, l->size);
    if (l->fd >= 0) {
        int rc = nidus__io_ftruncate(l->fd, size);
        if (rc < 0) return nidus__err_sys(e, -rc, "truncate log to %" PRIu64 " bytes", size);
    }
    l->size = size;
    return NIDUS_OK;
}

int nidus__log_sync(nlog *l, nerr *e) {
    if (l->fd < 0) return NIDUS_OK;
    int rc = nidus__io_fsync(l->fd);
    if (rc < 0) return nidus__err_sys(e, -rc, "sync log");
    return NIDUS_OK;
}
