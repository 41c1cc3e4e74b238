// Scenarios for debug mode's tests (Tests/SwiftMMTests/DebugModeTests.swift), run with libswiftmm.so preloaded
// and SMM_DEBUG=1. Each error scenario commits one kind of misuse; SwiftMM must report it and abort (or go on
// with SMM_DEBUG_CONTINUE=1, and then the program prints "survived"). The program prints what the report must
// name: the block's address, its size and the threads involved. The functions that allocate and free are
// exported (linked with -export-dynamic) so that their names appear in the reported call stacks.
//
// Usage: smm-check-debug SCENARIO [SIZE [ALIGNMENT]]
//   clean             every allocation function, checked; the heap check finds nothing; exit 0
//   double-free       a block allocated in a thread, freed twice in main
//   invalid-free      free of a static array; then of a pointer inside a block
//   wrong-size        free_sized, free_aligned_sized and C++ sized delete with wrong sizes or alignments
//   overflow-after    3 bytes written past the end of a block, then freed
//   underflow-before  1 byte written before the start of a block, then freed
//   use-after-free    a byte written into a freed block, which is then pushed out of the quarantine
//   check-heap        an overrun and a write after free planted, then smm_check_heap
//   healthy           prints what smm_check_heap returns (outside debug mode too)
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "swiftmm.h"

static size_t size = 24;
static size_t alignment = 0;
static int failures = 0;
#define EXPECT(cond, ...) do { if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

static long tid(void) { return (long)syscall(SYS_gettid); }

static void *bind(const char *name) {
    void *f = dlsym(RTLD_DEFAULT, name);
    if (!f) { printf("missing %s (is libswiftmm.so preloaded?)\n", name); exit(100); }
    return f;
}

__attribute__((noinline)) void *debug_allocate(size_t n, size_t a) {
    void *p = NULL;
    if (a == 0) p = malloc(n);
    else if (posix_memalign(&p, a, n) != 0) p = NULL;
    if (p) memset(p, 0x11, n);
    return p;
}
__attribute__((noinline)) void debug_free(void *p) { free(p); }
__attribute__((noinline)) void debug_free_again(void *p) { free(p); }

static void *allocated;
static long allocator_tid;
__attribute__((noinline)) void *allocate_in_thread(void *unused) {
    (void)unused;
    allocated = debug_allocate(size, alignment);
    allocator_tid = tid();
    return NULL;
}

__attribute__((noinline)) void scenario_double_free(void) {
    pthread_t t;
    pthread_create(&t, NULL, allocate_in_thread, NULL);
    pthread_join(t, NULL);
    printf("block %p size %zu allocated by thread %ld\n", allocated, size, allocator_tid);
    printf("freed by thread %ld\n", tid());
    fflush(stdout);
    debug_free(allocated);
    debug_free_again(allocated);
}

static char not_from_the_heap[64];
__attribute__((noinline)) void scenario_invalid_free(void) {
    printf("static array %p\n", (void *)not_from_the_heap);
    fflush(stdout);
    debug_free(not_from_the_heap);
    char *p = debug_allocate(100, 0);
    printf("interior pointer %p of block %p\n", (void *)(p + 8), (void *)p);
    fflush(stdout);
    debug_free(p + 8);
    debug_free(p);
}

__attribute__((noinline)) void debug_free_sized(void *p, size_t n) {
    void (*free_sized)(void *, size_t) = (void (*)(void *, size_t))bind("free_sized");
    free_sized(p, n);
}
__attribute__((noinline)) void debug_free_aligned_sized(void *p, size_t a, size_t n) {
    void (*free_aligned_sized)(void *, size_t, size_t) = (void (*)(void *, size_t, size_t))bind("free_aligned_sized");
    free_aligned_sized(p, a, n);
}
__attribute__((noinline)) void debug_sized_delete(void *p, size_t n) {
    void (*sized_delete)(void *, size_t) = (void (*)(void *, size_t))bind("_ZdlPvm");
    sized_delete(p, n);
}

__attribute__((noinline)) void scenario_wrong_size(void) {
    void *p = debug_allocate(size, 0);
    printf("block %p size %zu freed with size %zu\n", p, size, size + 8);
    fflush(stdout);
    debug_free_sized(p, size + 8);
    void *q = aligned_alloc(64, 128);
    printf("aligned block %p freed with alignment 32\n", q);
    fflush(stdout);
    debug_free_aligned_sized(q, 32, 128);
    void *(*new_)(size_t) = (void *(*)(size_t))bind("_Znwm");
    void *r = new_(40);
    printf("new block %p deleted with size 48\n", r);
    fflush(stdout);
    debug_sized_delete(r, 48);
}

