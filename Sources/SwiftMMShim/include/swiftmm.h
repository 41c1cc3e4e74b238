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
    uint64_t peak_bytes_in_use;/**< highest bytes_in_use seen: at each statistics query, and sampled as the process grows (at least once per eighth of its committed memory newly mapped) */
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

/* ---- Live state: read from outside by `smm state PID` ---------------------------------------------------- */

/** smm_live_anchor.magic: the bytes "SMMLIVE1". */
#define SMM_LIVE_MAGIC 0x314556494C4D4D53ULL
/** The layout of smm_live_anchor_t and of the structures it describes. `smm state` reads only the version it
 *  knows and says so on a mismatch; change it whenever a field below changes meaning or width. */
#define SMM_LIVE_LAYOUT_VERSION 2

/** Where `smm state PID` finds the allocator's state in a running process, without stopping it. `smm` finds this
 *  symbol in libswiftmm.so's dynamic symbol table in the process's memory and reads it, and everything it points
 *  at, with process_vm_readv, which the kernel allows only with ptrace access (the same user, or root /
 *  CAP_SYS_PTRACE). So the channel creates no file, socket or shared memory that anyone could open.
 *
 *  It holds the layout the reader needs, so that the reader knows nothing of the core's private structures:
 *  the geometry, byte offsets of the fields it reads (offset fields), and addresses of the process-wide words
 *  it reads (address fields). Every field is 64-bit. The first three are constant; the core fills in the rest
 *  once, when the process's first heap is created, and sets `published` last. Programs have no use for it. */
typedef struct {
    uint64_t magic;                  /**< SMM_LIVE_MAGIC */
    uint64_t layout_version;         /**< SMM_LIVE_LAYOUT_VERSION */
    uint64_t anchor_size;            /**< sizeof(smm_live_anchor_t) */
    uint64_t published;              /**< 1 once the fields below are filled in */
    uint64_t version_address;        /**< the library version, a C string (smm_version) */
    /* Geometry. Segments are aligned to their size and cut into slices; slice 0 holds the segment header and
       one page descriptor per slice. A page is a run of slices holding blocks of one size class. */
    uint64_t segment_size;
    uint64_t slice_size;
    uint64_t slices_per_segment;     /**< at most 64: the segment masks have one bit per slice */
    uint64_t page_table_offset;      /**< offset of slice 0's page descriptor in a segment */
    uint64_t page_stride;            /**< bytes from one slice's page descriptor to the next */
    uint64_t small_max;              /**< the largest small block; classes above it are medium */
    uint64_t heap_bytes;             /**< bytes of one heap (metadata) */
    uint64_t class_count;            /**< size classes in use in class_block_size (at most SMM_CLASS_COUNT) */
    /* Heaps: every heap ever created, linked through their states; never unmapped. */
    uint64_t heaps_address;          /**< address of the word holding the first heap's address (0: none) */
    uint64_t heap_state_offset;      /**< offset of a heap's state in the heap */
    uint64_t state_segments;         /**< offset in the state of the heap's first segment's address */
    uint64_t state_all_next;         /**< offset in the state of the next heap's address */
    /* Segment header. A heap's segments are linked; an empty segment may be unmapped while it is read. */
    uint64_t segment_magic;          /**< the value of a segment's magic word */
    uint64_t segment_magic_offset;
    uint64_t segment_next;           /**< offset of the next segment's address */
    uint64_t segment_free_mask;      /**< offset of a uint64_t: bit i set, slice i belongs to no page */
    uint64_t segment_dirty_mask;     /**< offset of a uint64_t: bit i set, free slice i is still committed */
    /* Page descriptor (a page's first slice's descriptor describes it). */
    uint64_t page_owner;             /**< offset of a uintptr_t: the owning heap with flag bits; 0 while not in use */
    uint64_t page_used;              /**< offset of a uint32_t: blocks in use */
    uint64_t page_block_size;        /**< offset of an int64_t: bytes per block */
    uint64_t page_start;             /**< offset of a pointer: the first block */
    uint64_t page_bump_next;         /**< offset of a pointer: blocks from here on were never handed out */
    uint64_t page_class_index;       /**< offset of an int32_t */
    uint64_t page_slice_count;       /**< offset of an int32_t: slices of the page */
    /* Large blocks: an open-addressing table; a slot is empty when its address is 0. */
    uint64_t large_table_address;    /**< address of the word holding the table's address */
    uint64_t large_capacity_address; /**< address of the int64_t holding its number of slots */
    uint64_t large_entry_stride;
    uint64_t large_entry_address;    /**< offset in an entry of the block's address */
    uint64_t large_entry_map_size;   /**< offset of the int64_t mapped bytes */
    uint64_t large_entry_size;       /**< offset of the int64_t requested bytes */
    /* Counters: addresses of int64_t. */
    uint64_t reserved_address;       /**< address space mapped from the OS */
    uint64_t committed_address;      /**< of which not returned to the OS */
    uint64_t peak_committed_address;
    uint64_t peak_in_use_address;    /**< highest bytes in live blocks seen */
    /* Each heap's lists of blocks freed by its thread from other heaps' pages, kept for its own allocations: the
       pages count them in use, the reports do not. One list per class below foreign_list_classes. */
    uint64_t foreign_lists_offset;   /**< offset in a heap of class 0's list */
    uint64_t foreign_list_stride;    /**< bytes from one class's list to the next */
    uint64_t foreign_list_classes;
    uint64_t foreign_list_free;      /**< offset of a pointer: the first block (0: the list is empty) */
    uint64_t foreign_list_taken;     /**< offset of a uint32_t: blocks taken; an empty list's counts mean nothing */
    uint64_t foreign_list_added;     /**< offset of a uint32_t: blocks added; kept = added - taken */
    uint64_t class_block_size[SMM_CLASS_COUNT]; /**< bytes per block of each size class */
} smm_live_anchor_t;

