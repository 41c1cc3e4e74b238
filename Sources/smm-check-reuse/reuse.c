// Checks of how SwiftMM reuses memory it already holds, run in a fresh child process with libswiftmm.so preloaded
// (see Tests/SwiftMMTests/MemoryReuseTests.swift): a fresh process has no blocks of the size classes used here
// yet, so every outcome is determined. Each failed expectation prints a line; the exit status is the number of
// failures, or 100 when SwiftMM is not the process's malloc. Nothing is printed before the checks have run:
// stdio's own buffer would be a block of a class in use.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../SwiftMMShim/include/swiftmm.h"     /* smm_stats only: the functions are looked up with dlsym */

enum { MAX_FAILURES = 16 };
static int failures = 0;
static int checks = 0;
static char messages[MAX_FAILURES][160];
#define EXPECT(cond, ...) do { checks++; if (!(cond)) { if (failures < MAX_FAILURES) snprintf(messages[failures], sizeof messages[0], __VA_ARGS__); failures++; } } while (0)

static const uintptr_t os_page = 4096;

// Called through a pointer the compiler cannot see through: glibc declares aligned_alloc with alloc_align, and the
// compiler would otherwise fold the alignment check below to true.
static void *(*volatile aligned_alloc_opaque)(size_t, size_t) = aligned_alloc;

/// How many of the OS pages in [start, end) are resident.
static size_t resident_pages(uintptr_t start, uintptr_t end) {
    unsigned char vector[64];
    size_t pages = (end - start) / os_page;
    if (pages == 0 || pages > sizeof vector || mincore((void *)start, end - start, vector) != 0) return (size_t)-1;
    size_t resident = 0;
    for (size_t i = 0; i < pages; i++) resident += vector[i] & 1;
    return resident;
}

// Runs a purge now (smm_collect); false when SwiftMM does not export it.
static int purge_now(void) {
    void (*collect)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "smm_collect");
    if (collect) collect();
    return collect != NULL;
}

// A request may take a free block of the next two larger classes instead of making its own class grow.
static void check_borrowing(void) {
    // Class 1792: eight blocks, the last four freed (the page's free list then starts at p[7]).
    void *p[8];
    for (int i = 0; i < 8; i++) { p[i] = malloc(1700); memset(p[i], i, 1700); }
    for (int i = 4; i < 8; i++) free(p[i]);
    // Class 1664 has no page yet: it borrows the 1792-byte block freed last.
    void *q = malloc(1600);
    EXPECT(q == p[7], "malloc(1600) gave %p, not the free 1792-byte block %p", q, p[7]);
    EXPECT(malloc_usable_size(q) == 1792, "the borrowed block's usable size is %zu, not 1792", malloc_usable_size(q));
    memset(q, 0xAB, 1600);
    for (int i = 0; i < 4; i++) EXPECT(((unsigned char *)p[i])[1699] == i, "block %d of class 1792 kept its contents", i);
    // Freed, it goes back to its own page: the next 1700-byte request takes it.
    free(q);
    void *again = malloc(1700);
    EXPECT(again == q, "the borrowed block went back to its class-1792 page (got %p, expected %p)", again, q);
    free(again);
    for (int i = 0; i < 4; i++) free(p[i]);

    // Classes below 1 KiB never borrow: 1,024-byte blocks are free, yet malloc(900) gets a 960-byte block.
    void *r[8];
    for (int i = 0; i < 8; i++) r[i] = malloc(1000);
    for (int i = 4; i < 8; i++) free(r[i]);
    void *s = malloc(900);
    EXPECT(malloc_usable_size(s) == 960, "malloc(900) gave a block of %zu bytes, not one of class 960", malloc_usable_size(s));
    free(s);
    for (int i = 0; i < 4; i++) free(r[i]);

    // Aligned requests never borrow: 4608-byte blocks are free, the one freed last not 4096-aligned, yet
    // aligned_alloc(4096, 4096) gets an aligned block of its own class.
    void *m[4];
    int misaligned = 0;
    for (int i = 0; i < 4; i++) { m[i] = malloc(4500); if ((uintptr_t)m[i] & 4095) misaligned = i; }
    for (int i = 0; i < 4; i++) if (i != misaligned) free(m[i]);
    free(m[misaligned]);
    void *a = aligned_alloc_opaque(4096, 4096);
    EXPECT(((uintptr_t)a & 4095) == 0, "aligned_alloc(4096, 4096) gave %p", a);
    EXPECT(a != m[misaligned], "aligned_alloc took the borrowed 4608-byte block %p (blocks %p %p %p %p)", a, m[0], m[1], m[2], m[3]);
    free(a);
}

