/* Format dispatch: a network from memory or a file, .tsr or ONNX by its
 * contents (never by the file name). */
#include "engine/net/net.h"
#if defined(TSR_HAVE_ONNX)
#include "engine/onnx/onnx.h"
#endif

tsr_status tsr_net_load(const void *data, size_t size, const struct tsr_onnx_options *opt, const tsr_allocator *a,
                        tsr_net **out, tsr_error *err) {
  if (data == NULL || a == NULL || out == NULL) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "net: NULL argument");
  if (tsr_net_is_tsr(data, size)) return tsr_net_load_tsr(data, size, a, out, err);
#if defined(TSR_HAVE_ONNX)
  return tsr_onnx_import(data, size, opt, a, out, err);
#else
  (void)opt;
  return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "net: not a .tsr file, and this build has no ONNX importer");
#endif
}

#ifndef TSR_NO_FILEIO
tsr_status tsr_net_open(const char *path, const struct tsr_onnx_options *opt, const tsr_allocator *a, tsr_net **out,
                        tsr_error *err) {
  if (path == NULL || a == NULL || out == NULL) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "net: NULL argument");
  /* A regular file within the model limit, mapped (tessera/file.h). */
  tsr_mapped_file f;
  uint64_t max_bytes = TSR_FILE_MAX_MODEL_DEFAULT;
#if defined(TSR_HAVE_ONNX)
  if (opt != NULL && opt->max_file_bytes != 0) max_bytes = opt->max_file_bytes;
#endif
  TSR_TRY(tsr_file_map_limited(path, "model", max_bytes, a, &f, err));
  tsr_net *net = NULL;
  tsr_status s = tsr_net_load(f.data, f.size, opt, a, &net, err);
  if (s == TSR_OK && tsr_net_is_tsr(f.data, f.size)) {
    net->file = f; /* constants live in the mapping */
    net->has_file = true;
    *out = net;
    return TSR_OK;
  }
  tsr_file_unmap(&f);
  if (s == TSR_OK) *out = net;
  return s;
}
#endif
