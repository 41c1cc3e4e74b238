import Foundation
import Testing

/// Debug mode (SMM_DEBUG=1): each kind of misuse is committed by a child process (Sources/smm-check-debug),
/// which prints what the report must name; the report must name it, with call stacks, and the process must abort
/// (SIGABRT), or go on with SMM_DEBUG_CONTINUE=1.
@Suite("Debug mode (SMM_DEBUG=1)")
struct DebugModeTests {
    static let sigabrt: Int32 = 128 + 6

    func run(_ arguments: [String], continuing: Bool = false, debug: Bool = true,
             environment: [String: String] = [:]) throws -> ChildResult {
        var env = environment
        if debug { env["SMM_DEBUG"] = "1" }
        if continuing { env["SMM_DEBUG_CONTINUE"] = "1" }
        env["SWIFT_BACKTRACE"] = "enable=no"      // the test program is linked by swiftc: no Swift crash report
        return try ChildProcess.run([try BuildProducts.program("smm-check-debug")] + arguments, preload: true, environment: env)
    }

    @Test("a double free names the block, its allocation number, both threads and the three stacks, then aborts",
          arguments: [("24", "0"), ("1000000", "0"), ("100", "4096")])
    func doubleFree(size: String, alignment: String) throws {
        let result = try run(["double-free", size, alignment])
        #expect(result.status == Self.sigabrt, "\(result.standardError)")
        #expect(!result.standardOutput.contains("survived"))
        let printed = try ChildOutput(result.standardOutput)
        let block = try printed.value("block")
        let allocator = try printed.value("allocated by thread")
        let freer = try printed.value("freed by thread")
        let report = try #require(DebugReport.all(in: result.standardError).first)
        #expect(report.title == "double free")
        #expect(report.blockLine.hasPrefix("block \(block), \(size) bytes, allocation #"), "\(report.text)")
        #expect(report.allocationNumber ?? 0 > 0)
        let allocated = try #require(report.stack("allocated by"))
        #expect(allocated.thread == allocator)
        #expect(allocated.names(["debug_allocate", "allocate_in_thread"]), "\(report.text)")
        let first = try #require(report.stack("first freed by"))
        #expect(first.thread == freer)
        #expect(first.thread != allocated.thread)
        #expect(first.names(["debug_free", "scenario_double_free", "main"]), "\(report.text)")
        let again = try #require(report.stack("freed again by"))
        #expect(again.thread == first.thread)
        #expect(again.names(["debug_free_again", "scenario_double_free"]), "\(report.text)")
        #expect(result.standardError.contains("swiftmm: debug: aborting"))
    }

