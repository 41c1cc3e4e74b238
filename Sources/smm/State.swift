import ArgumentParser
import Foundation
import SMMAnalyzer

extension SMM {
    /// `smm state PID`: the live state of a running process that uses SwiftMM, read from outside.
    struct State: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the heap status, size classes and memory map of a running process that uses SwiftMM.",
            discussion: """
                Reads the process's SwiftMM heaps from outside while it runs, without stopping it: the same figures \
                as smm_heap_status, smm_state and smm_memory_map inside the process. Reading needs ptrace access \
                (the same user as the process, or root); the process creates no file, socket or shared memory for it.
                """
        )

        @Argument(help: "The process ID.")
        var pid: Int32

        @OptionGroup var colorOptions: ColorOptions

        @Flag(name: .long, help: "Print the state as JSON.")
        var json = false

        func run() throws {
            let live: LiveState
            do {
                live = try LiveStateReader().read(pid: pid)
            } catch {
                AnalyzerFrontEnd.fail(error.description)
            }
            if json {
                AnalyzerFrontEnd.print(String(decoding: SnapshotCoding.encode(live), as: UTF8.self) + "\n")
            } else {
                AnalyzerFrontEnd.print(LiveStateRenderer(style: colorOptions.style).render(live))
            }
        }
    }
}
