// Blocks that cross threads. The scenarios:
//  - (no argument) hand-off: the main thread allocates blocks and two threads that never allocate free them all,
//    the pattern of a consumer. Each freeing thread gets a heap of its own on its first free, so its frees are
//    counted there; the main thread then allocates again from the memory the consumers returned.
//  - "recycle": a thread that allocates frees the main thread's blocks, then allocates blocks of the same size:
//    it gets the blocks it just freed back (kept for it, as glibc's tcache does). It then waits, holding them,
//    while the main thread exits: the leak report (SMM_REPORT_LEAKS) must not count them.
//  - "apart SIZE": only blocks that fill whole cache lines are kept. A thread frees two neighbouring blocks of
//    SIZE bytes of the main thread, then allocates blocks of SIZE, and counts those that share a cache line
//    with the freed ones.
//  - "minimize": the same thread calls smm_heap_minimize after the frees: it gives the blocks back, and its next
//    allocations are not among them.
//  - "adopt": a thread allocates blocks and exits, then another exits after it (so that the first one's heap is
//    not the pool's first). A new thread frees all the first thread's blocks: it adopts that thread's heap, so
//    its frees are its own and the memory is free at once, instead of waiting in an unowned heap.
// Exit 0 when every block held its pattern.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "swiftmm.h"

enum { BLOCKS = 20000, CONSUMERS = 2, RECYCLED = 24, RECYCLED_SIZE = 128 };
static unsigned char *blocks[BLOCKS];
static size_t sizes[BLOCKS];

static int fill_all(unsigned seed) {
    for (int i = 0; i < BLOCKS; i++) {
        sizes[i] = (size_t)(rand_r(&seed) % 2000 + 1);
        blocks[i] = malloc(sizes[i]);
        if (!blocks[i]) return 0;
        memset(blocks[i], (unsigned char)i, sizes[i]);
    }
    return 1;
}

static size_t corrupted(void) {
    size_t bad = 0;
    for (int i = 0; i < BLOCKS; i++)
        for (size_t k = 0; k < sizes[i]; k++)
            if (blocks[i][k] != (unsigned char)i) { bad++; break; }
    return bad;
}

static void *consume(void *arg) {
    size_t part = (size_t)arg;
    for (size_t i = part; i < BLOCKS; i += CONSUMERS) free(blocks[i]);   // no malloc on this thread
    return NULL;
}

