// Producer/consumer: producers allocate and fill blocks and pass them, in batches, through a
// bounded queue to consumers, which check and free them. Every block is freed by a thread other
// than the one that allocated it.
#include "common.h"
#include <pthread.h>

enum { BATCH = 128, QUEUE = 64 };

typedef struct { void *p[BATCH]; size_t size[BATCH]; uint64_t tag[BATCH]; } batch_t;

static batch_t *queue[QUEUE];
static size_t head, tail, count;
static int producers_left;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER, not_empty = PTHREAD_COND_INITIALIZER;
static size_t batches_per_producer;

static void push(batch_t *b) {
    pthread_mutex_lock(&lock);
    while (count == QUEUE) pthread_cond_wait(&not_full, &lock);
    queue[tail] = b; tail = (tail + 1) % QUEUE; count++;
    pthread_cond_signal(&not_empty);
    pthread_mutex_unlock(&lock);
}

static batch_t *pop(void) {  // NULL once every producer is done and the queue is empty
    pthread_mutex_lock(&lock);
    while (count == 0 && producers_left > 0) pthread_cond_wait(&not_empty, &lock);
    batch_t *b = NULL;
    if (count > 0) { b = queue[head]; head = (head + 1) % QUEUE; count--; }
    pthread_cond_signal(&not_full);
    pthread_mutex_unlock(&lock);
    return b;
}

static void *producer(void *arg) {
    rng_t r = { (uint64_t)(uintptr_t)arg * 7919 + 1 };
    uint64_t tag = (uint64_t)(uintptr_t)arg << 40;
    for (size_t n = 0; n < batches_per_producer; n++) {
        batch_t *b = xmalloc("prodcons", sizeof *b);
        for (int i = 0; i < BATCH; i++) {
            b->size[i] = small_mix_size(&r);
            b->tag[i] = ++tag;
            b->p[i] = xmalloc("prodcons", b->size[i]);
            fill_block(b->p[i], b->size[i], b->tag[i]);
        }
        push(b);
    }
    pthread_mutex_lock(&lock);
    producers_left--;
    pthread_cond_broadcast(&not_empty);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void *consumer(void *arg) {
    size_t *freed = arg;
    batch_t *b;
    while ((b = pop()) != NULL) {
        for (int i = 0; i < BATCH; i++) {
            if (!check_block(b->p[i], b->size[i], b->tag[i]))
                fail_mismatch("prodcons", b->p[i], b->size[i], b->tag[i]);
            free(b->p[i]);
        }
        free(b);
        *freed += BATCH;
    }
    return NULL;
}

int main(int argc, char **argv) {
    int smoke = bench_smoke(argc, argv);
    enum { PAIRS = 2 };
    batches_per_producer = smoke ? 500 : 60000;
    producers_left = PAIRS;
    pthread_t p[PAIRS], c[PAIRS];
    size_t freed[PAIRS] = { 0 };
    for (uintptr_t i = 0; i < PAIRS; i++) {
        pthread_create(&p[i], NULL, producer, (void *)(i + 1));
        pthread_create(&c[i], NULL, consumer, &freed[i]);
    }
    for (int i = 0; i < PAIRS; i++) pthread_join(p[i], NULL);
    size_t total = 0;
    for (int i = 0; i < PAIRS; i++) { pthread_join(c[i], NULL); total += freed[i]; }
    size_t expected = (size_t)PAIRS * batches_per_producer * BATCH;
    if (total != expected) {
        fprintf(stderr, "prodcons: freed %zu blocks, expected %zu\n", total, expected);
        return 2;
    }
    printf("prodcons ok: %zu blocks crossed threads\n", total);
    return 0;
}
