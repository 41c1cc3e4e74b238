// Hand-off: the main thread allocates blocks and two threads that never allocate free them all (the pattern of
// a consumer). Each freeing thread gets a heap of its own on its first free, so its frees are counted there;
// the main thread then allocates again from the memory the consumers returned, and checks the new blocks.
// Exit 0 when every block held its pattern.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BLOCKS = 20000, CONSUMERS = 2 };
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

int main(void) {
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
