import Foundation
import Testing

/// The `smm` command's `run`, `--help` and `--version`.
@Suite("smm command line")
struct CommandLineTests {
    func smm(_ arguments: [String], environment: [String: String] = [:]) throws -> ChildResult {
        try ChildProcess.run([try BuildProducts.program("smm")] + arguments, preload: false, environment: environment)
    }

    @Test("--version prints the version, --help lists run")
    func versionAndHelp() throws {
        let version = try smm(["--version"])
        #expect(version.status == 0)
        #expect(version.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
        let help = try smm(["--help"])
        #expect(help.status == 0)
        #expect(help.standardOutput.contains("run"))
    }

    @Test("every subcommand's --help names the --color default as a user types it")
    func colorDefaultInHelp() throws {
        for command in ["map", "diff", "state", "watch"] {
            let help = try smm([command, "--help"])
            #expect(help.status == 0)
            let words = help.standardOutput.split(whereSeparator: \.isWhitespace).joined(separator: " ")   // unwrapped
            #expect(words.contains("--color <color> Color output"), "\(command): \(words)")
            #expect(words.contains("default: auto)"), "\(command): \(words)")
        }
    }

    @Test("smm run passes on the command's exit status")
    func exitStatus() throws {
        #expect(try smm(["run", "--", "sh", "-c", "exit 7"]).status == 7)
        #expect(try smm(["run", "--", "true"]).status == 0)
        #expect(try smm(["run", "--", "sh", "-c", "kill -KILL $$"]).status == 128 + 9)
    }

    @Test("smm run preloads SwiftMM and --stats prints its statistics at exit")
    func preloadAndStats() throws {
        // bash, not sh: dash leaves with _exit, which skips the library's exit report.
        let result = try smm(["run", "--stats", "--", "bash", "-c", "echo $LD_PRELOAD"])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("libswiftmm.so"))
        #expect(result.standardError.contains("swiftmm: statistics"))
        #expect(result.standardError.contains("allocations"))
    }

    @Test("smm run with no command runs the bundled workload")
    func bundledWorkload() throws {
        let result = try smm(["run", "--stats"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("round trip: true"))
        #expect(result.standardError.contains("thread heaps"))
    }

    @Test("a command that does not exist gives a clear error and status 127")
    func missingCommand() throws {
        let result = try smm(["run", "--", "no-such-command-smm"])
        #expect(result.status == 127)
        #expect(result.standardError.contains("cannot run 'no-such-command-smm'"))
    }

    @Test("an invalid SMM_* value gets a one-line warning, not a crash")
    func invalidOption() throws {
        let result = try smm(["run", "--", "ls", "/"], environment: ["SMM_PURGE_DELAY": "soon"])
        #expect(result.status == 0)
        #expect(result.standardError.contains("swiftmm: warning: ignoring SMM_PURGE_DELAY='soon'"))
    }
}
