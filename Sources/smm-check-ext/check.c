// Checks of SwiftMM's extended API (issue 6), run in a child process with libswiftmm.so preloaded (see
// Tests/SwiftMMTests/ExtendedCheckTests.swift). The smm_* functions are found with dlsym, so the program also
// runs without SwiftMM and then exits 100. Each failed expectation prints a line; the exit status is the number
// of failures. An argument runs one group: aligned, reget, queries, blocks, pages, jit, manager (default: all).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "../SwiftMMShim/include/swiftmm.h"

static int failures = 0, checks = 0;
#define EXPECT(cond, ...) do { checks++; if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)
#define ALIGNED(p, a) (((uintptr_t)(p) & ((a) - 1)) == 0)

#define FUNCTIONS(X) X(smm_malloc_aligned) X(smm_reget) X(smm_owns) X(smm_heap_minimize) X(smm_memory_options) \
    X(smm_block_alloc) X(smm_block_free) X(smm_block_size) X(smm_pages_alloc) X(smm_pages_reget) X(smm_pages_realloc) \
    X(smm_pages_free) X(smm_pages_protect) X(smm_pages_rights) X(smm_page_size) X(smm_jit_create) X(smm_jit_alloc) \
    X(smm_jit_make_executable) X(smm_jit_make_writable) X(smm_jit_used) X(smm_jit_clear) X(smm_jit_destroy) \
    X(smm_get_memory_manager) X(smm_set_memory_manager) X(smm_get_heap_status) X(smm_get_stats)
#define DECLARE(name) static __typeof__(name) *f_##name;
FUNCTIONS(DECLARE)
#define RESOLVE(name) if (!(f_##name = (__typeof__(name) *)dlsym(RTLD_DEFAULT, #name))) { printf("missing %s\n", #name); exit(100); }

static long tid(void) { return syscall(SYS_gettid); }

// ---------------------------------------------------------------------------------------------------------------
static void check_aligned(void) {
    errno = 0;
    EXPECT(f_smm_malloc_aligned(24, 10) == NULL && errno == EINVAL, "alignment 24 must fail with EINVAL");
    EXPECT(f_smm_malloc_aligned(8, 10) == NULL, "alignment 8 is below 16");
    EXPECT(f_smm_malloc_aligned(2 << 20, 10) == NULL, "alignment 2 MiB is above 1 MiB");
    static const size_t sizes[] = {1, 16, 100, 1000, 5000, 70000, 300000, 3 << 20};
    static const size_t steps[] = {10, 200, 3000, 9000, 100000, 270000, 2 << 20, 40, 150000, 7};
    for (size_t a = 16; a <= (1u << 20); a <<= 1) {
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
            unsigned char *p = f_smm_malloc_aligned(a, sizes[s]);
            EXPECT(p && ALIGNED(p, a), "smm_malloc_aligned(%zu, %zu) = %p", a, sizes[s], (void *)p);
            if (!p) continue;
            memset(p, 0x5A, sizes[s]);
            EXPECT(malloc_usable_size(p) >= sizes[s], "usable size");
            free(p);
        }
        // realloc through every tier keeps the alignment and the contents
        unsigned char *p = f_smm_malloc_aligned(a, 8);
        size_t filled = 8;
        memset(p, 1, 8);
        for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
            p = realloc(p, steps[i]);
            EXPECT(p && ALIGNED(p, a), "realloc to %zu lost alignment %zu: %p", steps[i], a, (void *)p);
            size_t kept = filled < steps[i] ? filled : steps[i];
            int same = 1;
            for (size_t k = 0; k < kept; k++) if (p[k] != (unsigned char)(i == 0 ? 1 : i)) { same = 0; break; }
            EXPECT(same, "realloc to %zu (alignment %zu) lost contents", steps[i], a);
            memset(p, (int)(i + 1), steps[i]);
            filled = steps[i];
        }
        free(p);
        // reget too
        p = f_smm_malloc_aligned(a, 8);
        for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
            p = f_smm_reget(p, steps[i]);
            EXPECT(p && ALIGNED(p, a), "smm_reget to %zu lost alignment %zu: %p", steps[i], a, (void *)p);
            if (p) memset(p, 3, steps[i]);
        }
        free(p);
    }
    // posix_memalign / aligned_alloc blocks keep their alignment through realloc as well (naturally aligned class)
    void *q = NULL;
    EXPECT(posix_memalign(&q, 64, 128) == 0, "posix_memalign");
    q = realloc(q, 200);
    EXPECT(ALIGNED(q, 64), "realloc of posix_memalign(64, 128) to 200 = %p", q);
    free(q);
    q = valloc(300000);       // large, 4 KiB alignment asked
    q = realloc(q, 1000);      // now small: must stay page aligned
    EXPECT(ALIGNED(q, 4096), "realloc of valloc(300000) to 1000 = %p", q);
    free(q);
    // plain blocks still move into ordinary blocks (no needless alignment)
    void *plain = malloc(300000);
    plain = realloc(plain, 40);
    EXPECT(plain && malloc_usable_size(plain) < 100, "realloc of a plain large block to 40 bytes: usable %zu", malloc_usable_size(plain));
    free(plain);
}

