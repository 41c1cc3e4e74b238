// Reports of misuse found at run time. They print without allocating and the program goes on.
import Synchronization

enum Diagnostics {
    static let invalidFrees = Atomic<UInt64>(0)

    @inline(never)
    static func invalidFree(_ p: RawPointer, reason: StaticString) {
        invalidFrees.add(1, ordering: .relaxed)
        var out = Output(fd: 2)
        out.text("swiftmm: error: free of invalid pointer "); out.hex(UInt(bitPattern: p))
        out.text(" ("); out.text(reason); out.text("); ignored. Pid "); out.int(Platform.processID())
        out.text(", thread "); out.int(Platform.threadID()); out.text(".\n")
        out.flush()
    }
}
