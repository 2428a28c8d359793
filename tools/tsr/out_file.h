/* Output files that never destroy what they did not make: a regular file (or
 * a new path) is written to a temporary file beside it (same directory,
 * created with O_EXCL) and renamed into place only when every byte is
 * written; a device or FIFO that already exists (/dev/stdout, /dev/full) is
 * written in place and never removed; a directory is refused. On failure the
 * temporary file, which this created, is removed, and nothing else. */
#ifndef TESSERA_TOOLS_TSR_OUT_FILE_H_
#define TESSERA_TOOLS_TSR_OUT_FILE_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct tsr_out_file {
  FILE *f;         /* write here */
  const char *path; /* the destination, as given */
  char dest[4096]; /* what the rename replaces: |path|, or the file it links to */
  char tmp[4096];  /* the temporary file, "" when writing in place */
} tsr_out_file;

/* Opens |path| for writing as above. false with a message in |err| (naming
 * the path) if it cannot. */
bool tsr_out_open(tsr_out_file *o, const char *path, char *err, size_t n);
/* Closes the stream and, if |ok| and the close succeeded, renames the
 * temporary file into place. false with |err| on any failure (the temporary
 * file is then removed; |path| is untouched). */
bool tsr_out_close(tsr_out_file *o, bool ok, char *err, size_t n);

#endif /* TESSERA_TOOLS_TSR_OUT_FILE_H_ */
