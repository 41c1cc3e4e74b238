import Testing

/// The extended C API under LD_PRELOAD: Sources/smm-check-ext runs each group in a child process, where the
/// standard names (malloc, free, realloc...) are SwiftMM's and route through installed memory managers.
@Suite("Extended API (C, preloaded)")
struct ExtendedCheckTests {
    @Test("C checks", arguments: ["aligned", "reget", "queries", "blocks", "pages", "jit", "manager"])
    func group(name: String) throws {
        let result = try ChildProcess.run([try BuildProducts.program("smm-check-ext"), name], preload: true)
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        #expect(result.standardOutput.contains(" 0 failures"))
    }

    @Test("the check program notices when SwiftMM is not loaded")
    func requiresSwiftMM() throws {
        let result = try ChildProcess.run([try BuildProducts.program("smm-check-ext")], preload: false)
        #expect(result.status == 100)
    }
}
