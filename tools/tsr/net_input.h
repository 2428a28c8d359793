/* Inputs for networks: images (PNG, JPEG, BMP, PPM/PGM through stb_image)
 * preprocessed into a tensor, and raw little-endian tensor files. */
#ifndef TESSERA_TOOLS_TSR_NET_INPUT_H_
#define TESSERA_TOOLS_TSR_NET_INPUT_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/tessera.h"

typedef enum tsr_pre_resize {
  TSR_PRE_LINEAR = 0, /* bilinear, half-pixel centres (OpenCV INTER_LINEAR) */
  TSR_PRE_AREA,       /* box filter over the covered area (OpenCV INTER_AREA) */
  TSR_PRE_NEAREST,
} tsr_pre_resize;

typedef enum tsr_pre_layout { TSR_PRE_AUTO = 0, TSR_PRE_NCHW, TSR_PRE_NHWC } tsr_pre_layout;

/* Image preprocessing: decode -> [gray] -> [letterbox] resize to the input's
 * H x W (8-bit, rounded, as image libraries do) -> channel order ->
 * value = (pixel * scale - mean[c]) / std[c] -> NCHW or NHWC. */
typedef struct tsr_pre {
  bool gray;          /* to one channel (0.299 R + 0.587 G + 0.114 B) */
  bool bgr;           /* channel order B, G, R (OpenCV) instead of R, G, B */
  int resize;         /* tsr_pre_resize */
  int letterbox;      /* -1: stretch; else keep the aspect ratio, image at the
                         top left, the rest filled with this 0..255 value */
  float scale;        /* pixel (0..255) multiplier */
  float mean[3], std[3];
  int layout;         /* tsr_pre_layout; AUTO: NHWC if the last extent is 1 or 3
                         and the second is not */
} tsr_pre;

/* Defaults: RGB, linear resize, scale 1/255, mean 0, std 1, auto layout. */
void tsr_pre_default(tsr_pre *p);
/* Applies a comma-separated spec: a preset (pilotnet, yolox, imagenet,
 * vittrack, twinlitenet, raw) and/or keys: gray, rgb, bgr, resize=linear|area|
 * nearest, letterbox[=V], scale=F, mean=A[/B/C], std=A[/B/C], nchw, nhwc.
 * Returns false with a message in |err|. */
bool tsr_pre_parse(const char *spec, tsr_pre *p, char *err, size_t err_size);
/* Decodes |path| and preprocesses it into |dst| (f32, |numel| of the tensor
 * with |ndim| / |shape|, batch 1 or the image repeated). */
bool tsr_pre_image(const char *path, const tsr_pre *p, int32_t ndim, const int64_t *shape, float *dst, char *err,
                   size_t err_size);
/* True if |path| has an image extension (png, jpg, jpeg, bmp, ppm, pgm, pnm). */
bool tsr_pre_is_image(const char *path);

/* dtype of a raw tensor file by extension (.f32 .u8 .i8 .i64 .i32), or NONE. */
tsr_dtype tsr_raw_dtype(const char *path);
/* Reads a raw little-endian tensor file of |count| elements of |file_dtype|
 * and converts it to |dst_dtype| into |dst|. */
bool tsr_raw_read(const char *path, tsr_dtype file_dtype, int64_t count, tsr_dtype dst_dtype, void *dst, char *err,
                  size_t err_size);

#endif