__attribute__((noinline)) void scenario_overflow_after(void) {
    unsigned char *p = debug_allocate(size, alignment);
    printf("block %p size %zu\n", (void *)p, size);
    fflush(stdout);
    p[size] = 'X'; p[size + 1] = 'Y'; p[size + 2] = 'Z';
    debug_free(p);
}

__attribute__((noinline)) void scenario_underflow_before(void) {
    unsigned char *p = debug_allocate(size, alignment);
    printf("block %p size %zu\n", (void *)p, size);
    fflush(stdout);
    p[-1] = 'X';
    debug_free(p);
}

__attribute__((noinline)) void scenario_use_after_free(void) {
    unsigned char *p = debug_allocate(size, alignment);
    printf("block %p size %zu\n", (void *)p, size);
    fflush(stdout);
    debug_free(p);
    p[size / 2] = 'A';         // a write after free: the block waits in the quarantine
    // Push it out: the quarantine (SMM_DEBUG_QUARANTINE_COUNT) holds fewer blocks than this.
    for (int i = 0; i < 400; i++) debug_free(debug_allocate(64, 0));
}

__attribute__((noinline)) void scenario_check_heap(void) {
    int (*check_heap)(void) = (int (*)(void))bind("smm_check_heap");
    printf("healthy heap: %d\n", check_heap());
    fflush(stdout);
    unsigned char *a = debug_allocate(40, 0);
    unsigned char *b = debug_allocate(48, 0);
    printf("overrun block %p size 40, then freed block %p size 48\n", (void *)a, (void *)b);
    fflush(stdout);
    a[41] = '!';
    debug_free(b);
    b[0] = '?';
    printf("check_heap: %d\n", check_heap());
    fflush(stdout);
}

// --- clean: what a correct program sees -------------------------------------------------------------------------

static int filled_with(const unsigned char *p, size_t n, unsigned char v) {
    for (size_t i = 0; i < n; i++) if (p[i] != v) return 0;
    return 1;
}

#define CHURN_THREADS 4
static void *volatile exchange[CHURN_THREADS * 64];
__attribute__((noinline)) void *churn(void *arg) {
    unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u;
    for (int i = 0; i < 20000; i++) {
        seed = seed * 1103515245u + 12345u;
        size_t n = (seed >> 8) % 3000;
        if ((seed & 0x3ff) == 7) n = 300000;           // now and then a large block
        unsigned char *p = malloc(n);
        memset(p, (int)(n & 0xff), n);
        // Swap with the shared exchange, so that other threads free it.
        unsigned slot = (seed >> 4) % (CHURN_THREADS * 64);
        unsigned char *old = __atomic_exchange_n((void **)&exchange[slot], p, __ATOMIC_ACQ_REL);
        if (old) {
            size_t m = malloc_usable_size(old);
            if (!filled_with(old, m, (unsigned char)(m & 0xff))) { printf("FAIL: a block changed under its owner\n"); abort(); }
            free(old);
        }
    }
    return NULL;
}

