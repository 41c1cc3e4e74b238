#if canImport(Glibc)
import Glibc
#endif

/// When to color terminal output.
public enum ColorMode: String, CaseIterable, Sendable {
    /// Color when stdout is a terminal and `NO_COLOR` is unset or empty.
    case auto
    /// Always color.
    case always
    /// Never color.
    case never

    /// Whether to color, given the environment and whether stdout is a terminal.
    public func enabled(environment: [String: String], stdoutIsTerminal: Bool) -> Bool {
        switch self {
        case .always: return true
        case .never: return false
        case .auto: return stdoutIsTerminal && (environment["NO_COLOR"] ?? "").isEmpty
        }
    }

    /// Whether to color this process's stdout.
    public func enabledForStandardOutput(environment: [String: String]) -> Bool {
        enabled(environment: environment, stdoutIsTerminal: isatty(STDOUT_FILENO) == 1)
    }
}

/// ANSI styling; a disabled style returns text unchanged.
public struct TerminalStyle: Sendable {
    /// Whether escapes are written.
    public var enabled: Bool

    /// A style that colors when `enabled`.
    public init(enabled: Bool) { self.enabled = enabled }

    /// `text` in the color of `category`.
    public func category(_ category: Category, _ text: String) -> String {
        paint(Self.ansiCode(category), text)
    }

    /// `text` in bold.
    public func bold(_ text: String) -> String { paint("1", text) }
    /// `text` dimmed.
    public func dim(_ text: String) -> String { paint("2", text) }
    /// `text` in green (growth is red, shrinkage green, in diffs).
    public func green(_ text: String) -> String { paint("32", text) }
    /// `text` in red.
    public func red(_ text: String) -> String { paint("31", text) }

    func paint(_ code: String, _ text: String) -> String {
        enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    /// The ANSI color of each category, chosen to echo VMMap's palette.
    public static func ansiCode(_ category: Category) -> String {
        switch category {
        case .image: "35"          // magenta, VMMap's purple
        case .heap: "33"           // yellow-orange
        case .stack: "93"          // bright yellow
        case .mappedFile: "94"     // light blue
        case .shareable: "36"      // cyan
        case .privateData: "91"    // bright red / pink
        case .reserved: "90"       // grey
        case .pageTable: "32"      // green
        case .kernel: "34"         // blue
        case .free: "37"           // white
        }
    }

    /// The HTML color of each category (the same palette as the terminal).
    public static func htmlColor(_ category: Category) -> String {
        switch category {
        case .image: "#a66bd3"
        case .heap: "#f0a030"
        case .stack: "#f5d742"
        case .mappedFile: "#5b9bd5"
        case .shareable: "#3cb4b4"
        case .privateData: "#e8707a"
        case .reserved: "#9a9a9a"
        case .pageTable: "#5cb85c"
        case .kernel: "#3f5fbf"
        case .free: "#e6e6e6"
        }
    }
}
