/* io.c — every file operation of the library, in one place, so that tests can make
 * any of them fail (fault.c) and so that EINTR and short transfers are handled once. */
#include "nidus_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

bool nidus__fault_hit(int kind, int *err);

int nidus__io_open(const char *path, int flags, int mode) {
    int err;
    if (nidus__fault_hit(NIDUS_FAULT_OPEN, &err)) return -(err > 0 ? err : EIO);
    int fd;
    do fd = open(path, flags | O_CLOEXEC, mode);
    while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : fd;
}

int nidus__io_close(int fd) {
    /* Linux closes the fd even when close() reports EINTR: never retry. */
    return close(fd) < 0 && errno != EINTR ? -errno : 0;
}

int nidus__io_pread_full(int fd, void *buf, size_t n, uint64_t off) {
    int err;
    if (nidus__fault_hit(NIDUS_FAULT_READ, &err)) return -(err > 0 ? err : EIO);
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

int nidus__io_pwrite_full(int fd, const void *buf, size_t n, uint64_t off) {
    int err;
    const char *p = buf;
    if (nidus__fault_hit(NIDUS_FAULT_WRITE, &err)) {
        if (err != -1) return -(err > 0 ? err : EIO);
        /* A short write: half the bytes land, then the device is full. */
        size_t half = n / 2;
        if (half && pwrite(fd, p, half, (off_t)off) < 0) return -errno;
        return -ENOSPC;
    }
    while (n > 0) {
        size_t chunk = n > (1u << 30) ? (1u << 30) : n;
        ssize_t w = pwrite(fd, p, chunk, (off_t)off);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        if (w == 0) return -EIO;
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

int nidus__io_fsync(int fd) {
    int err;
    if (nidus__fault_hit(NIDUS_FAULT_FSYNC, &err)) return -(err > 0 ? err : EIO);
    int r;
    do r = fsync(fd);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : 0;
}

int nidus__io_ftruncate(int fd, uint64_t len) {
    int err;
    if (nidus__fault_hit(NIDUS_FAULT_TRUNCATE, &err)) return -(err > 0 ? err : EIO);
    int r;
    do r = ftruncate(fd, (off_t)len);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : 0;
}

int nidus__io_fsize(int fd, uint64_t *size) {
    struct stat st;
    if (fstat(fd, &st) < 0) return -errno;
    *size = (uint64_t)st.st_size;
    return 0;
}

int nidus__io_rename(const char *from, const char *to) {
    int err;
    if (nidus__fault_hit(NIDUS_FAULT_RENAME, &err)) return -(err > 0 ? err : EIO);
    return rename(from, to) < 0 ? -errno : 0;
}

int nidus__io_unlink(const char *path) {
    int err;
    if (nidus__fault_hit(NIDUS_FAULT_UNLINK, &err)) return -(err > 0 ? err : EIO);
    return unlink(path) < 0 ? -errno : 0;
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
        if (mkdir(p, 0755) < 0 && errno != EEXIST) {
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
