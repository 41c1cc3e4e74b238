// The standard allocation names, each a one-line forward to SwiftMM's smm_* function (malloc and free excepted:
// see below).
// The semantics (errno, overflow, alignment) live in the Swift core; nothing here decides anything,
// except C++'s throwing operator new, which must call the new-handler and throw std::bad_alloc (cxx.c).
#include <stddef.h>
#include <malloc.h>
#include "swiftmm.h"

// The C shim's functions go in their own section (see swiftmm_c_text in swiftmm_shim.h).
#pragma clang section text = "swiftmm_c_text"

#define SMM_EXPORT __attribute__((visibility("default")))

// malloc and free are not here: the linker makes them other names of smm_malloc and smm_free (--defsym in
// Package.swift), which spares the jump a forward costs on the two hottest calls.
SMM_EXPORT void *calloc(size_t c, size_t n) { return smm_calloc(c, n); }
SMM_EXPORT void *realloc(void *p, size_t n) { return smm_realloc(p, n); }
SMM_EXPORT void *reallocarray(void *p, size_t c, size_t n) { return smm_reallocarray(p, c, n); }
SMM_EXPORT int posix_memalign(void **r, size_t a, size_t n) { return smm_posix_memalign(r, a, n); }
SMM_EXPORT void *aligned_alloc(size_t a, size_t n) { return smm_aligned_alloc(a, n); }
SMM_EXPORT void *memalign(size_t a, size_t n) { return smm_memalign(a, n); }
SMM_EXPORT void *valloc(size_t n) { return smm_valloc(n); }
SMM_EXPORT void *pvalloc(size_t n) { return smm_pvalloc(n); }
SMM_EXPORT size_t malloc_usable_size(void *p) { return smm_malloc_usable_size(p); }
SMM_EXPORT void free_sized(void *p, size_t n) { smm_free_sized(p, n); }
SMM_EXPORT void free_aligned_sized(void *p, size_t a, size_t n) { smm_free_aligned_sized(p, a, n); }
SMM_EXPORT void cfree(void *p) { smm_free(p); }

// glibc's internal names, which some programs and libraries call directly.
SMM_EXPORT void *__libc_malloc(size_t n) { return smm_malloc(n); }
SMM_EXPORT void __libc_free(void *p) { smm_free(p); }
SMM_EXPORT void *__libc_calloc(size_t c, size_t n) { return smm_calloc(c, n); }
SMM_EXPORT void *__libc_realloc(void *p, size_t n) { return smm_realloc(p, n); }
SMM_EXPORT void *__libc_memalign(size_t a, size_t n) { return smm_memalign(a, n); }
SMM_EXPORT void *__libc_valloc(size_t n) { return smm_valloc(n); }
SMM_EXPORT void *__libc_pvalloc(size_t n) { return smm_pvalloc(n); }

// C++ operator new and delete, every form. std::align_val_t and std::size_t are both size_t here.
void *swiftmm_cxx_new(size_t n);
void *swiftmm_cxx_new_aligned(size_t n, size_t a);

SMM_EXPORT void *_Znwm(size_t n) { return swiftmm_cxx_new(n); }
SMM_EXPORT void *_Znam(size_t n) { return swiftmm_cxx_new(n); }
SMM_EXPORT void *_ZnwmRKSt9nothrow_t(size_t n, const void *t) { (void)t; return smm_malloc(n); }
SMM_EXPORT void *_ZnamRKSt9nothrow_t(size_t n, const void *t) { (void)t; return smm_malloc(n); }
SMM_EXPORT void *_ZnwmSt11align_val_t(size_t n, size_t a) { return swiftmm_cxx_new_aligned(n, a); }
SMM_EXPORT void *_ZnamSt11align_val_t(size_t n, size_t a) { return swiftmm_cxx_new_aligned(n, a); }
SMM_EXPORT void *_ZnwmSt11align_val_tRKSt9nothrow_t(size_t n, size_t a, const void *t) { (void)t; return smm_aligned_alloc(a, n); }
SMM_EXPORT void *_ZnamSt11align_val_tRKSt9nothrow_t(size_t n, size_t a, const void *t) { (void)t; return smm_aligned_alloc(a, n); }

SMM_EXPORT void _ZdlPv(void *p) { smm_free(p); }
SMM_EXPORT void _ZdaPv(void *p) { smm_free(p); }
SMM_EXPORT void _ZdlPvm(void *p, size_t n) { smm_free_sized(p, n); }
SMM_EXPORT void _ZdaPvm(void *p, size_t n) { smm_free_sized(p, n); }
SMM_EXPORT void _ZdlPvSt11align_val_t(void *p, size_t a) { (void)a; smm_free(p); }
SMM_EXPORT void _ZdaPvSt11align_val_t(void *p, size_t a) { (void)a; smm_free(p); }
SMM_EXPORT void _ZdlPvmSt11align_val_t(void *p, size_t n, size_t a) { smm_free_aligned_sized(p, a, n); }
SMM_EXPORT void _ZdaPvmSt11align_val_t(void *p, size_t n, size_t a) { smm_free_aligned_sized(p, a, n); }
SMM_EXPORT void _ZdlPvRKSt9nothrow_t(void *p, const void *t) { (void)t; smm_free(p); }
SMM_EXPORT void _ZdaPvRKSt9nothrow_t(void *p, const void *t) { (void)t; smm_free(p); }
SMM_EXPORT void _ZdlPvSt11align_val_tRKSt9nothrow_t(void *p, size_t a, const void *t) { (void)a; (void)t; smm_free(p); }
SMM_EXPORT void _ZdaPvSt11align_val_tRKSt9nothrow_t(void *p, size_t a, const void *t) { (void)a; (void)t; smm_free(p); }
