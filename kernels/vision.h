/* Declarations of the perception-op kernels (one header per op family). */
#ifndef TESSERA_KERNELS_VISION_H_
#define TESSERA_KERNELS_VISION_H_
#include "concat/concat.h"
#include "conv/conv.h"
#include "gather/gather.h"
#include "pool/pool.h"
#include "qlinear/qlinear.h"
#include "reduce/reduce.h"
#include "resize/resize.h"
#endif
