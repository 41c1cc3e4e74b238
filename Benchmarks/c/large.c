// Large blocks: (1) buffers grown by realloc, a little at a time, to tens of MiB, as a growing
// vector or string builder does; (2) a window of blocks of 64 KiB to 8 MiB, replaced at random.
// Allocators that return memory to the OS eagerly pay in system time here; ones that never do
// pay in RSS.
#include "common.h"

// Odd rounds grow by 1.5x, as most vectors do; even rounds by a fixed 64 KiB, as naive appends do,
// to a quarter of the size (an allocator that copies on every realloc pays quadratically there).
static void grow_buffers(size_t rounds, size_t max, rng_t *r) {
    for (size_t round = 0; round < rounds; round++) {
        int geometric = round & 1;
        size_t limit = geometric ? max : max / 4;
        size_t cap = 4096, used = 0, target = limit / 2 + rng_below(r, limit / 2);
        unsigned char *buf = xmalloc("large", cap);
        while (used < target) {
            size_t chunk = 1024 + rng_below(r, 15 * 1024);
            if (used + chunk > cap) {
                cap = geometric ? cap + cap / 2 + chunk : cap + (64 << 10);
                buf = realloc(buf, cap);
                if (!buf) { fprintf(stderr, "large: realloc(%zu) failed\n", cap); exit(3); }
            }
            fill_block(buf + used, chunk, ((uint64_t)used << 20) | chunk);  // tag: offset, length
            used += chunk;
        }
        for (size_t pos = 0; pos < used;) {  // every chunk must survive every move
            uint64_t tag;
            memcpy(&tag, buf + pos, sizeof tag);
            size_t len = (size_t)(tag & 0xFFFFF);
            if ((tag >> 20) != pos || len == 0 || !check_block(buf + pos, len, tag))
                fail_mismatch("large", buf + pos, len, tag);
            pos += len;
        }
        free(buf);
    }
}

static void block_window(size_t steps, size_t window, rng_t *r) {
    void *p[64] = { 0 };
    size_t size[64] = { 0 };
    uint64_t tag[64] = { 0 };
    for (size_t i = 0; i < steps; i++) {
        size_t k = rng_below(r, window);
        if (p[k]) {
            if (!check_block(p[k], size[k], tag[k])) fail_mismatch("large", p[k], size[k], tag[k]);
            free(p[k]);
        }
        size[k] = ((size_t)64 << 10) << rng_below(r, 8);  // 64 KiB .. 8 MiB, log-uniform
        size[k] += rng_below(r, size[k]);
        if (size[k] > (8u << 20)) size[k] = 8u << 20;
        tag[k] = i + 1;
        p[k] = xmalloc("large", size[k]);
        fill_block(p[k], size[k], tag[k]);
    }
    for (size_t k = 0; k < window; k++) {
        if (!p[k]) continue;
        if (!check_block(p[k], size[k], tag[k])) fail_mismatch("large", p[k], size[k], tag[k]);
        free(p[k]);
    }
}

int main(int argc, char **argv) {
    int smoke = bench_smoke(argc, argv);
    rng_t r = { 99 };
    grow_buffers(smoke ? 4 : 60, (size_t)(smoke ? 8 : 64) << 20, &r);
    block_window(smoke ? 300 : 6000, 16, &r);
    printf("large ok\n");
    return 0;
}
