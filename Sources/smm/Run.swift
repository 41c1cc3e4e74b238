import ArgumentParser
import Foundation
import SwiftMM

extension SMM {
    /// `smm run`: runs a command with libswiftmm.so preloaded and exits with the command's status.
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a command with SwiftMM as its malloc.",
            discussion: """
                With no command, runs the bundled Swift workload (smm-swift-workload). \
                The command's exit status becomes smm's; a command killed by signal N exits with 128+N.
                """
        )

        @Flag(name: .long, help: "Print SwiftMM's statistics when the command exits (SMM_STATS=1).")
        var stats = false

        @Flag(name: .long, help: "Print the options in force when the command starts (SMM_VERBOSE=1).")
        var verbose = false

        @Option(name: .long, help: "Path of libswiftmm.so (default: next to smm, or $SWIFTMM_LIBRARY).")
        var library: String?

        @Argument(parsing: .captureForPassthrough, help: "The command and its arguments, after --.")
        var command: [String] = []

        func run() throws {
            var arguments = command
            if arguments.first == "--" { arguments.removeFirst() }
            if arguments.isEmpty {
                guard let workload = Launcher.bundledWorkload() else {
                    throw ValidationError("no command given, and the bundled workload smm-swift-workload was not found next to smm")
                }
                arguments = [workload]
            }
            guard let libraryPath = library ?? LibraryLocator.locate() else {
                throw ValidationError("libswiftmm.so not found next to smm; build it with 'swift build -c release' or pass --library")
            }
            guard FileManager.default.isReadableFile(atPath: libraryPath) else {
                throw ValidationError("cannot read the library at \(libraryPath)")
            }
            var environment = ProcessInfo.processInfo.environment
            environment["LD_PRELOAD"] = [libraryPath, environment["LD_PRELOAD"]].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ":")
            if stats { environment["SMM_STATS"] = "1" }
            if verbose { environment["SMM_VERBOSE"] = "1" }
            let status = Launcher.run(arguments, environment: environment)
            throw ExitCode(status)
        }
    }
}
