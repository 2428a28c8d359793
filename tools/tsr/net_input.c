/* Network inputs: image decoding (stb_image) and preprocessing, raw tensors. */
#include "tools/tsr/net_input.h"
#include "tools/tsr/cli_args.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb/stb_image.h>

void tsr_pre_default(tsr_pre *p) {
  memset(p, 0, sizeof(*p));
  p->resize = TSR_PRE_LINEAR;
  p->letterbox = -1;
  p->scale = 1.0f / 255.0f;
  for (int i = 0; i < 3; ++i) p->std[i] = 1.0f;
}

static bool parse_list(const char *v, float *out, char *err, size_t n) {
  float vals[3];
  int k = 0;
  const char *s = v;
  while (*s && k < 3) {
    char *end;
    vals[k++] = strtof(s, &end);
    if (end == s || !isfinite(vals[k - 1])) {
      snprintf(err, n, "bad number in '%s' (finite numbers only)", v);
      return false;
    }
    s = *end == '/' ? end + 1 : end;
    if (*end != '/' && *end != '\0') {
      snprintf(err, n, "bad list '%s' (use A/B/C)", v);
      return false;
    }
  }
  if (*s != '\0' || k == 0) {
    snprintf(err, n, "bad list '%s' (use A/B/C)", v);
    return false;
  }
  for (int i = 0; i < 3; ++i) out[i] = vals[k == 1 ? 0 : (i < k ? i : k - 1)];
  return true;
}

static bool preset(const char *name, tsr_pre *p) {
  if (strcmp(name, "pilotnet") == 0) { /* gray, area, x / 127.5 - 1 */
    p->gray = true;
    p->resize = TSR_PRE_AREA;
    p->scale = 1.0f / 127.5f;
    p->mean[0] = p->mean[1] = p->mean[2] = 1.0f;
  } else if (strcmp(name, "yolox") == 0) { /* BGR 0..255, letterbox 114 */
    p->bgr = true;
    p->scale = 1.0f;
    p->letterbox = 114;
  } else if (strcmp(name, "imagenet") == 0 || strcmp(name, "vittrack") == 0) {
    static const float m[3] = {0.485f, 0.456f, 0.406f}, s[3] = {0.229f, 0.224f, 0.225f};
    p->bgr = strcmp(name, "vittrack") == 0; /* TrackerVit keeps OpenCV's BGR */
    p->scale = 1.0f / 255.0f;
    memcpy(p->mean, m, sizeof(m));
    memcpy(p->std, s, sizeof(s));
  } else if (strcmp(name, "twinlitenet") == 0) {
    p->scale = 1.0f / 255.0f;
  } else if (strcmp(name, "raw") == 0) {
    p->scale = 1.0f;
  } else {
    return false;
  }
  return true;
}

bool tsr_pre_parse(const char *spec, tsr_pre *p, char *err, size_t n) {
  char buf[512];
  snprintf(buf, sizeof(buf), "%s", spec);
  char *cursor = buf;
  for (char *tok = tsr_cli_next_item(&cursor, ','); tok != NULL; tok = tsr_cli_next_item(&cursor, ',')) {
    char *eq = strchr(tok, '=');
    const char *val = eq ? eq + 1 : NULL;
    if (eq) *eq = '\0';
    if (preset(tok, p)) continue;
    if (strcmp(tok, "gray") == 0 || strcmp(tok, "grayscale") == 0) p->gray = true;
    else if (strcmp(tok, "rgb") == 0) p->bgr = false;
    else if (strcmp(tok, "bgr") == 0) p->bgr = true;
    else if (strcmp(tok, "nchw") == 0) p->layout = TSR_PRE_NCHW;
    else if (strcmp(tok, "nhwc") == 0) p->layout = TSR_PRE_NHWC;
    else if (strcmp(tok, "letterbox") == 0) {
      long long iv = 114;
      if (val && !tsr_cli_int(val, 0, 255, &iv)) {
        snprintf(err, n, "bad letterbox value '%s' (0..255)", val);
        return false;
      }
      p->letterbox = (int)iv;
    }
    else if (strcmp(tok, "resize") == 0 && val) {
      if (strcmp(val, "linear") == 0) p->resize = TSR_PRE_LINEAR;
      else if (strcmp(val, "area") == 0) p->resize = TSR_PRE_AREA;
      else if (strcmp(val, "nearest") == 0) p->resize = TSR_PRE_NEAREST;
      else {
        snprintf(err, n, "resize=%s: use linear, area or nearest", val);
        return false;
      }
    } else if (strcmp(tok, "scale") == 0 && val) {
      char *end;
      p->scale = strtof(val, &end);
      if (end == val || *end || !isfinite(p->scale)) {
        snprintf(err, n, "bad scale '%s' (a finite number)", val);
        return false;
      }
    } else if (strcmp(tok, "mean") == 0 && val) {
      if (!parse_list(val, p->mean, err, n)) return false;
    } else if (strcmp(tok, "std") == 0 && val) {
      if (!parse_list(val, p->std, err, n)) return false;
      for (int i = 0; i < 3; ++i) {
        if (p->std[i] == 0.0f) {
          snprintf(err, n, "std must not be 0");
          return false;
        }
      }
    } else {
      snprintf(err, n, "unknown preprocessing option '%s'", tok);
      return false;
    }
  }
  return true;
}

