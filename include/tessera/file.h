/* Bounded, typed input files: models, tokenizers, prompts and images are read
 * only from regular files (after following links), up to a size limit per
 * kind, mapped where the platform allows. Absent with TSR_NO_FILEIO: the
 * loaders then take memory blocks. */
#ifndef TESSERA_FILE_H_
#define TESSERA_FILE_H_

#include "tessera/types.h"

#ifndef TSR_NO_FILEIO
#include <stdio.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Default size limits, per kind of input, checked before anything is read. */
#define TSR_FILE_MAX_MODEL_DEFAULT (UINT64_C(1) << 37)     /* 128 GiB */
#define TSR_FILE_MAX_TOKENIZER_DEFAULT (UINT64_C(1) << 28) /* 256 MiB */
#define TSR_FILE_MAX_PROMPT_DEFAULT (UINT64_C(1) << 24)    /* 16 MiB */
#define TSR_FILE_MAX_IMAGE_DEFAULT (UINT64_C(1) << 28)     /* 256 MiB */

/* A read-only view of a whole file. */
typedef struct tsr_mapped_file {
  const uint8_t *data; /* [size] bytes; not NUL-terminated */
  size_t size;
  void *handle;  /* implementation detail (mapping or heap copy) */
  bool mapped;   /* true: mmap; false: read into memory from |allocator| */
  const tsr_allocator *allocator;
} tsr_mapped_file;

#ifndef TSR_NO_FILEIO
/* Maps |path| read-only (mmap where the OS has it, else reads it into memory
 * through |a|, which must then outlive the mapping). |path| must name a
 * regular file, links followed: it is opened non-blocking (so a FIFO cannot
 * block the open) and checked with fstat on the opened descriptor. |what|
 * ("model", "tokenizer", "prompt", "image"; NULL: "file") names the kind in
 * the error detail. A file larger than |max_bytes| (0: no limit) is refused
 * before anything is read. On failure *out is untouched and |err| names the
 * path and the reason: TSR_ERR_IO when it cannot be opened or read or is not
 * a regular file (directory, FIFO, device, socket), TSR_ERR_INVALID_ARGUMENT
 * when it is over the limit. Thread-safe; allocates only when it cannot map. */
TSR_NODISCARD tsr_status tsr_file_map_limited(const char *path, const char *what, uint64_t max_bytes,
                                              const tsr_allocator *a, tsr_mapped_file *out, tsr_error *err);
/* tsr_file_map_limited(path, "file", 0, a, out, err). */
TSR_NODISCARD tsr_status tsr_file_map(const char *path, const tsr_allocator *a, tsr_mapped_file *out,
                                      tsr_error *err);
/* Releases the mapping or copy; NULL-safe, idempotent. */
void tsr_file_unmap(tsr_mapped_file *f);

/* Output files that never destroy what they did not make: a regular file (or
 * a new path) is written to a temporary file beside it (same directory,
 * created with O_EXCL) and renamed into place only when every byte is
 * written; a device or FIFO that already exists (/dev/stdout, /dev/full) is
 * written in place and never removed; a directory is refused. On failure the
 * temporary file, which this created, is removed, and nothing else. */
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
#endif

#ifdef __cplusplus
}
#endif
#endif /* TESSERA_FILE_H_ */
