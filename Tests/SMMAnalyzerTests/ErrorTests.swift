import Foundation
import Testing
@testable import SMMAnalyzer

@Suite("Errors are reported, never crashes")
struct ErrorTests {
    @Test("a PID that does not exist")
    func missingProcess() {
        #expect(throws: ProcError.noSuchProcess(pid: 999_999_999)) { try ProcessReader().snapshot(pid: 999_999_999) }
        #expect(throws: ProcError.noSuchProcess(pid: -4)) { try ProcessReader().snapshot(pid: -4) }
    }

    @Test("a process that has exited and been reaped")
    func exitedProcess() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        let pid = process.processIdentifier
        #expect(throws: ProcError.noSuchProcess(pid: pid)) { try ProcessReader().snapshot(pid: pid) }
    }

    @Test("a zombie has no address space to map")
    func zombie() throws {
        // fork+exit without wait: /bin/sh runs a child in the background and then sleeps without reaping it.
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "/bin/true & echo $!; exec sleep 5"]
        let output = Pipe()
        shell.standardOutput = output
        try shell.run()
        defer { shell.terminate() }
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        let pid = try #require(Int32(line.trimmingCharacters(in: .whitespacesAndNewlines)))
        for _ in 0..<100 where ProcessReader().isAlive(pid: pid) { usleep(10_000) }
        #expect(!ProcessReader().isAlive(pid: pid))
        #expect(throws: ProcError.noAddressSpace(pid: pid)) { try ProcessReader().snapshot(pid: pid) }
    }

    @Test("a system without /proc")
    func noProcfs() {
        #expect(throws: ProcError.procUnavailable(root: "/nonexistent-proc")) {
            try ProcessReader(procRoot: "/nonexistent-proc").snapshot(pid: 1)
        }
    }

    @Test("permission denied names what is needed")
    func permissionDenied() {
        let reader = ProcessReader()
        let error = reader.classify(EACCES, pid: 1, file: "/proc/1/smaps")
        #expect(error == .permissionDenied(pid: 1, file: "/proc/1/smaps"))
        #expect(error.description.contains("same user as the process or as root"))
        #expect(error.description.contains("ptrace"))
        #expect(reader.classify(ESRCH, pid: 5, file: "x") == .processExited(pid: 5))
    }

    @Test("snapshot files: not JSON, not a snapshot, a newer version")
    func badSnapshotFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("smm-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func file(_ name: String, _ text: String) throws -> String {
            let url = directory.appendingPathComponent(name)
            try text.write(to: url, atomically: true, encoding: .utf8)
            return url.path
        }
        let garbage = try file("garbage.json", "not json")
        #expect(throws: SnapshotFileError.notASnapshot(path: garbage, reason: "not a JSON object")) { try SnapshotCoding.readSnapshot(garbage) }
        let future = try file("future.json", #"{"format": "swiftmm-snapshot", "version": 99}"#)
        #expect(throws: SnapshotFileError.unsupportedVersion(path: future, version: 99)) { try SnapshotCoding.readSnapshot(future) }
        let missing = directory.appendingPathComponent("missing.json").path
        #expect(throws: SnapshotFileError.self) { try SnapshotCoding.readSnapshot(missing) }
    }
}