__attribute__((noinline)) void scenario_clean(void) {
    int (*check_heap)(void) = (int (*)(void))bind("smm_check_heap");
    size_t sizes[] = {0, 1, 15, 16, 17, 100, 1000, 4096, 10000, 100000, 300000, 2000000};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        size_t n = sizes[i];
        unsigned char *p = malloc(n);
        EXPECT(p != NULL && ((uintptr_t)p & 15) == 0, "malloc(%zu)", n);
        EXPECT(malloc_usable_size(p) == n, "malloc_usable_size(malloc(%zu)) = %zu: the size asked for", n, malloc_usable_size(p));
        EXPECT(filled_with(p, n, 0xCD), "malloc(%zu) is filled with 0xCD", n);
        memset(p, 7, n);
        unsigned char *q = realloc(p, n * 2 + 1);
        EXPECT(q != p && filled_with(q, n, 7) && filled_with(q + n, n + 1, 0xCD), "realloc(%zu) moves and keeps the contents", n);
        EXPECT(malloc_usable_size(q) == n * 2 + 1, "usable size after realloc");
        free(q);
        EXPECT(filled_with(q, n * 2 + 1, 0xDD), "a freed block (%zu B) waits in the quarantine filled with 0xDD", n * 2 + 1);
        unsigned char *z = calloc(n, 1);
        EXPECT(filled_with(z, n, 0), "calloc(%zu, 1) is zeroed", n);
        free(z);
    }
    size_t aligns[] = {32, 64, 256, 4096, 65536};
    for (size_t i = 0; i < sizeof aligns / sizeof *aligns; i++) {
        size_t a = aligns[i];
        void *p = NULL;
        EXPECT(posix_memalign(&p, a, 100) == 0 && ((uintptr_t)p & (a - 1)) == 0, "posix_memalign(%zu)", a);
        EXPECT(malloc_usable_size(p) == 100, "usable size of posix_memalign(%zu, 100) = %zu", a, malloc_usable_size(p));
        void *q = realloc(p, 5000);
        EXPECT(((uintptr_t)q & (a - 1)) == 0, "realloc keeps alignment %zu", a);
        free(q);
        void *r = aligned_alloc(a, a * 3);
        EXPECT(((uintptr_t)r & (a - 1)) == 0 && malloc_usable_size(r) == a * 3, "aligned_alloc(%zu)", a);
        debug_free_aligned_sized(r, a, a * 3);
        void *m = memalign(a, 1000000);
        EXPECT(((uintptr_t)m & (a - 1)) == 0, "memalign(%zu, 1 MB)", a);
        free(m);
    }
    void *v = valloc(10);
    EXPECT(((uintptr_t)v & 4095) == 0 && malloc_usable_size(v) == 10, "valloc");
    free(v);
    void *pv = pvalloc(10);
    EXPECT(((uintptr_t)pv & 4095) == 0 && malloc_usable_size(pv) == 4096, "pvalloc rounds to a page");
    free(pv);
    void *s = malloc(333);
    debug_free_sized(s, 333);
    void *(*new_)(size_t) = (void *(*)(size_t))bind("_Znwm");
    void *o = new_(72);
    debug_sized_delete(o, 72);
    void *(*reget)(void *, size_t) = (void *(*)(void *, size_t))bind("smm_reget");
    void *g = reget(malloc(50), 5000);
    EXPECT(g && malloc_usable_size(g) == 5000, "smm_reget");
    free(g);
    EXPECT(realloc(malloc(10), 0) == NULL, "realloc(p, 0) frees");
    free(NULL);
    pthread_t threads[CHURN_THREADS];
    for (int i = 0; i < CHURN_THREADS; i++) pthread_create(&threads[i], NULL, churn, (void *)(uintptr_t)(i + 1));
    for (int i = 0; i < CHURN_THREADS; i++) pthread_join(threads[i], NULL);
    for (int i = 0; i < CHURN_THREADS * 64; i++) free(exchange[i]);
    EXPECT(check_heap() == 0, "smm_check_heap finds a correct program's heap healthy");
    printf("clean: %d failures\n", failures);
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: smm-check-debug SCENARIO [SIZE [ALIGNMENT]]\n"); return 2; }
    if (argc > 2) size = strtoul(argv[2], NULL, 0);
    if (argc > 3) alignment = strtoul(argv[3], NULL, 0);
    setvbuf(stdout, NULL, _IOLBF, 0);
    bind("smm_check_heap");
    const char *s = argv[1];
    if (!strcmp(s, "clean")) { scenario_clean(); return failures; }
    else if (!strcmp(s, "double-free")) scenario_double_free();
    else if (!strcmp(s, "invalid-free")) scenario_invalid_free();
    else if (!strcmp(s, "wrong-size")) scenario_wrong_size();
    else if (!strcmp(s, "overflow-after")) scenario_overflow_after();
    else if (!strcmp(s, "underflow-before")) scenario_underflow_before();
    else if (!strcmp(s, "use-after-free")) scenario_use_after_free();
    else if (!strcmp(s, "check-heap")) scenario_check_heap();
    else if (!strcmp(s, "healthy")) printf("check_heap: %d\n", ((int (*)(void))bind("smm_check_heap"))());
    else { fprintf(stderr, "unknown scenario %s\n", s); return 2; }
    printf("survived\n");
    return 0;
}
