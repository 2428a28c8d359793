/* Read-only file mapping for model loaders: the public tessera/file.h. */
#ifndef TESSERA_ENGINE_IO_FILEIO_H_
#define TESSERA_ENGINE_IO_FILEIO_H_

#include "tessera/tessera.h"

#endif /* TESSERA_ENGINE_IO_FILEIO_H_ */
