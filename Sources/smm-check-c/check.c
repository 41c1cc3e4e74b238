// Behaviour checks of the standard C allocation functions, run in a child process with libswiftmm.so
// preloaded (see Tests/SwiftMMTests). Each failed expectation prints a line; the exit status is the number
// of failures (0 = all passed), or 100 when SwiftMM is not the process's malloc.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// C23's free_sized and free_aligned_sized are newer than glibc 2.36's headers: find them at run time.
static void (*free_sized)(void *, size_t);
static void (*free_aligned_sized)(void *, size_t, size_t);

static int failures = 0;
static int checks = 0;
#define EXPECT(cond, ...) do { checks++; if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

static int aligned(void *p, size_t a) { return ((uintptr_t)p & (a - 1)) == 0; }

static void fill(unsigned char *p, size_t n, unsigned seed) { for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(seed + i * 7); }
static int holds(const unsigned char *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++) if (p[i] != (unsigned char)(seed + i * 7)) return 0;
    return 1;
}

// Sizes at the edges of every tier and size class boundary that matters.
static const size_t sizes[] = {0, 1, 2, 15, 16, 17, 31, 32, 33, 100, 127, 128, 129, 255, 256, 257, 1000, 1023, 1024, 1025,
    4095, 4096, 4097, 8191, 8192, 8193, 65535, 65536, 65537, 262143, 262144, 262145, 1048576, 4194304, 4194305, 33554432};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void check_malloc_and_free(void) {
    for (size_t i = 0; i < COUNT(sizes); i++) {
        size_t n = sizes[i];
        unsigned char *p = malloc(n);
        EXPECT(p != NULL, "malloc(%zu) returned NULL", n);
        if (!p) continue;
        EXPECT(aligned(p, 16), "malloc(%zu) = %p is not 16-byte aligned", n, (void *)p);
        EXPECT(malloc_usable_size(p) >= n, "malloc_usable_size(malloc(%zu)) = %zu", n, malloc_usable_size(p));
        fill(p, n, (unsigned)n);
        EXPECT(holds(p, n, (unsigned)n), "malloc(%zu) does not hold its contents", n);
        free(p);
    }
    void *a = malloc(0), *b = malloc(0);
    EXPECT(a && b && a != b, "malloc(0) must return unique pointers (%p, %p)", a, b);
    free(a); free(b);
    free(NULL);
    errno = 0;
    EXPECT(malloc(SIZE_MAX) == NULL && errno == ENOMEM, "malloc(SIZE_MAX) must fail with ENOMEM (errno %d)", errno);
    errno = 0;
    EXPECT(malloc(SIZE_MAX / 2 + 1) == NULL && errno == ENOMEM, "malloc(SIZE_MAX/2+1) must fail with ENOMEM");
    errno = 0;
    EXPECT(malloc((size_t)1 << 46) == NULL && errno == ENOMEM, "malloc(64 TiB) must fail with ENOMEM (errno %d)", errno);
}

static void check_calloc(void) {
    for (size_t i = 0; i < COUNT(sizes); i++) {
        size_t n = sizes[i];
        // Dirty a block first, so that calloc must zero reused memory.
        unsigned char *d = malloc(n ? n : 1); memset(d, 0xAB, n ? n : 1); free(d);
        unsigned char *p = calloc(1, n);
        EXPECT(p != NULL, "calloc(1, %zu) returned NULL", n);
        if (!p) continue;
        int zero = 1;
        for (size_t k = 0; k < n; k++) if (p[k]) { zero = 0; break; }
        EXPECT(zero, "calloc(1, %zu) is not zeroed", n);
        free(p);
    }
    errno = 0;
    EXPECT(calloc(SIZE_MAX / 2, 3) == NULL && errno == ENOMEM, "calloc overflow must fail with ENOMEM");
    errno = 0;
    EXPECT(calloc((size_t)1 << 33, (size_t)1 << 33) == NULL && errno == ENOMEM, "calloc overflow must fail with ENOMEM");
}

