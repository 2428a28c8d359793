/* Counts the C library allocator calls of the whole process (malloc, calloc,
 * realloc, aligned_alloc, memalign, posix_memalign, free, and mmap/munmap
 * outside AddressSanitizer) once armed, by interposing them in a dynamically
 * linked C library (alloc_hook.c). */
#ifndef TESSERA_EXAMPLES_FIRMWARE_ALLOC_HOOK_H_
#define TESSERA_EXAMPLES_FIRMWARE_ALLOC_HOOK_H_
void fw_alloc_hook_arm(void);
long fw_alloc_hook_count(void);
/* 1 if mmap and munmap are counted. */
int fw_alloc_hook_counts_mmap(void);
#endif
