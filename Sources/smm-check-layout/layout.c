// Run by LibraryLayoutTests with libswiftmm.so preloaded: allocates, reallocates and frees as plain programs do, in
// two threads and then in the main thread, and prints which pages of libswiftmm.so's code mapping are present in
// this process, one line per executable mapping:
//     mapping <first address, hex> <pages: '#' present, '.' not>
// The test checks that none of them is a page of the code no ordinary program runs (hot-text.ld).
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *work(void *arg) {
    enum { count = 2000 };
    void *blocks[count];
    for (int round = 0; round < 40; round++) {
        for (int i = 0; i < count; i++) blocks[i] = malloc((size_t)(i * 37 % 3000) + 1);
        for (int i = 0; i < count; i += 3) blocks[i] = realloc(blocks[i], (size_t)(i % 500) + 700);
        for (int i = 0; i < count; i++) free(blocks[i]);
    }
    char *large = malloc(1 << 20);
    if (large) memset(large, 1, 1 << 20);
    char *larger = realloc(large, 3 << 20);
    free(larger ? larger : large);
    free(calloc(100, 40));
    return arg;
}

int main(void) {
    pthread_t threads[2];
    for (int i = 0; i < 2; i++) if (pthread_create(&threads[i], NULL, work, NULL) != 0) return 2;
    for (int i = 0; i < 2; i++) pthread_join(threads[i], NULL);
    usleep(120000);       // past the purge delay: the next slow paths purge
    work(NULL);

    FILE *maps = fopen("/proc/self/maps", "r");
    int pagemap = open("/proc/self/pagemap", O_RDONLY);
    if (!maps || pagemap < 0) { fprintf(stderr, "cannot read /proc/self/maps or pagemap\n"); return 3; }
    char line[512];
    int found = 0;
    while (fgets(line, sizeof line, maps)) {
        unsigned long start, end;
        char perms[5];
        if (!strstr(line, "libswiftmm.so") || sscanf(line, "%lx-%lx %4s", &start, &end, perms) != 3) continue;
        if (strcmp(perms, "r-xp") != 0) continue;
        printf("mapping %lx ", start);
        for (unsigned long page = start; page < end; page += 4096) {
            uint64_t entry = 0;
            if (pread(pagemap, &entry, sizeof entry, (off_t)(page / 4096 * sizeof entry)) != sizeof entry) return 3;
            putchar(entry >> 63 ? '#' : '.');
        }
        putchar('\n');
        found = 1;
    }
    return found ? 0 : 4;
}
