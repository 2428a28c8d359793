/* Output files written beside their destination and renamed into place. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "tessera/file.h"

#include <stdio.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool tsr_out_open(tsr_out_file *o, const char *path, char *err, size_t n) {
  memset(o, 0, sizeof(*o));
  o->path = path;
  struct stat st;
  if (stat(path, &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      snprintf(err, n, "%s is a directory", path);
      return false;
    }
    if (!S_ISREG(st.st_mode)) {
      /* A device or FIFO the caller named: write to it, never replace it. */
      o->f = fopen(path, "wb");
      if (o->f == NULL) {
        snprintf(err, n, "cannot open %s: %s", path, strerror(errno));
        return false;
      }
      return true;
    }
  }
  /* Beside the file a link points at, so the rename replaces that file and
   * keeps the link. */
  char real[PATH_MAX];
  const char *dest = path;
  struct stat lst;
  if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode) && realpath(path, real) != NULL) dest = real;
  if (strlen(dest) >= sizeof(o->dest)) {
    snprintf(err, n, "%s: path too long", path);
    return false;
  }
  memcpy(o->dest, dest, strlen(dest) + 1);
  const char *slash = strrchr(dest, '/');
  int w;
  if (slash == NULL)
    w = snprintf(o->tmp, sizeof(o->tmp), ".%s.tmpXXXXXX", dest);
  else
    w = snprintf(o->tmp, sizeof(o->tmp), "%.*s/.%s.tmpXXXXXX", (int)(slash - dest), dest, slash + 1);
  if (w < 0 || (size_t)w >= sizeof(o->tmp)) {
    o->tmp[0] = '\0';
    snprintf(err, n, "%s: path too long", path);
    return false;
  }
  int fd = mkstemp(o->tmp); /* O_CREAT | O_EXCL, mode 0600 */
  if (fd < 0) {
    snprintf(err, n, "cannot create a temporary file beside %s: %s", path, strerror(errno));
    o->tmp[0] = '\0';
    return false;
  }
  (void)fchmod(fd, 0644);
  o->f = fdopen(fd, "wb");
  if (o->f == NULL) {
    snprintf(err, n, "cannot write beside %s: %s", path, strerror(errno));
    close(fd);
    unlink(o->tmp);
    o->tmp[0] = '\0';
    return false;
  }
  return true;
}

bool tsr_out_close(tsr_out_file *o, bool ok, char *err, size_t n) {
  if (o->f == NULL) return false;
  bool flushed = fflush(o->f) == 0;
  int e = flushed ? 0 : errno;
  if (flushed && o->tmp[0] != '\0' && fsync(fileno(o->f)) != 0) {
    flushed = false;
    e = errno;
  }
  bool closed = fclose(o->f) == 0;
  if (closed == false && e == 0) e = errno;
  o->f = NULL;
  if (ok && (!flushed || !closed)) snprintf(err, n, "writing %s failed: %s", o->path, strerror(e));
  ok = ok && flushed && closed;
  if (o->tmp[0] == '\0') return ok;
  if (ok && rename(o->tmp, o->dest) != 0) {
    snprintf(err, n, "cannot rename the temporary file onto %s: %s", o->path, strerror(errno));
    ok = false;
  }
  if (!ok) unlink(o->tmp);
  o->tmp[0] = '\0';
  return ok;
}
