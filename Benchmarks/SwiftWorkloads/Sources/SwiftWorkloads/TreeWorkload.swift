// A tree of class instances: a document-object-model-like tree whose nodes hold a name (String),
// children ([Node]) and attributes ([String: Int]). Trees are built, walked, partly pruned and
// rebuilt, so retain/release and many small allocations dominate, as in a compiler's AST or a UI
// framework's view tree. Each walk's checksum must match the value computed as the tree was built.
enum TreeWorkload {
    final class Node {
        let name: String
        var children: [Node] = []
        var attributes: [String: Int] = [:]
        weak var parent: Node?

        init(name: String, parent: Node?) {
            self.name = name
            self.parent = parent
        }
    }

    /// Builds a tree of the given depth and fan-out and returns it with the checksum of its contents.
    static func build(depth: Int, fanOut: Int, rng: inout SplitMix, parent: Node? = nil) -> (Node, Int) {
        let value = Int(rng.next() % 1000)
        let node = Node(name: "node-\(depth)-\(value)", parent: parent)
        node.attributes["value"] = value
        node.attributes["depth"] = depth
        var sum = value + node.name.utf8.count
        if depth > 0 {
            for _ in 0..<fanOut {
                let (child, childSum) = build(depth: depth - 1, fanOut: fanOut, rng: &rng, parent: node)
                node.children.append(child)
                sum &+= childSum
            }
        }
        return (node, sum)
    }

    static func checksum(_ node: Node) -> Int {
        var sum = (node.attributes["value"] ?? -1_000_000) + node.name.utf8.count
        for child in node.children { sum &+= checksum(child) }
        return sum
    }

    /// Replaces every other subtree one level down with a freshly built one, as an edit would.
    static func rebuildHalf(_ root: Node, depth: Int, fanOut: Int, rng: inout SplitMix) -> Int {
        var sum = (root.attributes["value"] ?? 0) + root.name.utf8.count
        for i in root.children.indices {
            if i % 2 == 0 {
                let (child, childSum) = build(depth: depth - 1, fanOut: fanOut, rng: &rng, parent: root)
                root.children[i] = child
                sum &+= childSum
            } else {
                sum &+= checksum(root.children[i])
            }
        }
        return sum
    }

    static func run(smoke: Bool) -> Bool {
        let depth = smoke ? 8 : 11, fanOut = 3, rounds = 2
        var rng = SplitMix(seed: 2024)
        for _ in 0..<rounds {
            var (root, expected) = build(depth: depth, fanOut: fanOut, rng: &rng)
            guard checksum(root) == expected else { return false }
            for _ in 0..<3 {
                expected = rebuildHalf(root, depth: depth, fanOut: fanOut, rng: &rng)
                guard checksum(root) == expected else { return false }
            }
            root = Node(name: "empty", parent: nil)  // drop the whole tree
        }
        return true
    }
}
