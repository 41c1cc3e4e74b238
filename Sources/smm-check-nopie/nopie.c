// A program built without PIE that takes malloc's and free's addresses, as older or distribution-built
// executables do (Debian's python3, for one). The dynamic linker then gives each name one canonical address
// for the whole process; it must be the one the preloaded library's own references see, with no warning.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    // Absolute references from code, as non-PIC compilers emit for `&malloc`: the link gives the executable a
    // canonical PLT entry for each name, which every other object in the process must then use too.
    void *(*allocate)(size_t);
    void (*release)(void *);
    __asm__("movq $malloc, %0" : "=r"(allocate));
    __asm__("movq $free, %0" : "=r"(release));
    void *block = allocate(64);
    release(block);
    int same = (void *)allocate == dlsym(RTLD_DEFAULT, "malloc") && (void *)release == dlsym(RTLD_DEFAULT, "free");
    printf("%s\n", same ? "one address for malloc and free" : "malloc or free has two addresses");
    return same ? 0 : 1;
}
