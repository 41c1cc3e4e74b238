/// What `/proc/PID/task/TID/syscall` says about a thread.
public enum ThreadSyscallState: Equatable, Sendable {
    /// Blocked in (or stopped at) a system call: the stack pointer and program counter are known.
    case blocked(stackPointer: UInt64, programCounter: UInt64)
    /// Running on a CPU: the registers are not available from this file.
    case running
    /// The file was empty or unreadable (no ptrace access, or the thread exited).
    case unknown
}

/// Parses the per-thread files in `/proc/PID/task/TID/`.
public enum TaskParser {
    /// Parses `syscall`: `NR arg1 … arg6 SP PC`, `-1 SP PC` when not in a system call, or `running`.
    /// The stack pointer is the second-to-last field.
    public static func parseSyscall(_ text: String) -> ThreadSyscallState {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        if fields.first == "running" { return .running }
        guard fields.count >= 3,
              let stackPointer = parseHex(fields[fields.count - 2]),
              let programCounter = parseHex(fields[fields.count - 1]) else { return .unknown }
        return .blocked(stackPointer: stackPointer, programCounter: programCounter)
    }

    /// Parses `comm`: the thread's name, without the trailing newline.
    public static func parseComm(_ text: String) -> String {
        var name = Substring(text)
        while name.last == "\n" { name = name.dropLast() }
        return String(name)
    }

    private static func parseHex(_ field: Substring) -> UInt64? {
        let digits = field.hasPrefix("0x") ? field.dropFirst(2) : field
        return UInt64(digits, radix: 16)
    }
}
