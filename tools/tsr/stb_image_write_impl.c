/* stb_image_write's PNG writer and stb_easy_font, compiled from Debian's
 * headers (libstb-dev) as stb_image_impl.c is: third-party code, built
 * without our warning flags. tsr run --save draws its results with them. */
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#include <stb/stb_image_write.h>
#include <stb/stb_easy_font.h>

#include "tools/tsr/draw_stb.h"

int tsr_png_write(tsr_png_sink sink, void *ctx, int w, int h, const unsigned char *rgb, int stride) {
  return stbi_write_png_to_func(sink, ctx, w, h, 3, rgb, stride);
}

int tsr_font_quads(float x, float y, const char *text, void *vbuf, int vbuf_bytes) {
  unsigned char white[4] = {255, 255, 255, 255};
  return stb_easy_font_print(x, y, (char *)text, white, vbuf, vbuf_bytes);
}
