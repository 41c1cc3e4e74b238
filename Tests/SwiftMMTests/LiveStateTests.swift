import Foundation
import SMMAnalyzer
import Testing
import SwiftMM

/// `smm state PID`: the live state of a running child with known allocations (Sources/smm-check-live), read from
/// outside while the child waits, must be exactly what the child reports about itself with smm_state and
/// smm_heap_status; and every way it can fail gives one clear line and exit status 1.
@Suite("smm state", .serialized)
struct LiveStateTests {
    /// `smm state --json` decoded with the Swift API's own Codable types: the field names are the same.
    struct StateJSON: Decodable {
        var pid: Int32
        var consistent: Bool
        var libraryVersion: String
        var heaps: Int
        var segments: Int
        var heapStatus: HeapStatus
        var state: MemoryManagerState
        var memoryMap: [MemoryRegion]
    }

    func smm(_ arguments: [String], environment: [String: String] = [:]) throws -> ChildResult {
        try ChildProcess.run([try BuildProducts.program("smm")] + arguments, preload: false, environment: environment)
    }

    func liveChild(_ arguments: [String] = []) throws -> RunningChild {
        let child = try RunningChild([try BuildProducts.program("smm-check-live")] + arguments, preload: true)
        try child.waitUntilReady()
        return child
    }

    func state(_ pid: Int32) throws -> StateJSON {
        let result = try smm(["state", String(pid), "--json"])
        guard result.status == 0 else { throw TestFailure("smm state failed (\(result.status)): \(result.standardError)") }
        return try JSONDecoder().decode(StateJSON.self, from: Data(result.standardOutput.utf8))
    }

    @Test("the state read from outside has exactly the blocks the running child allocated, and its own figures")
    func exactCounts() throws {
        let child = try liveChild()
        defer { child.finish() }
        let live = try state(child.pid)
        #expect(child.process.isRunning, "the child must keep running while it is read")
        #expect(live.pid == child.pid)
        #expect(live.consistent)
        #expect(live.libraryVersion == "0.1.0")
        #expect(live.heaps == 1 && live.segments >= 1)
        #expect(live.state.classes.count == 96)

        // Blocks the child allocated, over what it had before: exact counts per class.
        var before: [UInt64: UInt64] = [:]
        for f in child.fields("before") where f.count == 2 { if let size = UInt64(f[0]), let n = UInt64(f[1]) { before[size] = n } }
        func remote(_ blockSize: UInt64) -> SizeClassState? { live.state.classes.first { $0.blockSize == blockSize } }
        #expect(remote(112)?.blocksAllocated == (before[112] ?? 0) + 10)
        #expect(remote(5120)?.blocksAllocated == (before[5120] ?? 0) + 3)
        #expect(remote(20480)?.blocksAllocated == (before[20480] ?? 0) + 2)
        #expect(remote(20480)?.tier == .medium && remote(112)?.tier == .small)
        let largeBefore = UInt64(child.fields("before").first { $0.first == "large" }?.last ?? "x")
        #expect(live.state.largeTotal.blocksAllocated == (largeBefore ?? 99) + 1)

        // Every class the child sees in itself, figure for figure; no other class has pages.
        let own = child.fields("class").compactMap { f -> [UInt64]? in
            let numbers = f.compactMap(UInt64.init)
            return numbers.count == 6 ? numbers : nil
        }
        #expect(!own.isEmpty)
        for numbers in own {
            let c = live.state.classes[Int(numbers[0])]
            #expect([c.blockSize, c.blocksAllocated, c.bytesAllocated, c.bytesReserved, c.bytesCommitted] == Array(numbers[1...]),
                    "class \(numbers[0])")
        }
        let ownIndices = Set(own.map { Int($0[0]) })
        #expect(live.state.classes.filter { $0.bytesReserved > 0 }.allSatisfy { ownIndices.contains($0.classIndex ?? -1) })
        for (key, total) in [("total-small", live.state.smallTotal), ("total-medium", live.state.mediumTotal),
                             ("total-large", live.state.largeTotal)] {
            let numbers = child.fields(key).first?.dropFirst(2).compactMap(UInt64.init) ?? []
            #expect([total.blocksAllocated, total.bytesAllocated, total.bytesReserved, total.bytesCommitted] == numbers, "\(key)")
        }
        let ownState = child.fields("state").first?.compactMap(UInt64.init) ?? []
        #expect([live.state.allocated, live.state.committed] == ownState)
        let s = live.heapStatus
        let ownStatus = child.fields("status").first?.compactMap(UInt64.init) ?? []
        #expect([s.reserved, s.committed, s.allocated, s.free, s.overhead, s.currentUse, s.peakUse] == ownStatus)

