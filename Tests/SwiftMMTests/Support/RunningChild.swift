import Foundation
import SMMAnalyzer

/// A child process that keeps running while a test looks at it from outside: it prints what it did, then a line
/// "ready", then blocks reading stdin until `finish()` closes it.
final class RunningChild {
    let process = Process()
    private let input = Pipe(), output = Pipe(), errors = Pipe()
    /// What the child printed up to and including "ready".
    private(set) var lines: [String] = []

    var pid: Int32 { process.processIdentifier }

    /// Starts `arguments` (the first searched in PATH), with libswiftmm.so preloaded when `preload` is set.
    init(_ arguments: [String], preload: Bool, environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "LD_PRELOAD")
        env.removeValue(forKey: "SMM_STATS")
        if preload { env["LD_PRELOAD"] = try BuildProducts.library }
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
    }

    /// Reads the child's output until its "ready" line; throws when it ends before.
    func waitUntilReady() throws {
        var buffer = Data()
        let handle = output.fileHandleForReading
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty {
                throw TestFailure("the child ended before 'ready': \(String(decoding: buffer, as: UTF8.self))")
            }
            buffer.append(chunk)
            let text = String(decoding: buffer, as: UTF8.self)
            if text.hasSuffix("ready\n") {
                lines = text.split(separator: "\n").map(String.init)
                return
            }
        }
    }

    /// Waits until `/proc/PID/maps` contains `text` (a library the loader maps), for up to 10 seconds.
    func waitUntilMapped(_ text: String) throws {
        for _ in 0..<500 {
            if let maps = try? ProcFile.readText("/proc/\(pid)/maps"), maps.contains(text) { return }
            usleep(20_000)
        }
        throw TestFailure("\(text) never appeared in /proc/\(pid)/maps")
    }

    /// The words of the lines that start with `key`, without the key.
    func fields(_ key: String) -> [[String]] {
        lines.map { $0.split(separator: " ").map(String.init) }.filter { $0.first == key }.map { Array($0.dropFirst()) }
    }

    /// Closes the child's stdin (or kills it with `signal`) and waits for it; returns its exit status.
    @discardableResult
    func finish(signal: Int32? = nil) -> Int32 {
        if let signal, process.isRunning { kill(pid, signal) }
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { finish(signal: SIGKILL) }
    }
}
