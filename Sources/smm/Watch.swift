import ArgumentParser
import Foundation
import SMMAnalyzer

extension SMM {
    /// `smm watch`: samples a process over time and charts it.
    struct Watch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sample a process's categories at an interval, chart them, and optionally save the samples.",
            discussion: "Stops after --duration seconds or when the process exits."
        )

        @OptionGroup var target: TargetProcessOptions
        @OptionGroup var colorOptions: ColorOptions

        @Option(name: .long, help: "Seconds between samples.")
        var interval: Double = 1

        @Option(name: .long, help: "Seconds to watch.")
        var duration: Double = 10

        @Option(name: .shortAndLong, help: "Save the samples as JSON (for smm report --samples).")
        var output: String?

        @Option(name: .long, help: "Figure to chart: \(MemoryFigures.Field.allCases.map(\.rawValue).joined(separator: ", ")).")
        var field: String = "resident"

        func validate() throws {
            guard interval > 0, duration >= 0 else { throw ValidationError("--interval must be positive and --duration not negative") }
            guard MemoryFigures.Field(rawValue: field) != nil else { throw ValidationError("unknown --field '\(field)'") }
        }

        func run() throws {
            let reader = ProcessReader()
            let pid = target.resolvedPID
            let first = try AnalyzerFrontEnd.reportingErrors { try reader.snapshot(pid: pid) }
            var timeline = Timeline(pid: pid, command: first.command, interval: interval)
            timeline.record(first)
            let start = Date()
            var next = interval
            while next <= duration {
                let wait = next - Date().timeIntervalSince(start)
                if wait > 0 { Thread.sleep(forTimeInterval: wait) }
                next += interval
                guard reader.isAlive(pid: pid), let snapshot = try? reader.snapshot(pid: pid) else {
                    timeline.processExited = true
                    break
                }
                timeline.record(snapshot)
            }
            let chartField = MemoryFigures.Field(rawValue: field)!
            AnalyzerFrontEnd.print(TimelineChartRenderer(style: colorOptions.style).render(timeline, field: chartField))
            if let output {
                try AnalyzerFrontEnd.reportingErrors { try SnapshotCoding.write(timeline, to: output) }
                AnalyzerFrontEnd.print("wrote \(timeline.samples.count) samples to \(output)\n")
            }
        }
    }
}
