/* Test-frame maker for tsr_camera: turns a planar BGR f32 image [1, 3, H, W]
 * with values 0..255 (the YOLOX reference input of ../shared/models) into the
 * raw NV12 frame a camera would deliver: its top-left WIDTH x HEIGHT pixels,
 * BT.601 limited range, chroma the mean of each 2x2 block, rounded.
 *   tsr_camera_make_frame IN.f32 IN_W IN_H WIDTH HEIGHT OUT.nv12 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint8_t u8(double v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lrint(v)); }

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: tsr_camera_make_frame IN.f32 IN_W IN_H WIDTH HEIGHT OUT.nv12\n");
    return 2;
  }
  const long iw = atol(argv[2]), ih = atol(argv[3]), w = atol(argv[4]), h = atol(argv[5]);
  if (iw <= 0 || ih <= 0 || w <= 0 || h <= 0 || w > iw || h > ih || (w | h) & 1) {
    fprintf(stderr, "make_frame: bad sizes\n");
    return 2;
  }
  float *img = malloc(sizeof(float) * 3 * (size_t)iw * (size_t)ih);
  uint8_t *nv12 = malloc((size_t)w * (size_t)h * 3 / 2);
  FILE *f = fopen(argv[1], "rb");
  if (!img || !nv12 || !f || fread(img, sizeof(float), 3 * (size_t)iw * (size_t)ih, f) != 3 * (size_t)iw * (size_t)ih) {
    fprintf(stderr, "make_frame: cannot read %s\n", argv[1]);
    return 1;
  }
  fclose(f);
  const size_t plane = (size_t)iw * (size_t)ih;
#define B(x, y) ((double)img[(size_t)(y) * iw + (x)])
#define G(x, y) ((double)img[plane + (size_t)(y) * iw + (x)])
#define R(x, y) ((double)img[2 * plane + (size_t)(y) * iw + (x)])
  for (long y = 0; y < h; ++y) {
    for (long x = 0; x < w; ++x)
      nv12[y * w + x] = u8(16.0 + 0.256788 * R(x, y) + 0.504129 * G(x, y) + 0.097906 * B(x, y));
  }
  uint8_t *uv = nv12 + (size_t)w * (size_t)h;
  for (long y = 0; y < h; y += 2) {
    for (long x = 0; x < w; x += 2) {
      double r = 0, g = 0, b = 0;
      for (int k = 0; k < 4; ++k) {
        r += R(x + (k & 1), y + (k >> 1)) / 4;
        g += G(x + (k & 1), y + (k >> 1)) / 4;
        b += B(x + (k & 1), y + (k >> 1)) / 4;
      }
      uv[(y / 2) * w + x] = u8(128.0 - 0.148223 * r - 0.290993 * g + 0.439216 * b);
      uv[(y / 2) * w + x + 1] = u8(128.0 + 0.439216 * r - 0.367788 * g - 0.071427 * b);
    }
  }
  f = fopen(argv[6], "wb");
  if (!f || fwrite(nv12, 1, (size_t)w * (size_t)h * 3 / 2, f) != (size_t)w * (size_t)h * 3 / 2 || fclose(f) != 0) {
    fprintf(stderr, "make_frame: cannot write %s\n", argv[6]);
    return 1;
  }
  free(img);
  free(nv12);
  return 0;
}
