/* Read-only file mapping: only regular files, up to a size limit checked
 * before reading; mmap on POSIX systems, else (or when mmap fails) the file
 * read into memory from the allocator, never more than its size. */
#if !defined(_POSIX_C_SOURCE) && (defined(__unix__) || defined(__APPLE__))
#define _POSIX_C_SOURCE 200809L
#endif

#include "engine/io/fileio.h"

#ifndef TSR_NO_FILEIO

#include <errno.h>
#include <stdio.h>
#include <string.h>

#if defined(__unix__) || defined(__APPLE__)
#define TSR_HAVE_MMAP 1
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

static tsr_status check_size(const char *path, const char *what, uint64_t size, uint64_t max_bytes, tsr_error *err) {
  if (max_bytes != 0 && size > max_bytes)
    return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "%s: the %s is %llu bytes, over the limit of %llu bytes", path,
                     what, (unsigned long long)size, (unsigned long long)max_bytes);
  if (size > (uint64_t)SIZE_MAX)
    return TSR_ERROR(err, TSR_ERR_IO, "%s: the %s is %llu bytes, more than this process can address", path, what,
                     (unsigned long long)size);
  return TSR_OK;
}

#ifdef TSR_HAVE_MMAP
static const char *file_type(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  return "not a regular file";
}

/* Reads exactly |size| bytes of |fd| into memory from |a| (fewer if the file
 * shrank meanwhile). */
static tsr_status read_fd(int fd, const char *path, const char *what, size_t size, const tsr_allocator *a,
                          tsr_mapped_file *out, tsr_error *err) {
  if (a == NULL) return TSR_ERROR(err, TSR_ERR_IO, "%s: cannot map the %s and no allocator to read it with", path, what);
  uint8_t *buf = tsr_alloc(a, size, 64);
  if (buf == NULL)
    return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "%s: no memory for the %zu bytes of the %s", path, size, what);
  size_t n = 0;
  while (n < size) {
    ssize_t got = read(fd, buf + n, size - n);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      int e = errno;
      tsr_free(a, buf);
      return TSR_ERROR(err, TSR_ERR_IO, "%s: reading the %s failed: %s", path, what, strerror(e));
    }
    if (got == 0) break;
    n += (size_t)got;
  }
  out->data = buf;
  out->size = n;
  out->handle = buf;
  out->mapped = false;
  out->allocator = a;
  return TSR_OK;
}
#endif

tsr_status tsr_file_map_limited(const char *path, const char *what, uint64_t max_bytes, const tsr_allocator *a,
                                tsr_mapped_file *out, tsr_error *err) {
  if (path == NULL || out == NULL)
    return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "tsr_file_map: NULL path or output");
  if (what == NULL) what = "file";
  tsr_mapped_file r;
  memset(&r, 0, sizeof(r));
  static const uint8_t kEmpty[1] = {0};
#ifdef TSR_HAVE_MMAP
  /* Non-blocking: opening a FIFO with no writer must not wait. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return TSR_ERROR(err, TSR_ERR_IO, "%s: cannot open the %s: %s", path, what, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return TSR_ERROR(err, TSR_ERR_IO, "%s: cannot stat the %s: %s", path, what, strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return TSR_ERROR(err, TSR_ERR_IO, "%s: the %s is %s, not a regular file", path, what, file_type(st.st_mode));
  }
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
    int e = errno;
    close(fd);
    return TSR_ERROR(err, TSR_ERR_IO, "%s: cannot set the %s blocking: %s", path, what, strerror(e));
  }
  tsr_status s = check_size(path, what, st.st_size < 0 ? 0 : (uint64_t)st.st_size, max_bytes, err);
  if (s != TSR_OK) {
    close(fd);
    return s;
  }
  size_t size = (size_t)st.st_size;
  if (size == 0) {
    close(fd);
    r.data = kEmpty;
    r.allocator = a;
    *out = r;
    return TSR_OK;
  }
  void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p != MAP_FAILED) {
    close(fd);
    r.data = p;
    r.size = size;
    r.handle = p;
    r.mapped = true;
    r.allocator = a;
    *out = r;
    return TSR_OK;
  }
  /* A file system without mmap: read it, never past its size. */
  s = read_fd(fd, path, what, size, a, &r, err);
  close(fd);
  if (s != TSR_OK) return s;
  *out = r;
  return TSR_OK;
#else
  /* No POSIX: the file's type cannot be checked; its size bounds the read. */
  if (a == NULL) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "%s: no allocator to read the %s with", path, what);
  FILE *f = fopen(path, "rb");
  if (f == NULL) return TSR_ERROR(err, TSR_ERR_IO, "%s: cannot open the %s: %s", path, what, strerror(errno));
  long end = -1;
  if (fseek(f, 0, SEEK_END) == 0) end = ftell(f);
  if (end < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return TSR_ERROR(err, TSR_ERR_IO, "%s: the %s has no size (not a regular file?)", path, what);
  }
  tsr_status s = check_size(path, what, (uint64_t)end, max_bytes, err);
  if (s != TSR_OK) {
    fclose(f);
    return s;
  }
  if (end == 0) {
    fclose(f);
    r.data = kEmpty;
    r.allocator = a;
    *out = r;
    return TSR_OK;
  }
  uint8_t *buf = tsr_alloc(a, (size_t)end, 64);
  if (buf == NULL) {
    fclose(f);
    return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "%s: no memory for the %ld bytes of the %s", path, end, what);
  }
  size_t n = fread(buf, 1, (size_t)end, f);
  bool bad = ferror(f) != 0;
  fclose(f);
  if (bad) {
    tsr_free(a, buf);
    return TSR_ERROR(err, TSR_ERR_IO, "%s: reading the %s failed", path, what);
  }
  r.data = buf;
  r.size = n;
  r.handle = buf;
  r.allocator = a;
  *out = r;
  return TSR_OK;
#endif
}

tsr_status tsr_file_map(const char *path, const tsr_allocator *a, tsr_mapped_file *out, tsr_error *err) {
  return tsr_file_map_limited(path, "file", 0, a, out, err);
}

void tsr_file_unmap(tsr_mapped_file *f) {
  if (f == NULL || f->handle == NULL) {
    if (f != NULL) memset(f, 0, sizeof(*f));
    return;
  }
#ifdef TSR_HAVE_MMAP
  if (f->mapped) {
    munmap(f->handle, f->size);
  } else {
    tsr_free(f->allocator, f->handle);
  }
#else
  tsr_free(f->allocator, f->handle);
#endif
  memset(f, 0, sizeof(*f));
}

#else
/* Built without file access: nothing to compile. ISO C wants a declaration. */
typedef int tsr_fileio_disabled;
#endif /* TSR_NO_FILEIO */