/** The live-state anchor of this library (see smm_live_anchor_t). */
extern smm_live_anchor_t smm_live_anchor;

/* ---- Debug mode (SMM_DEBUG=1) ----------------------------------------------------------------------- */

/** Checks the heap in debug mode (SMM_DEBUG=1): the guard bytes of every live block and the guard bytes and
 *  freed fill of every block in the quarantine (a changed fill is a write after free). Each corrupt block is
 *  reported on stderr (address, size, allocation number, threads and call stacks); then the process aborts
 *  unless SMM_DEBUG_CONTINUE=1. Returns the number of corrupt blocks found (0: healthy).
 *  Outside debug mode blocks carry no guards: returns 0 without checking anything. */
int smm_check_heap(void);

/* ===================================================================================================
 * Extended API (issue 6): pluggable memory manager, aligned allocation, reget, memory blocks, pages,
 * JIT heaps and queries. In the line of Free Pascal's TMemoryManager and BrainMM's extended API.
 * =================================================================================================== */

/** A memory manager: the functions the standard names route through (Free Pascal's TMemoryManager).
 *  Any function may be NULL except getmem and freemem; a NULL one falls back to SwiftMM's own. */
typedef struct smm_memory_manager {
    int needs_lock;                                 /**< non-zero: SwiftMM calls the functions under one global lock */
    void *(*getmem)(size_t size);                   /**< malloc */
    void (*freemem)(void *p);                       /**< free (p is never NULL) */
    size_t (*freemem_size)(void *p, size_t size);   /**< free if size matches the block (<= its usable size); returns the bytes freed, 0 when it refused */
    void *(*allocmem)(size_t size);                 /**< zeroed malloc */
    void *(*reallocmem)(void *p, size_t size);      /**< realloc (p never NULL, size never 0) */
    size_t (*memsize)(void *p);                     /**< usable size of a block */
    void (*init_thread)(void);                      /**< a thread starts using the manager */
    void (*done_thread)(void);                      /**< a thread ends */
    void (*heap_status)(smm_heap_status_t *out);    /**< fills *out (SwiftMM's own: smm_heap_status) */
} smm_memory_manager;

/** Reads the installed manager (SwiftMM's own record when none was installed). */
void smm_get_memory_manager(smm_memory_manager *out);
/** Installs a manager; NULL, or the record smm_get_memory_manager gave before any install, restores SwiftMM.
 *  Returns 0, or EINVAL when getmem or freemem is NULL. Blocks SwiftMM owns are always freed by SwiftMM,
 *  except that a manager that calls SwiftMM's functions (a layer) sees every free and must pass on what it
 *  did not allocate; blocks SwiftMM does not own go to the installed manager. */
int smm_set_memory_manager(const smm_memory_manager *manager);
/** Calls the installed manager's heap_status. */
void smm_get_heap_status(smm_heap_status_t *out);

/** A block of size bytes aligned to alignment (a power of two, 16 B ... 1 MiB; NULL + EINVAL otherwise).
 *  Free it with free; realloc and smm_reget keep the alignment. */
void *smm_malloc_aligned(size_t alignment, size_t size);
/** Resizes p WITHOUT keeping its contents: in place when it fits, else a fresh block (the old one is freed).
 *  smm_reget(NULL, n) = malloc(n); smm_reget(p, 0) frees p and returns NULL. Keeps p's alignment.
 *  On failure returns NULL and p stays valid. */
void *smm_reget(void *p, size_t size);