// A page cut from free slices that an earlier page left committed gives back, at the next purge, the memory
// past its bump pointer, which the earlier page wrote.
static void check_warm_tails(void) {
    // Three pages of 1,920-byte blocks (34 to a 64 KiB page), all written, then all freed: the two pages that
    // are not their class's current page go back to the segment as free slices still committed.
    enum { per_page = 65536 / 1920, blocks = 3 * per_page };
    void *p[blocks];
    for (int i = 0; i < blocks; i++) { p[i] = malloc(1900); memset(p[i], 0x5A, 1900); }
    for (int i = 0; i < blocks; i++) free(p[i]);
    // A block of a new class (3,072 bytes) gets a page on one of those slices: its first OS page is in use, and
    // the rest of the slice is what the 1,920-byte blocks wrote.
    unsigned char *block = malloc(3000);
    memset(block, 0x77, 3000);
    uintptr_t slice = (uintptr_t)block & ~(uintptr_t)0xFFFF;
    uintptr_t tail = ((uintptr_t)block + 3072 + os_page - 1) & ~(os_page - 1);
    uintptr_t end = slice + 65536;
    size_t before = resident_pages(tail, end);
    EXPECT(before != (size_t)-1 && before >= 8, "the new page's slice was not written before (%zu OS pages resident past the block): the check proves nothing", before);
    purge_now();
    EXPECT(resident_pages(tail, end) == 0, "after a purge %zu OS pages past the bump pointer are still resident", resident_pages(tail, end));
    EXPECT(resident_pages(slice, tail) == (tail - slice) / os_page, "the OS pages in use stay resident");
    int intact = 1;
    for (int i = 0; i < 3000; i++) if (block[i] != 0x77) intact = 0;
    EXPECT(intact, "the block in use kept its contents");
    // The page goes on growing into the returned memory, which reads as fresh memory.
    void *more[20];
    for (int i = 0; i < 20; i++) { more[i] = malloc(3000); memset(more[i], i, 3000); }
    for (int i = 0; i < 20; i++) EXPECT(((unsigned char *)more[i])[2999] == i, "block %d past the old bump pointer holds what was written", i);
    for (int i = 0; i < 20; i++) free(more[i]);
    free(block);
}

// A free block of 8 KiB or more gives the OS pages inside it back at a purge, and is marked so that later purges
// pass it over. A block taken into use again and freed again gives them back again, even when the program never
// wrote the word that holds the mark.
static void check_interiors_again(void) {
    enum { size = 16384 };
    unsigned char *block = malloc(size), *neighbour = malloc(size);    // the neighbour keeps the page in use
    memset(block, 0x11, size);
    memset(neighbour, 0x22, size);
    uintptr_t interior = ((uintptr_t)block + os_page) & ~(os_page - 1);
    uintptr_t end = ((uintptr_t)block + size) & ~(os_page - 1);
    free(block);
    int purged = purge_now();
    EXPECT(purged, "smm_collect is not exported");
    if (!purged) return;
    EXPECT(resident_pages(interior, end) == 0, "after the first purge %zu OS pages inside the free block are still resident", resident_pages(interior, end));
    unsigned char *again = malloc(size);
    EXPECT(again == block, "the block freed last is not handed out again (%p, %p): the check proves nothing", (void *)again, (void *)block);
    memset(again + 16, 0x33, size - 16);      // all but the first two words, where the link and the mark were
    EXPECT(resident_pages(interior, end) == (end - interior) / os_page, "the block in use is not resident again");
    free(again);
    purge_now();
    EXPECT(resident_pages(interior, end) == 0, "after the second purge %zu OS pages inside the free block are still resident", resident_pages(interior, end));
    free(neighbour);
}

/// smm_get_stats (looked up with dlsym: this program does not link SwiftMM).
static smm_stats statistics(void) {
    void (*get)(smm_stats *) = (void (*)(smm_stats *))dlsym(RTLD_DEFAULT, "smm_get_stats");
    smm_stats s = { 0 };
    if (get) get(&s);
    return s;
}

/// The committed figure of smm_get_stats.
static uint64_t committed_bytes(void) { return statistics().committed; }

/// A set of OS pages, and how many of them are resident.
enum { MAX_PAGES = 256 };
typedef struct { uintptr_t page[MAX_PAGES]; size_t count; } page_set;

