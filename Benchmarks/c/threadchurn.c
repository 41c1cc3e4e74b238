// Thread churn: many short-lived threads, each allocating a few thousand objects. Each thread
// frees some of its own objects, and leaves the rest to outlive it: the next generation of
// threads checks and frees them.
#include "common.h"
#include <pthread.h>

enum { CONCURRENT = 2 };

typedef struct { void **p; size_t *size; uint64_t *tag; size_t n; } set_t;
typedef struct { set_t *inherit; set_t *leave; uint64_t seed; } job_t;

static void *short_lived(void *arg) {
    job_t *j = arg;
    rng_t r = { j->seed };
    set_t *in = j->inherit, *out = j->leave;
    for (size_t i = 0; i < in->n; i++) {  // objects left by a thread that has exited
        if (!in->p[i]) continue;
        if (!check_block(in->p[i], in->size[i], in->tag[i]))
            fail_mismatch("threadchurn", in->p[i], in->size[i], in->tag[i]);
        free(in->p[i]);
        in->p[i] = NULL;
    }
    uint64_t tag = j->seed << 24;
    for (size_t i = 0; i < out->n; i++) {
        size_t size = small_mix_size(&r);
        void *p = xmalloc("threadchurn", size);
        fill_block(p, size, ++tag);
        void *tmp = xmalloc("threadchurn", size);  // a temporary the thread frees itself
        fill_block(tmp, size, tag);
        if (!check_block(tmp, size, tag)) fail_mismatch("threadchurn", tmp, size, tag);
        free(tmp);
        out->p[i] = p; out->size[i] = size; out->tag[i] = tag;
    }
    return NULL;
}

static void set_init(set_t *s, size_t n) {
    s->n = n;
    s->p = calloc(n, sizeof(void *));
    s->size = calloc(n, sizeof(size_t));
    s->tag = calloc(n, sizeof(uint64_t));
}

int main(int argc, char **argv) {
    int smoke = bench_smoke(argc, argv);
    size_t generations = smoke ? 100 : 750, objects = 4000;
    set_t sets[2][CONCURRENT];
    for (int g = 0; g < 2; g++)
        for (int i = 0; i < CONCURRENT; i++) set_init(&sets[g][i], objects);
    for (size_t gen = 0; gen < generations; gen++) {
        pthread_t t[CONCURRENT];
        job_t jobs[CONCURRENT];
        for (int i = 0; i < CONCURRENT; i++) {
            // inherit the objects of the *other* thread of the last generation
            jobs[i] = (job_t){ &sets[gen % 2][(i + 1) % CONCURRENT], &sets[(gen + 1) % 2][i],
                               gen * CONCURRENT + i + 1 };
            pthread_create(&t[i], NULL, short_lived, &jobs[i]);
        }
        for (int i = 0; i < CONCURRENT; i++) pthread_join(t[i], NULL);
    }
    for (int g = 0; g < 2; g++)
        for (int i = 0; i < CONCURRENT; i++)
            for (size_t k = 0; k < objects; k++) {
                set_t *s = &sets[g][i];
                if (!s->p[k]) continue;
                if (!check_block(s->p[k], s->size[k], s->tag[k]))
                    fail_mismatch("threadchurn", s->p[k], s->size[k], s->tag[k]);
                free(s->p[k]);
            }
    printf("threadchurn ok: %zu threads\n", generations * CONCURRENT);
    return 0;
}
