// False sharing: the main thread allocates small blocks back to back and hands one to each
// worker, which writes it many times, frees it, and then keeps allocating, writing and freeing
// blocks of the same size. An allocator that gives different threads blocks on one cache line
// makes the cores fight over that line (cache-scratch); one that keeps each thread's blocks apart
// does not (cache-thrash is the same loop without the hand-off).
#include "common.h"
#include <pthread.h>

enum { WORKERS = 2, BLOCK = 16 };

typedef struct { unsigned char *given; size_t rounds, writes; uint64_t id; } job_t;

static int write_and_check(volatile unsigned char *b, size_t writes, uint64_t id) {
    for (size_t w = 0; w < writes; w++)
        for (int i = 0; i < BLOCK; i++) b[i] = (unsigned char)(id + w + i);
    for (int i = 0; i < BLOCK; i++)
        if (b[i] != (unsigned char)(id + writes - 1 + i)) return 0;
    return 1;
}

static void *worker(void *arg) {
    job_t *j = arg;
    if (!write_and_check(j->given, j->writes, j->id)) fail_mismatch("falseshare", j->given, BLOCK, j->id);
    free(j->given);
    for (size_t r = 0; r < j->rounds; r++) {
        unsigned char *b = xmalloc("falseshare", BLOCK);
        if (!write_and_check(b, j->writes, j->id + r)) fail_mismatch("falseshare", b, BLOCK, j->id + r);
        free(b);
    }
    return NULL;
}

int main(int argc, char **argv) {
    int smoke = bench_smoke(argc, argv);
    size_t rounds = smoke ? 20000 : 800000, writes = 100, phases = smoke ? 2 : 4;
    for (size_t phase = 0; phase < phases; phase++) {
        pthread_t t[WORKERS];
        job_t jobs[WORKERS];
        for (int w = 0; w < WORKERS; w++)  // consecutive small blocks: likely one cache line
            jobs[w] = (job_t){ xmalloc("falseshare", BLOCK), rounds, writes, phase * 1000 + w * 77 };
        for (int w = 0; w < WORKERS; w++) pthread_create(&t[w], NULL, worker, &jobs[w]);
        for (int w = 0; w < WORKERS; w++) pthread_join(t[w], NULL);
    }
    printf("falseshare ok: %zu phases x %d threads x %zu blocks\n", phases, WORKERS, rounds);
    return 0;
}