static void add_pages(page_set *set, const void *p, size_t n) {
    for (uintptr_t a = (uintptr_t)p & ~(os_page - 1); a < (uintptr_t)p + n; a += os_page) {
        size_t i = 0;
        while (i < set->count && set->page[i] != a) i++;
        if (i == set->count && set->count < MAX_PAGES) set->page[set->count++] = a;
    }
}

static size_t resident_in(const page_set *set) {
    size_t total = 0;
    for (size_t i = 0; i < set->count; i++) total += resident_pages(set->page[i], set->page[i] + os_page);
    return total;
}

// Runs of free 96-byte blocks: 2046 blocks (three 64 KiB pages' worth), every block but each 128th freed, then a
// purge, which returns the OS pages inside the runs. `freed` gets the OS pages of the freed blocks; the blocks
// still in use stay in `p`, the others are NULL.
enum { RUN_BLOCK = 96, RUN_BLOCKS = 2046, KEEP_EVERY = 128 };
static void make_runs(void **p, page_set *freed) {
    for (int i = 0; i < RUN_BLOCKS; i++) { p[i] = malloc(RUN_BLOCK); memset(p[i], 0x44, RUN_BLOCK); }
    freed->count = 0;
    for (int i = 0; i < RUN_BLOCKS; i++) {
        if (i % KEEP_EVERY == 0) continue;
        add_pages(freed, p[i], RUN_BLOCK);
        free(p[i]);
        p[i] = NULL;
    }
}

// The committed figure (smm_get_stats) leaves out the OS pages that free blocks inside pages in use give back at a
// purge, runs of small blocks and the interiors of blocks of 8 KiB and more alike: it moves by exactly the memory
// that leaves and comes back. Taken into use again, they count again; so do those of a page that is freed, whose
// slices then count whole until a purge decommits them (else a purge would take them off twice).
static void check_committed_figures(void) {
    if (!purge_now()) { EXPECT(0, "smm_collect is not exported"); return; }
    uint64_t baseline = committed_bytes();
    static void *p[RUN_BLOCKS];
    page_set freed;

    // Runs returned, then taken back by allocations of the same size.
    make_runs(p, &freed);
    size_t resident_before = resident_in(&freed);
    uint64_t before = committed_bytes();
    purge_now();
    size_t returned = resident_before - resident_in(&freed);
    uint64_t after = committed_bytes();
    EXPECT(returned >= 16, "the purge returned only %zu OS pages of the runs: the check proves nothing", returned);
    EXPECT(before - after == returned * os_page, "committed fell by %llu bytes while %zu OS pages were returned",
           (unsigned long long)(before - after), returned);
    size_t resident_returned = resident_in(&freed);
    for (int i = 0; i < RUN_BLOCKS; i++) if (!p[i]) { p[i] = malloc(RUN_BLOCK); memset(p[i], 0x55, RUN_BLOCK); }
    size_t back = resident_in(&freed) - resident_returned;
    EXPECT(back > 0, "no returned OS page came back");
    EXPECT(committed_bytes() - after == back * os_page, "committed rose by %llu bytes while %zu OS pages came back",
           (unsigned long long)(committed_bytes() - after), back);
    for (int i = 0; i < RUN_BLOCKS; i++) free(p[i]);

    // Runs returned, then their pages freed: the slices count whole, and the next purge decommits them once.
    make_runs(p, &freed);
    purge_now();
    for (int i = 0; i < RUN_BLOCKS; i++) free(p[i]);
    purge_now();
    uint64_t emptied = committed_bytes();
    EXPECT(emptied >= baseline && emptied <= baseline + 65536,
           "after the pages were freed and purged, committed is %lld bytes off the %llu it started at (one kept page at most)",
           (long long)(emptied - baseline), (unsigned long long)baseline);

    // Interiors of free 20 KiB blocks: two of four freed (their neighbours keep the page in use), then taken back.
    // (Their pages span two slices: an empty one goes back to its segment at once, never kept as its class's page.)
    enum { big = 20480 };
    uint64_t without_big = committed_bytes();
    unsigned char *b[4];
    for (int i = 0; i < 4; i++) { b[i] = malloc(big); memset(b[i], 0x66, big); }
    page_set inside = { .count = 0 };
    add_pages(&inside, b[0] + os_page, big - os_page);
    add_pages(&inside, b[2] + os_page, big - os_page);
    free(b[0]);
    free(b[2]);
    before = committed_bytes();
    purge_now();
    returned = inside.count - resident_in(&inside);
    after = committed_bytes();
    EXPECT(returned >= 4, "the purge returned only %zu OS pages inside the free 20 KiB blocks", returned);
    EXPECT(before - after == returned * os_page, "committed fell by %llu bytes while %zu OS pages inside blocks were returned",
           (unsigned long long)(before - after), returned);
    for (int i = 0; i < 4; i += 2) { b[i] = malloc(big); memset(b[i], 0x77, big); }
    EXPECT(committed_bytes() == before, "with the 20 KiB blocks in use again, committed is %lld bytes off",
           (long long)(committed_bytes() - before));
    // Returned again, then their page freed: its slices count whole until the purge decommits them once.
    free(b[0]);
    free(b[2]);
    purge_now();
    free(b[1]);
    free(b[3]);
    purge_now();
    EXPECT(committed_bytes() == without_big, "with the 20 KiB blocks' page freed and purged, committed is %lld bytes off",
           (long long)(committed_bytes() - without_big));

    // A page freed with marked blocks and no purge since, then cut again for the same class from its slices, still
    // committed: the new blocks at the old marked blocks' places were never returned, and count no more.
    for (int i = 0; i < 4; i++) { b[i] = malloc(big); memset(b[i], 0x88, big); }
    free(b[0]);
    free(b[2]);
    purge_now();
    free(b[1]);
    free(b[3]);
    uint64_t freed_warm = committed_bytes();
    unsigned char *c[4];
    for (int i = 0; i < 4; i++) { c[i] = malloc(big); memset(c[i], 0x99, big); }
    EXPECT(c[0] == b[0] || c[0] == b[3], "the 20 KiB page was not cut again at its old place (%p): the check proves nothing", (void *)c[0]);
    EXPECT(committed_bytes() == freed_warm, "a page cut again from slices still committed changed committed by %lld bytes",
           (long long)(committed_bytes() - freed_warm));
    for (int i = 0; i < 4; i++) free(c[i]);
}

