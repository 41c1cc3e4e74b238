// The fast path, for callgrind: N malloc/free pairs of one size after a warm-up. Run under
// callgrind with N and with 2N pairs; the difference of the two instruction totals, divided by N,
// is the cost of one pair with start-up and warm-up cancelled out.
// Usage: fastpath SIZE PAIRS
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
    pairs(size, 1000);  // warm-up: page set up, thread cache filled
    pairs(size, n);
    return 0;
}
