// Larson-style server: each worker thread replaces random slots of its slot array (free the old
// block, allocate a new one) for a while, then exits; its array is handed to a fresh thread, and
// the arrays rotate between workers, so blocks are freed by threads that never allocated them.
#include "common.h"
#include <pthread.h>

enum { WORKERS = 4 };

typedef struct { void **p; size_t *size; uint64_t *tag; size_t slots; } slots_t;
typedef struct { slots_t *arr; size_t steps; uint64_t seed; uint64_t tag_base; } job_t;

static void *worker(void *arg) {
    job_t *j = arg;
    rng_t r = { j->seed };
    slots_t *a = j->arr;
    uint64_t tag = j->tag_base;
    for (size_t i = 0; i < j->steps; i++) {
        size_t k = rng_below(&r, a->slots);
        if (a->p[k]) {
            if (!check_block(a->p[k], a->size[k], a->tag[k]))
                fail_mismatch("larson", a->p[k], a->size[k], a->tag[k]);
            free(a->p[k]);
        }
        a->size[k] = 16 + rng_below(&r, 497);  // 16..512 B, larson's usual range
        a->tag[k] = ++tag;
        a->p[k] = xmalloc("larson", a->size[k]);
        fill_block(a->p[k], a->size[k], a->tag[k]);
    }
    return NULL;
}

int main(int argc, char **argv) {
    int smoke = bench_smoke(argc, argv);
    size_t slots = smoke ? 2000 : 20000, rounds = smoke ? 20 : 60, steps = smoke ? 5000 : 50000;
    slots_t arrays[WORKERS];
    for (int w = 0; w < WORKERS; w++) {
        arrays[w].slots = slots;
        arrays[w].p = calloc(slots, sizeof(void *));
        arrays[w].size = calloc(slots, sizeof(size_t));
        arrays[w].tag = calloc(slots, sizeof(uint64_t));
    }
    for (size_t round = 0; round < rounds; round++) {
        pthread_t t[WORKERS];
        job_t jobs[WORKERS];
        for (int w = 0; w < WORKERS; w++) {
            jobs[w] = (job_t){ &arrays[(w + round) % WORKERS], steps, round * WORKERS + w + 1,
                               ((uint64_t)(round * WORKERS + w) << 32) };
            pthread_create(&t[w], NULL, worker, &jobs[w]);
        }
        for (int w = 0; w < WORKERS; w++) pthread_join(t[w], NULL);
    }
    for (int w = 0; w < WORKERS; w++) {
        for (size_t k = 0; k < slots; k++) {
            if (!arrays[w].p[k]) continue;
            if (!check_block(arrays[w].p[k], arrays[w].size[k], arrays[w].tag[k]))
                fail_mismatch("larson", arrays[w].p[k], arrays[w].size[k], arrays[w].tag[k]);
            free(arrays[w].p[k]);
        }
        free(arrays[w].p); free(arrays[w].size); free(arrays[w].tag);
    }
    printf("larson ok: %zu rounds x %d workers x %zu replacements\n", rounds, WORKERS, steps);
    return 0;
}
