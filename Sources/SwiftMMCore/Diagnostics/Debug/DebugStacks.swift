// Debug mode: call stacks of allocations and frees.
//
// Swift code has no unwind tables (only .debug_frame, which is not loaded), so glibc's backtrace cannot unwind
// through SwiftMM's frames. The Swift core keeps frame pointers in every function that calls (the fast paths
// stay frameless: shrink-wrapping puts the frame setup on their slow branch), so SwiftMM's frames are walked by
// frame pointer up to the first frame outside its Swift code: the program's (or a C shim function's, which has
// unwind tables). From there glibc's backtrace unwinds with the DWARF tables, started by an assembly helper
// whose unwind information names that frame as its caller. The frames are printed with backtrace_symbols_fd,
// which does not allocate.
//
// The first backtrace loads libgcc_s, which allocates: a thread-local flag makes the allocations made while a
// stack is captured skip the capture of their own (they are tracked, with an empty stack).
import SwiftMMShim

enum DebugStacks {
    /// libswiftmm.so's loaded range (set at install).
    nonisolated(unsafe) static var ownStart: UInt = 0
    nonisolated(unsafe) static var ownEnd: UInt = 0
    /// Its .eh_frame_hdr search table (initial location, FDE), both relative to `unwindIndex`; 0 when unusable.
    nonisolated(unsafe) static var unwindIndex: UInt = 0
    nonisolated(unsafe) static var unwindTable: UInt = 0
    nonisolated(unsafe) static var unwindCount = 0
    static let rawCapacity = 24

    static func prepare() {
        let image = Platform.ownImage()
        ownStart = image.start
        ownEnd = image.end
        // .eh_frame_hdr: version 1, then the encodings of eh_frame_ptr, fde_count and the table. The usual ones
        // (sdata4 eh_frame_ptr, udata4 count, datarel sdata4 table) are the only ones accepted.
        guard let hdr = UnsafeRawPointer(bitPattern: image.unwindIndex), hdr.load(as: UInt8.self) == 1,
              hdr.load(fromByteOffset: 1, as: UInt8.self) & 0x0F == 0x0B, hdr.load(fromByteOffset: 2, as: UInt8.self) == 0x03,
              hdr.load(fromByteOffset: 3, as: UInt8.self) == 0x3B else { return }
        unwindIndex = image.unwindIndex
        unwindCount = Int(hdr.load(fromByteOffset: 8, as: UInt32.self))
        unwindTable = image.unwindIndex &+ 12
    }

    /// True when `pc` lies in a function of libswiftmm.so that has unwind information (the C shim).
    static func hasUnwindInfo(_ pc: UInt) -> Bool {
        guard unwindCount > 0, let table = UnsafeRawPointer(bitPattern: unwindTable) else { return false }
        func start(_ i: Int) -> UInt { unwindIndex &+ UInt(bitPattern: Int(table.load(fromByteOffset: i &* 8, as: Int32.self))) }
        var low = 0
        var high = unwindCount
        while high &- low > 1 {          // the last entry whose start is <= pc
            let mid = (low &+ high) / 2
            if start(mid) <= pc { low = mid } else { high = mid }
        }
        guard start(low) <= pc, let fde = UnsafeRawPointer(bitPattern: unwindIndex &+ UInt(bitPattern: Int(table.load(fromByteOffset: low &* 8 &+ 4, as: Int32.self)))) else { return false }
        // FDE: length, CIE pointer, pc_begin (pcrel sdata4), pc_range (4 bytes).
        let begin = UInt(bitPattern: fde + 8) &+ UInt(bitPattern: Int(fde.load(fromByteOffset: 8, as: Int32.self)))
        let range = UInt(fde.load(fromByteOffset: 12, as: UInt32.self))
        return begin == start(low) && pc &- begin < range
    }

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
            if !isOwn(returnAddress) || hasUnwindInfo(returnAddress &- 1) { return (fp &+ 16, saved) }
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
