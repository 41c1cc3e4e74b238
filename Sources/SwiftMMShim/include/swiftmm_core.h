// Entry points the Swift core exports to the C layer (override.c, hooks.c). Not part of the public API.
#ifndef SWIFTMM_CORE_H
#define SWIFTMM_CORE_H
#include "swiftmm.h"
void swiftmm_core_thread_exit(void *heap);
void swiftmm_core_process_exit(void);
#endif
