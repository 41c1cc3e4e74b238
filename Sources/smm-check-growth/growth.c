// A program whose heap holds many blocks while it allocates more, for the tests that what an allocation costs
// does not grow with the heap (Tests/SwiftMMTests/HeapSizeCostTests.swift, which counts the instructions of
// `large_block_pairs` or `medium_blocks` with callgrind).
//
// Usage: smm-check-growth large|medium HEAP_MIB COUNT
//   allocates HEAP_MIB MiB in blocks of 16 KiB and keeps them (they fill their segments), then either makes COUNT
//   malloc/free pairs of about 1 MiB (large), or allocates COUNT more blocks of 16 KiB and keeps them (medium:
//   every fourth takes a new page).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *checked_malloc(size_t size) {
    void *block = malloc(size);
    if (!block) { fprintf(stderr, "malloc(%zu) failed\n", size); exit(2); }
    return block;
}

__attribute__((noinline)) void large_block_pairs(size_t pairs) {
    for (size_t i = 0; i < pairs; i++) {
        unsigned char *volatile block = checked_malloc((1u << 20) + (i % 4096));
        block[0] = 1;
        free(block);
    }
}

__attribute__((noinline)) void medium_blocks(void **kept, size_t count) {
    for (size_t i = 0; i < count; i++) {
        kept[i] = checked_malloc(16384);
        memset(kept[i], (int)i, 16);
    }
}

int main(int argc, char **argv) {
    if (argc != 4 || (strcmp(argv[1], "large") != 0 && strcmp(argv[1], "medium") != 0)) {
        fprintf(stderr, "usage: smm-check-growth large|medium HEAP_MIB COUNT\n");
        return 2;
    }
    size_t heap_count = strtoul(argv[2], NULL, 10) << 6, count = strtoul(argv[3], NULL, 10);
    void **heap = checked_malloc(heap_count * sizeof *heap);
    for (size_t i = 0; i < heap_count; i++) {
        heap[i] = checked_malloc(16384);
        memset(heap[i], (int)i, 16);
    }
    if (strcmp(argv[1], "large") == 0) {
        large_block_pairs(count);
    } else {
        medium_blocks(checked_malloc(count * sizeof(void *)), count);
    }
    printf("ok: %zu blocks of 16 KiB live, %zu %s allocations\n", heap_count, count, argv[1]);
    return 0;
}
