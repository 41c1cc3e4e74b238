// Reverse-order and random-order frees: allocate many small blocks, then free them last-first;
// allocate them again and free them in a shuffled order. Random-order frees scatter the free
// lists and defeat allocators that rely on LIFO reuse.
#include "common.h"

static void fill_all(void **p, size_t *size, size_t n, rng_t *r, uint64_t tag0) {
    for (size_t i = 0; i < n; i++) {
        size[i] = 16 + rng_below(r, 113);  // 16..128 B
        p[i] = xmalloc("freeorder", size[i]);
        fill_block(p[i], size[i], tag0 + i);
    }
}

static void check_free(void *p, size_t size, uint64_t tag) {
    if (!check_block(p, size, tag)) fail_mismatch("freeorder", p, size, tag);
    free(p);
}

int main(int argc, char **argv) {
    int smoke = bench_smoke(argc, argv);
    size_t n = smoke ? 100000 : 1000000, rounds = smoke ? 2 : 2;
    void **p = malloc(n * sizeof *p);
    size_t *size = malloc(n * sizeof *size);
    size_t *order = malloc(n * sizeof *order);
    rng_t r = { 7 };
    for (size_t round = 0; round < rounds; round++) {
        uint64_t tag0 = round * 2 * n + 1;
        fill_all(p, size, n, &r, tag0);
        for (size_t i = n; i-- > 0;) check_free(p[i], size[i], tag0 + i);

        tag0 += n;
        fill_all(p, size, n, &r, tag0);
        for (size_t i = 0; i < n; i++) order[i] = i;
        for (size_t i = n - 1; i > 0; i--) {  // Fisher-Yates
            size_t j = rng_below(&r, i + 1), t = order[i];
            order[i] = order[j]; order[j] = t;
        }
        for (size_t i = 0; i < n; i++) check_free(p[order[i]], size[order[i]], tag0 + order[i]);
    }
    free(p); free(size); free(order);
    printf("freeorder ok: %zu rounds of %zu blocks, reverse then random\n", rounds, n);
    return 0;
}