static int handoff(void) {
    size_t bad = 0;
    for (int round = 0; round < 3; round++) {
        if (!fill_all(7u + (unsigned)round)) { puts("handoff: malloc failed"); return 1; }
        bad += corrupted();
        pthread_t t[CONSUMERS];
        for (size_t c = 0; c < CONSUMERS; c++) pthread_create(&t[c], NULL, consume, (void *)c);
        for (size_t c = 0; c < CONSUMERS; c++) pthread_join(t[c], NULL);
    }
    printf("handoff: %d blocks freed by other threads, %zu corrupted\n", 3 * BLOCKS, bad);
    return bad == 0 ? 0 : 1;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
static int recycled = -1;

/// 1 when `p` is one of the main thread's blocks that the scenario's thread freed.
static int was_freed_by_thread(const void *p) {
    for (int k = 0; k < RECYCLED; k++) if (p == blocks[k]) return 1;
    return 0;
}

static void *recycler(void *arg) {
    (void)arg;
    free(malloc(16));                                  // this thread allocates: it keeps what it frees
    for (int i = 0; i < RECYCLED; i++) free(blocks[i]);
    int found = 0;
    unsigned char *again[RECYCLED];
    for (int i = 0; i < RECYCLED; i++) {
        again[i] = malloc(RECYCLED_SIZE);
        memset(again[i], 0xA5, RECYCLED_SIZE);
        found += was_freed_by_thread(again[i]);
    }
    for (int i = 0; i < RECYCLED; i++) free(again[i]);
    pthread_mutex_lock(&lock);
    recycled = found;
    pthread_cond_signal(&done);
    pthread_mutex_unlock(&lock);
    for (;;) pause();                                  // alive, holding the freed blocks, when the process exits
}

static int recycle(void) {
    for (int i = 0; i < RECYCLED; i++) { blocks[i] = malloc(RECYCLED_SIZE); memset(blocks[i], i, RECYCLED_SIZE); }
    pthread_t t;
    pthread_create(&t, NULL, recycler, NULL);
    pthread_mutex_lock(&lock);
    while (recycled < 0) pthread_cond_wait(&done, &lock);
    pthread_mutex_unlock(&lock);
    printf("recycle: %d of %d blocks came back to the thread that freed them\n", recycled, RECYCLED);
    return 0;
}

/// After smm_heap_minimize, a thread holds none of the blocks it freed from other heaps: its next allocations
/// are new blocks, and the freed ones went back to their owner.
static void *minimizer(void *arg) {
    size_t (*minimize)(void) = (size_t (*)(void))arg;
    free(malloc(16));                                  // this thread allocates: it keeps what it frees
    for (int i = 0; i < RECYCLED; i++) free(blocks[i]);
    minimize();
    int found = 0;
    for (int i = 0; i < 8; i++) {
        void *p = malloc(RECYCLED_SIZE);
        found += was_freed_by_thread(p);
        free(p);
    }
    return (void *)(intptr_t)found;
}

static int minimize(void) {
    void *minimize = dlsym(RTLD_DEFAULT, "smm_heap_minimize");
    if (!minimize) { puts("minimize: SwiftMM is not loaded"); return 100; }
    for (int i = 0; i < RECYCLED; i++) { blocks[i] = malloc(RECYCLED_SIZE); memset(blocks[i], i, RECYCLED_SIZE); }
    pthread_t t;
    void *found;
    pthread_create(&t, NULL, minimizer, minimize);
    pthread_join(t, &found);
    printf("minimize: %d of 8 new blocks were blocks the thread had freed\n", (int)(intptr_t)found);
    return 0;
}

/// Frees two of the main thread's neighbouring blocks of `apart_size` bytes, then allocates blocks of that size
/// while writing them: none of them may share a cache line with the freed ones, beside which the main thread's
/// other blocks sit.
static size_t apart_size;

static void *write_apart(void *arg) {
    (void)arg;
    free(malloc(apart_size));                          // this thread allocates: it would keep what it frees
    free(blocks[0]);
    free(blocks[1]);
    int shared = 0;
    for (int i = 0; i < 8; i++) {
        unsigned char *p = malloc(apart_size);
        memset(p, 0x5A, apart_size);
        for (int k = 0; k < 2; k++) {
            uintptr_t first = (uintptr_t)p / 64, last = ((uintptr_t)p + apart_size - 1) / 64;
            uintptr_t their_first = (uintptr_t)blocks[k] / 64, their_last = ((uintptr_t)blocks[k] + apart_size - 1) / 64;
            if (first <= their_last && their_first <= last) { shared++; break; }
        }
        free(p);
    }
    return (void *)(intptr_t)shared;
}

static int apart(const char *size) {
    apart_size = (size_t)strtoul(size, NULL, 10);
    for (int i = 0; i < 2; i++) { blocks[i] = malloc(apart_size); memset(blocks[i], i, apart_size); }
    pthread_t t;
    void *shared;
    pthread_create(&t, NULL, write_apart, NULL);
    pthread_join(t, &shared);
    printf("apart %zu: %d of 8 new blocks share a cache line with the freed neighbours\n", apart_size,
           (int)(intptr_t)shared);
    return 0;
}

enum { ADOPTED = 1000, ADOPTED_SIZE = 2000 };

static void *leave_blocks(void *arg) {
    (void)arg;
    for (int i = 0; i < ADOPTED; i++) { blocks[i] = malloc(ADOPTED_SIZE); memset(blocks[i], i, ADOPTED_SIZE); }
    return NULL;
}

static pthread_mutex_t later_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t later_go = PTHREAD_COND_INITIALIZER;
static int later_may_exit, later_started;

/// Takes a heap before the first thread exits (a new one: the pool is empty), and gives it back after.
static void *exit_later(void *arg) {
    (void)arg;
    free(malloc(100));
    pthread_mutex_lock(&later_lock);
    later_started = 1;
    pthread_cond_broadcast(&later_go);
    while (!later_may_exit) pthread_cond_wait(&later_go, &later_lock);
    pthread_mutex_unlock(&later_lock);
    return NULL;
}

static void *free_left_blocks(void *arg) {
    (void)arg;
    for (int i = 0; i < ADOPTED; i++) free(blocks[i]);
    return NULL;
}

static int adopt(void) {
    __typeof__(smm_get_stats) *get_stats = (__typeof__(smm_get_stats) *)dlsym(RTLD_DEFAULT, "smm_get_stats");
    if (!get_stats) { puts("adopt: SwiftMM is not loaded"); return 100; }
    free(malloc(100));                                   // the main thread has its own heap
    pthread_t t, later;
    pthread_create(&later, NULL, exit_later, NULL);
    pthread_mutex_lock(&later_lock);
    while (!later_started) pthread_cond_wait(&later_go, &later_lock);
    pthread_mutex_unlock(&later_lock);
    pthread_create(&t, NULL, leave_blocks, NULL); pthread_join(t, NULL);
    pthread_mutex_lock(&later_lock);
    later_may_exit = 1;
    pthread_cond_broadcast(&later_go);
    pthread_mutex_unlock(&later_lock);
    pthread_join(later, NULL);                           // the pool now holds its heap first, then the first thread's
    smm_stats before, after;
    get_stats(&before);
    pthread_create(&t, NULL, free_left_blocks, NULL); pthread_join(t, NULL);
    get_stats(&after);
    printf("adopt: in use %llu KiB before the frees, %llu KiB after\n",
           (unsigned long long)(before.bytes_in_use >> 10), (unsigned long long)(after.bytes_in_use >> 10));
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "recycle") == 0) return recycle();
    if (argc > 1 && strcmp(argv[1], "adopt") == 0) return adopt();
    if (argc > 1 && strcmp(argv[1], "minimize") == 0) return minimize();
    if (argc > 2 && strcmp(argv[1], "apart") == 0) return apart(argv[2]);
    return handoff();
}
