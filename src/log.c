/* log.c — walking and appending the operation log (frames as in codec.c).
 *
 * Replay follows nidus 0.3's OpLog::open exactly, because it decides which bytes of
 * a crashed store survive: a frame that is short, or complete but bad and last in
 * the file, is a torn tail from an interrupted append (dropped, the store opens);
 * a bad frame with bytes after it cannot come from a crash, so it is corruption.
 * One difference: a frame with a good CRC holding an op of a later nidus (tags 5-7 and 9,
 * NIDUS_EVERSION) or a tag none writes (op >= 10, value > 6: NIDUS_ECORRUPT) stops
 * the walk wherever it is, never a torn tail: nidus 0.3 would cut such a last frame.
 */
#include "nidus_internal.h"
#include "le.h"

#include <inttypes.h>
#include <stdio.h>

/* Only zeros from here to the end: what a file system that kept an append's new
 * size but not its data leaves (ext4 data=writeback, XFS). A torn tail, not damage. */
static bool zeros_to_end(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return false;
    return true;
}

/* What a window scan stopped at. */
enum { SCAN_END, SCAN_TORN, SCAN_MORE };

/* Walk the frames of a window: w[0..avail) holds the file's bytes from offset base,
 * the file has `size` bytes, and *pos (window-relative) is the next frame. Good
 * frames are decoded (as owned ops for ocb, or as views from `scratch` for vcb) and
 * handed over, advancing *pos. Stops with *status: SCAN_END (clean end of file),
 * SCAN_TORN, or SCAN_MORE when the verdict needs bytes past the window: *need is
 * then how many bytes from *pos it needs (the frame, or for a bad frame every byte
 * to the end, which decides torn tail or corruption). With the whole file as the
 * window it never asks for more, and it is nidus 0.3's walk exactly. */
static int scan_window(const uint8_t *w, size_t avail, uint64_t base, uint64_t size, size_t *pos, int *status,
                       uint64_t *need, narena *scratch, nidus__op_cb ocb, nidus__view_cb vcb, void *ctx,
                       nerr *e) {
    for (;;) {
        size_t rem = avail - *pos;
        uint64_t file_rem = size - (base + *pos);
        if (file_rem == 0) {
            *status = SCAN_END;
            return NIDUS_OK;
        }
        if (file_rem < 4) break;
        if (rem < 4) {
            *need = 4;
            *status = SCAN_MORE;
            return NIDUS_OK;
        }
        const uint8_t *f = w + *pos; /* (w is NULL only while the window is empty) */
        uint32_t plen = nidus__get_le32(f);
        /* A subtraction, so a garbage length cannot overflow pos + 8 + plen. */
        if (file_rem < 8 || file_rem - 8 < plen) break;
        if (rem < 8 || rem - 8 < plen) {
            *need = 8 + (uint64_t)plen;
            *status = SCAN_MORE;
            return NIDUS_OK;
        }
        const uint8_t *payload = f + 4;
        size_t end = *pos + 8 + (size_t)plen;
        bool last = base + end == size;
        bool whole = base + avail == size; /* the window reaches the end of the file */
        uint64_t at = base + *pos;
        uint32_t stored = nidus__get_le32(payload + plen);
        uint32_t computed = nidus__crc32(payload, plen);
        int rc = NIDUS_OK;
        nlogop op;
        if (stored == computed) {
            bool unknown = false;
            rc = nidus__op_read(payload, plen, &op, scratch, &unknown, e);
            if (rc == NIDUS_ENOMEM) return rc; /* not the log's fault: no torn tail */
            /* A good CRC and an op of a later version, or a tag no version up to
             * 0.80 writes: not a torn tail, wherever it is (cutting it would delete
             * a later version's op), and not to be skipped. */
            if (rc == NIDUS_EVERSION || (rc == NIDUS_ECORRUPT && unknown)) {
                char why[sizeof e->msg];
                snprintf(why, sizeof why, "%s", e ? e->msg : "");
                if (rc == NIDUS_EVERSION)
                    return nidus__err(e, rc, 0,
                                      "log frame at offset %llu is %s: this library knows only ops 0-4 (nidus "
                                      "0.3's) and 8 (SetFilterIndex) and refuses the store rather than misread it",
                                      (unsigned long long)at, why);
                return nidus__err(e, rc, 0,
                                  "log corruption at offset %llu: %s in a frame whose CRC is good (nidus 0.80 knows "
                                  "op tags 0-9 and value tags 0-6): corrupt, or written by a nidus newer than 0.80",
                                  (unsigned long long)at, why);
            }
        }
        if (stored != computed || rc != NIDUS_OK) {
            if (last) break;
            if (!whole) {
                *need = file_rem;
                *status = SCAN_MORE;
                return NIDUS_OK;
            }
            if (zeros_to_end(f, rem)) break;
            if (stored != computed)
                return nidus__err(e, NIDUS_ECORRUPT, 0,
                                  "log corruption: CRC mismatch at offset %llu: expected 0x%08" PRIx32
                                  ", got 0x%08" PRIx32,
                                  (unsigned long long)at, computed, stored);
            char why[sizeof e->msg];
            snprintf(why, sizeof why, "%s", e ? e->msg : "malformed payload");
            return nidus__err(e, NIDUS_ECORRUPT, 0, "log corruption: bincode decode failed at offset %llu: %s",
                              (unsigned long long)at, why);
        }
        if (scratch) {
            if (vcb && (rc = vcb(ctx, &op, base + end)) != NIDUS_OK) return rc;
        } else if (ocb) {
            rc = ocb(ctx, &op); /* the callback owns op from here, whatever it returns */
            if (rc != NIDUS_OK) return rc;
        } else {
            nidus__op_free(&op);
        }
        *pos = end;
    }
    *status = SCAN_TORN;
    return NIDUS_OK;
}

