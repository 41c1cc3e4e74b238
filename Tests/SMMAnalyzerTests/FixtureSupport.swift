import Foundation
@testable import SMMAnalyzer

/// Recorded `/proc` trees under `Fixtures/`, laid out like `/proc` (`PID/smaps`, `PID/task/TID/syscall`, …).
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// `child-process/4242`: the test child recorded from a live run (glibc 2.36, Linux 6.18).
    static let childProcessRoot = directory.appendingPathComponent("child-process").path
    static let childProcessPID: Int32 = 4242
    /// `edge-cases/77`: hand-written: spaces, `(deleted)`, unknown and missing smaps fields, every category.
    static let edgeCasesRoot = directory.appendingPathComponent("edge-cases").path
    static let edgeCasesPID: Int32 = 77

    static func bytes(_ relativePath: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(relativePath)))
    }

    static func text(_ relativePath: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(relativePath), encoding: .utf8)
    }

    /// The snapshot of a recorded tree, at a fixed time so outputs are reproducible.
    static func snapshot(root: String, pid: Int32) throws -> Snapshot {
        try ProcessReader(procRoot: root).snapshot(pid: pid, capturedAt: 1_700_000_000)
    }

    static func edgeCases() throws -> Snapshot { try snapshot(root: edgeCasesRoot, pid: edgeCasesPID) }
    static func childProcess() throws -> Snapshot { try snapshot(root: childProcessRoot, pid: childProcessPID) }
}

extension Snapshot {
    /// The region that starts at `start`.
    func region(at start: UInt64) -> Region? { regions.first { $0.start == start } }
    /// The region that contains `address` (free gaps excluded).
    func region(containing address: UInt64) -> Region? {
        regions.first { $0.category != .free && $0.start <= address && address < $0.end }
    }
}
