import ArgumentParser
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
        ]
    )
}