// ---------------------------------------------------------------------------------------------------------------
static void check_reget(void) {
    char *p = f_smm_reget(NULL, 100);
    EXPECT(p != NULL, "smm_reget(NULL, 100)");
    char *same = f_smm_reget(p, 90);
    EXPECT(same == p, "a reget that fits stays in place");
    p = f_smm_reget(same, 5000);
    EXPECT(p && malloc_usable_size(p) >= 5000, "reget grows");
    memset(p, 1, 5000);
    errno = 0;
    EXPECT(f_smm_reget(p, 0) == NULL, "reget to 0 frees");
    // large: grow a buffer step by step; each result usable and writable
    char *big = NULL;
    for (size_t n = 1 << 20; n <= (64u << 20); n *= 2) {
        big = f_smm_reget(big, n);
        EXPECT(big && malloc_usable_size(big) >= n, "reget to %zu", n);
        if (big) memset(big, 7, n);
    }
    big = f_smm_reget(big, 2 << 20);        // shrink
    EXPECT(big && malloc_usable_size(big) >= (2u << 20), "reget shrink");
    big = f_smm_reget(big, 1000);            // to small
    EXPECT(big && malloc_usable_size(big) >= 1000 && malloc_usable_size(big) < 4096, "reget large -> small");
    free(big);
}

// ---------------------------------------------------------------------------------------------------------------
static void check_queries(void) {
    smm_memory_info info;
    char *s = malloc(100), *m = malloc(20000), *l = malloc(1 << 20);
    EXPECT(f_smm_memory_options(s, &info) == SMM_TIER_SMALL && info.base == s && info.size >= 100 && info.thread_id == tid()
           && info.rights == (SMM_PAGE_READ | SMM_PAGE_WRITE), "small: tier %d size %zu thread %ld rights %d", info.tier, info.size, info.thread_id, info.rights);
    EXPECT(f_smm_memory_options(s + 10, &info) == SMM_TIER_SMALL && info.base == s, "interior small pointer");
    EXPECT(f_smm_memory_options(m, &info) == SMM_TIER_MEDIUM && info.size >= 20000, "medium tier %d", info.tier);
    EXPECT(f_smm_memory_options(l + 4096, &info) == SMM_TIER_LARGE && info.base == l && info.size >= (1u << 20) && info.alignment == 4096,
           "large tier %d base %p alignment %zu", info.tier, info.base, info.alignment);
    int local = 0;
    EXPECT(f_smm_memory_options(&local, &info) == SMM_TIER_NONE && info.rights == (SMM_PAGE_READ | SMM_PAGE_WRITE), "stack: tier none, rw");
    EXPECT(f_smm_memory_options((void *)check_queries, &info) == SMM_TIER_NONE && (info.rights & SMM_PAGE_EXECUTE), "code: r-x");
    EXPECT(f_smm_memory_options((void *)16, &info) == SMM_TIER_NONE && info.rights == -1, "unmapped: rights -1");
    EXPECT(f_smm_owns(s) && f_smm_owns(s + 50) && f_smm_owns(m) && f_smm_owns(l) && f_smm_owns(l + 100), "owns live blocks");
    EXPECT(!f_smm_owns(&local) && !f_smm_owns(NULL), "does not own the stack");
    free(s); free(m); free(l);
    EXPECT(!f_smm_owns(l), "a freed large block is not owned");
    // minimize returns freed pages to the OS
    enum { N = 2000 };
    static void *blocks[N];
    for (int i = 0; i < N; i++) { blocks[i] = malloc(30000); memset(blocks[i], 1, 30000); }
    for (int i = 0; i < N; i++) free(blocks[i]);
    size_t released = f_smm_heap_minimize();
    EXPECT(released >= (size_t)N * 30000 / 2, "smm_heap_minimize released %zu bytes", released);
}

