// Static data and variadic-call wrappers that Swift cannot express. No allocator logic lives here.
#define _GNU_SOURCE
#include "swiftmm_shim.h"
#include <sys/prctl.h>
#include <link.h>
#include <dlfcn.h>

// The C shim's functions go in their own section (see swiftmm_c_text in swiftmm_shim.h).
#pragma clang section text = "swiftmm_c_text"

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

// The empty page: no free block, so every allocation through it takes the slow path.
static uint64_t swiftmm_empty_page[32] __attribute__((aligned(64)));

// The heap every thread starts on. Its direct table points at the empty page; the rest is zero. It owns no page,
// so it needs none of the 4 KiB alignment of real heaps (whose address shares Page.owner with flag bits): packed
// with the other data, it costs the process one resident page less.
void *swiftmm_empty_heap[SMM_HEAP_BYTES / sizeof(void *)] __attribute__((aligned(64))) = {
    [0 ... SMM_DIRECT_ENTRIES - 1] = swiftmm_empty_page,
};

__thread void *swiftmm_tls_heap __attribute__((tls_model("initial-exec"))) = swiftmm_empty_heap;

uint8_t swiftmm_segment_map[1u << 25];

void *swiftmm_shim_mremap(void *old, size_t old_size, size_t new_size, int flags, void *new_address) {
    return mremap(old, old_size, new_size, flags, new_address);
}

int swiftmm_shim_name_region(void *addr, size_t size, const char *name) {
    return prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)addr, size, (unsigned long)name);
}

long swiftmm_shim_gettid(void) { return syscall(SYS_gettid); }

void swiftmm_shim_clock_monotonic_syscall(struct timespec *t) { syscall(SYS_clock_gettime, CLOCK_MONOTONIC, t); }

void swiftmm_shim_yield(void) { syscall(SYS_sched_yield); }

int swiftmm_shim_open_append(const char *path) { return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644); }

// Extended API (issue 6).
__thread void *swiftmm_tls_own_heap __attribute__((tls_model("initial-exec"))) = NULL;

int swiftmm_shim_memfd(const char *name) { return (int)syscall(SYS_memfd_create, name, 1u /* MFD_CLOEXEC */); }

int swiftmm_shim_open_read(const char *path) { return open(path, O_RDONLY | O_CLOEXEC); }

// Live state (smm state PID): the anchor the reader finds by its symbol. The core fills in the rest once.
smm_live_anchor_t smm_live_anchor = {
    .magic = SMM_LIVE_MAGIC, .layout_version = SMM_LIVE_LAYOUT_VERSION, .anchor_size = sizeof(smm_live_anchor_t),
};

struct swiftmm_image_visit { void (*visit)(uintptr_t, uintptr_t, const char *, void *); void *context; };

static int swiftmm_visit_image(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct swiftmm_image_visit *v = data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *h = &info->dlpi_phdr[i];
        if (h->p_type == PT_LOAD) v->visit(info->dlpi_addr + h->p_vaddr, info->dlpi_addr + h->p_vaddr + h->p_memsz, info->dlpi_name, v->context);
    }
    return 0;
}

void swiftmm_shim_each_image_segment(void (*visit)(uintptr_t, uintptr_t, const char *, void *), void *context) {
    struct swiftmm_image_visit v = { visit, context };
    dl_iterate_phdr(swiftmm_visit_image, &v);
}

void *swiftmm_shim_global_symbol(const char *symbol) {
    return dlsym(RTLD_DEFAULT, symbol);
}

// Debug mode (SMM_DEBUG=1).
__thread int swiftmm_tls_debug_busy __attribute__((tls_model("initial-exec"))) = 0;

// rbp at the call: the caller's frame pointer.
__asm__(
    ".section swiftmm_c_text,\"ax\",@progbits\n"
    ".globl swiftmm_shim_frame_pointer\n"
    ".hidden swiftmm_shim_frame_pointer\n"
    ".type swiftmm_shim_frame_pointer, @function\n"
    "swiftmm_shim_frame_pointer:\n"
    "    .cfi_startproc\n"
    "    movq %rbp, %rax\n"
    "    ret\n"
    "    .cfi_endproc\n"
    ".size swiftmm_shim_frame_pointer, .-swiftmm_shim_frame_pointer\n");

// backtrace() called with unwind information that makes the unwinder continue in the frame at `cfa` instead of in
// the caller: CFA = the saved cfa, return address at CFA - 8 (the CIE's rule), rbp = the saved rbp.
__asm__(
    ".section swiftmm_c_text,\"ax\",@progbits\n"
    ".globl swiftmm_shim_backtrace_from\n"
    ".hidden swiftmm_shim_backtrace_from\n"
    ".type swiftmm_shim_backtrace_from, @function\n"
    "swiftmm_shim_backtrace_from:\n"
    "    .cfi_startproc\n"
    "    subq $24, %rsp\n"
    "    .cfi_def_cfa_offset 32\n"
    "    movq %rdx, 0(%rsp)\n"
    "    movq %rcx, 8(%rsp)\n"
    "    .cfi_escape 0x0f, 0x03, 0x77, 0x00, 0x06\n"   /* DW_CFA_def_cfa_expression: DW_OP_breg7 0; DW_OP_deref */
    "    .cfi_escape 0x10, 0x06, 0x02, 0x77, 0x08\n"   /* DW_CFA_expression rbp: DW_OP_breg7 8 */
    "    call backtrace@PLT\n"
    "    addq $24, %rsp\n"
    "    .cfi_def_cfa %rsp, 8\n"
    "    .cfi_same_value %rbp\n"
    "    ret\n"
    "    .cfi_endproc\n"
    ".size swiftmm_shim_backtrace_from, .-swiftmm_shim_backtrace_from\n");
