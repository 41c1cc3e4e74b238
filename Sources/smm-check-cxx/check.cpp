// Behaviour checks of C++ operator new and delete in every form, run with libswiftmm.so preloaded.
// Exit status: number of failures; 100 when SwiftMM is not the process's allocator.
#include <dlfcn.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <vector>

static size_t (*usable_size)(void *);

static int failures = 0, checks = 0;
#define EXPECT(cond, what) do { checks++; if (!(cond)) { failures++; std::printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, what); } } while (0)

struct alignas(64) Wide { char bytes[64]; };
struct alignas(4096) Paged { char bytes[100]; };

static bool owned(void *p) { return usable_size(p) > 0; }

int main() {
    usable_size = reinterpret_cast<size_t (*)(void *)>(dlsym(RTLD_DEFAULT, "smm_malloc_usable_size"));
    if (!usable_size) { std::printf("SwiftMM is not preloaded\n"); return 100; }

    int *one = new int(7);                       EXPECT(owned(one) && *one == 7, "new int");
    delete one;
    int *many = new int[1000]();                 EXPECT(owned(many) && many[999] == 0, "new int[]");
    delete[] many;
    int *quiet = new (std::nothrow) int(1);      EXPECT(owned(quiet), "new (nothrow)");
    delete quiet;
    int *quietArray = new (std::nothrow) int[10]; EXPECT(owned(quietArray), "new[] (nothrow)");
    delete[] quietArray;
    Wide *wide = new Wide;                       EXPECT(reinterpret_cast<uintptr_t>(wide) % 64 == 0 && owned(wide), "aligned new");
    delete wide;
    Wide *wides = new Wide[33];                  EXPECT(reinterpret_cast<uintptr_t>(wides) % 64 == 0, "aligned new[]");
    delete[] wides;
    Paged *paged = new Paged;                    EXPECT(reinterpret_cast<uintptr_t>(paged) % 4096 == 0, "4096-aligned new");
    delete paged;
    Paged *pagedQuiet = new (std::nothrow) Paged; EXPECT(reinterpret_cast<uintptr_t>(pagedQuiet) % 4096 == 0, "aligned nothrow new");
    delete pagedQuiet;

    // Sized delete, explicitly.
    void *s = ::operator new(100);               EXPECT(owned(s), "operator new(100)");
    ::operator delete(s, 100);
    void *sa = ::operator new[](200);
    ::operator delete[](sa, 200);
    void *al = ::operator new(100, std::align_val_t(256)); EXPECT(reinterpret_cast<uintptr_t>(al) % 256 == 0, "operator new aligned");
    ::operator delete(al, 100, std::align_val_t(256));
    void *ala = ::operator new[](100, std::align_val_t(512));
    ::operator delete[](ala, std::align_val_t(512));
    void *aln = ::operator new(100, std::align_val_t(128), std::nothrow);
    ::operator delete(aln, std::align_val_t(128), std::nothrow);
    void *plainNothrow = ::operator new(10, std::nothrow);
    ::operator delete(plainNothrow, std::nothrow);
    void *arrayNothrow = ::operator new[](10, std::nothrow);
    ::operator delete[](arrayNothrow, std::nothrow);

    // An impossible request throws std::bad_alloc; the nothrow form returns null.
    bool threw = false;
    try { volatile size_t huge = SIZE_MAX / 2; void *p = ::operator new(huge); ::operator delete(p); } catch (const std::bad_alloc &) { threw = true; }
    EXPECT(threw, "operator new(SIZE_MAX/2) throws std::bad_alloc");
    volatile size_t huge = SIZE_MAX / 2;
    EXPECT(::operator new(huge, std::nothrow) == nullptr, "nothrow new of SIZE_MAX/2 returns null");

    // The standard library on top.
    std::map<std::string, std::vector<int>> table;
    for (int i = 0; i < 20000; i++) table["key" + std::to_string(i % 500)].push_back(i);
    size_t total = 0;
    for (auto &entry : table) total += entry.second.size();
    EXPECT(total == 20000, "std::map of vectors");
    auto shared = std::make_shared<std::string>(1000, 'x');
    EXPECT(shared->size() == 1000 && owned(shared->data()), "make_shared string");

    std::printf("%d checks, %d failures\n", checks, failures);
    return failures > 99 ? 99 : failures;
}