// ---------------------------------------------------------------------------------------------------------------
static void *free_blocks_thread(void *arg) {
    void **blocks = arg;
    for (int i = 0; i < 64; i++) f_smm_block_free((char *)blocks[i] + 100);   // interior pointers, another thread
    return NULL;
}

static void check_blocks(void) {
    errno = 0;
    EXPECT(f_smm_block_alloc(5) == NULL && errno == EINVAL, "bad kind");
    EXPECT(f_smm_block_size(SMM_BLOCK_4K) == 4096 && f_smm_block_size(SMM_BLOCK_1M) == (1u << 20) && f_smm_block_size(9) == 0, "sizes");
    for (int kind = SMM_BLOCK_4K; kind <= SMM_BLOCK_1M; kind++) {
        size_t size = f_smm_block_size(kind);
        static void *blocks[64];
        for (int i = 0; i < 64; i++) {
            blocks[i] = f_smm_block_alloc(kind);
            EXPECT(blocks[i] && ALIGNED(blocks[i], size), "block kind %d = %p", kind, blocks[i]);
            memset(blocks[i], i, size);
            *(int *)blocks[i] = kind;              // a header at the start, found by masking
        }
        for (int i = 0; i < 64; i++) {
            char *interior = (char *)blocks[i] + size / 2;
            int *header = (int *)((uintptr_t)interior & ~(uintptr_t)(size - 1));
            EXPECT(*header == kind, "header by masking");
            smm_memory_info info;
            EXPECT(f_smm_memory_options(interior, &info) == SMM_TIER_BLOCK && info.base == blocks[i] && info.size == size, "block tier");
            EXPECT(f_smm_owns(interior), "owns block");
        }
        for (int i = 1; i < 64; i++) EXPECT(blocks[i] != blocks[0], "distinct blocks");
        pthread_t t;
        pthread_create(&t, NULL, free_blocks_thread, blocks);
        pthread_join(t, NULL);
        // the freeing thread's cache went to the depot at its exit: this thread gets them back
        int reused = 0;
        for (int i = 0; i < 64; i++) {
            void *b = f_smm_block_alloc(kind);
            for (int j = 0; j < 64; j++) if (b == blocks[j]) { reused++; break; }
            blocks[i] = b;
        }
        EXPECT(reused > 0, "blocks freed by another thread are reused (kind %d)", kind);
        for (int i = 0; i < 64; i++) f_smm_block_free(blocks[i]);
    }
}

// ---------------------------------------------------------------------------------------------------------------
static void check_pages(void) {
    EXPECT(f_smm_page_size() == 4096, "page size");
    unsigned char *p = f_smm_pages_alloc(4);
    EXPECT(p && ALIGNED(p, 4096), "pages_alloc");
    EXPECT(p[0] == 0 && p[4 * 4096 - 1] == 0, "zeroed");
    memset(p, 9, 4 * 4096);
    EXPECT(f_smm_pages_rights(p) == (SMM_PAGE_READ | SMM_PAGE_WRITE), "rw: %d", f_smm_pages_rights(p));
    EXPECT(f_smm_pages_protect(p + 4096, 1, SMM_PAGE_READ) == 0, "protect");
    EXPECT(f_smm_pages_rights(p + 4096) == SMM_PAGE_READ && f_smm_pages_rights(p) == (SMM_PAGE_READ | SMM_PAGE_WRITE)
           && f_smm_pages_rights(p + 2 * 4096) == (SMM_PAGE_READ | SMM_PAGE_WRITE), "per-page rights");
    EXPECT(f_smm_pages_protect(p + 4096, 1, SMM_PAGE_NONE) == 0 && f_smm_pages_rights(p + 4096) == 0, "no access");
    EXPECT(f_smm_pages_protect(p + 4096, 1, SMM_PAGE_READ | SMM_PAGE_WRITE) == 0, "back to rw");
    EXPECT(f_smm_pages_protect(p + 1, 1, SMM_PAGE_READ) == EINVAL, "unaligned protect");
    smm_memory_info info;
    EXPECT(f_smm_memory_options(p + 5000, &info) == SMM_TIER_PAGES && info.base == p && info.size == 4 * 4096, "pages tier");
    unsigned char *q = f_smm_pages_realloc(p, 1000);
    EXPECT(q && q[0] == 9 && q[4 * 4096 - 1] == 9 && q[999 * 4096] == 0, "pages_realloc keeps contents");
    q[999 * 4096] = 1;
    unsigned char *r = f_smm_pages_reget(q, 2000);
    EXPECT(r && r[0] == 0 && r[1999 * 4096] == 0, "pages_reget gives zeroed pages");
    r = f_smm_pages_reget(r, 10);
    EXPECT(r && r[0] == 0, "pages_reget shrinks");
    EXPECT(f_smm_owns(r), "owns pages");
    EXPECT(f_smm_pages_free(r) == 0, "pages_free");
    EXPECT(f_smm_pages_rights(r) == -1, "unmapped after free");
    EXPECT(f_smm_pages_free(r) == EINVAL, "double pages_free");
    int local;
    EXPECT(f_smm_pages_free(&local) == EINVAL, "pages_free of the stack");
    errno = 0;
    EXPECT(f_smm_pages_alloc(0) == NULL && errno == ENOMEM, "zero pages");
}

