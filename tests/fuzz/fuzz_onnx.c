/* libFuzzer target: the ONNX importer and the .tsr loader on arbitrary bytes.
 * Input starting with "GGUF" goes to the .tsr loader, anything else to the
 * ONNX importer (protobuf parse, shape inference and folding, lowering, graph
 * validation). A network that imports is written as .tsr and loaded back:
 * the copy must load and have the same graph. A crash, a sanitizer report or
 * a round trip that fails is a bug. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/net/net.h"
#include "engine/onnx/onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const tsr_net *net, const tsr_allocator *a) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (f == NULL) return;
  tsr_error err;
  tsr_status s = tsr_net_write_tsr(net, f, &err);
  fclose(f);
  if (s == TSR_OK) {
    tsr_net *back = NULL;
    s = tsr_net_load_tsr(buf, len, a, &back, &err);
    if (s != TSR_OK) abort(); /* a file we wrote must load */
    if (tsr_graph_node_count(back->graph) != tsr_graph_node_count(net->graph) ||
        tsr_graph_tensor_count(back->graph) != tsr_graph_tensor_count(net->graph) ||
        back->n_inputs != net->n_inputs || back->n_outputs != net->n_outputs)
      abort();
    tsr_net_destroy(back);
  } else if (s != TSR_ERR_UNSUPPORTED && s != TSR_ERR_OUT_OF_MEMORY) {
    abort();
  }
  free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tsr_allocator a = tsr_allocator_system();
  tsr_net *net = NULL;
  tsr_error err;
  if (tsr_net_is_tsr(data, size)) {
    if (tsr_net_load_tsr(data, size, &a, &net, &err) == TSR_OK) tsr_net_destroy(net);
    return 0;
  }
  /* Both lowerings: with fusions and patterns, and node by node. */
  for (int pass = 0; pass < 2; ++pass) {
    tsr_onnx_options o;
    memset(&o, 0, sizeof(o));
    o.flags = pass ? TSR_ONNX_NO_FUSION : 0;
    tsr_status s = tsr_onnx_import(data, size, &o, &a, &net, &err);
    if (s == TSR_OK) {
      round_trip(net, &a);
      tsr_net_destroy(net);
      net = NULL;
    } else if (s != TSR_ERR_FORMAT && s != TSR_ERR_UNSUPPORTED && s != TSR_ERR_OUT_OF_MEMORY &&
               s != TSR_ERR_INVALID_ARGUMENT) {
      abort();
    } else if (err.message[0] == '\0') {
      abort(); /* every failure says what was wrong */
    }
    if (s != TSR_OK) break;
  }
  return 0;
}
