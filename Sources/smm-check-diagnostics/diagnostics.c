// Known allocations for the diagnostics tests, run with libswiftmm.so preloaded. It prints what SwiftMM's
// state and status report for them, registers one block as an expected leak, and leaves the others alive so
// that the leak report at exit (SMM_REPORT_LEAKS=1) has known contents.
//   10 x 100 B (class 112), 3 x 5000 B (class 5120), 2 x 20000 B (medium, class 20480), 1 x 1 MiB (large),
//   and 1 x 777 B registered as expected.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "swiftmm.h"

#define BIND(name) __typeof__(name) *p_##name = (__typeof__(name) *)dlsym(RTLD_DEFAULT, #name); if (!p_##name) { printf("missing %s\n", #name); return 100; }

static void *keep[32];

int main(int argc, char **argv) {
    BIND(smm_state); BIND(smm_heap_status); BIND(smm_memory_map); BIND(smm_register_expected_leak); BIND(smm_unregister_expected_leak);
    static smm_state_t before, after;
    p_smm_state(&before);
    int k = 0;
    for (int i = 0; i < 10; i++) { keep[k] = malloc(100); memset(keep[k++], 1, 100); }
    for (int i = 0; i < 3; i++) { keep[k] = malloc(5000); memset(keep[k++], 2, 5000); }
    for (int i = 0; i < 2; i++) { keep[k] = malloc(20000); memset(keep[k++], 3, 20000); }
    keep[k++] = malloc(1 << 20);
    void *expected = malloc(777);
    void *withdrawn = malloc(40000);
    printf("register expected: %d\n", p_smm_register_expected_leak(expected));
    printf("register withdrawn: %d then unregister: %d\n", p_smm_register_expected_leak(withdrawn), p_smm_unregister_expected_leak(withdrawn));
    printf("register foreign: %d\n", p_smm_register_expected_leak((void *)&before));
    p_smm_state(&after);
    for (int c = 0; c < SMM_CLASS_COUNT; c++) {
        long delta = (long)after.classes[c].blocks_allocated - (long)before.classes[c].blocks_allocated;
        if (delta != 0) printf("class %llu: %+ld blocks\n", (unsigned long long)after.classes[c].block_size, delta);
    }
    printf("large: %+ld blocks\n", (long)after.large_total.blocks_allocated - (long)before.large_total.blocks_allocated);
    smm_heap_status_t status;
    p_smm_heap_status(&status);
    printf("status consistent: %d\n", status.reserved >= status.committed && status.committed >= status.allocated && status.peak_use >= status.current_use && status.allocated == after.allocated);
    size_t regions = p_smm_memory_map(NULL, 0);
    smm_region_t *map = calloc(regions + 16, sizeof *map);
    size_t listed = p_smm_memory_map(map, regions + 16);
    int large_found = 0;
    for (size_t i = 0; i < listed && i < regions + 16; i++)
        if (map[i].tier == SMM_TIER_LARGE && map[i].address == (uint64_t)(uintptr_t)keep[15]) large_found = 1;
    printf("memory map lists the large block: %d\n", large_found);
    free(map);
    if (argc > 1 && strcmp(argv[1], "--free-all") == 0) {
        for (int i = 0; i < k; i++) free(keep[i]);
        free(withdrawn);
    }
    return 0;
}