// ---------------------------------------------------------------------------------------------------------------
static const unsigned char return42[] = {0xB8, 0x2A, 0x00, 0x00, 0x00, 0xC3};      // mov eax, 42; ret

static void *jit_thread(void *arg) {
    smm_jit_heap *h = arg;
    for (int i = 0; i < 200; i++) {
        void *w;
        int (*fn)(void) = (int (*)(void))f_smm_jit_alloc(h, sizeof return42, &w);
        if (!fn) return (void *)1;
        memcpy(w, return42, sizeof return42);
        ((unsigned char *)w)[1] = (unsigned char)i;
        if (fn() != i) return (void *)1;
    }
    return NULL;
}

static void check_jit(void) {
    smm_jit_heap *h = f_smm_jit_create(0);
    EXPECT(h != NULL, "jit_create: errno %d", errno);
    if (!h) return;
    void *w = NULL;
    int (*fn)(void) = (int (*)(void))f_smm_jit_alloc(h, sizeof return42, &w);
    EXPECT(fn && w && (void *)fn != w, "dual mapping: two views");
    memcpy(w, return42, sizeof return42);
    EXPECT(fn() == 42, "generated code returns 42");
    EXPECT(f_smm_pages_rights((void *)fn) == (SMM_PAGE_READ | SMM_PAGE_EXECUTE), "code view r-x: %d", f_smm_pages_rights((void *)fn));
    EXPECT(f_smm_pages_rights(w) == (SMM_PAGE_READ | SMM_PAGE_WRITE), "write view rw-");
    smm_memory_info info;
    EXPECT(f_smm_memory_options((void *)fn, &info) == SMM_TIER_JIT, "jit tier");
    void *big = f_smm_jit_alloc(h, 1 << 20, &w);            // a new, bigger chunk
    EXPECT(big != NULL && f_smm_jit_used(h) >= (1u << 20), "big allocation");
    f_smm_jit_clear(h);
    EXPECT(f_smm_jit_used(h) == 0 && f_smm_pages_rights((void *)fn) == -1, "clear unmaps everything");
    fn = (int (*)(void))f_smm_jit_alloc(h, 16, &w);
    memcpy(w, return42, sizeof return42);
    EXPECT(fn && fn() == 42, "usable after clear");
    f_smm_jit_destroy(h);

    // toggle mode: one mapping, RW then RX
    h = f_smm_jit_create(SMM_JIT_TOGGLE);
    fn = (int (*)(void))f_smm_jit_alloc(h, sizeof return42, &w);
    EXPECT(fn && (void *)fn == w && f_smm_pages_rights(w) == (SMM_PAGE_READ | SMM_PAGE_WRITE), "toggle: one view, rw");
    memcpy(w, return42, sizeof return42);
    EXPECT(f_smm_jit_make_executable(h) == 0 && f_smm_pages_rights(w) == (SMM_PAGE_READ | SMM_PAGE_EXECUTE), "toggle: r-x");
    EXPECT(fn() == 42, "toggle: code runs");
    EXPECT(f_smm_jit_make_writable(h) == 0 && f_smm_pages_rights(w) == (SMM_PAGE_READ | SMM_PAGE_WRITE), "toggle: rw again");
    f_smm_jit_destroy(h);

    // synchronized: several threads share one heap
    h = f_smm_jit_create(SMM_JIT_SYNCHRONIZED);
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, jit_thread, h);
    int bad = 0;
    for (int i = 0; i < 4; i++) { void *r; pthread_join(t[i], &r); bad += r != NULL; }
    EXPECT(bad == 0, "synchronized heap from 4 threads");
    EXPECT(f_smm_jit_used(h) == 4 * 200 * 16, "used %zu", f_smm_jit_used(h));
    f_smm_jit_destroy(h);
    EXPECT(f_smm_jit_create(0x80) == NULL, "bad flags");
}

