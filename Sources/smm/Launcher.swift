import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starting child processes for `smm run` and friends.
enum Launcher {
    /// The bundled demonstration workload, built beside `smm`.
    static func bundledWorkload() -> String? {
        let candidate = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("smm-swift-workload").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        return nil
    }

    /// Runs `arguments` (searched in PATH) with `environment`, waits, and returns its exit status
    /// (128 + N when a signal N ended it; 127 when it could not start).
    static func run(_ arguments: [String], environment: [String: String]) -> Int32 {
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], nil, nil, argv, envp)
        if spawned != 0 {
            FileHandle.standardError.write("smm: cannot run '\(arguments[0])': \(String(cString: strerror(spawned)))\n".data(using: .utf8)!)
            return 127
        }
        // Let the child take Ctrl-C itself; smm only waits for it.
        signal(SIGINT, SIG_IGN)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }
}
