/* io.c — every file operation of the library, in one place, so that tests can make
 * any of them fail (fault.c), can record them (the power-loss model), and so that
 * EINTR and short transfers are handled once. */
#include "fault.h"
#include "nidus_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The seams (fault.h). One relaxed load of the seam word per call when both are off. */
#define SEAM() atomic_load_explicit(&nidus__seam_word, memory_order_relaxed)
#define FAULT(seam, kind, err) (((seam) & ~NIDUS__SEAM_RECORD) && nidus__fault_hit((kind), (err)))
#define RECORDING(seam) ((seam) & NIDUS__SEAM_RECORD)

int nidus__io_open(const char *path, int flags, int mode) {
    int err, seam = SEAM();
    if (FAULT(seam, NIDUS__FAULT_OPEN, &err)) return -(err > 0 ? err : EIO);
    int fd;
    do fd = open(path, flags | O_CLOEXEC, mode);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return -errno;
    if (RECORDING(seam)) nidus__io_rec_note(NIDUS__REC_OPEN, fd, path, NULL, NULL, 0, 0, flags);
    return fd;
}

int nidus__io_close(int fd) {
    if (RECORDING(SEAM())) nidus__io_rec_note(NIDUS__REC_CLOSE, fd, NULL, NULL, NULL, 0, 0, 0);
    /* Linux closes the fd even when close() reports EINTR: never retry. */
    return close(fd) < 0 && errno != EINTR ? -errno : 0;
}

