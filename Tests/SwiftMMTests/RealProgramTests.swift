import Foundation
import Testing

/// Real programs, run twice: with the system malloc and with libswiftmm.so preloaded. The output must be
/// identical, and SwiftMM's statistics must show that it served the program's allocations.
@Suite("Real programs under SwiftMM")
struct RealProgramTests {
    /// Runs `arguments` both ways and checks the outputs match and SwiftMM allocated at least `minimum` blocks.
    func compare(_ arguments: [String], environment: [String: String] = [:], directory: URL? = nil,
                 minimumAllocations: UInt64, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let plain = try ChildProcess.run(arguments, preload: false, environment: environment, directory: directory)
        let swiftmm = try ChildProcess.run(arguments, preload: true, environment: environment, directory: directory)
        #expect(plain.status == 0, "\(arguments[0]) failed without SwiftMM: \(plain.standardError)", sourceLocation: sourceLocation)
        #expect(swiftmm.status == plain.status, "exit status differs: \(swiftmm.standardError)", sourceLocation: sourceLocation)
        #expect(swiftmm.standardOutput == plain.standardOutput, sourceLocation: sourceLocation)
        #expect(!plain.standardOutput.isEmpty, sourceLocation: sourceLocation)
        let allocations = swiftmm.figure("allocations") ?? 0
        #expect(allocations >= minimumAllocations, "SwiftMM served \(allocations) allocations: \(swiftmm.statisticsReport ?? "no statistics")", sourceLocation: sourceLocation)
        #expect(!swiftmm.standardError.contains("swiftmm: error"), "\(swiftmm.standardError)", sourceLocation: sourceLocation)
    }

    @Test("python3 with PYTHONMALLOC=malloc: threads, json and sqlite3")
    func python() throws {
        let script = """
            import json, sqlite3, threading, hashlib
            def work(seed, out):
                rows = [{"id": i, "name": "item-%d" % (i * seed), "tags": [str(i % 7)] * (i % 5)} for i in range(20000)]
                text = json.dumps(rows, sort_keys=True)
                out[seed] = hashlib.sha256(text.encode()).hexdigest()
            results = {}
            threads = [threading.Thread(target=work, args=(s, results)) for s in range(1, 5)]
            for t in threads: t.start()
            for t in threads: t.join()
            for k in sorted(results): print(k, results[k])
            db = sqlite3.connect(":memory:")
            db.execute("create table t (k integer primary key, v text)")
            db.executemany("insert into t values (?, ?)", [(i, "v%d" % (i * i)) for i in range(50000)])
            print(db.execute("select count(*), sum(length(v)), max(v) from t").fetchone())
            print(len(json.loads(json.dumps({"x": list(range(100000))}))["x"]))
            """
        try compare(["python3", "-c", script], environment: ["PYTHONMALLOC": "malloc"], minimumAllocations: 100_000)
    }

    @Test("bash running a script with loops, arrays and subshells")
    func bash() throws {
        let script = """
            declare -A seen; total=0
            for i in $(seq 1 3000); do seen[$((i % 97))]=$i; total=$((total + i)); done
            words=(); for i in $(seq 1 500); do words+=("word$i"); done
            echo "total=$total keys=${#seen[@]} words=${#words[@]} joined=$(printf '%s,' "${words[@]}" | wc -c)"
            echo "$(echo nested $(echo subshell))" | tr a-z A-Z
            """
        try compare(["bash", "-c", script], minimumAllocations: 10_000)
    }

    @Test("git: init, add, commit, log and gc in a fresh repository")
    func git() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("smm-git-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let script = """
            set -e
            rm -rf repo && git init -q repo && cd repo
            git config user.email test@example.com && git config user.name Test
            for i in $(seq 1 40); do seq 1 $((i * 50)) > file$i.txt; done
            git add . && GIT_AUTHOR_DATE='2026-01-01T00:00:00' GIT_COMMITTER_DATE='2026-01-01T00:00:00' git commit -qm first
            for i in $(seq 1 10); do echo change$i >> file$i.txt; GIT_AUTHOR_DATE='2026-01-02T00:00:00' GIT_COMMITTER_DATE='2026-01-02T00:00:00' git commit -qam "change $i"; done
            git log --format='%H %s' | head -20
            git gc -q
            git count-objects -v | grep -E '^(count|in-pack|packs)'
            git rev-parse HEAD
            """
        for run in ["plain", "swiftmm"] {
            try FileManager.default.createDirectory(at: base.appendingPathComponent(run), withIntermediateDirectories: true)
        }
        let plain = try ChildProcess.run(["bash", "-c", script], preload: false, environment: ["HOME": base.path], directory: base.appendingPathComponent("plain"))
        let swiftmm = try ChildProcess.run(["bash", "-c", script], preload: true, environment: ["HOME": base.path], directory: base.appendingPathComponent("swiftmm"))
        #expect(plain.status == 0, "\(plain.standardError)")
        #expect(swiftmm.status == 0, "\(swiftmm.standardError)")
        #expect(swiftmm.standardOutput == plain.standardOutput)
        #expect(plain.standardOutput.contains("change 10"))
        #expect((swiftmm.figure("allocations") ?? 0) > 100, "\(swiftmm.statisticsReport ?? "no statistics")")
    }

    @Test("perl: hashes, regular expressions, sorting and string building")
    func perl() throws {
        let script = #"my %h; for my $i (1..200000) { $h{"k$i"} = "v" x ($i % 50); } my @k = sort { length($h{$a}) <=> length($h{$b}) or $a cmp $b } keys %h; my $s = join(",", @k[0..999]); my $n = () = $s =~ /k\d+5,/g; print scalar(@k), " ", length($s), " $n\n";"#
        try compare(["perl", "-e", script], minimumAllocations: 100_000)
    }

    @Test("a Swift program built by the package: classes, arrays, strings, dictionaries, threads")
    func swiftProgram() throws {
        try compare([try BuildProducts.program("smm-swift-workload"), "--smoke"], minimumAllocations: 500_000)
    }
}
