// Single-thread churn: a live window of mixed small blocks, the pattern of a compiler or an
// interpreter. Each step picks a random slot, checks and frees the block there (or reallocs it),
// and puts a fresh block of a random size in its place.
#include "common.h"

typedef struct { void *p; size_t size; uint64_t tag; } slot_t;

int main(int argc, char **argv) {
    int smoke = bench_smoke(argc, argv);
    size_t window = smoke ? 4096 : 100000;
    size_t steps = smoke ? 200000 : 7000000;
    slot_t *slots = calloc(window, sizeof *slots);
    rng_t r = { 42 };
    uint64_t tag = 1;

    for (size_t i = 0; i < steps; i++) {
        slot_t *s = &slots[rng_below(&r, window)];
        if (s->p) {
            if (!check_block(s->p, s->size, s->tag)) fail_mismatch("churn", s->p, s->size, s->tag);
            if ((i & 15) == 0) {  // one step in 16 reallocs instead (sizes are >= 8, so the
                                   // kept prefix still holds the tag)
                size_t n = small_mix_size(&r);
                void *q = realloc(s->p, n);
                if (!q) { fprintf(stderr, "churn: realloc failed\n"); return 3; }
                size_t kept = n < s->size ? n : s->size;
                if (!check_block(q, kept, s->tag)) fail_mismatch("churn", q, kept, s->tag);
                s->p = q; s->size = n; s->tag = tag++;
                fill_block(q, n, s->tag);
                continue;
            }
            free(s->p);
        }
        s->size = small_mix_size(&r);
        s->tag = tag++;
        s->p = xmalloc("churn", s->size);
        fill_block(s->p, s->size, s->tag);
    }
    for (size_t i = 0; i < window; i++) {
        if (!slots[i].p) continue;
        if (!check_block(slots[i].p, slots[i].size, slots[i].tag))
            fail_mismatch("churn", slots[i].p, slots[i].size, slots[i].tag);
        free(slots[i].p);
    }
    free(slots);
    printf("churn ok: %zu steps, window %zu\n", steps, window);
    return 0;
}
