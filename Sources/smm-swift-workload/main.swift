// The bundled workload that `smm run` runs by default: a small, allocation-heavy Swift program with classes,
// arrays, strings, dictionaries and threads. Its output is deterministic, so a run under SwiftMM can be
// compared with a run under the system malloc.
import Foundation

/// A node of a binary tree of class instances.
final class Node {
    let key: Int
    var label: String
    var left: Node?
    var right: Node?
    init(key: Int) { self.key = key; self.label = "node-\(key)" }
}

/// A deterministic pseudo-random sequence (xorshift), so every run does the same work.
struct Sequence64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return state
    }
}

func buildTree(_ keys: [Int]) -> Node? {
    var root: Node?
    for key in keys {
        let node = Node(key: key)
        guard var current = root else { root = node; continue }
        while true {
            if key < current.key {
                guard let l = current.left else { current.left = node; break }
                current = l
            } else {
                guard let r = current.right else { current.right = node; break }
                current = r
            }
        }
    }
    return root
}

func checksum(_ node: Node?) -> Int {
    guard let node else { return 0 }
    return node.key &+ node.label.utf8.count &+ checksum(node.left) &* 3 &+ checksum(node.right) &* 7
}

/// One thread's share: strings, dictionaries and arrays built, counted and dropped.
func wordStatistics(seed: UInt64, rounds: Int) -> (words: Int, distinct: Int, longest: String) {
    var random = Sequence64(state: seed)
    var counts: [String: Int] = [:]
    var total = 0
    for _ in 0..<rounds {
        var sentence: [String] = []
        for _ in 0..<(8 + Int(random.next() % 16)) {
            let length = 2 + Int(random.next() % 9)
            let word = String((0..<length).map { _ in Character(UnicodeScalar(UInt8(97 + random.next() % 26))) })
            sentence.append(word)
        }
        for word in sentence { counts[word, default: 0] += 1 }
        total += sentence.count
        _ = sentence.joined(separator: " ").uppercased()
    }
    let longest = counts.keys.max { ($0.count, $0) < ($1.count, $1) } ?? ""
    return (total, counts.count, longest)
}

struct Document: Codable, Equatable {
    var title: String
    var entries: [[String: Int]]
}

if CommandLine.arguments.contains("--leak-objects") {
    leakObjects()
    print("leaked 7 LeakedSession and 3 LeakedBox<Int>")
    exit(0)
}

let scale = CommandLine.arguments.contains("--smoke") ? 1 : 4

var random = Sequence64(state: 0x9E37_79B9_7F4A_7C15)
let keys = (0..<(20_000 * scale)).map { _ in Int(random.next() % 1_000_000) }
let tree = buildTree(keys)
print("tree checksum:", checksum(tree))

let document = Document(title: "swiftmm", entries: (0..<(2_000 * scale)).map { ["index": $0, "square": $0 * $0] })
let encoded = try JSONEncoder().encode(document)
let decoded = try JSONDecoder().decode(Document.self, from: encoded)
print("json bytes:", encoded.count, "round trip:", decoded == document)

/// Results written by the worker threads, read after they finish.
final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int: (words: Int, distinct: Int, longest: String)] = [:]
    func set(_ index: Int, _ value: (words: Int, distinct: Int, longest: String)) { lock.lock(); values[index] = value; lock.unlock() }
    func sorted() -> [(Int, (words: Int, distinct: Int, longest: String))] { lock.lock(); defer { lock.unlock() }; return values.sorted { $0.key < $1.key } }
}

let threadCount = 4
let results = Results()
let done = DispatchGroup()
for index in 0..<threadCount {
    done.enter()
    let rounds = 2_000 * scale
    Thread.detachNewThread {
        results.set(index, wordStatistics(seed: UInt64(index + 1) &* 0x2545_F491_4F6C_DD1D, rounds: rounds))
        done.leave()
    }
}
done.wait()
for (index, r) in results.sorted() {
    print("thread \(index): words \(r.words), distinct \(r.distinct), longest \(r.longest)")
}
