// Memory overhead (BrainMM's test): allocate blocks of one size (or a random mix) until 100 MB of
// useful data has been requested, writing every byte, and report the resident memory this took
// (RSS minus the RSS before); then free everything and report what stays resident, at once and
// after one idle second (skipped under --smoke) plus one more malloc/free (which lets time-based purging run).
// The blocks are chained through their first word, so the test keeps no pointer array of its own.
// Usage: overhead SIZE|mix [--smoke]. Prints one line: key=value pairs.
#include "common.h"
#include <unistd.h>

static long rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (!f || fscanf(f, "%ld %ld", &pages, &resident) != 2) { perror("statm"); exit(3); }
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

static size_t mix_size(rng_t *r) {  // mostly small, a long tail, like a real heap
    unsigned b = (unsigned)rng_below(r, 100);
    if (b < 50) return 8 + rng_below(r, 57);
    if (b < 80) return 65 + rng_below(r, 192);
    if (b < 95) return 257 + rng_below(r, 768);
    return 1025 + rng_below(r, 31744);
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: overhead SIZE|mix [--smoke]\n"); return 64; }
    int mix = strcmp(argv[1], "mix") == 0;
    size_t fixed = mix ? 0 : (size_t)atol(argv[1]);
    if (!mix && fixed < sizeof(void *)) { fprintf(stderr, "overhead: size must be >= 8\n"); return 64; }
    size_t useful_target = (size_t)(bench_smoke(argc, argv) ? 10 : 100) * 1000 * 1000;
    rng_t r = { 1234 };

    free(xmalloc("overhead", 16));  // let the allocator initialise before the baseline
    long before = rss_bytes();
    void *list = NULL;
    size_t useful = 0, blocks = 0;
    while (useful < useful_target) {
        size_t size = mix ? mix_size(&r) : fixed;
        void **b = xmalloc("overhead", size);
        memset(b, (unsigned char)blocks, size);  // every byte is useful data
        *b = list;
        list = b;
        useful += size;
        blocks++;
    }
    long held = rss_bytes() - before;

    size_t *sizes = NULL;  // the mix's sizes, replayed (after measuring) to check each block
    if (mix) {
        sizes = xmalloc("overhead", blocks * sizeof *sizes);
        rng_t replay = { 1234 };
        for (size_t i = 0; i < blocks; i++) sizes[i] = mix_size(&replay);
    }
    size_t n = blocks;
    for (void *b = list; b;) {  // newest first
        void *next = *(void **)b;
        n--;
        unsigned char *bytes = b;
        size_t size = mix ? sizes[n] : fixed, end = size < 256 ? size : 256;
        for (size_t i = sizeof(void *); i < end; i++)
            if (bytes[i] != (unsigned char)n) fail_mismatch("overhead", b, size, n);
        if (size > sizeof(void *) && bytes[size - 1] != (unsigned char)n) fail_mismatch("overhead", b, size, n);
        free(b);
        b = next;
    }
    if (n != 0) { fprintf(stderr, "overhead: lost blocks\n"); return 2; }
    free(sizes);
    long after_free = rss_bytes() - before;
    if (!bench_smoke(argc, argv)) sleep(1);
    free(xmalloc("overhead", 16));
    long after_idle = rss_bytes() - before;

    printf("size=%s blocks=%zu useful=%zu held=%ld per100=%.1f freed_now=%ld freed_idle=%ld\n",
           argv[1], blocks, useful, held, 100.0 * (double)held / (double)useful, after_free,
           after_idle);
    return 0;
}
