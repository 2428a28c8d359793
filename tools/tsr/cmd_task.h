/* tsr run --image FRAME --task ...: perception networks on photos, with
 * built-in presets (tools/tsr/cmd_task.c). */
#ifndef TESSERA_TOOLS_TSR_CMD_TASK_H_
#define TESSERA_TOOLS_TSR_CMD_TASK_H_

#include <stdbool.h>

/* True if the arguments ask for the perception mode: --image, --task, or a
 * --preset other than none. */
bool tsr_task_wanted(int argc, char **argv);
int tsr_task_cmd_run(int argc, char **argv);

#endif
