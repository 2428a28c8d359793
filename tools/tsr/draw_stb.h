/* The parts of stb_image_write and stb_easy_font tsr uses (tools/tsr/
 * stb_image_write_impl.c). */
#ifndef TESSERA_TOOLS_TSR_DRAW_STB_H_
#define TESSERA_TOOLS_TSR_DRAW_STB_H_

typedef void (*tsr_png_sink)(void *ctx, void *data, int size);
/* Encodes |w| x |h| packed RGB (rows |stride| bytes apart) as PNG through
 * |sink|. Returns 0 on failure. */
int tsr_png_write(tsr_png_sink sink, void *ctx, int w, int h, const unsigned char *rgb, int stride);
/* Text as axis-aligned quads, 4 vertices of 16 bytes (x, y, z floats, RGBA)
 * each, into |vbuf|; 7 pixels per line at scale 1. Returns the quad count. */
int tsr_font_quads(float x, float y, const char *text, void *vbuf, int vbuf_bytes);

#endif
