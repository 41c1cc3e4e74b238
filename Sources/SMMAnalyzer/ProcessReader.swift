#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Reads a process's `/proc` files and turns them into a `Snapshot`.
///
/// `procRoot` is `/proc` for live processes; tests point it at a directory of recorded files laid out
/// the same way (`PID/smaps`, `PID/status`, `PID/cmdline`, `PID/task/TID/comm`, `PID/task/TID/syscall`).
public struct ProcessReader: Sendable {
    /// The directory that plays the part of `/proc`.
    public var procRoot: String

    /// A reader of `procRoot` (`/proc` by default).
    public init(procRoot: String = "/proc") {
        self.procRoot = procRoot
    }

    /// Takes a snapshot of process `pid`.
    public func snapshot(pid: Int32, capturedAt: Double = Date().timeIntervalSince1970) throws(ProcError) -> Snapshot {
        let directory = try processDirectory(pid)
        let smapsPath = directory + "/smaps"
        let smaps: [UInt8]
        do {
            smaps = try ProcFile.readBytes(smapsPath, sizeHint: 1 << 20)
        } catch {
            throw classify(error.errno, pid: pid, file: smapsPath)
        }
        let status: ProcessStatus
        do {
            status = StatusParser.parse(try ProcFile.readText(directory + "/status"))
        } catch {
            throw classify(error.errno, pid: pid, file: directory + "/status")
        }
        let mappings = SmapsParser.parse(smaps)
        if mappings.isEmpty {
            if !exists(directory) { throw .processExited(pid: pid) }
            throw .noAddressSpace(pid: pid)
        }
        let threads = readThreads(directory)
        return Categorizer.snapshot(pid: pid, command: command(directory, status: status), capturedAt: capturedAt,
                                    mappings: mappings, status: status, threads: threads)
    }

    /// True while `/proc/PID` exists and the process is not a zombie.
    public func isAlive(pid: Int32) -> Bool {
        guard let text = try? ProcFile.readText("\(procRoot)/\(pid)/status") else { return false }
        return !StatusParser.parse(text).isDead
    }

    /// `procRoot/PID`, after checking that procfs and the process exist.
    func processDirectory(_ pid: Int32) throws(ProcError) -> String {
        guard exists(procRoot) else { throw .procUnavailable(root: procRoot) }
        if procRoot == "/proc" && !exists("/proc/self/stat") { throw .procUnavailable(root: procRoot) }
        let directory = "\(procRoot)/\(pid)"
        guard pid > 0, exists(directory) else { throw .noSuchProcess(pid: pid) }
        return directory
    }

    func classify(_ code: Int32, pid: Int32, file: String) -> ProcError {
        switch code {
        case EACCES, EPERM: return .permissionDenied(pid: pid, file: file)
        case ENOENT, ESRCH: return .processExited(pid: pid)
        default: return .readFailed(file: file, errno: code)
        }
    }

    func readThreads(_ directory: String) -> [ThreadObservation] {
        guard let names = try? ProcFile.listDirectory(directory + "/task") else { return [] }
        return names.compactMap { name in
            guard let tid = Int32(name) else { return nil }
            let taskDirectory = directory + "/task/" + name
            let comm = (try? ProcFile.readText(taskDirectory + "/comm")).map(TaskParser.parseComm) ?? ""
            let syscall = (try? ProcFile.readText(taskDirectory + "/syscall")).map(TaskParser.parseSyscall) ?? .unknown
            return ThreadObservation(tid: tid, name: comm, syscall: syscall)
        }
    }

    func command(_ directory: String, status: ProcessStatus) -> String {
        guard let bytes = try? ProcFile.readBytes(directory + "/cmdline", sizeHint: 4096), !bytes.isEmpty else {
            return status.name
        }
        let trimmed = bytes.last == 0 ? bytes.dropLast() : bytes[...]
        return String(decoding: trimmed.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
    }

    func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }
}
