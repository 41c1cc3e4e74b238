/* SwiftMM's C API.
 *
 * libswiftmm.so exports the standard allocation functions (malloc, free, ... and C++ operator new/delete)
 * and the same operations under the prefix smm_, declared here. Link with -lswiftmm, or preload the library.
 */
#ifndef SWIFTMM_H
#define SWIFTMM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** malloc: at least 16-byte aligned; smm_malloc(0) returns a unique pointer. NULL + ENOMEM when impossible. */
void *smm_malloc(size_t size);
/** free: NULL is ignored; a pointer SwiftMM never handed out is reported on stderr and ignored. */
void smm_free(void *ptr);
/** calloc: zeroed; NULL + ENOMEM when count * size overflows. */
void *smm_calloc(size_t count, size_t size);
/** realloc: grows in place where it can, large blocks move with mremap; smm_realloc(p, 0) frees p and returns NULL, as glibc does. */
void *smm_realloc(void *ptr, size_t size);
/** reallocarray: realloc with an overflow check on count * size. */
void *smm_reallocarray(void *ptr, size_t count, size_t size);
/** posix_memalign: EINVAL unless alignment is a power of two and a multiple of sizeof(void *). */
int smm_posix_memalign(void **result, size_t alignment, size_t size);
/** aligned_alloc (C11): NULL + EINVAL unless alignment is a power of two. */
void *smm_aligned_alloc(size_t alignment, size_t size);
/** memalign: NULL + EINVAL unless alignment is a power of two. */
void *smm_memalign(size_t alignment, size_t size);
/** valloc: page-aligned. */
void *smm_valloc(size_t size);
/** pvalloc: page-aligned, size rounded up to whole pages. */
void *smm_pvalloc(size_t size);
/** malloc_usable_size: the bytes usable at ptr, at least the size asked for; 0 for NULL. */
size_t smm_malloc_usable_size(void *ptr);
/** C23 free_sized: free a block, given the size it was asked with. */
void smm_free_sized(void *ptr, size_t size);
/** C23 free_aligned_sized: free an aligned block, given its alignment and size. */
void smm_free_aligned_sized(void *ptr, size_t alignment, size_t size);

/** Allocation statistics, merged across threads. Reading them allocates nothing. */
typedef struct smm_stats {
    uint64_t allocations;      /**< calls that returned a block (malloc, calloc, realloc that moved, aligned...) */
    uint64_t frees;            /**< blocks freed */
    uint64_t bytes_in_use;     /**< bytes in live blocks (block sizes, not requested sizes) */
    uint64_t peak_bytes_in_use;/**< highest bytes_in_use seen at a refill or large allocation */
    uint64_t reserved;         /**< address space mapped from the OS */
    uint64_t committed;        /**< mapped memory not returned to the OS with madvise */
    uint64_t peak_committed;   /**< highest committed */
    uint64_t os_mmap_calls;    /**< mmap calls */
    uint64_t os_munmap_calls;  /**< munmap calls */
    uint64_t os_mremap_calls;  /**< mremap calls */
    uint64_t os_madvise_calls; /**< madvise (decommit) calls */
    uint64_t large_in_use;     /**< large blocks (mmap tier) alive */
    uint64_t threads_seen;     /**< thread heaps created */
    uint64_t heaps_adopted;    /**< heaps handed over from exited threads to new ones */
} smm_stats;

/** Fills *out with current statistics. */
void smm_get_stats(smm_stats *out);
/** Prints the statistics summary (the one SMM_STATS=1 prints at exit) to the file descriptor fd. */
void smm_print_stats(int fd);
/** Returns freed memory held by every heap to the OS now. */
void smm_collect(void);
/** The library version as "major.minor.patch". */
const char *smm_version(void);


/* ---- Diagnostics: heap status, state per size class, memory map, leaks ------------------------------ */

