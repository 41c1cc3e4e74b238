import Foundation
import Testing
@testable import SMMAnalyzer

@Suite("HTML report", .serialized)
struct HTMLReportTests {
    func report() throws -> String {
        let snapshot = try Fixtures.edgeCases()
        var timeline = Timeline(pid: snapshot.pid, command: snapshot.command, interval: 1)
        for step in 0..<5 {
            var sample = snapshot
            sample.capturedAt += Double(step)
            sample.categories[1].figures.resident += UInt64(step) << 20
            timeline.record(sample)
        }
        return HTMLReport.render(snapshot, timeline: timeline)
    }

    @Test("the page is self-contained: no external scripts, styles, images or fetches")
    func selfContained() throws {
        let page = try report()
        for needle in ["src=", "href=", "@import", "fetch(", "XMLHttpRequest", "http://", "https://"] {
            let allowed = needle == "http://" ? page.components(separatedBy: "http://www.w3.org/2000/svg").count - 1 : 0
            #expect(page.components(separatedBy: needle).count - 1 == allowed, "found \(needle)")
        }
        #expect(page.contains("<script type=\"application/json\" id=\"smm-data\">"))
        #expect(!page.contains("</script><script>alert"), "data cannot close its script element")
    }

    @Test("names are escaped in the title and cannot end the data script")
    func escaping() throws {
        var snapshot = try Fixtures.edgeCases()
        snapshot.command = "evil</script><script>alert(1)</script>"
        let page = HTMLReport.render(snapshot)
        #expect(!page.contains("<script>alert(1)"))
        #expect(page.contains("evil&lt;/script&gt;"))
    }

    @Test("headless Chromium runs the page's script without errors")
    func chromium() throws {
        let browser = try #require(["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
            .first { FileManager.default.isExecutableFile(atPath: $0) },
            "install Chromium (Debian package 'chromium') to run the HTML report test")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("smm-html-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let page = directory.appendingPathComponent("report.html")
        try report().write(to: page, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                             "--user-data-dir=" + directory.appendingPathComponent("profile").path,
                             "--dump-dom", page.absoluteString]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let dom = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()

        let consoleErrors = log.split(separator: "\n").filter { $0.contains("CONSOLE") || $0.contains("Uncaught") }
        #expect(consoleErrors.isEmpty, "console: \(consoleErrors.joined(separator: "\n"))")
        #expect(dom.contains("data-smm-status=\"ready\""), "the script did not finish: \(dom.prefix(400))")
        #expect(dom.contains("<polygon"), "the timeline was drawn")
        #expect(dom.contains("[anon:swiftmm-segment]"), "the region table lists the regions")
        #expect(dom.components(separatedBy: "<div title=").count - 1 == (try Fixtures.edgeCases()).regions.count,
                "one map block per region")
    }
}
