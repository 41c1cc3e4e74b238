// Shared helpers for the C workloads: scale selection, a fast deterministic RNG, and fill patterns
// that each workload writes into its blocks and checks before freeing them. A block's first word
// holds a tag; the rest is filled with a byte derived from the tag, so two live blocks that overlap
// (or a block the allocator scribbled on) are caught when the block is checked.
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// `--smoke` picks the small CI scale; anything else (or nothing) the full scale.
static inline int bench_smoke(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--smoke") == 0) return 1;
    return 0;
}

// splitmix64: cheap, good enough to drive sizes and slot choices, and seedable per thread.
typedef struct { uint64_t s; } rng_t;

static inline uint64_t rng_next(rng_t *r) {
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline size_t rng_below(rng_t *r, size_t n) { return (size_t)(rng_next(r) % n); }

// A mix of small sizes like a compiler's or interpreter's: mostly 16-64 B, a tail up to 16 KiB.
static inline size_t small_mix_size(rng_t *r) {
    uint64_t x = rng_next(r);
    unsigned bucket = (unsigned)(x & 1023);
    x >>= 10;
    if (bucket < 600) return 8 + x % 57;        // 8..64
    if (bucket < 900) return 65 + x % 192;      // 65..256
    if (bucket < 1010) return 257 + x % 1792;   // 257..2048
    return 2049 + x % 14336;                    // 2049..16384
}

static inline unsigned char tag_byte(uint64_t tag) { return (unsigned char)(tag * 131 + 7); }

// Writes the tag and pattern into a block of `size` bytes (size >= 1).
static inline void fill_block(void *p, size_t size, uint64_t tag) {
    unsigned char *b = (unsigned char *)p;
    if (size >= sizeof(uint64_t)) {
        memcpy(b, &tag, sizeof tag);
        memset(b + sizeof tag, tag_byte(tag), size - sizeof tag);
    } else {
        memset(b, tag_byte(tag), size);
    }
}

// Checks a block written by fill_block. Blocks up to 4 KiB are checked whole; larger ones at
// every 512th byte and at both ends, so big-block workloads still measure the allocator.
static inline int check_block(const void *p, size_t size, uint64_t tag) {
    const unsigned char *b = (const unsigned char *)p;
    unsigned char t = tag_byte(tag);
    size_t start = 0;
    if (size >= sizeof(uint64_t)) {
        uint64_t got;
        memcpy(&got, b, sizeof got);
        if (got != tag) return 0;
        start = sizeof tag;
    }
    if (size <= 4096) {
        for (size_t i = start; i < size; i++)
            if (b[i] != t) return 0;
        return 1;
    }
    for (size_t i = start; i < size; i += 512)
        if (b[i] != t) return 0;
    return b[size - 1] == t;
}

// Reports a data mismatch and exits non-zero: a corrupted block is the allocator's bug.
static inline void fail_mismatch(const char *workload, const void *p, size_t size, uint64_t tag) {
    fprintf(stderr, "%s: DATA MISMATCH at %p (size %zu, tag %llu)\n", workload, p, size,
            (unsigned long long)tag);
    exit(2);
}

static inline void *xmalloc(const char *workload, size_t size) {
    void *p = malloc(size);
    if (!p) {
        fprintf(stderr, "%s: malloc(%zu) returned NULL\n", workload, size);
        exit(3);
    }
    return p;
}

#endif
