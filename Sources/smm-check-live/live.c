// A running process with known allocations for the `smm state PID` tests, run with libswiftmm.so preloaded.
// It allocates 10 x 100 B (class 112), 3 x 5000 B (class 5120), 2 x 20000 B (medium, class 20480) and 1 x 1 MiB
// (large), prints the counts of those classes before and after, its own figures from smm_state and
// smm_heap_status, and "ready"; then it blocks reading stdin, allocating nothing more, until stdin closes.
// Output goes through write(2) from static buffers, so that reporting allocates nothing.
// With --churn, a thread then allocates and frees blocks of every tier without pause until stdin closes, so that
// the reader meets heaps that change under it.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "swiftmm.h"

#define BIND(name) __typeof__(name) *p_##name = (__typeof__(name) *)dlsym(RTLD_DEFAULT, #name); if (!p_##name) { say("missing %s\n", #name); return 100; }

static char line[512];
static void *keep[32];
static smm_state_t before, after;

#define say(...) do { int n_ = snprintf(line, sizeof line, __VA_ARGS__); if (write(1, line, (size_t)n_) < 0) _exit(101); } while (0)

static void row(const char *name, const smm_class_state_t *c) {
    say("%s %d %llu %llu %llu %llu %llu\n", name, c->class_index, (unsigned long long)c->block_size,
        (unsigned long long)c->blocks_allocated, (unsigned long long)c->bytes_allocated,
        (unsigned long long)c->bytes_reserved, (unsigned long long)c->bytes_committed);
}

static atomic_int stop, started;

/// Allocates and frees blocks from 16 B to 2 MiB, keeping up to 256 alive, until `stop`.
static void *churn(void *arg) {
    (void)arg;
    static void *slots[256];
    uint64_t s = 0x9E3779B97F4A7C15ull;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        unsigned i = (unsigned)(s & 255);
        free(slots[i]);
        unsigned kind = (unsigned)(s >> 8) % 100;
        size_t size = kind < 90 ? 16 + (s >> 16) % 2000 : kind < 99 ? 4096 + (s >> 16) % 200000 : 300000 + (s >> 16) % 1800000;
        slots[i] = malloc(size);
        if (slots[i]) memset(slots[i], 5, size < 64 ? size : 64);
        atomic_store_explicit(&started, 1, memory_order_release);
    }
    for (int i = 0; i < 256; i++) free(slots[i]);
    return NULL;
}

int main(int argc, char **argv) {
    int churning = argc > 1 && strcmp(argv[1], "--churn") == 0;
    BIND(smm_state); BIND(smm_heap_status);
    p_smm_state(&before);
    int k = 0;
    for (int i = 0; i < 10; i++) { keep[k] = malloc(100); memset(keep[k++], 1, 100); }
    for (int i = 0; i < 3; i++) { keep[k] = malloc(5000); memset(keep[k++], 2, 5000); }
    for (int i = 0; i < 2; i++) { keep[k] = malloc(20000); memset(keep[k++], 3, 20000); }
    void *large = malloc(1 << 20);
    memset(large, 4, 1 << 20);
    p_smm_state(&after);
    smm_heap_status_t status;
    p_smm_heap_status(&status);
    for (int c = 0; c < SMM_CLASS_COUNT; c++) {
        if (after.classes[c].bytes_reserved == 0 && before.classes[c].bytes_reserved == 0) continue;
        say("before %llu %llu\n", (unsigned long long)before.classes[c].block_size, (unsigned long long)before.classes[c].blocks_allocated);
        row("class", &after.classes[c]);
    }
    say("before large %llu\n", (unsigned long long)before.large_total.blocks_allocated);
    row("total-small", &after.small_total);
    row("total-medium", &after.medium_total);
    row("total-large", &after.large_total);
    say("state %llu %llu\n", (unsigned long long)after.allocated, (unsigned long long)after.committed);
    say("status %llu %llu %llu %llu %llu %llu %llu\n", (unsigned long long)status.reserved, (unsigned long long)status.committed,
        (unsigned long long)status.allocated, (unsigned long long)status.free, (unsigned long long)status.overhead,
        (unsigned long long)status.current_use, (unsigned long long)status.peak_use);
    say("large-block %llu\n", (unsigned long long)(uintptr_t)large);
    pthread_t thread;
    if (churning) {
        if (pthread_create(&thread, NULL, churn, NULL) != 0) { say("no thread\n"); return 102; }
        while (!atomic_load_explicit(&started, memory_order_acquire)) sched_yield();   // it has a heap of its own
    }
    say("ready\n");
    char c;
    while (read(0, &c, 1) > 0) {}
    if (churning) { atomic_store(&stop, 1); pthread_join(thread, NULL); }
    for (int i = 0; i < k; i++) free(keep[i]);
    free(large);
    return 0;
}