static void check_realloc(void) {
    // Grow through every tier, then shrink back, keeping the contents.
    size_t steps[] = {1, 16, 100, 1024, 8192, 65536, 262144, 300000, 1 << 22, 40 << 20, 1 << 22, 300000, 100000, 8000, 500, 24, 1};
    unsigned char *p = NULL;
    size_t kept = 0;
    for (size_t i = 0; i < COUNT(steps); i++) {
        size_t n = steps[i];
        unsigned char *q = realloc(p, n);
        EXPECT(q != NULL, "realloc(%p, %zu) returned NULL", (void *)p, n);
        if (!q) return;
        size_t common = kept < n ? kept : n;
        EXPECT(holds(q, common, 3), "realloc to %zu lost the first %zu bytes", n, common);
        EXPECT(aligned(q, 16), "realloc(%zu) not aligned", n);
        fill(q, n, 3);
        p = q; kept = n;
    }
    free(p);
    // realloc(NULL, n) is malloc; realloc(p, 0) frees and returns NULL, as glibc does.
    p = realloc(NULL, 40);
    EXPECT(p != NULL, "realloc(NULL, 40) returned NULL");
    EXPECT(realloc(p, 0) == NULL, "realloc(p, 0) must free p and return NULL, as glibc does");
    // In place: shrinking a little keeps the pointer.
    p = malloc(1000);
    EXPECT(realloc(p, 990) == p, "shrinking 1000 -> 990 bytes should stay in place");
    free(p);
    // Failure leaves the block intact.
    p = malloc(100); fill(p, 100, 9);
    errno = 0;
    EXPECT(realloc(p, SIZE_MAX) == NULL && errno == ENOMEM, "realloc(p, SIZE_MAX) must fail with ENOMEM");
    EXPECT(holds(p, 100, 9), "a failed realloc must leave the block intact");
    free(p);
    // Large blocks grow with mremap: a 64 MiB buffer grown in steps keeps its data.
    p = malloc(1 << 20); fill(p, 1 << 20, 5);
    for (size_t n = 2 << 20; n <= 64 << 20; n *= 2) { p = realloc(p, n); EXPECT(p && holds(p, 1 << 20, 5), "large realloc to %zu lost data", n); }
    free(p);
}

static void check_reallocarray(void) {
    int *p = reallocarray(NULL, 10, sizeof(int));
    EXPECT(p != NULL, "reallocarray(NULL, 10, 4) returned NULL");
    for (int i = 0; i < 10; i++) p[i] = i;
    int *q = reallocarray(p, 1000, sizeof(int));
    EXPECT(q != NULL && q[9] == 9, "reallocarray grow lost data");
    errno = 0;
    EXPECT(reallocarray(q, SIZE_MAX / 2, 4) == NULL && errno == ENOMEM, "reallocarray overflow must fail with ENOMEM");
    EXPECT(q[9] == 9, "failed reallocarray must leave the block intact");
    free(q);
}