// ---------------------------------------------------------------------------------------------------------------
// A counting layer over SwiftMM's own manager, and a foreign manager (a bump arena with a size header).
static smm_memory_manager previous;
static _Atomic long layer_gets, layer_frees, layer_reallocs, layer_allocmems, layer_inits, layer_dones;
static void *layer_getmem(size_t n) { layer_gets++; return previous.getmem(n); }
static void layer_freemem(void *p) { layer_frees++; previous.freemem(p); }
static void *layer_allocmem(size_t n) { layer_allocmems++; return previous.allocmem(n); }
static void *layer_reallocmem(void *p, size_t n) { layer_reallocs++; return previous.reallocmem(p, n); }
static void layer_init(void) { layer_inits++; }
static void layer_done(void) { layer_dones++; }

static _Alignas(16) unsigned char arena[64 << 20];
static size_t arena_used;                  // not thread-safe on purpose: the manager sets needs_lock
static long arena_gets, arena_frees;
static void *arena_getmem(size_t n) {
    size_t need = ((n + 15) & ~(size_t)15) + 16;
    if (arena_used + need > sizeof arena) return NULL;
    unsigned char *p = arena + arena_used;
    arena_used += need;
    *(size_t *)p = n;
    arena_gets++;
    return p + 16;
}
static int in_arena(const void *p) { return (const unsigned char *)p >= arena && (const unsigned char *)p < arena + sizeof arena; }
static void arena_freemem(void *p) { if (in_arena(p)) arena_frees++; else printf("FAIL arena got a foreign pointer %p\n", p), failures++; }
static size_t arena_memsize(void *p) { return *(size_t *)((unsigned char *)p - 16); }
static void arena_status(smm_heap_status_t *out) { memset(out, 0, sizeof *out); out->allocated = arena_used; }

static void *arena_thread(void *arg) {
    (void)arg;
    for (int i = 0; i < 10000; i++) { void *p = malloc(24); if (!in_arena(p)) return (void *)1; free(p); }
    return NULL;
}

static _Atomic int phase;
static void *resident_thread(void *arg) {
    (void)arg;
    free(malloc(64));                       // this thread has a heap before the manager is installed
    phase = 1;
    while (phase != 2) sched_yield();
    void *p = malloc(64);                   // after the install: must go through the manager
    int routed = in_arena(p);
    free(p);
    phase = 3;
    return routed ? NULL : (void *)1;
}

