// Part of the platform layer: the monotonic clock, read through the kernel's vDSO without libc's clock_gettime.
//
// Why not libc's: the kernel maps a file's pages into a process 64 KiB at a time around each page fault
// ("fault-around"), and peak RSS counts them. libc's clock_gettime and sched_yield each sit in a 64 KiB window of
// libc's code that a program on glibc's malloc seldom touches, so calling them cost the process up to 64 KiB of
// resident memory each (pthread_atfork, which the fork hooks need, still does). The vDSO's own function is as
// fast (no system call), and finding it touches only the vDSO and libc's getauxval, which lies beside mmap and
// madvise; sched_yield goes through syscall, beside them too (Platform.yield).
import SwiftMMShim
import Synchronization

enum MonotonicClock {
    private typealias ClockFunction = @convention(c) (Int32, UnsafeMutablePointer<timespec>?) -> Int32

    /// 0 before the first reading; `useSystemCall` when the vDSO has no clock (valgrind hides it); else the
    /// address of the vDSO's clock_gettime. Threads that race on the first reading store the same value.
    private static let entry = Atomic<UInt>(0)
    private static let useSystemCall: UInt = 1

    /// Nanoseconds of CLOCK_MONOTONIC.
    static func nanoseconds() -> UInt64 {
        var function = entry.load(ordering: .relaxed)
        if function == 0 {
            function = vdsoFunction(named: "__vdso_clock_gettime") ?? useSystemCall
            entry.store(function, ordering: .relaxed)
        }
        var t = timespec()
        if function == useSystemCall || unsafeBitCast(function, to: ClockFunction.self)(CLOCK_MONOTONIC, &t) != 0 {
            swiftmm_shim_clock_monotonic_syscall(&t)
        }
        return UInt64(t.tv_sec) &* 1_000_000_000 &+ UInt64(t.tv_nsec)
    }

    /// The address of the function `name` in the vDSO, from its dynamic symbol table (sized by DT_HASH);
    /// nil when the process has no vDSO, or it lacks the table or the function.
    static func vdsoFunction(named name: StaticString) -> UInt? {
        guard let vdso = MappedELF(at: UInt(getauxval(UInt(AT_SYSINFO_EHDR)))),
              let dynamic = vdso.programHeaders.first(where: { $0.p_type == UInt32(PT_DYNAMIC) }),
              var tag = UnsafePointer<Elf64_Dyn>(bitPattern: vdso.bias &+ UInt(dynamic.p_vaddr)) else { return nil }
        let bias = vdso.bias
        var symbols: UInt = 0, strings: UInt = 0, hash: UInt = 0
        while tag.pointee.d_tag != Int64(DT_NULL) {
            let value = UInt(tag.pointee.d_un.d_ptr)
            switch tag.pointee.d_tag {
            case Int64(DT_SYMTAB): symbols = bias &+ value
            case Int64(DT_STRTAB): strings = bias &+ value
            case Int64(DT_HASH): hash = bias &+ value
            default: break
            }
            tag += 1
        }
        guard let table = UnsafePointer<Elf64_Sym>(bitPattern: symbols), strings != 0,
              let hashTable = UnsafePointer<UInt32>(bitPattern: hash) else { return nil }
        let count = Int(hashTable[1])        // nchain: the number of symbols
        for i in 0..<count {
            let symbol = table[i]
            guard symbol.st_info & 0xF == UInt8(STT_FUNC), symbol.st_shndx != UInt16(SHN_UNDEF), symbol.st_value != 0,
                  let text = UnsafePointer<UInt8>(bitPattern: strings &+ UInt(symbol.st_name)) else { continue }
            if sameName(text, name) { return bias &+ UInt(symbol.st_value) }
        }
        return nil
    }

    /// True when the NUL-terminated `text` spells `name`.
    private static func sameName(_ text: UnsafePointer<UInt8>, _ name: StaticString) -> Bool {
        name.withUTF8Buffer { expected in
            for i in 0..<expected.count where text[i] != expected[i] { return false }
            return text[expected.count] == 0
        }
    }
}
