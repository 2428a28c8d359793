/* Read-only file mapping: mmap on POSIX systems, else (or when mmap fails,
 * e.g. on a pipe) the whole file read into memory from the allocator. */
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

/* Reads all of |f| into memory from |a|; |f| is left open. */
static tsr_status read_stream(FILE *f, const char *path, const tsr_allocator *a, tsr_mapped_file *out,
                              tsr_error *err) {
  size_t cap = 1u << 16, n = 0;
  uint8_t *buf = tsr_alloc(a, cap, 64);
  if (buf == NULL) return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "%s: no memory to read the file", path);
  for (;;) {
    if (n == cap) {
      if (cap > SIZE_MAX / 2) {
        tsr_free(a, buf);
        return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "%s: file too large", path);
      }
      uint8_t *nb = tsr_alloc(a, cap * 2, 64);
      if (nb == NULL) {
        tsr_free(a, buf);
        return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "%s: no memory for %zu bytes", path, cap * 2);
      }
      memcpy(nb, buf, n);
      tsr_free(a, buf);
      buf = nb;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  if (ferror(f)) {
    int e = errno;
    tsr_free(a, buf);
    return TSR_ERROR(err, TSR_ERR_IO, "%s: read failed: %s", path, strerror(e));
  }
  out->data = buf;
  out->size = n;
  out->handle = buf;
  out->mapped = false;
  out->allocator = a;
  return TSR_OK;
}

tsr_status tsr_file_map(const char *path, const tsr_allocator *a, tsr_mapped_file *out, tsr_error *err) {
  if (path == NULL || out == NULL)
    return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "tsr_file_map: NULL path or output");
  tsr_mapped_file r;
  memset(&r, 0, sizeof(r));
#ifdef TSR_HAVE_MMAP
  int fd = open(path, O_RDONLY);
  if (fd < 0) return TSR_ERROR(err, TSR_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return TSR_ERROR(err, TSR_ERR_IO, "%s: cannot stat: %s", path, strerror(e));
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    return TSR_ERROR(err, TSR_ERR_IO, "%s: is a directory", path);
  }
  if (S_ISREG(st.st_mode) && st.st_size > 0 && (uint64_t)st.st_size <= (uint64_t)SIZE_MAX) {
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
      close(fd);
      r.data = p;
      r.size = (size_t)st.st_size;
      r.handle = p;
      r.mapped = true;
      r.allocator = a;
      *out = r;
      return TSR_OK;
    }
  }
  /* Empty files, pipes, or a file system without mmap: read it. */
  if (a == NULL) {
    close(fd);
    return TSR_ERROR(err, TSR_ERR_IO, "%s: cannot map and no allocator to read it with", path);
  }
  FILE *f = fdopen(fd, "rb");
  if (f == NULL) {
    int e = errno;
    close(fd);
    return TSR_ERROR(err, TSR_ERR_IO, "%s: cannot open: %s", path, strerror(e));
  }
#else
  if (a == NULL) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "%s: no allocator to read the file with", path);
  FILE *f = fopen(path, "rb");
  if (f == NULL) return TSR_ERROR(err, TSR_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
#endif
  tsr_status s = read_stream(f, path, a, &r, err);
  fclose(f);
  if (s != TSR_OK) return s;
  *out = r;
  return TSR_OK;
}

void tsr_file_unmap(tsr_mapped_file *f) {
  if (f == NULL || f->handle == NULL) return;
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
