#if canImport(Glibc)
import Glibc
#endif

/// Why reading a process's `/proc` files failed. Each case's description is a complete sentence for stderr.
public enum ProcError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The system has no `/proc` file system mounted at the root the reader uses.
    case procUnavailable(root: String)
    /// No process has this PID.
    case noSuchProcess(pid: Int32)
    /// The process existed when reading started and was gone before it finished.
    case processExited(pid: Int32)
    /// The process has no user address space (a kernel thread or a zombie).
    case noAddressSpace(pid: Int32)
    /// The caller may not read the file; reading another user's smaps needs ptrace access.
    case permissionDenied(pid: Int32, file: String)
    /// Any other failure of `open` or `read`, with its errno.
    case readFailed(file: String, errno: Int32)

    public var description: String {
        switch self {
        case .procUnavailable(let root):
            return "no /proc file system found at \(root); smm needs a mounted procfs (mount -t proc proc /proc)"
        case .noSuchProcess(let pid):
            return "no process with PID \(pid)"
        case .processExited(let pid):
            return "process \(pid) exited while its memory map was being read"
        case .noAddressSpace(let pid):
            return "process \(pid) has no user address space (a kernel thread or a zombie)"
        case .permissionDenied(let pid, let file):
            return "permission denied reading \(file): inspecting process \(pid) needs ptrace access, "
                + "so run smm as the same user as the process or as root "
                + "(and check /proc/sys/kernel/yama/ptrace_scope)"
        case .readFailed(let file, let code):
            return "cannot read \(file): \(String(cString: strerror(code)))"
        }
    }
}