        // The memory map: the large block of 1 MiB where the child has it, and pages that add up to the classes.
        let largeAddress = UInt64(child.fields("large-block").first?.first ?? "")
        let large = live.memoryMap.first { $0.address == largeAddress }
        #expect(large?.tier == .large && large?.size == 1 << 20 && large?.blockSize == 1 << 20 && large?.use == .allocated)
        let pages112 = live.memoryMap.filter { $0.classIndex == remote(112)?.classIndex }
        #expect(pages112.reduce(0) { $0 + UInt64($1.blocksInUse) } == remote(112)?.blocksAllocated)
        #expect(live.memoryMap.filter { $0.use == .metadata }.count == live.segments)
        #expect(child.finish() == 0)
    }

    @Test("the text report: heap status, the classes in use with totals, and the memory map")
    func textOutput() throws {
        let child = try liveChild()
        defer { child.finish() }
        let result = try smm(["state", String(child.pid)], environment: ["NO_COLOR": "1"])
        #expect(result.status == 0, "\(result.standardError)")
        let text = result.standardOutput
        for heading in ["Process \(child.pid)", "smm-check-live", "SwiftMM 0.1.0", "Heap status", "reserved", "peak use",
                        "State per size class", "efficiency (allocated / committed):", "Memory map", "metadata"] {
            #expect(text.contains(heading), "missing '\(heading)' in:\n\(text)")
        }
        let blocks112 = child.fields("class").first { $0.count > 2 && $0[1] == "112" }?[2] ?? "?"
        let row = text.split(separator: "\n").first { $0.hasPrefix("  small ") && $0.split(separator: " ").dropFirst(2).first == "112" }
        #expect(row?.split(separator: " ")[3] == Substring(blocks112), "class 112 row: \(String(describing: row))")
        #expect(text.contains("large   total"))
        let largeAddress = UInt64(child.fields("large-block").first?.first ?? "") ?? 0
        #expect(text.contains(String(largeAddress, radix: 16)), "the large block's address is in the map")
        #expect(!text.contains("\u{1B}["), "NO_COLOR: no escapes")
    }

    @Test("a process that allocates and frees all the time is read without stopping it or failing")
    func busyProcess() throws {
        let child = try liveChild(["--churn"])
        defer { child.finish() }
        for _ in 0..<3 {
            let live = try state(child.pid)
            #expect(live.state.classes.count == 96)
            #expect(live.heaps >= 2, "the main thread's heap and the churning thread's")
            #expect(child.process.isRunning)
        }
        #expect(child.finish() == 0)
    }

    /// One line on stderr, exit status 1.
    func expectFailure(_ arguments: [String], _ message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try smm(arguments)
        #expect(result.status == 1, sourceLocation: sourceLocation)
        #expect(result.standardError.hasPrefix("smm: ") && result.standardError.contains(message),
                "\(result.standardError)", sourceLocation: sourceLocation)
        #expect(result.standardError.split(separator: "\n").count == 1, sourceLocation: sourceLocation)
        #expect(result.standardOutput.isEmpty, sourceLocation: sourceLocation)
    }

    @Test("a process that does not use SwiftMM")
    func notSwiftMM() throws {
        let child = try RunningChild(["sleep", "60"], preload: false)
        defer { child.finish(signal: SIGKILL) }
        try expectFailure(["state", String(child.pid)], "process \(child.pid) does not use SwiftMM (libswiftmm.so is not mapped")
    }

    @Test("a PID that does not exist")
    func noSuchProcess() throws {
        try expectFailure(["state", "2147483646"], "no process with PID 2147483646")
    }

    @Test("a libswiftmm.so without the live-state anchor is a version mismatch")
    func noAnchor() throws {
        // Any shared library stands in for a libswiftmm.so from before `smm state`: a copy of libm under that name.
        let maps = try ProcFile.readText("/proc/self/maps")
        let candidates = maps.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) }
            .filter { $0.hasPrefix("/") && $0.contains("/libm.so") }
            + ["/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6", "/lib64/libm.so.6", "/usr/lib64/libm.so.6"]
        guard let libm = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw TestFailure("no libm.so to stand in for an old libswiftmm.so")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("smm-old-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let fake = folder.appendingPathComponent("libswiftmm.so").path
        try FileManager.default.copyItem(atPath: libm, toPath: fake)
        let child = try RunningChild(["sleep", "60"], preload: false, environment: ["LD_PRELOAD": fake])
        defer { child.finish(signal: SIGKILL) }
        try child.waitUntilMapped(fake)
        try expectFailure(["state", String(child.pid)], "has no smm_live_anchor symbol")
    }

    @Test("without ptrace access: permission denied, saying what is needed")
    func permissionDenied() throws {
        let result: ChildResult
        let pid: Int32
        if getuid() == 0 {
            // As root, read a SwiftMM child as user nobody.
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { return }
            let child = try liveChild()
            defer { child.finish() }
            pid = child.pid
            result = try ChildProcess.run(["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                           try BuildProducts.program("smm"), "state", String(pid)], preload: false)
        } else {
            // As another user, read PID 1 (root's).
            var info = stat()
            guard stat("/proc/1", &info) == 0, info.st_uid != getuid() else { return }
            pid = 1
            result = try smm(["state", "1"])
        }
        #expect(result.status == 1)
        #expect(result.standardError.contains("smm: permission denied reading the memory of process \(pid)"), "\(result.standardError)")
        #expect(result.standardError.contains("needs ptrace access") && result.standardError.contains("same user as the process, or as root"))
    }

    @Test("usage: a PID is required")
    func usage() throws {
        let result = try smm(["state"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("pid"))
    }
}
