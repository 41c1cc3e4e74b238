// Debug mode: the error reports. Each names the address, the size, the allocation number, the threads that
// allocated and freed the block, and the call stacks of the allocation, of the first free and of the call that
// went wrong. They are written to stderr without allocating; then the process aborts (SIGABRT) unless
// SMM_DEBUG_CONTINUE=1.
//
//   swiftmm: debug: double free (pid 4242)
//     block 0x7f3a1c0103d0, 24 bytes, allocation #57
//     allocated by thread 4243:
//       ./program(make_node+0x1e)[0x55d0c2a3e1a9]
//       ...
//     freed by thread 4242:
//       ...
//     freed again by thread 4242:
//       ...
import SwiftMMShim
import Synchronization

/// One error, with what the report needs. `header` is a copy taken under the registry's lock.
struct DebugEvent {
    var title: StaticString
    var address: UInt
    var header: DebugHeader? = nil
    var damage: DebugDamage? = nil
    /// The size or alignment a free_sized or free_aligned_sized call gave (-1: none).
    var givenSize = -1
    var givenAlignment = -1
    /// Print the block's free stack, under this label.
    var freeLabel: StaticString? = nil
    /// The call that went wrong or found the error, captured now, under this label.
    var current = DebugCurrentStack()
    var currentLabel: StaticString = "freed by"
}

enum DebugReport {
    /// Errors reported since the start.
    static let errors = Atomic<UInt64>(0)
    /// Keeps two reports from interleaving.
    static let lock = SpinLock()

    /// Prints the report of `event`; aborts unless SMM_DEBUG_CONTINUE=1 (or `deferAbort`: the caller will `finish`).
    static func report(_ event: DebugEvent, deferAbort: Bool = false) {
        errors.add(1, ordering: .relaxed)
        lock.lock()
        var out = Output(fd: 2)
        out.text("swiftmm: debug: "); out.text(event.title); out.text(" (pid "); out.int(Platform.processID()); out.text(")\n")
        if var h = event.header {
            if event.address != h.user {
                out.text("  pointer "); out.hex(event.address); out.text(" is "); out.int(Int(bitPattern: event.address &- h.user))
                out.text(" bytes into a block\n")
            }
            out.text("  block "); out.hex(h.user); out.text(", "); out.int(h.size); out.text(" bytes, allocation #"); out.uint(h.serial)
            if h.alignment > UInt32(Geometry.minAlignment) { out.text(", aligned to "); out.uint(UInt64(h.alignment)) }
            out.text("\n")
            detail(event, h, &out)
            out.text("  allocated by thread "); out.int(Int(h.allocThread)); out.text(":\n")
            withUnsafeBytes(of: &h.allocFrames) { DebugStacks.print($0.baseAddress.unsafelyUnwrapped, Int(h.allocFrameCount), &out) }
            if let label = event.freeLabel {
                out.text("  "); out.text(label); out.text(" thread "); out.int(Int(h.freeThread)); out.text(":\n")
                withUnsafeBytes(of: &h.freeFrames) { DebugStacks.print($0.baseAddress.unsafelyUnwrapped, Int(h.freeFrameCount), &out) }
            }
        } else {
            out.text("  pointer "); out.hex(event.address); out.text(": size unknown, no allocation number (no block of SwiftMM's starts there)\n")
        }
        var current = event.current
        out.text("  "); out.text(event.currentLabel); out.text(" thread "); out.int(Int(current.thread)); out.text(":\n")
        withUnsafeBytes(of: &current.frames) { DebugStacks.print($0.baseAddress.unsafelyUnwrapped, current.count, &out) }
        out.flush()
        lock.unlock()
        if !deferAbort { finish() }
    }

    private static func detail(_ event: DebugEvent, _ h: DebugHeader, _ out: inout Output) {
        if event.givenSize >= 0 {
            out.text("  size given "); out.int(event.givenSize); out.text(", size allocated "); out.int(h.size); out.text("\n")
        }
        if event.givenAlignment >= 0 {
            out.text("  alignment given "); out.int(event.givenAlignment); out.text(", alignment allocated "); out.uint(UInt64(h.alignment)); out.text("\n")
        }
        if let d = event.damage {
            out.text("  "); out.int(d.count); out.text(d.count == 1 ? " byte changed" : " bytes changed"); out.text(", the first at offset ")
            if d.offset >= 0 { out.text("+") }
            out.int(d.offset); out.text(": "); out.hex(UInt(d.found)); out.text(" instead of "); out.hex(UInt(d.expected)); out.text("\n")
        }
    }

    /// The title of a damage report.
    static func title(_ damage: DebugDamage) -> StaticString {
        switch damage.region {
        case .before: return "guard bytes before the block overwritten"
        case .after: return "guard bytes after the block overwritten"
        case .header: return "debug header before the block overwritten"
        case .freedData: return "write after free"
        }
    }

    /// After a report: abort, unless SMM_DEBUG_CONTINUE=1.
    static func finish() {
        if Options.debugContinue { return }
        var out = Output(fd: 2)
        out.text("swiftmm: debug: aborting (SMM_DEBUG_CONTINUE=1 goes on after errors)\n")
        out.flush()
        Platform.abort()
    }
}