int nidus__log_scan(const uint8_t *buf, size_t len, size_t *good_end, bool *torn,
                    nidus__op_cb cb, void *ctx, nerr *e) {
    size_t pos = 0;
    int status = SCAN_END;
    uint64_t need = 0;
    int rc = scan_window(buf, len, 0, len, &pos, &status, &need, NULL, cb, NULL, ctx, e);
    *good_end = pos;
    *torn = rc == NIDUS_OK && status == SCAN_TORN;
    return rc;
}

/* Reading the log in windows instead of whole: the bytes arrive in a buffer that
 * stays in cache and is faulted in once, where a log-sized buffer costs a page
 * fault and a zeroed page per 4 KiB before replay can even start (measured: a
 * 55 MB log took 70 ms to read whole next to the row readers, 4 ms this way). */
#define LOG_WINDOW ((size_t)256 << 10)

int nidus__log_scan_fd(int fd, uint64_t size, size_t window, uint64_t *good_end, bool *torn, narena *scratch,
                       nidus__view_cb cb, void *ctx, nerr *e) {
    uint8_t *buf = NULL;
    size_t cap = 0, avail = 0, pos = 0;
    uint64_t base = 0;
    int rc = NIDUS_OK;
    *good_end = 0;
    *torn = false;
    if (window == 0) window = LOG_WINDOW;
    for (;;) {
        int status = SCAN_END;
        uint64_t need = 0;
        rc = scan_window(buf, avail, base, size, &pos, &status, &need, scratch, NULL, cb, ctx, e);
        *good_end = base + pos;
        if (rc != NIDUS_OK) break;
        if (status != SCAN_MORE) {
            *torn = status == SCAN_TORN;
            rc = cb ? cb(ctx, NULL, base + pos) : NIDUS_OK; /* done with the views before buf goes */
            break;
        }
        /* Move the window: the unscanned bytes to the front, then fill it. */
        if (cb && (rc = cb(ctx, NULL, base + pos)) != NIDUS_OK) break;
        size_t keep = avail - pos;
        if (keep) memmove(buf, buf + pos, keep);
        base += pos;
        pos = 0;
        avail = keep;
        uint64_t left = size - base; /* > avail: the scan asked for more */
        uint64_t want = need > window ? need : window;
        if (want > left) want = left;
        if (want > SIZE_MAX) {
            rc = nidus__err(e, NIDUS_ENOMEM, 0, "out of memory reading a %llu-byte log", (unsigned long long)size);
            break;
        }
        if (want > cap) {
            uint8_t *p = nidus__realloc(buf, (size_t)want);
            if (!p) {
                rc = nidus__err(e, NIDUS_ENOMEM, 0, "out of memory reading the log (%llu-byte window)",
                                (unsigned long long)want);
                break;
            }
            buf = p;
            cap = (size_t)want;
        }
        size_t n = (size_t)want - avail;
        int r = nidus__io_pread_full(fd, buf + avail, n, base + avail);
        if (r < 0) {
            rc = nidus__err_sys(e, -r, "failed to read log file");
            break;
        }
        avail += n;
    }
    if (rc != NIDUS_OK && cb) (void)cb(ctx, NULL, NIDUS__SCAN_ABANDON); /* before buf goes */
    nidus__free(buf);
    return rc;
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
