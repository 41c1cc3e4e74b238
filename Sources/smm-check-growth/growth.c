// A program whose heap holds many small blocks while it allocates and frees large blocks, for the test that
// the cost of a large allocation does not grow with the heap (Tests/SwiftMMTests/StatisticsCostTests.swift,
// which counts the instructions of `large_block_pairs` with callgrind).
//
// Usage: smm-check-growth SMALL_MIB PAIRS
//   allocates SMALL_MIB MiB of 256-byte blocks and keeps them, then makes PAIRS malloc/free pairs of about 1 MiB.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) void large_block_pairs(size_t pairs) {
    for (size_t i = 0; i < pairs; i++) {
        unsigned char *volatile block = malloc((1u << 20) + (i % 4096));
        if (!block) { fprintf(stderr, "malloc of a large block failed\n"); exit(2); }
        block[0] = 1;
        free(block);
    }
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: smm-check-growth SMALL_MIB PAIRS\n"); return 2; }
    size_t count = strtoul(argv[1], NULL, 10) << 12, pairs = strtoul(argv[2], NULL, 10);
    void **small = malloc(count * sizeof *small);
    if (!small) { fprintf(stderr, "malloc failed\n"); return 2; }
    for (size_t i = 0; i < count; i++) {
        if (!(small[i] = malloc(256))) { fprintf(stderr, "malloc failed\n"); return 2; }
        memset(small[i], (int)i, 16);
    }
    large_block_pairs(pairs);
    printf("ok: %zu blocks of 256 bytes live, %zu large pairs\n", count, pairs);
    return 0;
}