/** Memory blocks: fixed sizes, each aligned to its size, from per-thread caches. */
enum { SMM_BLOCK_4K = 0, SMM_BLOCK_16K = 1, SMM_BLOCK_64K = 2, SMM_BLOCK_256K = 3, SMM_BLOCK_1M = 4 };
/** A block of the kind's size, aligned to that size (contents undefined); NULL + EINVAL for a bad kind. */
void *smm_block_alloc(int kind);
/** Returns a block from smm_block_alloc (any thread may free it). Interior pointers are accepted. */
void smm_block_free(void *block);
/** The size of kind (4096 ... 1048576), 0 for a bad kind. */
size_t smm_block_size(int kind);

/** Access rights of pages. */
enum { SMM_PAGE_NONE = 0, SMM_PAGE_READ = 1, SMM_PAGE_WRITE = 2, SMM_PAGE_EXECUTE = 4 };
/** The OS page size (4096). */
size_t smm_page_size(void);
/** count fresh zeroed read-write pages, page aligned; NULL + ENOMEM when impossible. */
void *smm_pages_alloc(size_t count);
/** Resizes to count pages without keeping the contents (fresh zeroed read-write pages); NULL if it fails (p stays valid). */
void *smm_pages_reget(void *p, size_t count);
/** Resizes to count pages keeping the contents: mremap, no copy; may move. NULL if it fails (p stays valid). */
void *smm_pages_realloc(void *p, size_t count);
/** Unmaps pages from smm_pages_alloc/reget/realloc. Returns 0, or EINVAL for a pointer it did not hand out. */
int smm_pages_free(void *p);
/** Sets the rights of count pages from p (any mapped pages). Returns 0 or errno. */
int smm_pages_protect(void *p, size_t count, int rights);
/** The rights of the page holding p (from the kernel's mappings), -1 when p is not mapped. */
int smm_pages_rights(const void *p);

/** Tiers smm_memory_options reports: SMM_TIER_SMALL, _MEDIUM, _LARGE (above) and these. */
enum { SMM_TIER_NONE = -1, SMM_TIER_PAGES = 4, SMM_TIER_BLOCK = 5, SMM_TIER_JIT = 6 };
/** What SwiftMM knows about a pointer. */
typedef struct smm_memory_info {
    int tier;             /**< SMM_TIER_* */
    int rights;           /**< SMM_PAGE_* bits of its page, -1 when not mapped */
    void *base;           /**< start of the block/region holding the pointer (NULL for SMM_TIER_NONE) */
    size_t size;          /**< bytes of that block/region */
    size_t alignment;     /**< largest power of two dividing the pointer (at most 1 MiB) */
    long thread_id;       /**< kernel thread id of the owning heap's thread; 0 when none (large, pages, blocks, exited) */
} smm_memory_info;
/** Describes any pointer (interior pointers too). Returns out->tier. */
int smm_memory_options(const void *p, smm_memory_info *out);
/** 1 when p is the start of, or inside, memory SwiftMM handed out and has not taken back (DidAlloc). */
int smm_owns(const void *p);
/** Returns the calling thread's free memory to the OS (free pages, large cache, block cache), and gives the
 *  blocks it freed from other threads' heaps and kept for itself back to their owners. Returns the
 *  bytes of committed memory released (process-wide figure, so approximate with other threads running). */
size_t smm_heap_minimize(void);

/** JIT heaps: executable memory for generated code under W^X. */
typedef struct smm_jit_heap smm_jit_heap;
enum {
    SMM_JIT_SYNCHRONIZED = 1,  /**< calls take a lock (share the heap between threads) */
    SMM_JIT_TOGGLE = 2         /**< one mapping toggled RW <-> RX (default: a memfd mapped twice, RW and RX) */
};
/** A new JIT heap; NULL + errno on failure. */
smm_jit_heap *smm_jit_create(unsigned flags);
/** size bytes of code space (16-byte aligned). Returns the address to execute; *writable receives the address
 *  to write the code through (the same address in toggle mode, after smm_jit_make_writable). */
void *smm_jit_alloc(smm_jit_heap *heap, size_t size, void **writable);
/** Toggle mode: all of the heap becomes read+execute (call before running code). Dual mode: no-op. 0 or errno. */
int smm_jit_make_executable(smm_jit_heap *heap);
/** Toggle mode: all of the heap becomes read+write (not executable). Dual mode: no-op. 0 or errno. */
int smm_jit_make_writable(smm_jit_heap *heap);
/** Bytes of code space handed out. */
size_t smm_jit_used(smm_jit_heap *heap);
/** Releases all code memory of the heap; the heap stays usable. */
void smm_jit_clear(smm_jit_heap *heap);
/** Clears and destroys the heap. */
void smm_jit_destroy(smm_jit_heap *heap);

#ifdef __cplusplus
}
#endif
#endif