    @Test("with SMM_DEBUG_CONTINUE=1 the program goes on after a report")
    func continuesWhenAsked() throws {
        let result = try run(["double-free"], continuing: true)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("survived"))
        #expect(DebugReport.all(in: result.standardError).map(\.title) == ["double free"])
        #expect(!result.standardError.contains("aborting"))
    }

    @Test("a free of a pointer SwiftMM never handed out, and of a pointer inside a block")
    func invalidFree() throws {
        let result = try run(["invalid-free"], continuing: true)
        #expect(result.status == 0, "\(result.standardError)")
        let printed = try ChildOutput(result.standardOutput)
        let staticArray = try printed.value("static array")
        let interior = try printed.value("interior pointer")
        let interiorBlock = try printed.value("of block")
        let reports = DebugReport.all(in: result.standardError)
        try #require(reports.count == 2, "\(result.standardError)")
        #expect(reports[0].title == "free of a pointer SwiftMM never handed out")
        #expect(reports[0].text.contains("pointer \(staticArray): size unknown"))
        #expect(reports[0].stack("freed by")?.names(["debug_free", "scenario_invalid_free"]) == true, "\(reports[0].text)")
        #expect(reports[1].title == "free of a pointer inside a block, not its start")
        #expect(reports[1].text.contains("pointer \(interior) is 8 bytes into a block"))
        #expect(reports[1].blockLine.hasPrefix("block \(interiorBlock), 100 bytes, allocation #"))
        #expect(reports[1].stack("allocated by")?.names(["debug_allocate", "scenario_invalid_free"]) == true)
        // By default the first report ends the process.
        let aborted = try run(["invalid-free"])
        #expect(aborted.status == Self.sigabrt)
        #expect(DebugReport.all(in: aborted.standardError).count == 1)
    }

    @Test("free_sized, free_aligned_sized and C++ sized delete with a wrong size or alignment")
    func wrongSize() throws {
        let result = try run(["wrong-size"], continuing: true)
        #expect(result.status == 0, "\(result.standardError)")
        let printed = try ChildOutput(result.standardOutput)
        let block = try printed.value("block")
        let alignedBlock = try printed.value("aligned block")
        let newBlock = try printed.value("new block")
        let reports = DebugReport.all(in: result.standardError)
        try #require(reports.count == 3, "\(result.standardError)")
        #expect(reports[0].title == "wrong size in free_sized (or C++ sized delete)")
        #expect(reports[0].blockLine.hasPrefix("block \(block), 24 bytes"))
        #expect(reports[0].text.contains("size given 32, size allocated 24"))
        #expect(reports[0].stack("freed by")?.names(["debug_free_sized", "scenario_wrong_size"]) == true, "\(reports[0].text)")
        #expect(reports[1].title == "wrong alignment in free_aligned_sized (or C++ aligned sized delete)")
        #expect(reports[1].blockLine.hasPrefix("block \(alignedBlock), 128 bytes"))
        #expect(reports[1].text.contains("alignment given 32, alignment allocated 64"))
        #expect(reports[2].title == "wrong size in free_sized (or C++ sized delete)")
        #expect(reports[2].blockLine.hasPrefix("block \(newBlock), 40 bytes"))
        #expect(reports[2].text.contains("size given 48, size allocated 40"))
        #expect(reports[2].stack("freed by")?.names(["debug_sized_delete"]) == true, "\(reports[2].text)")
        #expect(try run(["wrong-size"]).status == Self.sigabrt)
    }

    @Test("bytes written past the end of a block are found when it is freed",
          arguments: [("24", "0"), ("300000", "0"), ("100", "64")])
    func overflowAfter(size: String, alignment: String) throws {
        let result = try run(["overflow-after", size, alignment])
        #expect(result.status == Self.sigabrt, "\(result.standardError)")
        let printed = try ChildOutput(result.standardOutput)
        let block = try printed.value("block")
        let report = try #require(DebugReport.all(in: result.standardError).first)
        #expect(report.title == "guard bytes after the block overwritten")
        #expect(report.blockLine.hasPrefix("block \(block), \(size) bytes, allocation #"))
        #expect(report.text.contains("3 bytes changed, the first at offset +\(size): 0x58 instead of 0xfd"), "\(report.text)")
        #expect(report.stack("allocated by")?.names(["debug_allocate", "scenario_overflow_after"]) == true)
        #expect(report.stack("freed by")?.names(["debug_free", "scenario_overflow_after"]) == true)
        let continued = try run(["overflow-after", size, alignment], continuing: true)
        #expect(continued.status == 0 && continued.standardOutput.contains("survived"))
        #expect(DebugReport.all(in: continued.standardError).count == 1, "reported once: \(continued.standardError)")
    }

    @Test("a byte written before the start of a block is found when it is freed")
    func underflowBefore() throws {
        let result = try run(["underflow-before", "40"])
        #expect(result.status == Self.sigabrt)
        let printed = try ChildOutput(result.standardOutput)
        let block = try printed.value("block")
        let report = try #require(DebugReport.all(in: result.standardError).first)
        #expect(report.title == "guard bytes before the block overwritten")
        #expect(report.blockLine.hasPrefix("block \(block), 40 bytes"))
        #expect(report.text.contains("1 byte changed, the first at offset -1: 0x58 instead of 0xfd"), "\(report.text)")
        #expect(report.stack("freed by")?.names(["debug_free", "scenario_underflow_before"]) == true)
    }

    @Test("a write after free is found when the block leaves the quarantine")
    func writeAfterFree() throws {
        let result = try run(["use-after-free", "64"], environment: ["SMM_DEBUG_QUARANTINE_COUNT": "100"])
        #expect(result.status == Self.sigabrt, "\(result.standardError)")
        let printed = try ChildOutput(result.standardOutput)
        let block = try printed.value("block")
        let report = try #require(DebugReport.all(in: result.standardError).first)
        #expect(report.title == "write after free")
        #expect(report.blockLine.hasPrefix("block \(block), 64 bytes"))
        #expect(report.text.contains("1 byte changed, the first at offset +32: 0x41 instead of 0xdd"), "\(report.text)")
        let allocated = try #require(report.stack("allocated by"))
        let freed = try #require(report.stack("freed by"))
        #expect(freed.thread == allocated.thread)
        #expect(freed.names(["debug_free", "scenario_use_after_free"]))
        #expect(report.stack("found leaving the quarantine by")?.names(["scenario_use_after_free"]) == true)
    }

    @Test("smm_check_heap finds a planted overrun and a write after free, and counts them")
    func checkHeap() throws {
        let result = try run(["check-heap"], continuing: true)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("healthy heap: 0"))
        #expect(result.standardOutput.contains("check_heap: 2"))
        let printed = try ChildOutput(result.standardOutput)
        let overrun = try printed.value("overrun block")
        let freedBlock = try printed.value("then freed block")
        let reports = DebugReport.all(in: result.standardError)
        try #require(reports.count == 2, "\(result.standardError)")
        #expect(reports[0].title == "guard bytes after the block overwritten")
        #expect(reports[0].blockLine.hasPrefix("block \(overrun), 40 bytes"))
        #expect(reports[0].text.contains("offset +41"))
        #expect(reports[0].stack("found by smm_check_heap in")?.names(["scenario_check_heap"]) == true)
        #expect(reports[1].title == "write after free")
        #expect(reports[1].blockLine.hasPrefix("block \(freedBlock), 48 bytes"))
        #expect(reports[1].stack("freed by") != nil)
        // The allocation number is a process-wide counter: the two blocks were allocated one after the other.
        let first = try #require(reports[0].allocationNumber), second = try #require(reports[1].allocationNumber)
        #expect(second == first + 1)
        #expect(result.standardError.contains("smm_check_heap found 2 corrupt blocks"))
        // By default the check reports both, then aborts.
        let aborted = try run(["check-heap"])
        #expect(aborted.status == Self.sigabrt)
        #expect(DebugReport.all(in: aborted.standardError).count == 2)
        #expect(!aborted.standardOutput.contains("check_heap: "))
    }

    @Test("outside debug mode smm_check_heap checks nothing and returns 0")
    func checkHeapInNormalMode() throws {
        let result = try run(["healthy"], debug: false)
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("check_heap: 0"))
        #expect(!result.standardError.contains("swiftmm: debug"))
    }

    @Test("a correct program sees the sizes it asked for, the fill patterns, and a healthy heap, with threads")
    func cleanProgram() throws {
        let result = try run(["clean"])
        #expect(result.status == 0, "\(result.standardOutput)\n\(result.standardError)")
        #expect(result.standardOutput.contains("clean: 0 failures"), "\(result.standardOutput)")
        #expect(!result.standardError.contains("swiftmm: debug"), "\(result.standardError)")
    }

    @Test("the standard-function checks pass in debug mode")
    func standardFunctions() throws {
        let result = try ChildProcess.run([try BuildProducts.program("smm-check-c")], preload: true, environment: ["SMM_DEBUG": "1"])
        #expect(result.status == 0, "\(result.standardOutput)\n\(result.standardError)")
        #expect(!result.standardError.contains("swiftmm: debug"), "\(result.standardError)")
    }

    @Test("the extended API works over debug mode: aligned blocks, reget, and memory managers installed over it",
          arguments: ["aligned", "reget", "manager"])
    func extendedAPI(_ section: String) throws {
        let result = try ChildProcess.run([try BuildProducts.program("smm-check-ext"), section], preload: true,
                                          environment: ["SMM_DEBUG": "1", "SWIFT_BACKTRACE": "enable=no"])
        #expect(result.status == 0, "\(result.standardOutput)\n\(result.standardError)")
        #expect(result.standardOutput.contains(" 0 failures"), "\(result.standardOutput)")
        #expect(!result.standardError.contains("swiftmm: debug"), "\(result.standardError)")
    }

    @Test("fork while threads allocate: no child inherits a held debug lock")
    func fork() throws {
        let result = try ChildProcess.run([try BuildProducts.program("smm-check-fork"), "20"], preload: true,
                                          environment: ["SMM_DEBUG": "1", "SWIFT_BACKTRACE": "enable=no"])
        #expect(result.status == 0, "\(result.standardOutput)\n\(result.standardError)")
        #expect(result.standardOutput.contains("20 children, 0 hung, 0 failed"), "\(result.standardOutput)")
        #expect(!result.standardError.contains("swiftmm: debug"), "\(result.standardError)")
    }

    @Test("real programs give the same output in debug mode", arguments: ["python3", "bash"])
    func realProgram(_ program: String) throws {
        let arguments: [String]
        var environment: [String: String] = [:]
        if program == "python3" {
            arguments = ["python3", "-c", """
                import json, threading, hashlib
                def work(seed, out):
                    rows = [{"id": i, "name": "item-%d" % (i * seed)} for i in range(2000)]
                    out[seed] = hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()
                results = {}
                threads = [threading.Thread(target=work, args=(s, results)) for s in range(1, 4)]
                for t in threads: t.start()
                for t in threads: t.join()
                for k in sorted(results): print(k, results[k])
                print(sorted({str(i % 97): i for i in range(5000)}.items())[:3])
                """]
            environment["PYTHONMALLOC"] = "malloc"
        } else {
            arguments = ["bash", "-c", """
                declare -A seen; for i in $(seq 1 500); do seen[$((i % 37))]=$i; done
                words=(); for i in $(seq 1 200); do words+=("w$i"); done
                echo "keys=${#seen[@]} words=${#words[@]} $(echo nested $(echo subshell) | tr a-z A-Z)"
                """]
        }
        let plain = try ChildProcess.run(arguments, preload: false, environment: environment)
        environment["SMM_DEBUG"] = "1"
        let debug = try ChildProcess.run(arguments, preload: true, environment: environment)
        #expect(plain.status == 0)
        #expect(debug.status == 0, "\(debug.standardError)")
        #expect(debug.standardOutput == plain.standardOutput)
        #expect(!plain.standardOutput.isEmpty)
        #expect(!debug.standardError.contains("swiftmm: debug"), "\(debug.standardError)")
        #expect(debug.figure("allocations") ?? 0 > 1000, "SwiftMM served the program: \(debug.statisticsReport ?? "-")")
    }
}

