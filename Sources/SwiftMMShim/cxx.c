// C++'s throwing operator new: on failure it calls the installed new-handler and retries, and throws
// std::bad_alloc when there is none. Swift cannot throw C++ exceptions, so this sits in C. The C++ runtime
// symbols are weak: a process without libstdc++ never reaches operator new.
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>
#include "swiftmm.h"

// The C shim's functions go in their own section (see swiftmm_c_text in swiftmm_shim.h).
#pragma clang section text = "swiftmm_c_text"

typedef void (*swiftmm_new_handler)(void);
extern swiftmm_new_handler _ZSt15get_new_handlerv(void) __attribute__((weak));
extern void *__cxa_allocate_exception(size_t) __attribute__((weak));
extern void __cxa_throw(void *, void *, void (*)(void *)) __attribute__((weak));
extern char _ZTISt9bad_alloc[] __attribute__((weak));
extern char _ZTVSt9bad_alloc[] __attribute__((weak));
extern void _ZNSt9bad_allocD1Ev(void *) __attribute__((weak));

static void swiftmm_throw_bad_alloc(void) {
    if (__cxa_allocate_exception && __cxa_throw && _ZTISt9bad_alloc && _ZTVSt9bad_alloc) {
        void **exception = __cxa_allocate_exception(sizeof(void *));
        *exception = _ZTVSt9bad_alloc + 2 * sizeof(void *);   // the vtable's address point
        __cxa_throw(exception, _ZTISt9bad_alloc, _ZNSt9bad_allocD1Ev);
    }
    static const char message[] = "swiftmm: operator new: out of memory and no C++ runtime to throw std::bad_alloc\n";
    ssize_t ignored = write(2, message, sizeof message - 1);
    (void)ignored;
    abort();
}

/// Calls the new-handler if there is one (it may free memory, then we retry); otherwise throws.
static void swiftmm_new_failed(void) {
    swiftmm_new_handler handler = _ZSt15get_new_handlerv ? _ZSt15get_new_handlerv() : NULL;
    if (handler == NULL) swiftmm_throw_bad_alloc();
    else handler();
}

void *swiftmm_cxx_new(size_t n) {
    void *p;
    while ((p = smm_malloc(n)) == NULL) swiftmm_new_failed();
    return p;
}

void *swiftmm_cxx_new_aligned(size_t n, size_t a) {
    void *p;
    while ((p = smm_aligned_alloc(a, n)) == NULL) swiftmm_new_failed();
    return p;
}