static void *free_block(void *block) { free(block); return NULL; }

enum { exiting_classes = 10 };
static void *exiting_blocks[exiting_classes];

static void *use_classes_and_exit(void *unused) {
    for (int i = 0; i < exiting_classes; i++) {
        exiting_blocks[i] = malloc(100 + 50 * (size_t)i);     // ten size classes
        memset(exiting_blocks[i], 0x44, 100);
    }
    for (int i = 0; i < exiting_classes; i++) free(exiting_blocks[i]);
    return unused;
}

// A thread that exits gives back the memory of its pages, those that were its classes' current pages too (which a
// running thread keeps for its next allocations): its heap may wait in the pool for long.
static void check_thread_exit(void) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, use_classes_and_exit, NULL) != 0) { EXPECT(0, "pthread_create failed"); return; }
    pthread_join(thread, NULL);
    for (int i = 0; i < exiting_classes; i++) {
        uintptr_t page = (uintptr_t)exiting_blocks[i] & ~(os_page - 1);
        EXPECT(resident_pages(page, page + os_page) == 0, "the OS page of the exited thread's block of %zu bytes is still resident", 100 + 50 * (size_t)i);
    }
}

// A page with no block left to give leaves its class queue, so that searches for a free block stop walking it;
// a free, local or from another thread, brings it back: as the page in use when that one has nothing left to
// give (the next malloc then takes the block without a search), else right behind it, where the next search
// finds it first.
static void check_full_pages(void) {
    // Three pages of 512-byte blocks, 128 to a 64 KiB page, all handed out: pages 1 and 2 are full, and page 3
    // is the page in use, just run dry.
    enum { per_page = 65536 / 512, blocks = 3 * per_page };
    static void *p[blocks];
    for (int i = 0; i < blocks; i++) { p[i] = malloc(512); memset(p[i], 0x33, 512); }
    uintptr_t page_of[3];
    for (int k = 0; k < 3; k++) page_of[k] = (uintptr_t)p[k * per_page] & ~(uintptr_t)0xFFFF;
    int separate = page_of[0] != page_of[1] && page_of[1] != page_of[2] && page_of[0] != page_of[2];
    for (int k = 0; k < 3; k++)
        separate = separate && ((uintptr_t)p[k * per_page + per_page - 1] & ~(uintptr_t)0xFFFF) == page_of[k];
    EXPECT(separate, "the 384 blocks do not fill three 64 KiB pages: the check proves nothing");

    // One block freed in page 1, which replaces the dry page 3 as the page in use; then one in page 2, which
    // goes right behind it.
    void *first = p[5], *second = p[per_page + 7];
    free(first);
    free(second);
    void *q = malloc(512);
    EXPECT(q == first, "malloc gave %p, not %p, the block freed in the first full page", q, first);
    void *r = malloc(512);
    EXPECT(r == second, "malloc gave %p, not %p, the block freed in the second full page", r, second);

    // A block freed by another thread brings its page back too, once the owner collects it.
    void *remote = p[2 * per_page + 9];
    pthread_t thread;
    int created = pthread_create(&thread, NULL, free_block, remote) == 0;
    EXPECT(created, "no thread for the remote free");
    if (created) pthread_join(thread, NULL);
    void *s = malloc(512);
    EXPECT(!created || s == remote, "malloc gave %p, not %p, the block another thread freed in a full page", s, remote);

    // Every block is intact, and a further request takes a new page.
    int intact = 1;
    for (int i = 0; i < blocks; i++)
        if (p[i] != first && p[i] != second && p[i] != remote && ((unsigned char *)p[i])[511] != 0x33) intact = 0;
    EXPECT(intact, "the blocks in use kept their contents");
    void *t = malloc(512);
    uintptr_t page_t = (uintptr_t)t & ~(uintptr_t)0xFFFF;
    EXPECT(page_t != page_of[0] && page_t != page_of[1] && page_t != page_of[2], "malloc gave %p, in a full page", t);
    free(t);
    for (int i = 0; i < blocks; i++) if (p[i] != first && p[i] != second && p[i] != remote) free(p[i]);
    free(q); free(r); free(s);
}

