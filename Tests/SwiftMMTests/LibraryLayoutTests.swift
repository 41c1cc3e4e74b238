import Foundation
import Testing

/// The layout of libswiftmm.so's code (Sources/SwiftMMShim/hot-text.ld, written by Tools/generate-hot-text): the
/// functions every process runs sit together at the end of the code segment, from a 64 KiB boundary, so that the
/// kernel's 64 KiB fault-around maps them without the rest of the library's code.
@Suite("Layout of the library's code")
struct LibraryLayoutTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/SwiftMMShim/hot-text.ld")

    /// The function names the linker script gathers into the hot `.text`.
    static func scriptedFunctions() throws -> [String] {
        let text = try String(contentsOf: script, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("*(.text."), trimmed.hasSuffix(")"), trimmed != "*(.text.*)" else { return nil }
            return String(trimmed.dropFirst("*(.text.".count).dropLast())
        }
    }

    @Test("every function the hot-text script names is in the library, in the hot .text after all other code")
    func hotFunctionsAreTogetherAtTheEnd() throws {
        let library = try ElfFile(path: try BuildProducts.library)
        let hot = try #require(library.section(".text"))
        let cold = try #require(library.section("swiftmm_cold_text"), "the library was linked without hot-text.ld")
        #expect(cold.address + cold.size <= hot.address, "the rest of the code must come before the hot code")
        let names = try Self.scriptedFunctions()
        #expect(names.count >= 50, "the script names \(names.count) functions")
        for name in names + ["smm_malloc", "smm_free"] {
            let address = library.symbols[name]
            #expect(address != nil, "\(name) is not in libswiftmm.so: the code changed, run Tools/generate-hot-text")
            if let address {
                #expect(address >= hot.address && address < hot.address + hot.size, "\(name) lies outside the hot .text")
            }
        }
    }

    @Test("the hot code starts on a 64 KiB boundary of a library that ld.so loads 64 KiB aligned")
    func hotCodeIsAligned() throws {
        let library = try ElfFile(path: try BuildProducts.library)
        let start = try #require(library.section(".init")).address
        #expect(start % 65536 == 0, "the hot code starts at \(String(start, radix: 16))")
        #expect(try #require(library.section(".text")).address > start)
        #expect(!library.loadSegments.isEmpty && library.loadSegments.allSatisfy { $0.alignment == 65536 },
                "segment alignments: \(library.loadSegments.map(\.alignment))")
    }

    @Test("a program that allocates, reallocates and frees in several threads leaves the rest of the code unmapped")
    func ordinaryProgramsMapOnlyTheHotCode() throws {
        let library = try ElfFile(path: try BuildProducts.library)
        let hotStart = try #require(library.section(".init")).address
        let segment = try #require(library.loadSegments.first { $0.executable })
        // Preloaded without the statistics option, which registers a report at exit (code no ordinary program runs).
        let result = try ChildProcess.run([try BuildProducts.program("smm-check-layout")], preload: false,
                                          environment: ["LD_PRELOAD": try BuildProducts.library])
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        let line = try #require(result.standardOutput.split(separator: "\n").first { $0.hasPrefix("mapping ") })
        let pages = Array(line.split(separator: " ").last ?? "")
        let firstPage = segment.address & ~4095
        let present = pages.indices.filter { pages[$0] == "#" }.map { firstPage + UInt64($0) * 4096 }
        #expect(present.contains { $0 >= hotStart }, "no page of the hot code is present: \(line)")
        for page in present where page < hotStart {
            Issue.record("a page of the cold code is mapped (\(String(page, radix: 16))): \(library.symbols(in: page..<page + 4096)); run Tools/generate-hot-text")
        }
    }
}
