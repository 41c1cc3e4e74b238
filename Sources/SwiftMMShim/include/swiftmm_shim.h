// The C shim: only what Swift cannot express.
//  - the thread's heap pointer as initial-exec TLS (Swift has no TLS model control);
//  - wrappers for variadic system calls (mremap, prctl) that Swift cannot call;
//  - static data whose initialiser holds addresses (the empty heap every thread starts on).
// The exported standard names live in override.c and thread hooks in hooks.c; neither holds logic.
#ifndef SWIFTMM_SHIM_H
#define SWIFTMM_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sched.h>
#include <time.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include "swiftmm.h"
#include <execinfo.h>
#include <elf.h>
#include <sys/auxv.h>

/// Entries in a heap's direct table: one per 16-byte step up to 1 KiB (index = (size + 15) >> 4).
#define SMM_DIRECT_ENTRIES 65

/// The thread's heap. Every thread starts on `swiftmm_empty_heap`, whose direct table points at an empty page.
extern __thread void *swiftmm_tls_heap __attribute__((tls_model("initial-exec"), visibility("hidden")));
/// Start of the shared empty heap (its direct table) and the empty page it points at.
/// (Declared without bounds so that Swift does not import them as tuples; reach them through the accessors.)
extern void *swiftmm_empty_heap[];
/// One byte per 4 MiB of the 47-bit user address space (32 MiB of address space, touched only where segments
/// live): 1 where a SwiftMM segment lives. Bytes rather than bits: the test is one compare, and threads that
/// map neighbouring segments never write the same word.
extern uint8_t swiftmm_segment_map[];

/// Bytes reserved for a heap, the empty heap included.
#define SMM_HEAP_BYTES 4096

static inline __attribute__((always_inline)) void *swiftmm_shim_empty_heap(void) { return (void *)swiftmm_empty_heap; }
static inline __attribute__((always_inline)) uint8_t *swiftmm_shim_segment_map(void) { return swiftmm_segment_map; }

/// The live-state anchor (swiftmm.h), which the core fills in once.
static inline smm_live_anchor_t *swiftmm_shim_live_anchor(void) { return &smm_live_anchor; }

static inline __attribute__((always_inline)) void *swiftmm_shim_heap(void) { return swiftmm_tls_heap; }
static inline __attribute__((always_inline)) void swiftmm_shim_set_heap(void *h) { swiftmm_tls_heap = h; }
/// Asks the CPU to bring the cache line at `p` in ahead of use (never faults, whatever `p` is).
static inline __attribute__((always_inline)) void swiftmm_shim_prefetch(const void *p) { __builtin_prefetch(p, 1, 3); }
static inline int swiftmm_shim_errno(void) { return errno; }
static inline void swiftmm_shim_set_errno(int e) { errno = e; }
static inline int swiftmm_shim_mremap_maymove(void) { return 1; /* MREMAP_MAYMOVE */ }
/// open(2) for appending a report (open is variadic).
int swiftmm_shim_open_append(const char *path);

void *swiftmm_shim_mremap(void *old, size_t old_size, size_t new_size, int flags, void *new_address);
int swiftmm_shim_name_region(void *addr, size_t size, const char *name);
long swiftmm_shim_gettid(void);
/// clock_gettime(CLOCK_MONOTONIC) and sched_yield as direct system calls (syscall is variadic). libc's own
/// wrappers sit in code that the allocator would otherwise be alone in touching (see Clock.swift).
void swiftmm_shim_clock_monotonic_syscall(struct timespec *t);
void swiftmm_shim_yield(void);

