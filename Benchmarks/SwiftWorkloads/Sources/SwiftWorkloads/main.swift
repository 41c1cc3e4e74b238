// swift-workloads WORKLOAD [--smoke]: runs one Swift allocation pattern, checks its result, and
// exits non-zero on a mismatch. Workloads: json, tree.
#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments.dropFirst()
let smoke = arguments.contains("--smoke")
let workloads: [String: (Bool) -> Bool] = [
    "json": JSONWorkload.run,
    "tree": TreeWorkload.run,
]

guard let name = arguments.first(where: { !$0.hasPrefix("-") }), let workload = workloads[name] else {
    print("usage: swift-workloads \(workloads.keys.sorted().joined(separator: "|")) [--smoke]")
    exit(64)
}
if !workload(smoke) {
    print("swift-workloads \(name): DATA MISMATCH")
    exit(2)
}
print("\(name) ok")
