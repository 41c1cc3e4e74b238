// smm_reget against realloc, under SwiftMM (run with libswiftmm.so preloaded; see run.sh).
// Reget resizes a buffer without keeping its contents, for programs that refill the buffer anyway.
// Each case resizes a buffer through a sequence of sizes and then fills it, as such a program would;
// it runs once with realloc and once with smm_reget and prints the time of each.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef void *(*resize_fn)(void *, size_t);
static resize_fn reget;

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static volatile unsigned char sink;

// 1. Grow a buffer by doubling from 1 KiB to 64 MiB, filling it after each step; free; repeat.
static double grow_doubling(resize_fn resize, int rounds) {
    double t = now();
    for (int r = 0; r < rounds; r++) {
        unsigned char *p = NULL;
        for (size_t n = 1024; n <= (64u << 20); n *= 2) { p = resize(p, n); memset(p, r, n); }
        sink = p[0];
        free(p);
    }
    return now() - t;
}

// 2. A medium buffer that alternates between 60 KiB and 250 KiB (a message buffer sized per message), filled
//    after each resize.
static double oscillate_medium(resize_fn resize, int rounds) {
    unsigned char *p = malloc(1000);
    double t = now();
    for (int r = 0; r < rounds; r++) {
        size_t n = (r & 1) ? 250u << 10 : 60u << 10;
        p = resize(p, n);
        memset(p, r, 4096);      // the program writes the head of its new message
        sink = p[n - 1];
    }
    double d = now() - t;
    free(p);
    return d;
}

// 3. Growing small buffers (8 B .. 8 KiB in 16-byte steps), the way a string builder would, writing each.
static double grow_small(resize_fn resize, int rounds) {
    double t = now();
    for (int r = 0; r < rounds; r++) {
        unsigned char *p = NULL;
        for (size_t n = 16; n <= 8192; n += 16) { p = resize(p, n); p[n - 1] = (unsigned char)n; }
        sink = p[0];
        free(p);
    }
    return now() - t;
}

// 4. A large buffer (1..33 MiB) resized to a random size each round and then fully written; the old contents
//    are not needed.
static double resize_large(resize_fn resize, int rounds) {
    unsigned char *p = malloc(1 << 20);
    unsigned seed = 7;
    double t = now();
    for (int r = 0; r < rounds; r++) {
        seed = seed * 1103515245u + 12345u;
        size_t n = ((size_t)1 << 20) + (seed >> 8) % (32u << 20);
        p = resize(p, n);
        memset(p, r, n);
    }
    double d = now() - t;
    free(p);
    return d;
}

// 5. A 64 KiB-aligned large buffer grown 1 MiB -> 64 MiB by doubling: the kernel cannot place a moved mapping
//    at an alignment, so realloc copies; reget maps fresh.
typedef void *(*aligned_fn)(size_t, size_t);
static aligned_fn malloc_aligned;
static double grow_aligned(resize_fn resize, int rounds) {
    double t = now();
    for (int r = 0; r < rounds; r++) {
        unsigned char *p = malloc_aligned(65536, 1 << 20);
        memset(p, r, 1 << 20);
        for (size_t n = 2u << 20; n <= (64u << 20); n *= 2) { p = resize(p, n); memset(p, r, n / 8); }
        sink = p[0];
        free(p);
    }
    return now() - t;
}

int main(int argc, char **argv) {
    malloc_aligned = (aligned_fn)dlsym(RTLD_DEFAULT, "smm_malloc_aligned");
    reget = (resize_fn)dlsym(RTLD_DEFAULT, "smm_reget");
    if (!reget) { fprintf(stderr, "smm_reget not found: run with LD_PRELOAD=libswiftmm.so\n"); return 1; }
    int scale = argc > 1 ? atoi(argv[1]) : 1;
    struct { const char *name; double (*run)(resize_fn, int); int rounds; } cases[] = {
        {"grow 1 KiB -> 64 MiB by doubling, fill each step", grow_doubling, 20 * scale},
        {"medium buffer alternating 60 KiB / 250 KiB", oscillate_medium, 200000 * scale},
        {"small buffer grown 16 B -> 8 KiB in 16 B steps", grow_small, 2000 * scale},
        {"large buffer resized to 1..33 MiB, filled", resize_large, 200 * scale},
        {"64 KiB-aligned 1 -> 64 MiB by doubling, 1/8 written", grow_aligned, 20 * scale},
    };
    printf("%-52s %12s %12s %8s\n", "case", "realloc (s)", "reget (s)", "speedup");
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cases[i].run(realloc, 1); cases[i].run(reget, 1);            // warm up
        double a = cases[i].run(realloc, cases[i].rounds);
        double b = cases[i].run(reget, cases[i].rounds);
        printf("%-52s %12.4f %12.4f %7.2fx\n", cases[i].name, a, b, a / b);
    }
    return 0;
}
