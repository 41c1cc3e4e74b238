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

#ifdef __cplusplus
}
#endif
#endif
