// Debug mode: call stacks of allocations and frees.
//
// Swift code may have no unwind tables (or only for some functions), so glibc's backtrace cannot be trusted to
// unwind through SwiftMM's frames. The Swift core keeps frame pointers in every function that calls (the fast paths
// stay frameless: shrink-wrapping puts the frame setup on their slow branch), so SwiftMM's frames are walked by
// frame pointer up to the first frame outside its Swift code: the program's, or a C shim function's (the shim's
// code lies in its own section, `swiftmm_c_text`; it keeps no frame pointers but has unwind tables). From there
// glibc's backtrace unwinds with the DWARF tables, started by an assembly helper whose unwind information names
// that frame as its caller. The frames are printed with backtrace_symbols_fd, which does not allocate.
//
// The first backtrace loads libgcc_s, which allocates: a thread-local flag makes the allocations made while a
// stack is captured skip the capture of their own (they are tracked, with an empty stack).
import SwiftMMShim

enum DebugStacks {
    /// libswiftmm.so's loaded range, and the C shim's code inside it (set at install).
    nonisolated(unsafe) static var ownStart: UInt = 0
    nonisolated(unsafe) static var ownEnd: UInt = 0
    nonisolated(unsafe) static var shimStart: UInt = 0
    nonisolated(unsafe) static var shimEnd: UInt = 0
    static let rawCapacity = 24

    static func prepare() {
        let image = Platform.ownImage()
        ownStart = image.start
        ownEnd = image.end
        shimStart = UInt(bitPattern: swiftmm_shim_c_text_start())
        shimEnd = UInt(bitPattern: swiftmm_shim_c_text_end())
    }

    /// True when `pc` lies in the C shim's code.
    @inline(__always)
    static func isShim(_ pc: UInt) -> Bool { pc >= shimStart && pc < shimEnd }

    @inline(__always)
    static func isOwn(_ address: UInt) -> Bool { address >= ownStart && address < ownEnd }

    /// Walks SwiftMM's Swift frames by frame pointer; returns the canonical frame address and rbp of the first
    /// frame the DWARF unwinder can take (outside SwiftMM's Swift code), nil when the chain looks wrong.
    @inline(never)
    static func callerFrame() -> (cfa: UInt, rbp: UInt)? {
        var fp = Platform.framePointer()
        for _ in 0..<64 {
            guard fp != 0, fp & 7 == 0, let frame = UnsafeRawPointer(bitPattern: fp) else { return nil }
            let returnAddress = frame.load(fromByteOffset: 8, as: UInt.self)
            let saved = frame.load(as: UInt.self)
            if !isOwn(returnAddress) || isShim(returnAddress &- 1) { return (fp &+ 16, saved) }
            // Frames of the same stack lie above one another.
            guard saved > fp, saved &- fp < 1 &<< 20 else { return nil }
            fp = saved
        }
        return nil
    }

    /// Captures the calling thread's stack, without SwiftMM's frames, into `out` (room for
    /// `DebugLayout.maxFrames`); returns the number of frames kept. 0 while the thread is already capturing.
    static func capture(_ out: RawPointer) -> Int {
        let busy = swiftmm_shim_debug_busy()
        if busy & DebugBusy.capturing != 0 { return 0 }
        guard let caller = callerFrame() else { return 0 }
        swiftmm_shim_set_debug_busy(busy | DebugBusy.capturing)
        let savedErrno = swiftmm_shim_errno()
        var raw: (UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt,
                  UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt)
            = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let kept = withUnsafeMutableBytes(of: &raw) { buffer -> Int in
            let frames = buffer.baseAddress.unsafelyUnwrapped
            let count = Platform.backtrace(from: caller.cfa, rbp: caller.rbp,
                                           frames.assumingMemoryBound(to: UnsafeMutableRawPointer?.self), rawCapacity)
            var first = 0
            while first < count && isOwn(frames.load(fromByteOffset: first &* 8, as: UInt.self)) { first &+= 1 }
            let n = max(min(count &- first, DebugLayout.maxFrames), 0)
            for i in 0..<n {
                out.storeBytes(of: frames.load(fromByteOffset: (first &+ i) &* 8, as: UInt.self), toByteOffset: i &* 8, as: UInt.self)
            }
            return n
        }
        swiftmm_shim_set_errno(savedErrno)
        swiftmm_shim_set_debug_busy(busy)
        return kept
    }

    /// Prints `count` frames from `frames`, one a line, indented.
    static func print(_ frames: UnsafeRawPointer, _ count: Int, _ out: inout Output) {
        if count == 0 {
            out.text("    (no stack: captured while SwiftMM was capturing another, or not found)\n")
            return
        }
        for i in 0..<count {
            out.text("    ")
            out.flush()
            Platform.printCodeAddress(frames.load(fromByteOffset: i &* 8, as: UInt.self), out.fd)
        }
    }
}

/// A stack captured now, held on the stack of the reporting code.
struct DebugCurrentStack {
    var frames: DebugFrames = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var count = 0
    var thread: Int32 = 0

    static func capture() -> DebugCurrentStack {
        var s = DebugCurrentStack()
        s.count = withUnsafeMutableBytes(of: &s.frames) { DebugStacks.capture($0.baseAddress.unsafelyUnwrapped) }
        s.thread = DebugThreads.current()
        return s
    }
}

/// Bits of the thread-local `swiftmm_tls_debug_busy`.
enum DebugBusy {
    /// The thread captures a stack: allocations meanwhile capture none.
    static let capturing: Int32 = 1
    /// The thread passes a pointer to a manager installed earlier: if it comes back, it is reported.
    static let forwarding: Int32 = 2
}

enum DebugThreads {
    /// The calling thread's kernel id, from its heap when it has one (no system call).
    static func current() -> Int32 {
        if let own = ExtendedThreads.ownHeap(), own.state.pointee.threadID != 0 {
            return Int32(truncatingIfNeeded: own.state.pointee.threadID)
        }
        return Int32(truncatingIfNeeded: Platform.threadID())
    }
}
