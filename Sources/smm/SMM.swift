import ArgumentParser
import Foundation
import SwiftMM

/// The `smm` command: runs programs under SwiftMM and shows where a process's memory goes.
@main
struct SMM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smm",
        abstract: "SwiftMM: a fast malloc for any Linux process, and the tools to see where its memory goes.",
        version: SwiftMMVersion.string,
        subcommands: [
            Run.self,
            Map.self,
            Snapshot.self,
            Diff.self,
            Watch.self,
            Report.self,
            State.self,
        ]
    )

    /// The Swift runtime reads the arguments from /proc/self/cmdline; without /proc they arrive empty and the
    /// parser would print help and succeed. Say what is wrong instead.
    static func main() {
        if CommandLine.arguments.count <= 1 && !FileManager.default.fileExists(atPath: "/proc/self") {
            FileHandle.standardError.write(Data("smm: no /proc file system: smm needs /proc (mount -t proc proc /proc)\n".utf8))
            Foundation.exit(1)
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
