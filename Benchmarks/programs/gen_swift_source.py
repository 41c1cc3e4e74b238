"""Writes a medium-size Swift source file for the compiler workload: N types, each with stored
properties, a protocol conformance, generic helpers, closures and string interpolation, plus a
main that uses them all. Usage: gen_swift_source.py OUT.swift N"""
import sys

HEADER = """protocol Shape { var area: Double { get }; func describe() -> String }
func total<S: Sequence>(_ s: S, _ f: (S.Element) -> Double) -> Double { s.reduce(0) { $0 + f($1) } }
"""

TYPE = """
struct Model{i}: Shape, Hashable {{
    var name: String = "model{i}"
    var width: Double = {w}
    var height: Double = {h}
    var tags: [String] = ["a{i}", "b{i}", "c{i}"]
    var lookup: [String: Int] = ["x": {i}, "y": {j}]
    var area: Double {{ width * height }}
    func describe() -> String {{ "\\(name): \\(width)x\\(height), \\(tags.joined(separator: ","))" }}
    func scaled(by k: Double) -> Model{i} {{ var m = self; m.width *= k; m.height *= k; return m }}
    func filtered(_ xs: [Int]) -> [Int] {{ xs.filter {{ $0 % {m} == 0 }}.map {{ $0 * {i} + (lookup["x"] ?? 0) }} }}
}}
final class Box{i}<T: Shape> {{
    var items: [T] = []
    func add(_ t: T) {{ items.append(t) }}
    var sum: Double {{ total(items) {{ $0.area }} }}
    func report() -> [String] {{ items.enumerated().map {{ "\\($0.offset): \\($0.element.describe())" }} }}
}}
"""

USE = """    do {{ let b = Box{i}<Model{i}>(); b.add(Model{i}()); b.add(Model{i}().scaled(by: 2)); acc += b.sum + Double(b.report().count + Model{i}().filtered(Array(0..<{m})).count) }}
"""


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    parts = [HEADER]
    for i in range(n):
        parts.append(TYPE.format(i=i, j=i * 7 % 13, w=1 + i % 5, h=2 + i % 3, m=2 + i % 7))
    parts.append("func runAll() -> Double {\n    var acc = 0.0\n")
    for i in range(n):
        parts.append(USE.format(i=i, m=2 + i % 7))
    parts.append("    return acc\n}\nprint(runAll())\n")
    with open(out, "w") as f:
        f.write("".join(parts))


if __name__ == "__main__":
    main()