static bool ends_with_ci(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  if (a < b) return false;
  for (size_t i = 0; i < b; ++i) {
    char c = s[a - b + i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return true;
}

bool tsr_pre_is_image(const char *path) {
  static const char *const ext[] = {".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".pgm", ".pnm"};
  for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); ++i) {
    if (ends_with_ci(path, ext[i])) return true;
  }
  return false;
}

bool tsr_pre_image(const char *path, const tsr_pre *p, int32_t ndim, const int64_t *shape, float *dst, char *err,
                   size_t n) {
  if (ndim != 4 && ndim != 3) {
    snprintf(err, n, "an image needs a 3-D or 4-D input, this one has %d dimensions", (int)ndim);
    return false;
  }
  int64_t s[4] = {1, 0, 0, 0};
  for (int i = 0; i < ndim; ++i) s[4 - ndim + i] = shape[i];
  bool nhwc = p->layout == TSR_PRE_NHWC ||
              (p->layout == TSR_PRE_AUTO && (s[3] == 1 || s[3] == 3) && s[1] != 1 && s[1] != 3);
  int64_t ch = nhwc ? s[3] : s[1], oh = nhwc ? s[1] : s[2], ow = nhwc ? s[2] : s[3];
  if (ch != 1 && ch != 3) {
    snprintf(err, n, "the input has %lld channels; images give 1 or 3", (long long)ch);
    return false;
  }
  if (oh <= 0 || ow <= 0 || oh > 16384 || ow > 16384) {
    snprintf(err, n, "input extent %lldx%lld", (long long)ow, (long long)oh);
    return false;
  }
  int w = 0, h = 0, comp = 0;
  /* A regular file within the image limit, mapped: a FIFO or device cannot
   * block or feed the decoder forever. */
  tsr_allocator sys = tsr_allocator_system();
  tsr_mapped_file mf;
  tsr_error ferr;
  tsr_error_clear(&ferr);
  if (tsr_file_map_limited(path, "image", TSR_FILE_MAX_IMAGE_DEFAULT, &sys, &mf, &ferr) != TSR_OK) {
    snprintf(err, n, "%s", ferr.message);
    return false;
  }
  uint8_t *img = mf.size > (size_t)INT32_MAX ? NULL : stbi_load_from_memory(mf.data, (int)mf.size, &w, &h, &comp, 3);
  tsr_file_unmap(&mf);
  if (img == NULL) {
    snprintf(err, n, "%s: cannot decode the image (%s)", path, stbi_failure_reason());
    return false;
  }
  /* The library does the rest (tessera/vision.h): [gray] -> [letterbox]
   * resize, rounded to 8 bits -> normalise -> layout. */
  tsr_frame frame = {TSR_PIXEL_RGB8, w, h, w * 3, img, NULL, 0, TSR_YUV_BT601_LIMITED};
  tsr_preprocess pre;
  tsr_preprocess_default(&pre, (int32_t)ow, (int32_t)oh);
  tsr_cpu_features cpu;
  tsr_cpu_detect(&cpu);
  pre.isa = cpu.isa;
  pre.channels = (int32_t)ch;
  pre.bgr = p->bgr;
  pre.resize = p->resize == TSR_PRE_AREA ? TSR_FRAME_AREA : p->resize == TSR_PRE_NEAREST ? TSR_FRAME_NEAREST : TSR_FRAME_BILINEAR;
  pre.fit = p->letterbox >= 0 ? TSR_FIT_LETTERBOX : TSR_FIT_STRETCH;
  pre.pad_value = (uint8_t)(p->letterbox >= 0 ? p->letterbox : 0);
  pre.round_u8 = true;
  pre.scale = p->scale;
  for (int k = 0; k < 3; ++k) pre.mean[k] = p->mean[k], pre.std[k] = p->std[k];
  pre.layout = nhwc ? TSR_LAYOUT_NHWC : TSR_LAYOUT_NCHW;
  uint8_t *gray = NULL;
  tsr_error e;
  tsr_status st = TSR_OK;
  if (p->gray && ch == 3) { /* gray replicated to 3 channels: the gray frame first */
    gray = malloc((size_t)w * (size_t)h);
    tsr_preprocess g;
    tsr_preprocess_default(&g, w, h);
    g.channels = 1;
    g.scale = 1.0f;
    g.dtype = TSR_DTYPE_U8;
    st = gray == NULL ? TSR_ERR_OUT_OF_MEMORY : tsr_frame_preprocess(&frame, &g, gray, (size_t)w * (size_t)h, NULL, &e);
    frame = (tsr_frame){TSR_PIXEL_GRAY8, w, h, w, gray, NULL, 0, TSR_YUV_BT601_LIMITED};
  }
  const size_t per = (size_t)(ch * oh * ow);
  if (st == TSR_OK) st = tsr_frame_preprocess(&frame, &pre, dst, per * sizeof(float), NULL, &e);
  free(gray);
  stbi_image_free(img);
  if (st != TSR_OK) {
    snprintf(err, n, "%s: %s", path, st == TSR_ERR_OUT_OF_MEMORY ? "out of memory" : e.message);
    return false;
  }
  for (int64_t b = 1; b < s[0]; ++b) memcpy(dst + (size_t)b * per, dst, per * sizeof(float)); /* batch: repeated */
  return true;
}

tsr_dtype tsr_raw_dtype(const char *path) {
  if (ends_with_ci(path, ".f32")) return TSR_DTYPE_F32;
  if (ends_with_ci(path, ".u8")) return TSR_DTYPE_U8;
  if (ends_with_ci(path, ".i8")) return TSR_DTYPE_I8;
  if (ends_with_ci(path, ".i32")) return TSR_DTYPE_I32;
  if (ends_with_ci(path, ".i64")) return TSR_DTYPE_I64;
  return TSR_DTYPE_NONE;
}

static double load_elem(tsr_dtype t, const uint8_t *p) {
  switch (t) {
    case TSR_DTYPE_F32: { float f; memcpy(&f, p, 4); return f; }
    case TSR_DTYPE_U8: return *p;
    case TSR_DTYPE_I8: return (int8_t)*p;
    case TSR_DTYPE_I32: { int32_t v; memcpy(&v, p, 4); return v; }
    case TSR_DTYPE_I64: { int64_t v; memcpy(&v, p, 8); return (double)v; }
    default: return 0;
  }
}

static void store_elem(tsr_dtype t, uint8_t *p, double v) {
  switch (t) {
    case TSR_DTYPE_F32: { float f = (float)v; memcpy(p, &f, 4); break; }
    case TSR_DTYPE_U8: *p = (uint8_t)(v < 0 ? 0 : (v > 255 ? 255 : lrint(v))); break;
    case TSR_DTYPE_I8: *p = (uint8_t)(int8_t)(v < -128 ? -128 : (v > 127 ? 127 : lrint(v))); break;
    case TSR_DTYPE_I32: { int32_t x = (int32_t)v; memcpy(p, &x, 4); break; }
    case TSR_DTYPE_I64: { int64_t x = (int64_t)v; memcpy(p, &x, 8); break; }
    default: break;
  }
}

bool tsr_raw_read(const char *path, tsr_dtype ft, int64_t count, tsr_dtype dt, void *dst, char *err, size_t n) {
  size_t es = tsr_dtype_block_bytes(ft), ds = tsr_dtype_block_bytes(dt);
  uint64_t want = (uint64_t)count * es;
  /* A regular file of exactly the input's size: anything larger is refused
   * before it is read. */
  tsr_allocator sys = tsr_allocator_system();
  tsr_mapped_file mf;
  tsr_error ferr;
  tsr_error_clear(&ferr);
  if (tsr_file_map_limited(path, "input tensor", want ? want : 1, &sys, &mf, &ferr) != TSR_OK) {
    snprintf(err, n, "%s", ferr.message);
    return false;
  }
  if ((uint64_t)mf.size != want) {
    snprintf(err, n, "%s holds %zu bytes; the input needs %lld %s values (%llu bytes)", path, mf.size, (long long)count,
             tsr_dtype_name(ft), (unsigned long long)want);
    tsr_file_unmap(&mf);
    return false;
  }
  const uint8_t *buf = mf.data;
  size_t size = mf.size;
  if (ft == dt) {
    memcpy(dst, buf, (size_t)size);
  } else {
    for (int64_t i = 0; i < count; ++i) store_elem(dt, (uint8_t *)dst + (size_t)i * ds, load_elem(ft, buf + (size_t)i * es));
  }
  tsr_file_unmap(&mf);
  return true;
}
