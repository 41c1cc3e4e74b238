import ArgumentParser
import SMMAnalyzer

extension SMM {
    /// `smm snapshot`: writes a process's map as versioned JSON.
    struct Snapshot: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Save a process's address-space map as a JSON snapshot (compare two with smm diff)."
        )

        @OptionGroup var target: TargetProcessOptions

        @Option(name: .shortAndLong, help: "The snapshot file to write.")
        var output: String

        func run() throws {
            let snapshot = try AnalyzerFrontEnd.reportingErrors { try ProcessReader().snapshot(pid: target.resolvedPID) }
            try AnalyzerFrontEnd.reportingErrors { try SnapshotCoding.write(snapshot, to: output) }
            AnalyzerFrontEnd.print("wrote snapshot of PID \(snapshot.pid) (\(snapshot.regions.count) regions) to \(output)\n")
        }
    }
}
