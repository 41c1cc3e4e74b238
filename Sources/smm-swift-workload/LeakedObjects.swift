/// Objects the `--leak-objects` mode leaks on purpose, so that tests can check that SwiftMM's leak report
/// names their classes.
final class LeakedSession {
    var identifier: Int
    var payload: [UInt8]
    init(identifier: Int) { self.identifier = identifier; payload = [UInt8](repeating: UInt8(identifier & 0xFF), count: 100) }
}

/// A generic class: the runtime creates its metadata at run time, in the heap.
final class LeakedBox<Value> {
    var value: Value
    var extra: (Int, Int, Int) = (1, 2, 3)
    init(_ value: Value) { self.value = value }
}

/// Leaks 7 `LeakedSession`s and 3 `LeakedBox<Int>`s (retained once more than they are released).
func leakObjects() {
    for i in 0..<7 { _ = Unmanaged.passRetained(LeakedSession(identifier: i)) }
    for i in 0..<3 { _ = Unmanaged.passRetained(LeakedBox(i)) }
}