// Naming leaked Swift objects (Diagnostics/SwiftObjects.swift). Neither call allocates or loads anything.
/// Calls `visit` with the start and end of every PT_LOAD segment of every loaded object, and its path.
void swiftmm_shim_each_image_segment(void (*visit)(uintptr_t start, uintptr_t end, const char *path, void *context), void *context);
/// dlsym(RTLD_DEFAULT, symbol). Call it only for a symbol known to be loaded: a failing dlsym allocates its error.
void *swiftmm_shim_global_symbol(const char *symbol);
/// swift_getTypeName's result: a name that the Swift runtime keeps (not NUL-terminated).
typedef struct swiftmm_type_name { const char *data; uintptr_t length; } swiftmm_type_name;
/// Calls `get_type_name` (the runtime's swift_getTypeName) on `metadata`, qualified.
static inline swiftmm_type_name swiftmm_shim_call_type_name(void *get_type_name, const void *metadata) {
    return ((swiftmm_type_name (*)(const void *, _Bool))get_type_name)(metadata, 1);
}
/// Registers the thread-exit hook for `heap` (pthread key destructor) on the calling thread.
void swiftmm_shim_register_thread(void *heap);
/// Registers the fork handlers once per process.
void swiftmm_shim_register_fork(void (*prepare)(void), void (*parent)(void), void (*child)(void));
extern char **environ;

// Extended API (issue 6).
/// The thread's own heap while `swiftmm_tls_heap` is redirected to the empty heap (a custom memory manager is
/// installed); 1 once the thread has exited (its TLS slot must not be registered again); NULL before the first heap.
extern __thread void *swiftmm_tls_own_heap __attribute__((tls_model("initial-exec"), visibility("hidden")));
static inline __attribute__((always_inline)) void *swiftmm_shim_own_heap(void) { return swiftmm_tls_own_heap; }
static inline __attribute__((always_inline)) void swiftmm_shim_set_own_heap(void *h) { swiftmm_tls_own_heap = h; }
/// The address of the calling thread's `swiftmm_tls_heap`, so that another thread can redirect it.
static inline void **swiftmm_shim_tls_heap_slot(void) { return &swiftmm_tls_heap; }
/// memfd_create(2) (not declared without _GNU_SOURCE); -1 + errno on failure.
int swiftmm_shim_memfd(const char *name);
/// open(2) read-only (open is variadic).
int swiftmm_shim_open_read(const char *path);


// Debug mode (SMM_DEBUG=1).
/// Bit 0 set while the thread captures a call stack: allocations made meanwhile (glibc's backtrace loads
/// libgcc_s on its first call, which allocates) are tracked without capturing a stack in turn. Bit 1 set while
/// it passes a foreign pointer to a manager installed earlier (DebugBusy in DebugStacks.swift).
extern __thread int swiftmm_tls_debug_busy __attribute__((tls_model("initial-exec"), visibility("hidden")));
static inline __attribute__((always_inline)) int swiftmm_shim_debug_busy(void) { return swiftmm_tls_debug_busy; }
static inline __attribute__((always_inline)) void swiftmm_shim_set_debug_busy(int busy) { swiftmm_tls_debug_busy = busy; }
/// The calling function's frame pointer (the Swift core keeps frame pointers in functions that call).
void *swiftmm_shim_frame_pointer(void);
/// glibc's backtrace, with the frames from the caller inward left out: the unwinder continues in the frame whose
/// canonical frame address is `cfa` (its return address at cfa - 8) with rbp = `rbp`. Swift code has no unwind
/// tables, or not for every function (only frame pointers), so SwiftMM's own frames are walked by frame pointer
/// and this hands the rest to the DWARF unwinder.
int swiftmm_shim_backtrace_from(void **buffer, int size, const void *cfa, const void *rbp);
/// The code of the C shim: every shim source puts its functions in the section `swiftmm_c_text`, whose bounds
/// the linker provides. Debug mode walks SwiftMM's Swift frames by frame pointer and hands the rest of a stack to
/// the DWARF unwinder at the first frame in this code, which keeps no frame pointer but has unwind tables.
extern const char __start_swiftmm_c_text[] __attribute__((visibility("hidden")));
extern const char __stop_swiftmm_c_text[] __attribute__((visibility("hidden")));
static inline const void *swiftmm_shim_c_text_start(void) { return __start_swiftmm_c_text; }
static inline const void *swiftmm_shim_c_text_end(void) { return __stop_swiftmm_c_text; }
/// The ELF header of libswiftmm.so itself (provided by the linker): where its own code lies, so that call
/// stacks can leave SwiftMM's frames out.
extern const char __ehdr_start[] __attribute__((visibility("hidden")));
static inline const void *swiftmm_shim_image_header(void) { return __ehdr_start; }

#endif
