/* Read-only file mapping for model loaders. Absent with TSR_NO_FILEIO: the
 * loaders then take a blob in memory. */
#ifndef TESSERA_ENGINE_IO_FILEIO_H_
#define TESSERA_ENGINE_IO_FILEIO_H_

#include "tessera/tessera.h"

typedef struct tsr_mapped_file {
  const uint8_t *data;
  size_t size;
  void *handle;  /* implementation detail (mapping or heap copy) */
  bool mapped;   /* true: mmap; false: read into memory from |allocator| */
  const tsr_allocator *allocator;
} tsr_mapped_file;

#ifndef TSR_NO_FILEIO
/* Maps |path| read-only (mmap where the OS has it, else reads it into memory
 * through |a|). TSR_ERR_IO with the path and the OS reason on failure. */
TSR_NODISCARD tsr_status tsr_file_map(const char *path, const tsr_allocator *a, tsr_mapped_file *out,
                                      tsr_error *err);
void tsr_file_unmap(tsr_mapped_file *f);
#endif

#endif /* TESSERA_ENGINE_IO_FILEIO_H_ */
