// The fast path, for callgrind: N malloc/free pairs of one size after a warm-up. Run under
// callgrind with N and with 2N pairs; the difference of the two instruction totals, divided by N,
// is the cost of one pair with start-up and warm-up cancelled out.
// With `resident`, one more block of the size stays allocated throughout, so no free empties its
// page: that is the steady state of a real program. Without it every free empties the page, which
// shows what an allocator does on that edge.
// Usage: fastpath SIZE PAIRS [resident]
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static void pairs(size_t size, long n) {
    for (long i = 0; i < n; i++) {
        void *p = malloc(size);
        __asm__ volatile("" : : "r"(p) : "memory");  // keep the compiler from eliding the pair
        free(p);
    }
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: fastpath SIZE PAIRS\n"); return 64; }
    size_t size = (size_t)atol(argv[1]);
    long n = atol(argv[2]);
    void *resident = argc > 3 ? malloc(size) : NULL;
    __asm__ volatile("" : : "r"(resident) : "memory");
    pairs(size, 1000);  // warm-up: page set up, thread cache filled
    pairs(size, n);
    free(resident);
    return 0;
}