static void check_alignment(void) {
    for (size_t a = 1; a <= ((size_t)1 << 20); a <<= 1) {
        size_t request_sizes[] = {0, 1, 24, a, a + 1, 3 * a, 100000};
        for (size_t k = 0; k < COUNT(request_sizes); k++) {
            size_t n = request_sizes[k];
            void *p = NULL;
            if (a >= sizeof(void *)) {
                int r = posix_memalign(&p, a, n);
                EXPECT(r == 0 && p && aligned(p, a), "posix_memalign(%zu, %zu) = %d, %p", a, n, r, p);
                if (p) { memset(p, 1, n); EXPECT(malloc_usable_size(p) >= n, "usable size of posix_memalign(%zu, %zu)", a, n); free(p); }
            }
            p = aligned_alloc(a, n);
            EXPECT(p && aligned(p, a), "aligned_alloc(%zu, %zu) = %p", a, n, p);
            if (p) { memset(p, 2, n); free_aligned_sized(p, a, n); }
            p = memalign(a, n);
            EXPECT(p && aligned(p, a), "memalign(%zu, %zu) = %p", a, n, p);
            if (p) {
                memset(p, 3, n);
                // realloc of an aligned block keeps the contents.
                unsigned char *q = realloc(p, n + 5000);
                EXPECT(q != NULL, "realloc of memalign(%zu, %zu)", a, n);
                int same = 1;
                for (size_t i = 0; i < n && q; i++) if (q[i] != 3) { same = 0; break; }
                EXPECT(same, "realloc of memalign(%zu, %zu) lost data", a, n);
                free(q);
            }
        }
    }
    void *p = (void *)1;
    EXPECT(posix_memalign(&p, 24, 10) == EINVAL && p == (void *)1, "posix_memalign with alignment 24 must return EINVAL");
    EXPECT(posix_memalign(&p, 4, 10) == EINVAL, "posix_memalign with alignment 4 (< sizeof(void*)) must return EINVAL");
    errno = 0;
    EXPECT(aligned_alloc(24, 10) == NULL && errno == EINVAL, "aligned_alloc(24) must fail with EINVAL");
    errno = 0;
    EXPECT(memalign(3, 10) == NULL && errno == EINVAL, "memalign(3) must fail with EINVAL");
    errno = 0;
    EXPECT(aligned_alloc(64, SIZE_MAX) == NULL && errno == ENOMEM, "aligned_alloc(64, SIZE_MAX) must fail with ENOMEM");
    long page = sysconf(_SC_PAGESIZE);
    p = valloc(100);
    EXPECT(p && aligned(p, (size_t)page), "valloc not page-aligned");
    free(p);
    p = pvalloc(100);
    EXPECT(p && aligned(p, (size_t)page) && malloc_usable_size(p) >= (size_t)page, "pvalloc must give a whole page");
    free(p);
}

static void check_free_sized(void) {
    for (size_t i = 0; i < COUNT(sizes); i++) {
        void *p = malloc(sizes[i]);
        free_sized(p, sizes[i]);
    }
    free_sized(NULL, 0);
    EXPECT(1, "free_sized");
}

static long resident_kib(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f) { if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0; fclose(f); }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

// Freed memory goes back to the OS: 256 MiB of small and medium blocks, freed, leave little resident.
static void check_memory_returned(void) {
    enum { blocks = 1 << 20 };
    void **p = calloc(blocks, sizeof(void *));
    long before = resident_kib();
    for (int i = 0; i < blocks; i++) { p[i] = malloc(i % 16 == 0 ? 2048 : 192); memset(p[i], 1, i % 16 == 0 ? 2048 : 192); }
    long full = resident_kib();
    for (int i = 0; i < blocks; i++) free(p[i]);
    long after = resident_kib();
    EXPECT(full - before > 200 * 1024, "filling 300 MiB raised RSS by only %ld KiB", full - before);
    EXPECT(after - before < 48 * 1024, "after freeing everything %ld KiB stay resident (full: %ld KiB)", after - before, full - before);
    free(p);
}

int main(void) {
    if (dlsym(RTLD_DEFAULT, "smm_malloc") == NULL) { printf("SwiftMM is not preloaded\n"); return 100; }
    free_sized = (void (*)(void *, size_t))dlsym(RTLD_DEFAULT, "free_sized");
    free_aligned_sized = (void (*)(void *, size_t, size_t))dlsym(RTLD_DEFAULT, "free_aligned_sized");
    if (!free_sized || !free_aligned_sized) { printf("free_sized or free_aligned_sized is not exported\n"); return 101; }
    check_malloc_and_free();
    check_calloc();
    check_realloc();
    check_reallocarray();
    check_alignment();
    check_free_sized();
    check_memory_returned();
    printf("%d checks, %d failures\n", checks, failures);
    return failures > 99 ? 99 : failures;
}
