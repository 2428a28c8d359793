/* Declarations of the perception-op kernels (one header per op family). */
#ifndef TESSERA_KERNELS_VISION_H_
#define TESSERA_KERNELS_VISION_H_
#include "concat/concat.h"
#include "copy/copy.h"
#include "conv/conv.h"
#include "conv/conv_tgemm.h"
#include "gather/gather.h"
#include "pool/pool.h"
#include "pool/pool_fast.h"
#include "qlinear/qconv.h"
#include "qlinear/qconv_dw.h"
#include "qlinear/qfast.h"
#include "qlinear/qlinear.h"
#include "reduce/reduce.h"
#include "resize/resize.h"
#include "topk/topk.h"
#include "grid_sample/grid_sample.h"
#endif
