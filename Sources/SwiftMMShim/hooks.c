// Thread-exit, fork and process-exit hooks: each forwards to the Swift core.
#include "swiftmm_shim.h"
#include "swiftmm_core.h"

// The C shim's functions go in their own section (see swiftmm_c_text in swiftmm_shim.h).
#pragma clang section text = "swiftmm_c_text"

static pthread_key_t swiftmm_thread_key;
static pthread_once_t swiftmm_thread_key_once = PTHREAD_ONCE_INIT;

static void swiftmm_thread_destructor(void *heap) { swiftmm_core_thread_exit(heap); }
static void swiftmm_create_thread_key(void) { pthread_key_create(&swiftmm_thread_key, swiftmm_thread_destructor); }

void swiftmm_shim_register_thread(void *heap) {
    pthread_once(&swiftmm_thread_key_once, swiftmm_create_thread_key);
    pthread_setspecific(swiftmm_thread_key, heap);
}

void swiftmm_shim_register_fork(void (*prepare)(void), void (*parent)(void), void (*child)(void)) {
    pthread_atfork(prepare, parent, child);
}

__attribute__((destructor)) static void swiftmm_process_exit(void) { swiftmm_core_process_exit(); }
