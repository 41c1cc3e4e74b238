import Foundation
import Testing
@testable import SMMAnalyzer

/// Rendered outputs of the recorded fixtures, compared with files under `Fixtures/golden/`.
/// Run with `SMM_UPDATE_GOLDEN=1` to rewrite them after an intended change, then review the diff.
@Suite("Golden outputs")
struct GoldenOutputTests {
    static let goldenDirectory = Fixtures.directory.appendingPathComponent("golden")

    func compare(_ actual: String, golden name: String) throws {
        let url = Self.goldenDirectory.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["SMM_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: Self.goldenDirectory, withIntermediateDirectories: true)
            try actual.write(to: url, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(actual == expected, "output differs from \(name); rerun with SMM_UPDATE_GOLDEN=1 if intended")
    }

    @Test("edge cases: summary, threads and details without color")
    func edgeCasesText() throws {
        let snapshot = try Fixtures.edgeCases()
        let renderer = MapRenderer(style: TerminalStyle(enabled: false))
        try compare(renderer.summary(snapshot) + "\n" + renderer.threads(snapshot) + "\n"
                    + renderer.details(snapshot, order: .address, categories: []), golden: "edge-cases-map.txt")
    }

    @Test("recorded child: summary and heap and stack details sorted by size")
    func childText() throws {
        let snapshot = try Fixtures.childProcess()
        let renderer = MapRenderer(style: TerminalStyle(enabled: false))
        try compare(renderer.summary(snapshot) + "\n" + renderer.details(snapshot, order: .figure(.size), categories: [.heap, .stack]),
                    golden: "child-process-map.txt")
    }

    @Test("edge cases: the JSON snapshot")
    func edgeCasesJSON() throws {
        let json = String(decoding: SnapshotCoding.encode(try Fixtures.edgeCases()), as: UTF8.self)
        try compare(json + "\n", golden: "edge-cases-snapshot.json")
    }

    @Test("colored output wraps category names in their ANSI color and pads by visible width")
    func colors() throws {
        let snapshot = try Fixtures.edgeCases()
        let plain = MapRenderer(style: TerminalStyle(enabled: false)).summary(snapshot)
        let colored = MapRenderer(style: TerminalStyle(enabled: true)).summary(snapshot)
        #expect(colored.contains("\u{1B}[33m■ Heap\u{1B}[0m"))
        #expect(!plain.contains("\u{1B}"))
        let stripped = colored.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
        #expect(stripped == plain)
    }

    @Test("color mode: auto colors only a terminal without NO_COLOR; always and never win")
    func colorMode() {
        #expect(ColorMode.auto.enabled(environment: [:], stdoutIsTerminal: true))
        #expect(!ColorMode.auto.enabled(environment: [:], stdoutIsTerminal: false))
        #expect(!ColorMode.auto.enabled(environment: ["NO_COLOR": "1"], stdoutIsTerminal: true))
        #expect(ColorMode.always.enabled(environment: ["NO_COLOR": "1"], stdoutIsTerminal: false))
        #expect(!ColorMode.never.enabled(environment: [:], stdoutIsTerminal: true))
    }
}