/// True when the `n` bytes at `p` all hold `byte`.
static int holds_byte(const void *p, size_t n, unsigned char byte) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i += 4096) if (b[i] != byte) return 0;
    return n == 0 || b[n - 1] == byte;
}

// A buffer that a split of a cached mapping served grows into the cached rest of that mapping, in place, rather
// than moving away from it and leaving it resident in the cache.
static void check_large_growth(void) {
    enum { MiB = 1 << 20, KiB = 1 << 10 };
    char *big = malloc(8 * MiB);
    memset(big, 0x5A, 8 * MiB);
    free(big);                                  // kept in the cache, resident
    char *p = malloc(300 * KiB);
    EXPECT(p == big, "malloc(300 KiB) gave %p, not the head of the cached 8 MiB mapping %p", (void *)p, (void *)big);
    memset(p, 0x11, 300 * KiB);
    static const size_t steps[] = { 450 * KiB, 1 * MiB, 3 * MiB, 6 * MiB, 8 * MiB };
    size_t filled = 300 * KiB;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        char *q = realloc(p, steps[i]);
        EXPECT(q == p, "realloc to %zu KiB moved the buffer from %p to %p instead of growing into its cached rest",
               steps[i] / KiB, (void *)p, (void *)q);
        if (!q) return;
        EXPECT(holds_byte(q, filled, 0x11), "realloc to %zu KiB lost the buffer's contents", steps[i] / KiB);
        EXPECT(malloc_usable_size(q) >= steps[i], "realloc to %zu KiB: usable size %zu", steps[i] / KiB, malloc_usable_size(q));
        memset(q + filled, 0x11, steps[i] - filled);
        filled = steps[i];
        p = q;
    }
    // Past the cached mapping, the buffer grows on with mremap, contents kept.
    char *q = realloc(p, 12 * MiB);
    EXPECT(q && holds_byte(q, filled, 0x11), "realloc past the cached mapping lost the buffer's contents");
    // The cache gave all of it: a new request gets memory of its own, not a piece of the buffer.
    char *other = malloc(1 * MiB);
    EXPECT(other && (other + MiB <= q || other >= q + 12 * MiB), "malloc(1 MiB) gave %p, inside the buffer %p", (void *)other, (void *)q);
    free(other);
    free(q);
}

