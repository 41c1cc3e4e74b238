import Foundation
import Testing

/// Where the package's build products are: the folder that holds the running test binary.
enum BuildProducts {
    static let directory: URL = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // The test binary may sit inside an .xctest bundle folder.
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("libswiftmm.so").path) {
            if url.pathExtension == "xctest" || url.lastPathComponent == "Contents" || url.lastPathComponent == "MacOS" {
                url = url.deletingLastPathComponent()
            } else { break }
        }
        return url
    }()

    /// libswiftmm.so, which the test run builds; a missing library fails the test that needs it.
    static var library: String {
        get throws {
            let path = directory.appendingPathComponent("libswiftmm.so").path
            guard FileManager.default.fileExists(atPath: path) else {
                throw TestFailure("libswiftmm.so is not in \(directory.path): build it with 'swift build' before 'swift test'")
            }
            return path
        }
    }

    static func program(_ name: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else { throw TestFailure("\(name) is not built in \(directory.path)") }
        return path
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// What a finished child process left.
struct ChildResult {
    var status: Int32
    var standardOutput: String
    var standardError: String
    /// SwiftMM's statistics report (SMM_STATS=1 written to SMM_STATS_FILE), when asked for.
    var statisticsReport: String?

    /// A figure from the statistics report, e.g. `figure("allocations")`. Every process of the run that
    /// exits normally appends a report (a shell's forked subshells too), so this is the largest one.
    func figure(_ label: String) -> UInt64? {
        guard let report = statisticsReport else { return nil }
        var largest: UInt64?
        for line in report.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix(label + " "),
               let value = UInt64(trimmed.dropFirst(label.count).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") {
                largest = max(largest ?? 0, value)
            }
        }
        return largest
    }
}

enum ChildProcess {
    /// Runs `arguments` (the first searched in PATH) and waits for it.
    /// - Parameters:
    ///   - preload: run with libswiftmm.so preloaded and its statistics written to a file.
    ///   - environment: extra variables.
    static func run(_ arguments: [String], preload: Bool, environment: [String: String] = [:],
                    directory: URL? = nil, input: String? = nil) throws -> ChildResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "LD_PRELOAD")
        env.removeValue(forKey: "SMM_STATS")
        for (k, v) in environment { env[k] = v }
        var statsFile: URL?
        if preload {
            env["LD_PRELOAD"] = try BuildProducts.library
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("smm-stats-\(UUID().uuidString).txt")
            env["SMM_STATS"] = "1"
            env["SMM_STATS_FILE"] = file.path
            statsFile = file
        }
        process.environment = env
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe(), inPipe = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = inPipe
        try process.run()
        if let input { inPipe.fileHandleForWriting.write(input.data(using: .utf8)!) }
        try inPipe.fileHandleForWriting.close()
        // Read both pipes concurrently so that a chatty child never blocks on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var errorData = Data()
        group.enter()
        DispatchQueue.global().async { errorData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let outputData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        var report: String?
        if let statsFile {
            report = try? String(contentsOf: statsFile, encoding: .utf8)
            try? FileManager.default.removeItem(at: statsFile)
        }
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return ChildResult(status: status,
                           standardOutput: String(decoding: outputData, as: UTF8.self),
                           standardError: String(decoding: errorData, as: UTF8.self),
                           statisticsReport: report)
    }
}
