// A small spin lock for the allocator's rare global paths (segment cache, large blocks, heap pool).
// It spins briefly, then yields the CPU. Fork handlers take every lock before fork and reset them after.
import Synchronization

struct SpinLock: ~Copyable {
    let state = Atomic<UInt32>(0)

    init() {}

    func lock() {
        var spins = 0
        while true {
            if state.load(ordering: .relaxed) == 0 {
                let (locked, _) = state.compareExchange(expected: 0, desired: 1, ordering: .acquiring)
                if locked { return }
            }
            spins &+= 1
            if spins > 64 { Platform.yield(); spins = 0 }
        }
    }

    func tryLock() -> Bool {
        state.compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged
    }

    func unlock() { state.store(0, ordering: .releasing) }

    /// After fork, in the child: only the forking thread exists, so the lock is free.
    func reset() { state.store(0, ordering: .releasing) }
}

/// The allocator's global locks.
enum Locks {
    static let segments = SpinLock()
    static let large = SpinLock()
    static let heaps = SpinLock()
}
