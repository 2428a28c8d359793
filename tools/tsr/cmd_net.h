/* tsr run / bench / info / convert for networks (.onnx, .tsr). */
#ifndef TESSERA_TOOLS_TSR_CMD_NET_H_
#define TESSERA_TOOLS_TSR_CMD_NET_H_

#include <stdbool.h>

/* True for a .onnx or .tsr path. */
bool tsr_net_match(const char *path);
int tsr_net_cmd_run(int argc, char **argv);
int tsr_net_cmd_bench(int argc, char **argv);
int tsr_net_cmd_info(int argc, char **argv);
/* tsr convert MODEL.onnx -o MODEL.tsr */
int tsr_cmd_convert(int argc, char **argv);

#endif
