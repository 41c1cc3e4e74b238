import Foundation

/// The version of SwiftMM this module belongs to.
public enum SwiftMMVersion {
    /// The version as "major.minor.patch"; the same as `smm_version()` in libswiftmm.so.
    public static let string = "0.1.0"
}

/// Finds `libswiftmm.so` on disk.
public enum LibraryLocator {
    /// The library's path: `$SWIFTMM_LIBRARY` if set, else `libswiftmm.so` next to the running executable,
    /// else in `../lib` beside it. Nil when none exists.
    public static func locate() -> String? {
        let fileManager = FileManager.default
        if let explicit = ProcessInfo.processInfo.environment["SWIFTMM_LIBRARY"], !explicit.isEmpty {
            return fileManager.fileExists(atPath: explicit) ? explicit : nil
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var candidates = [executable.deletingLastPathComponent().appendingPathComponent("libswiftmm.so"),
                          executable.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("lib/libswiftmm.so")]
        if let selfPath = try? fileManager.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: selfPath).deletingLastPathComponent().appendingPathComponent("libswiftmm.so"))
        }
        return candidates.map(\.path).first { fileManager.fileExists(atPath: $0) }
    }
}
