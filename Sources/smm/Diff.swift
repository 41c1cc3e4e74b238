import ArgumentParser
import SMMAnalyzer

extension SMM {
    /// `smm diff`: what changed between two snapshots.
    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare two snapshots: per category and per region, what was added, removed, grown or shrunk."
        )

        @Argument(help: "The earlier snapshot.")
        var before: String

        @Argument(help: "The later snapshot.")
        var after: String

        @OptionGroup var colorOptions: ColorOptions

        @Option(name: .long, help: "Most changed regions to list.")
        var limit: Int = 50

        @Flag(name: .long, help: "Print the diff as JSON.")
        var json = false

        func run() throws {
            let (old, new) = try AnalyzerFrontEnd.reportingErrors {
                (try SnapshotCoding.readSnapshot(before), try SnapshotCoding.readSnapshot(after))
            }
            let diff = SnapshotDiff.between(old, new)
            if json {
                AnalyzerFrontEnd.print(String(decoding: SnapshotCoding.encode(diff), as: UTF8.self) + "\n")
            } else {
                AnalyzerFrontEnd.print(DiffRenderer(style: colorOptions.style).render(diff, regionLimit: limit))
            }
        }
    }
}
