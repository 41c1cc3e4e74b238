// A deterministic multi-threaded stress test for an allocator, run with libswiftmm.so preloaded.
//
// Waves of worker threads each run a seeded sequence of operations: allocate a block of a random size
// across all tiers (small, medium, large), fill it with a pattern derived from its size and a tag, keep it
// in a local window, swap blocks with a shared exchange so that other threads free them, and verify every
// block's pattern before freeing it. A worker that exits leaves its window to the next wave, whose threads
// verify and free those blocks: their owner thread is gone by then.
//
// Usage: smm-stress [threads] [ops-per-thread] [waves]. Exit 0 when every check passed.
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW 512
#define EXCHANGE 1024
#define MAX_THREADS 64

typedef struct { uint64_t size; uint64_t tag; } header_t;

static _Atomic(header_t *) exchange_slots[EXCHANGE];
static header_t *handoff[MAX_THREADS][WINDOW];
static atomic_ulong verified_blocks;
static atomic_ulong corrupted_blocks;
static unsigned long ops_per_thread = 50000;

static uint64_t next_random(uint64_t *s) { *s ^= *s << 13; *s ^= *s >> 7; *s ^= *s << 17; return *s; }

static unsigned char pattern_byte(uint64_t tag, size_t i) { return (unsigned char)(tag * 31 + i * 131 + (i >> 8)); }

/// A size from 16 B to 4 MiB: mostly small, some medium, a few large (log-uniform within each tier).
static size_t random_size(uint64_t *s) {
    uint64_t r = next_random(s) % 1000;
    if (r < 940) return 16 + next_random(s) % 1009;                                   // small
    if (r < 998) { unsigned bits = 10 + next_random(s) % 8; return ((size_t)1 << bits) + next_random(s) % ((size_t)1 << bits); } // 1 KiB .. 256 KiB
    unsigned bits = 18 + next_random(s) % 4; return ((size_t)1 << bits) + next_random(s) % ((size_t)1 << bits);                   // 256 KiB .. 4 MiB
}

static header_t *make_block(uint64_t *s) {
    size_t size = random_size(s);
    header_t *h = malloc(size);
    if (!h) { fprintf(stderr, "stress: malloc(%zu) failed\n", size); exit(2); }
    if (((uintptr_t)h & 15) != 0) { fprintf(stderr, "stress: malloc(%zu) = %p is not 16-byte aligned\n", size, (void *)h); exit(3); }
    h->size = size;
    h->tag = next_random(s);
    unsigned char *bytes = (unsigned char *)h;
    for (size_t i = sizeof(header_t); i < size; i++) bytes[i] = pattern_byte(h->tag, i);
    return h;
}

static void check_and_free(header_t *h) {
    if (!h) return;
    const unsigned char *bytes = (const unsigned char *)h;
    for (size_t i = sizeof(header_t); i < h->size; i++) {
        if (bytes[i] != pattern_byte(h->tag, i)) {
            fprintf(stderr, "stress: block %p of %llu bytes corrupted at offset %zu\n", (void *)h, (unsigned long long)h->size, i);
            atomic_fetch_add(&corrupted_blocks, 1);
            break;
        }
    }
    atomic_fetch_add(&verified_blocks, 1);
    free(h);
}

typedef struct { int index; int wave; } worker_args;

static void *worker(void *arg) {
    worker_args *a = arg;
    uint64_t seed = 0x9E3779B97F4A7C15ull ^ ((uint64_t)a->wave << 32) ^ (uint64_t)(a->index + 1) * 0x2545F4914F6CDD1Dull;
    header_t *window[WINDOW] = {0};
    // Blocks left by the previous wave's thread with the same index: their owner has exited.
    for (int i = 0; i < WINDOW; i++) { check_and_free(handoff[a->index][i]); handoff[a->index][i] = NULL; }
    for (unsigned long op = 0; op < ops_per_thread; op++) {
        uint64_t r = next_random(&seed);
        int slot = (int)(r % WINDOW);
        if ((r >> 20) % 4 == 0) {
            // Swap with the shared exchange: the block we give away is freed by whoever takes it.
            header_t *mine = window[slot] ? window[slot] : make_block(&seed);
            header_t *theirs = atomic_exchange(&exchange_slots[(r >> 32) % EXCHANGE], mine);
            window[slot] = theirs;
        } else {
            check_and_free(window[slot]);
            window[slot] = make_block(&seed);
        }
        if ((r >> 40) % 64 == 0) {   // now and then resize a block with realloc and re-fill it
            header_t *h = window[slot];
            if (h) {
                size_t size = random_size(&seed);
                uint64_t old = h->size;
                const unsigned char *bytes = (const unsigned char *)h;
                for (size_t i = sizeof(header_t); i < old; i++) if (bytes[i] != pattern_byte(h->tag, i)) { atomic_fetch_add(&corrupted_blocks, 1); break; }
                header_t *g = realloc(h, size);
                if (!g) { fprintf(stderr, "stress: realloc failed\n"); exit(2); }
                unsigned char *gb = (unsigned char *)g;
                size_t keep = old < size ? old : size;
                for (size_t i = sizeof(header_t); i < keep; i++) if (gb[i] != pattern_byte(g->tag, i)) { fprintf(stderr, "stress: realloc lost data at %zu\n", i); atomic_fetch_add(&corrupted_blocks, 1); break; }
                g->size = size;
                for (size_t i = keep; i < size; i++) gb[i] = pattern_byte(g->tag, i);
                window[slot] = g;
            }
        }
    }
    // Exit with blocks still live: the next wave frees them from other threads.
    for (int i = 0; i < WINDOW; i++) handoff[a->index][i] = window[i];
    return NULL;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 4;
    if (argc > 2) ops_per_thread = strtoul(argv[2], NULL, 10);
    int waves = argc > 3 ? atoi(argv[3]) : 6;
    if (threads < 1 || threads > MAX_THREADS) { fprintf(stderr, "stress: threads must be 1..%d\n", MAX_THREADS); return 64; }
    for (int w = 0; w < waves; w++) {
        pthread_t ids[MAX_THREADS];
        worker_args args[MAX_THREADS];
        for (int t = 0; t < threads; t++) { args[t] = (worker_args){t, w}; pthread_create(&ids[t], NULL, worker, &args[t]); }
        for (int t = 0; t < threads; t++) pthread_join(ids[t], NULL);
    }
    for (int t = 0; t < threads; t++) for (int i = 0; i < WINDOW; i++) check_and_free(handoff[t][i]);
    for (int i = 0; i < EXCHANGE; i++) check_and_free(atomic_exchange(&exchange_slots[i], NULL));
    unsigned long total = (unsigned long)threads * ops_per_thread * (unsigned long)waves;
    printf("stress: %d threads x %d waves, %lu operations, %lu blocks verified, %lu corrupted\n",
           threads, waves, total, atomic_load(&verified_blocks), atomic_load(&corrupted_blocks));
    return atomic_load(&corrupted_blocks) == 0 ? 0 : 1;
}
