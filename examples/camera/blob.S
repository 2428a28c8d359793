/* The network linked into the image as read-only data, as a board keeps it
 * in flash. CAM_MODEL is its path, given by CMake (CMakeLists.txt here). */
#define STR2(x) #x
#define STR(x) STR2(x)
  .section .rodata
  .balign 64
  .global tsr_cam_model
  .global tsr_cam_model_end
tsr_cam_model:
  .incbin STR(CAM_MODEL)
tsr_cam_model_end:
  .section .note.GNU-stack,"",%progbits
