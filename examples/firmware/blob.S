/* The model and tokenizer linked into the image as read-only data, as a
 * board keeps them in flash. FW_MODEL and FW_TOKENIZER are the paths,
 * given by CMake (examples/firmware/CMakeLists.txt). */
#define STR2(x) #x
#define STR(x) STR2(x)
  .section .rodata
  .balign 64
  .global tsr_fw_model
  .global tsr_fw_model_end
tsr_fw_model:
  .incbin STR(FW_MODEL)
tsr_fw_model_end:
  .balign 64
  .global tsr_fw_tokenizer
  .global tsr_fw_tokenizer_end
tsr_fw_tokenizer:
  .incbin STR(FW_TOKENIZER)
tsr_fw_tokenizer_end:
  .section .note.GNU-stack,"",%progbits
