/// Why `smm state` could not read a process's live state. Each description is one sentence for stderr.
public enum LiveStateError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No process has this PID.
    case noSuchProcess(pid: Int32)
    /// The process was there when reading started and was gone before it finished.
    case processExited(pid: Int32)
    /// The kernel refused to let smm read the process.
    case permissionDenied(pid: Int32)
    /// libswiftmm.so is not mapped in the process.
    case notSwiftMM(pid: Int32)
    /// The process's libswiftmm.so has no live-state anchor, or one this smm cannot read.
    case layoutMismatch(pid: Int32, library: String, reason: String)
    /// Any other failure.
    case readFailed(pid: Int32, reason: String)

    public var description: String {
        switch self {
        case .noSuchProcess(let pid):
            return "no process with PID \(pid)"
        case .processExited(let pid):
            return "process \(pid) exited while its heap was being read"
        case .permissionDenied(let pid):
            return "permission denied reading the memory of process \(pid): smm state needs ptrace access to it "
                + "(run smm as the same user as the process, or as root or with CAP_SYS_PTRACE; "
                + "a process that made itself non-dumpable can only be read by root)"
        case .notSwiftMM(let pid):
            return "process \(pid) does not use SwiftMM (libswiftmm.so is not mapped in it); "
                + "start it with 'smm run' or LD_PRELOAD=/path/to/libswiftmm.so"
        case .layoutMismatch(let pid, let library, let reason):
            return "cannot read the live state of process \(pid): its \(library) \(reason)"
        case .readFailed(let pid, let reason):
            return "cannot read the memory of process \(pid): \(reason)"
        }
    }
}
