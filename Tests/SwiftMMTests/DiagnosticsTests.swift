import Foundation
import Testing
import SwiftMM

/// Heap status, state per size class, memory map and the leak report, checked on a child process with
/// known allocations (Sources/smm-check-diagnostics) and through the Swift API.
@Suite("Diagnostics")
struct DiagnosticsTests {
    func runChild(_ arguments: [String] = [], environment: [String: String] = [:]) throws -> ChildResult {
        try ChildProcess.run([try BuildProducts.program("smm-check-diagnostics")] + arguments, preload: true, environment: environment)
    }

    @Test("the state per size class counts exactly the blocks a child allocated")
    func exactCounts() throws {
        let result = try runChild()
        #expect(result.status == 0, "\(result.standardOutput)")
        for line in ["class 112: +10 blocks", "class 5120: +3 blocks", "class 20480: +2 blocks", "class 832: +1 blocks",
                     "large: +1 blocks", "status consistent: 1", "memory map lists the large block: 1"] {
            #expect(result.standardOutput.contains(line), "missing '\(line)' in:\n\(result.standardOutput)")
        }
    }

    @Test("registration takes live SwiftMM blocks only, and can be withdrawn")
    func registration() throws {
        let result = try runChild()
        #expect(result.standardOutput.contains("register expected: 1"))
        #expect(result.standardOutput.contains("register withdrawn: 1 then unregister: 1"))
        #expect(result.standardOutput.contains("register foreign: 0"))
    }

    @Test("the leak report at exit lists leaked blocks by size and leaves the expected leak out")
    func leakReport() throws {
        let result = try runChild(environment: ["SMM_REPORT_LEAKS": "1"])
        #expect(result.status == 0)
        let report = result.standardError
        #expect(report.contains("swiftmm: leak report"))
        for line in ["10 x 112 B = 1.0 KiB", "3 x 5120 B = 15.0 KiB", "2 x 20480 B = 40.0 KiB", "1 x 1048576 B = 1.0 MiB",
                     "(1 expected not listed)"] {
            #expect(report.contains(line), "missing '\(line)' in:\n\(report)")
        }
        #expect(!report.contains("x 832 B"), "the expected leak (777 B, class 832) must not be listed:\n\(report)")
        // The withdrawn registration makes its block (40000 B, class 40960) a leak again.
        #expect(report.contains("1 x 40960 B"))
        // Largest total first.
        let first = report.range(of: "x 1048576 B")!.lowerBound, later = report.range(of: "x 112 B")!.lowerBound
        #expect(first < later)
    }

    @Test("blocks freed before exit are not reported")
    func freedBlocksAreNotLeaks() throws {
        let result = try runChild(["--free-all"], environment: ["SMM_REPORT_LEAKS": "1"])
        #expect(!result.standardError.contains("x 112 B"))
        #expect(!result.standardError.contains("x 1048576 B"))
        #expect(!result.standardError.contains("x 40960 B"))
    }

    @Test("SMM_LEAK_FILE takes the report, and SMM_LEAKS_EXIT_CODE sets the exit status when there are leaks")
    func leakFileAndExitCode() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("smm-leaks-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try runChild(environment: ["SMM_REPORT_LEAKS": "1", "SMM_LEAK_FILE": file.path, "SMM_LEAKS_EXIT_CODE": "42"])
        #expect(result.status == 42)
        #expect(!result.standardError.contains("leak report"))
        let written = try String(contentsOf: file, encoding: .utf8)
        #expect(written.contains("10 x 112 B"))
        // Without SMM_LEAKS_EXIT_CODE the status is unchanged.
        #expect(try runChild(environment: ["SMM_REPORT_LEAKS": "1"]).status == 0)
    }

    @Test("the leak report names the class of leaked Swift objects, generic classes too")
    func swiftClassNames() throws {
        let result = try ChildProcess.run([try BuildProducts.program("smm-swift-workload"), "--leak-objects"], preload: true,
                                          environment: ["SMM_REPORT_LEAKS": "1"])
        #expect(result.status == 0)
        let lines = result.standardError.split(separator: "\n")
        func line(naming name: String) -> Substring? { lines.first { $0.hasSuffix("  " + name) } }
        let sessions = try #require(line(naming: "smm_swift_workload.LeakedSession"), "no LeakedSession line in:\n\(result.standardError)")
        #expect(sessions.hasPrefix("  7 x "))
        let boxes = try #require(line(naming: "smm_swift_workload.LeakedBox<Swift.Int>"), "no LeakedBox line in:\n\(result.standardError)")
        #expect(boxes.hasPrefix("  3 x "))
        // Their arrays are Swift objects of the standard library.
        #expect(line(naming: "Swift._ContiguousArrayStorage<Swift.UInt8>")?.hasPrefix("  7 x ") == true)
    }

    @Test("a C program's leaked blocks carry no class name")
    func noClassNamesWithoutSwift() throws {
        let report = try runChild(environment: ["SMM_REPORT_LEAKS": "1"]).standardError
        let blockLines = report.split(separator: "\n").filter { $0.hasPrefix("  ") && $0.contains(" x ") }
        #expect(!blockLines.isEmpty)
        for line in blockLines { #expect(line.hasSuffix("B"), "unexpected name on '\(line)'") }
    }
}

extension InProcess {
    /// The diagnostics through the Swift API, in this process.
    @Suite("Diagnostics from Swift")
    struct DiagnosticsFromSwift {
    @Test("through the Swift API: status, state and map as Codable values that agree with each other")
    func swiftValues() throws {
        setenv("SWIFTMM_LIBRARY", try BuildProducts.library, 1)
        let memory = try Memory()
        let blocks = try (0..<50).map { _ in try memory.allocate(byteCount: 3000) }
        defer { blocks.forEach { memory.free($0) } }
        let state = memory.state
        #expect(state.classes.count == 96)
        let holding = try #require(state.sizeClass(holding: 3000))
        #expect(holding.blocksAllocated >= 50)
        #expect(holding.tier == .small)
        let status = memory.heapStatus
        #expect(status.reserved >= status.committed)
        #expect(status.peakUse >= status.currentUse)
        let map = memory.memoryMap
        #expect(map.contains { $0.use == .allocated && $0.blockSize == holding.blockSize && $0.blocksInUse > 0 })
        // Codable round trip.
        let decoded = try JSONDecoder().decode(MemoryManagerState.self, from: JSONEncoder().encode(state))
        #expect(decoded == state)
        #expect(try JSONDecoder().decode([MemoryRegion].self, from: JSONEncoder().encode(map)) == map)
    }

    @Test("through the Swift API: the heap check has nothing to check outside debug mode")
    func checkHeapOutsideDebugMode() throws {
        setenv("SWIFTMM_LIBRARY", try BuildProducts.library, 1)
        #expect(try Memory().checkHeap() == 0)
    }
    }
}
