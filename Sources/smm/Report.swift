import ArgumentParser
import Foundation
import SMMAnalyzer

extension SMM {
    /// `smm report`: one self-contained HTML page about a process (or a saved snapshot).
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a self-contained HTML report: address-space map, summary, sortable regions, timeline.",
            discussion: "The page loads nothing from the network; open it in any browser."
        )

        @Argument(help: "The process ID (or use --self or --snapshot).")
        var pid: Int32?

        @Flag(name: .customLong("self"), help: "Report on smm's own process.")
        var ownProcess = false

        @Option(name: .long, help: "Report on a snapshot file instead of a live process.")
        var snapshot: String?

        @Option(name: .shortAndLong, help: "The HTML file to write.")
        var output: String

        @Option(name: .long, help: "Samples from smm watch -o, drawn as a timeline.")
        var samples: String?

        func validate() throws {
            let sources = [pid != nil, ownProcess, snapshot != nil].filter { $0 }.count
            if sources != 1 { throw ValidationError("give exactly one of a PID, --self or --snapshot") }
        }

        func run() throws {
            let page = try AnalyzerFrontEnd.reportingErrors { () throws -> String in
                let captured: SMMAnalyzer.Snapshot
                if let snapshot {
                    captured = try SnapshotCoding.readSnapshot(snapshot)
                } else {
                    captured = try ProcessReader().snapshot(pid: pid ?? getpid())
                }
                let timeline = try samples.map { path throws(SnapshotFileError) in try SnapshotCoding.readTimeline(path) }
                return HTMLReport.render(captured, timeline: timeline)
            }
            do {
                try page.write(toFile: output, atomically: true, encoding: .utf8)
            } catch {
                AnalyzerFrontEnd.fail("cannot write \(output): \(error.localizedDescription)")
            }
            AnalyzerFrontEnd.print("wrote \(output)\n")
        }
    }
}