/** Heap status in the style of Free Pascal's TFPCHeapStatus. All figures in bytes. */
typedef struct {
    uint64_t reserved;    /**< address space mapped from the OS */
    uint64_t committed;   /**< mapped and not returned with madvise */
    uint64_t allocated;   /**< in live blocks */
    uint64_t free;        /**< committed, not in live blocks and not overhead */
    uint64_t overhead;    /**< SwiftMM's own metadata (segment headers, heaps, tables) */
    uint64_t current_use; /**< allocated now (the same as allocated) */
    uint64_t peak_use;    /**< highest allocated seen */
} smm_heap_status_t;

/** Tiers of SwiftMM's blocks. */
enum { SMM_TIER_SMALL = 0, SMM_TIER_MEDIUM = 1, SMM_TIER_LARGE = 2 };

/** One size class (or a tier's total) in the style of FastMM's GetMemoryManagerState. */
typedef struct {
    uint32_t tier;              /**< SMM_TIER_* */
    int32_t class_index;        /**< 0..SMM_CLASS_COUNT-1, or -1 for a total */
    uint64_t block_size;        /**< bytes per block (0 for a total) */
    uint64_t usable_size;       /**< bytes malloc_usable_size reports for a block of this class */
    uint64_t blocks_allocated;  /**< live blocks */
    uint64_t bytes_allocated;   /**< blocks_allocated * block_size (large: mapped sizes) */
    uint64_t bytes_reserved;    /**< address space of the pages holding this class */
    uint64_t bytes_committed;   /**< of which touched (handed out at least once) */
} smm_class_state_t;

#define SMM_CLASS_COUNT 96

/** The whole state: every class, the tier totals and the efficiency (allocated / committed). */
typedef struct {
    smm_class_state_t classes[SMM_CLASS_COUNT];
    smm_class_state_t small_total, medium_total, large_total;
    uint64_t allocated;
    uint64_t committed;
    double efficiency;
} smm_state_t;

/** Fills *out; reading walks page descriptors (never blocks) and allocates nothing. */
void smm_heap_status(smm_heap_status_t *out);
void smm_state(smm_state_t *out);
/** Prints the state per size class as a table to fd. */
void smm_print_state(int fd);

/** One region of SwiftMM's own memory, in the style of FastMM's GetMemoryMap. */
typedef struct {
    uint64_t address;
    uint64_t size;
    uint32_t tier;         /**< SMM_TIER_* for pages and large blocks; SMM_REGION_METADATA otherwise */
    int32_t class_index;   /**< size class of a page, -1 otherwise */
    uint32_t use;          /**< SMM_USE_* */
    uint32_t blocks_in_use;
    uint64_t block_size;
} smm_region_t;
enum { SMM_REGION_METADATA = 3 };
enum { SMM_USE_ALLOCATED = 0, SMM_USE_FREE = 1, SMM_USE_DECOMMITTED = 2, SMM_USE_METADATA = 3 };

/** Writes up to capacity regions into buffer and returns how many there are in all (call again with a
 *  bigger buffer when the result exceeds capacity). Pass NULL and 0 to count. */
size_t smm_memory_map(smm_region_t *buffer, size_t capacity);
/** Prints the memory map to fd. */
void smm_print_memory_map(int fd);

/** Leaves ptr out of leak reports (like FastMM's RegisterExpectedMemoryLeak). No fixed limit. Returns 1 when
 *  ptr is a live block SwiftMM owns and was registered, 0 otherwise. */
int smm_register_expected_leak(void *ptr);
/** Withdraws a registration; returns 1 when ptr was registered. */
int smm_unregister_expected_leak(void *ptr);
/** Turns the leak report at exit on or off (SMM_REPORT_LEAKS=1 turns it on). */
void smm_report_leaks_at_exit(int enable);
/** Prints the blocks alive now, grouped by size, to fd; returns the number of unexpected live blocks. */
size_t smm_report_leaks(int fd);

#ifdef __cplusplus
}
#endif
#endif
