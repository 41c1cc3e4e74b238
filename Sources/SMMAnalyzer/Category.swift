/// VMMap's memory types, mapped onto Linux (see docs in `Categorizer`).
public enum Category: String, Codable, CaseIterable, Sendable, Comparable {
    case image = "Image"
    case heap = "Heap"
    case stack = "Stack"
    case mappedFile = "Mapped File"
    case shareable = "Shareable"
    case privateData = "Private Data"
    case reserved = "Reserved"
    case pageTable = "Page Table"
    case kernel = "Kernel-provided"
    case free = "Free"

    /// Display order: the order of `allCases`.
    public static func < (lhs: Category, rhs: Category) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// Parses a category from its display name or a loose spelling (`mapped-file`, `privatedata`, `kernel`).
    public init?(loose text: String) {
        let key = text.lowercased().filter { $0.isLetter }
        guard let match = Category.allCases.first(where: {
            let name = $0.rawValue.lowercased().filter { $0.isLetter }
            return name == key || name.hasPrefix(key) && key.count >= 3
        }) else { return nil }
        self = match
    }
}