int nidus__io_pread_full(int fd, void *buf, size_t n, uint64_t off) {
    int err;
    if (FAULT(SEAM(), NIDUS__FAULT_READ, &err)) return -(err > 0 ? err : EIO);
    char *p = buf;
    while (n > 0) {
        size_t chunk = n > (1u << 30) ? (1u << 30) : n;
        ssize_t r = pread(fd, p, chunk, (off_t)off);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        if (r == 0) return -EIO; /* the file shrank under us */
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

/* Report the bytes [buf, buf+n) that reached the file at off (recording only). */
static void note_write(int seam, int fd, const void *buf, size_t n, uint64_t off) {
    if (RECORDING(seam) && n) nidus__io_rec_note(NIDUS__REC_PWRITE, fd, NULL, NULL, buf, n, off, 0);
}

int nidus__io_pwrite_full(int fd, const void *buf, size_t n, uint64_t off) {
    int err, seam = SEAM();
    const char *p = buf;
    const uint64_t off0 = off;
    if (FAULT(seam, NIDUS__FAULT_WRITE, &err)) {
        if (err != -1) return -(err > 0 ? err : EIO);
        /* A short write: half the bytes land, then the device is full. */
        size_t half = n / 2;
        if (half && pwrite(fd, p, half, (off_t)off) < 0) return -errno;
        note_write(seam, fd, buf, half, off0);
        return -ENOSPC;
    }
    while (n > 0) {
        size_t chunk = n > (1u << 30) ? (1u << 30) : n;
        ssize_t w = pwrite(fd, p, chunk, (off_t)off);
        if (w < 0) {
            int e = errno;
            if (e == EINTR) continue;
            note_write(seam, fd, buf, (size_t)(off - off0), off0);
            return -e;
        }
        if (w == 0) {
            note_write(seam, fd, buf, (size_t)(off - off0), off0);
            return -EIO;
        }
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    note_write(seam, fd, buf, (size_t)(off - off0), off0);
    return 0;
}

int nidus__io_fsync(int fd) {
    int err, seam = SEAM();
    if (FAULT(seam, NIDUS__FAULT_FSYNC, &err)) return -(err > 0 ? err : EIO);
    int r;
    do r = fsync(fd);
    while (r < 0 && errno == EINTR);
    if (r < 0) return -errno;
    if (RECORDING(seam)) nidus__io_rec_note(NIDUS__REC_FSYNC, fd, NULL, NULL, NULL, 0, 0, 0);
    return 0;
}

int nidus__io_ftruncate(int fd, uint64_t len) {
    int err, seam = SEAM();
    if (FAULT(seam, NIDUS__FAULT_TRUNCATE, &err)) return -(err > 0 ? err : EIO);
    int r;
    do r = ftruncate(fd, (off_t)len);
    while (r < 0 && errno == EINTR);
    if (r < 0) return -errno;
    if (RECORDING(seam)) nidus__io_rec_note(NIDUS__REC_TRUNCATE, fd, NULL, NULL, NULL, len, 0, 0);
    return 0;
}

int nidus__io_mmap(int fd, size_t len, void **out) {
    int err;
    if (FAULT(SEAM(), NIDUS__FAULT_MAP, &err)) return -(err > 0 ? err : ENOMEM);
    void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return -errno;
    *out = p;
    return 0;
}

void nidus__io_munmap(void *p, size_t len) {
    if (p) (void)munmap(p, len);
}

int nidus__io_fsize(int fd, uint64_t *size) {
    struct stat st;
    if (fstat(fd, &st) < 0) return -errno;
    *size = (uint64_t)st.st_size;
    return 0;
}

int nidus__io_rename(const char *from, const char *to) {
    int err, seam = SEAM();
    if (FAULT(seam, NIDUS__FAULT_RENAME, &err)) return -(err > 0 ? err : EIO);
    if (rename(from, to) < 0) return -errno;
    if (RECORDING(seam)) nidus__io_rec_note(NIDUS__REC_RENAME, -1, from, to, NULL, 0, 0, 0);
    return 0;
}

/* A hard link (the lock file is created this way, whole). Fails like a rename. */
int nidus__io_link(const char *from, const char *to) {
    int err, seam = SEAM();
    if (FAULT(seam, NIDUS__FAULT_RENAME, &err)) return -(err > 0 ? err : EIO);
    return link(from, to) < 0 ? -errno : 0;
}

int nidus__io_unlink(const char *path) {
    int err, seam = SEAM();
    if (FAULT(seam, NIDUS__FAULT_UNLINK, &err)) return -(err > 0 ? err : EIO);
    if (unlink(path) < 0) return -errno;
    if (RECORDING(seam)) nidus__io_rec_note(NIDUS__REC_UNLINK, -1, path, NULL, NULL, 0, 0, 0);
    return 0;
}

/* Renames and creations are durable only once the directory itself is synced. */
int nidus__io_fsync_dir(const char *dir) {
    int fd = nidus__io_open(dir, O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0) return fd;
    int r = nidus__io_fsync(fd);
    /* Some file systems refuse fsync on a directory; that is not a failure of ours. */
    if (r == -EINVAL || r == -ENOTSUP) r = 0;
    nidus__io_close(fd);
    return r;
}

int nidus__io_mkdir_p(const char *path) {
    size_t n = strlen(path);
    char *p = nidus__strndup(path, n);
    if (!p) return -ENOMEM;
    int rc = 0;
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != 0) continue;
        char c = p[i];
        p[i] = 0;
        if (mkdir(p, 0755) == 0) {
            if (RECORDING(SEAM())) nidus__io_rec_note(NIDUS__REC_MKDIR, -1, p, NULL, NULL, 0, 0, 0);
        } else if (errno != EEXIST) {
            rc = -errno;
            break;
        }
        p[i] = c;
    }
    if (rc == 0) {
        struct stat st;
        if (stat(path, &st) < 0) rc = -errno;
        else if (!S_ISDIR(st.st_mode)) rc = -ENOTDIR;
    }
    nidus__free(p);
    return rc;
}

bool nidus__io_same_file(int fd, const char *path, struct stat *fd_st) {
    struct stat a, b;
    if (fstat(fd, &a) < 0 || stat(path, &b) < 0) return false;
    if (fd_st) *fd_st = a;
    return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/* Listing reads, changes nothing: no fault seam, no record. */
int nidus__io_list(const char *dir, int (*fn)(void *ctx, const char *name), void *ctx) {
    DIR *d = opendir(dir);
    if (!d) return -errno;
    int rc = 0;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            if (errno && errno != EINTR) rc = -errno;
            break;
        }
        const char *n = de->d_name;
        if (n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0))) continue;
        if ((rc = fn(ctx, n)) != 0) break;
    }
    closedir(d);
    return rc;
}
