import ArgumentParser
import Foundation
import SMMAnalyzer

/// The process a `/proc` subcommand looks at: a PID, or `--self`.
struct TargetProcessOptions: ParsableArguments {
    @Argument(help: "The process ID.")
    var pid: Int32?

    @Flag(name: .customLong("self"), help: "Look at smm's own process.")
    var ownProcess = false

    mutating func validate() throws {
        if pid == nil && !ownProcess { throw ValidationError("give a PID or --self") }
        if pid != nil && ownProcess { throw ValidationError("give either a PID or --self, not both") }
    }

    /// The PID to read.
    var resolvedPID: Int32 { pid ?? getpid() }
}

/// `--color`.
struct ColorOptions: ParsableArguments {
    @Option(name: .long, help: "Color output: auto (a terminal and no NO_COLOR), always, never.")
    var color: ColorChoice = .auto

    /// The style to render with.
    var style: TerminalStyle {
        TerminalStyle(enabled: color.mode.enabledForStandardOutput(environment: ProcessInfo.processInfo.environment))
    }
}

/// `ColorMode` as an argument.
struct ColorChoice: ExpressibleByArgument {
    var mode: ColorMode
    static let auto = ColorChoice(mode: .auto)
    init(mode: ColorMode) { self.mode = mode }
    init?(argument: String) {
        guard let mode = ColorMode(rawValue: argument.lowercased()) else { return nil }
        self.mode = mode
    }
    static var allValueStrings: [String] { ColorMode.allCases.map(\.rawValue) }
    /// What `--help` shows as the default.
    var defaultValueDescription: String { mode.rawValue }
}

/// Front-end helpers shared by the `/proc` subcommands: error reporting and output.
enum AnalyzerFrontEnd {
    /// Runs `body`; a `ProcError` or `SnapshotFileError` becomes a message on stderr and exit status 1.
    static func reportingErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ProcError {
            fail(error.description)
        } catch let error as SnapshotFileError {
            fail(error.description)
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("smm: \(message)\n".utf8))
        Foundation.exit(1)
    }

    /// Writes `text` to stdout.
    static func print(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

extension SMM {
    /// `smm map`: where a process's address space goes, in VMMap's categories.
    struct Map: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a process's address space sorted into VMMap's categories.",
            discussion: """
                Categories: Image, Heap, Stack, Mapped File, Shareable, Private Data, Reserved, Page Table, \
                Kernel-provided, Free. Reading another user's process needs ptrace access (same user or root).
                """
        )

        @OptionGroup var target: TargetProcessOptions
        @OptionGroup var colorOptions: ColorOptions

        @Flag(name: .long, help: "List the threads and every region after the summary.")
        var details = false

        @Option(name: .long, help: "Order of --details: \(RegionOrder.names.joined(separator: ", ")).")
        var sort: String = "address"

        @Option(name: .long, help: "Only these categories in --details (comma-separated, e.g. heap,stack).")
        var filter: String?

        @Flag(name: .long, help: "Print the whole snapshot as JSON.")
        var json = false

        func validate() throws {
            if RegionOrder(sort) == nil { throw ValidationError("unknown --sort '\(sort)'; use one of \(RegionOrder.names.joined(separator: ", "))") }
            _ = try categories()
        }

        func categories() throws -> Set<Category> {
            guard let filter else { return [] }
            return Set(try filter.split(separator: ",").map { name in
                guard let category = Category(loose: String(name)) else {
                    throw ValidationError("unknown category '\(name)'; use one of \(Category.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return category
            })
        }

        func run() throws {
            let snapshot = try AnalyzerFrontEnd.reportingErrors { try ProcessReader().snapshot(pid: target.resolvedPID) }
            if json {
                AnalyzerFrontEnd.print(String(decoding: SnapshotCoding.encode(snapshot), as: UTF8.self) + "\n")
                return
            }
            let renderer = MapRenderer(style: colorOptions.style)
            var output = renderer.summary(snapshot)
            if details {
                output += "\nThreads\n" + renderer.threads(snapshot)
                output += "\nRegions\n" + renderer.details(snapshot, order: RegionOrder(sort)!, categories: try categories())
            }
            AnalyzerFrontEnd.print(output)
        }
    }
}