// A program that builds a big buffer, frees it and builds the next one: a freed mapping bigger than a quarter of
// the cache (48 MiB by default) is kept, alone, and serves the next request without a system call; the pieces a
// split handed out join the cached rest again when freed; a mapping of more than four times the cache is unmapped
// at once; a kept one goes back to the OS at the first timed purge after the delay (100 ms), although no large
// block is allocated or freed meanwhile.
static void check_large_rounds(void) {
    enum { MiB = 1 << 20 };
    char *first = malloc(30 * MiB);
    if (!first) { EXPECT(0, "malloc(30 MiB) failed"); return; }
    memset(first, 0x3C, 30 * MiB);
    free(first);
    smm_stats before = statistics();
    char *second = malloc(30 * MiB);
    smm_stats after = statistics();
    EXPECT(second == first, "the second 30 MiB buffer is at %p, not in the freed one's mapping %p", (void *)second, (void *)first);
    EXPECT(after.os_mmap_calls == before.os_mmap_calls && after.os_munmap_calls == before.os_munmap_calls,
           "the second 30 MiB buffer cost %llu mmap and %llu munmap calls",
           (unsigned long long)(after.os_mmap_calls - before.os_mmap_calls), (unsigned long long)(after.os_munmap_calls - before.os_munmap_calls));
    EXPECT(second && holds_byte(second, 30 * MiB, 0x3C), "the reused mapping does not hold the pages written before (not the same memory)");
    if (second != first) { free(second); return; }
    free(second);

    char *head = malloc(1 * MiB), *next = malloc(1 * MiB);
    EXPECT(head == first && next == first + MiB, "two 1 MiB blocks at %p and %p, not the first two pieces of the cached mapping %p",
           (void *)head, (void *)next, (void *)first);
    free(head);
    free(next);
    before = statistics();
    char *whole = malloc(30 * MiB);
    after = statistics();
    EXPECT(whole == first, "after the pieces were freed, 30 MiB came from %p, not the rejoined mapping %p", (void *)whole, (void *)first);
    EXPECT(after.os_mmap_calls == before.os_mmap_calls && after.os_mremap_calls == before.os_mremap_calls,
           "after the pieces were freed, 30 MiB cost %llu mmap and %llu mremap calls",
           (unsigned long long)(after.os_mmap_calls - before.os_mmap_calls), (unsigned long long)(after.os_mremap_calls - before.os_mremap_calls));
    free(whole);

    char *huge = malloc(200 * MiB);
    if (!huge) { EXPECT(0, "malloc(200 MiB) failed"); return; }
    huge[0] = 1;
    before = statistics();
    free(huge);
    after = statistics();
    EXPECT(after.os_munmap_calls == before.os_munmap_calls + 1, "freeing 200 MiB (over four times the cache) made %llu munmap calls, not 1",
           (unsigned long long)(after.os_munmap_calls - before.os_munmap_calls));

    char *kept = malloc(30 * MiB);
    if (!kept) { EXPECT(0, "malloc(30 MiB) failed"); return; }
    memset(kept, 0x5A, 30 * MiB);
    free(kept);
    uintptr_t first_page = (uintptr_t)kept;      // page aligned, as every large block; no longer mapped: (size_t)-1
    EXPECT(resident_pages(first_page, first_page + os_page) == 1, "a freed 30 MiB mapping is not kept resident in the cache");
    usleep(250 * 1000);
    free(malloc(100 * 1024));           // a medium page emptied: its free runs the timed purge
    EXPECT(resident_pages(first_page, first_page + os_page) != 1, "a 30 MiB mapping freed 250 ms ago is still mapped after a timed purge");
}

int main(int argc, char **argv) {
    if (dlsym(RTLD_DEFAULT, "smm_malloc") == NULL) { printf("SwiftMM is not preloaded\n"); return 100; }
    const char *which = argc > 1 ? argv[1] : "";
    if (strcmp(which, "borrow") == 0) check_borrowing();
    else if (strcmp(which, "warm-tails") == 0) check_warm_tails();
    else if (strcmp(which, "full-pages") == 0) check_full_pages();
    else if (strcmp(which, "large-growth") == 0) check_large_growth();
    else if (strcmp(which, "interiors-again") == 0) check_interiors_again();
    else if (strcmp(which, "thread-exit") == 0) check_thread_exit();
    else if (strcmp(which, "committed-figures") == 0) check_committed_figures();
    else if (strcmp(which, "large-rounds") == 0) check_large_rounds();
    else { fprintf(stderr, "usage: smm-check-reuse borrow|warm-tails|full-pages|large-growth|interiors-again|thread-exit|committed-figures|large-rounds\n"); return 2; }
    for (int i = 0; i < failures && i < MAX_FAILURES; i++) printf("FAIL %s\n", messages[i]);
    printf("%d checks, %d failures\n", checks, failures);
    return failures > 99 ? 99 : failures;
}
