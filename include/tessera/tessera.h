/* Tessera: an inference engine for edge SoCs. Include this header. */
#ifndef TESSERA_TESSERA_H_
#define TESSERA_TESSERA_H_

#include "tessera/status.h"
#include "tessera/types.h"
#include "tessera/op.h"
#include "tessera/target.h"
#include "tessera/graph.h"
#include "tessera/engine.h"
#include "tessera/llm.h"
#include "tessera/file.h"
#include "tessera/net.h"
#include "tessera/vision.h"

#define TSR_VERSION_MAJOR 0
#define TSR_VERSION_MINOR 1
#define TSR_VERSION_PATCH 0

#ifdef __cplusplus
extern "C" {
#endif
/* "0.1.0". */
const char *tsr_version_string(void);
#ifdef __cplusplus
}
#endif
#endif /* TESSERA_TESSERA_H_ */