static void check_manager(void) {
    f_smm_get_memory_manager(&previous);
    EXPECT(previous.getmem && previous.freemem && previous.reallocmem && previous.allocmem && previous.memsize && !previous.needs_lock, "default record");
    smm_memory_manager bad = {0};
    EXPECT(f_smm_set_memory_manager(&bad) == EINVAL, "a record without getmem is refused");
    void *before = malloc(100), *before_large = malloc(1 << 20);

    // 1. a counting layer written in C over SwiftMM
    smm_memory_manager layer = previous;
    layer.getmem = layer_getmem; layer.freemem = layer_freemem; layer.allocmem = layer_allocmem;
    layer.reallocmem = layer_reallocmem; layer.init_thread = layer_init; layer.done_thread = layer_done;
    EXPECT(f_smm_set_memory_manager(&layer) == 0, "install layer");
    smm_memory_manager now;
    f_smm_get_memory_manager(&now);
    EXPECT(now.getmem == layer_getmem, "get returns the installed record");
    void *a = malloc(40), *b = malloc(100000), *c = malloc(3 << 20);
    EXPECT(layer_gets == 3, "3 mallocs went through the layer (%ld)", layer_gets);
    EXPECT(f_smm_owns(a) && f_smm_owns(c), "the layer's blocks are SwiftMM's");
    void *z = calloc(10, 10);
    EXPECT(layer_allocmems == 1 && ((char *)z)[99] == 0, "calloc -> allocmem");
    a = realloc(a, 5000);
    EXPECT(layer_reallocs == 1, "realloc -> reallocmem");
    free(a); free(b); free(c); free(z);
    EXPECT(layer_frees == 4, "frees went through the layer (%ld)", layer_frees);
    free(before);                           // a block from before the switch: the layer passes it on to SwiftMM
    EXPECT(layer_frees == 5, "pre-switch block freed through the layer");
    pthread_t t;
    pthread_create(&t, NULL, arena_thread, NULL);       // a new thread: init_thread/done_thread (thread allocates via layer)
    void *r; pthread_join(t, &r);
    EXPECT(layer_inits >= 1 && layer_dones >= 1, "init_thread %ld done_thread %ld", layer_inits, layer_dones);
    EXPECT(f_smm_set_memory_manager(&previous) == 0, "restore SwiftMM");
    long gets = layer_gets;
    free(malloc(10));
    EXPECT(layer_gets == gets, "after restore, malloc no longer reaches the layer");

    // 2. a foreign, non-thread-safe manager
    pthread_t resident;
    phase = 0;
    pthread_create(&resident, NULL, resident_thread, NULL);
    while (phase != 1) sched_yield();
    smm_memory_manager foreign = {0};
    foreign.needs_lock = 1;
    foreign.getmem = arena_getmem; foreign.freemem = arena_freemem; foreign.memsize = arena_memsize; foreign.heap_status = arena_status;
    EXPECT(f_smm_set_memory_manager(&foreign) == 0, "install foreign");
    phase = 2;
    pthread_join(resident, &r);
    EXPECT(r == NULL, "a thread that had a heap before the install is routed to the new manager");
    void *x = malloc(50);
    EXPECT(in_arena(x) && malloc_usable_size(x) == 50, "malloc from the arena, memsize");
    void *y = calloc(4, 8);
    EXPECT(in_arena(y) && ((long *)y)[3] == 0, "calloc without allocmem: getmem + zero");
    y = realloc(y, 100);
    EXPECT(in_arena(y) && ((long *)y)[3] == 0, "realloc without reallocmem: getmem + copy");
    long frees = arena_frees;
    free(before_large);                      // SwiftMM's block from before: SwiftMM frees it, not the arena
    EXPECT(arena_frees == frees, "a SwiftMM block is not sent to a foreign manager");
    smm_heap_status_t st;
    f_smm_get_heap_status(&st);
    EXPECT(st.allocated == arena_used, "heap_status of the installed manager");
    pthread_t th[4];
    for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, arena_thread, NULL);
    int bad_threads = 0;
    for (int i = 0; i < 4; i++) { pthread_join(th[i], &r); bad_threads += r != NULL; }
    EXPECT(bad_threads == 0, "4 threads through a locked manager");
    f_smm_set_memory_manager(NULL);
    frees = arena_frees;
    free(x);                                 // the arena's block after SwiftMM is back: still the arena's
    free(y);
    EXPECT(arena_frees == frees + 2, "a block from the earlier manager goes back to it (%ld)", arena_frees - frees);
    void *back = malloc(50);
    EXPECT(!in_arena(back) && f_smm_owns(back), "SwiftMM again");
    smm_memory_info info;
    EXPECT(f_smm_memory_options(back, &info) == SMM_TIER_SMALL && info.thread_id == tid(), "the thread's own heap is back");
    free(back);
}

int main(int argc, char **argv) {
    if (!dlsym(RTLD_DEFAULT, "smm_malloc")) { printf("SwiftMM is not loaded\n"); return 100; }
    FUNCTIONS(RESOLVE)
    const char *only = argc > 1 ? argv[1] : NULL;
#define RUN(name) if (!only || !strcmp(only, #name)) check_##name();
    RUN(aligned) RUN(reget) RUN(queries) RUN(blocks) RUN(pages) RUN(jit) RUN(manager)
    printf("%d checks, %d failures\n", checks, failures);
    return failures > 100 ? 100 : failures;
}