/// The child's "label value" lines: `value("block")` is the word after "block" on the first line that has it.
struct ChildOutput {
    let text: String
    init(_ text: String) throws { self.text = text }

    func value(_ label: String) throws -> String {
        for line in text.split(separator: "\n") {
            guard let range = line.range(of: label + " ") else { continue }
            if let word = line[range.upperBound...].split(separator: " ").first { return String(word) }
        }
        throw TestFailure("no '\(label)' in the child's output:\n\(text)")
    }
}

/// One debug-mode report, parsed from stderr.
struct DebugReport {
    var title: String
    var lines: [String]
    var text: String { ([title] + lines).joined(separator: "\n") }

    /// "block 0x..., 24 bytes, allocation #57"
    var blockLine: String { lines.first { $0.hasPrefix("  block ") }.map { String($0.dropFirst(2)) } ?? "" }
    var allocationNumber: Int? {
        guard let range = blockLine.range(of: "allocation #") else { return nil }
        return Int(blockLine[range.upperBound...].prefix { $0.isNumber })
    }

    /// The stack under "  <label> thread N:".
    func stack(_ label: String) -> Stack? {
        guard let start = lines.firstIndex(where: { $0.hasPrefix("  \(label) thread ") && $0.hasSuffix(":") }) else { return nil }
        let thread = String(lines[start].dropFirst(2 + label.count + " thread ".count).dropLast())
        let frames = lines[(start + 1)...].prefix { $0.hasPrefix("    ") }.map { String($0.dropFirst(4)) }
        return Stack(thread: thread, frames: frames)
    }

    struct Stack {
        var thread: String
        var frames: [String]
        /// True when the frames name each of `functions`, innermost first, in this order.
        func names(_ functions: [String]) -> Bool {
            var i = 0
            for frame in frames where i < functions.count && frame.contains("(\(functions[i])+") { i += 1 }
            return i == functions.count
        }
    }

    static func all(in standardError: String) -> [DebugReport] {
        var reports: [DebugReport] = []
        for line in standardError.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("swiftmm: debug: ") {
                let rest = line.dropFirst("swiftmm: debug: ".count)
                if rest.hasPrefix("aborting") || rest.hasPrefix("smm_check_heap found") { continue }
                let title = rest.range(of: " (pid ").map { String(rest[..<$0.lowerBound]) } ?? String(rest)
                reports.append(DebugReport(title: title, lines: []))
            } else if line.hasPrefix("  "), !reports.isEmpty {
                reports[reports.count - 1].lines.append(line)
            }
        }
        return reports
    }
}
