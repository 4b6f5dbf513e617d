import Foundation
import Testing

@Suite("generated documentation is fresh and lint-clean")
struct DocsTests {
    @Test("Completions/ match the flags, Man/ntpsh-commands.7 matches the grammar")
    func fresh() throws {
        for sh in ["bash", "zsh", "fish"] {
            let r = try run(ntpshBinary(), ["--generate-completion-script", sh])
            let committed = try String(contentsOf: packageRoot.appendingPathComponent("Completions/ntpsh.\(sh)"), encoding: .utf8)
            #expect(r.stdout == committed, "Completions/ntpsh.\(sh) is stale: run scripts/generate-docs.sh")
        }
        for (page, file) in [("commands", "Man/ntpsh-commands.7"), ("conf", "Man/ntpsh.conf.5")] {
            let generated = try run(ntpshBinary(), ["--generate-manual", page])
            let committed = try String(contentsOf: packageRoot.appendingPathComponent(file), encoding: .utf8)
            #expect(generated.stdout == committed, "\(file) is stale: run scripts/generate-docs.sh")
        }
    }

    @Test("mandoc -T lint finds no warnings")
    func lint() throws {
        let pages = ["Man/ntpsh.1", "Man/ntpsh.conf.5", "Man/ntpsh-commands.7"].map { packageRoot.appendingPathComponent($0).path }
        let r = try run("/usr/bin/mandoc", ["-T", "lint", "-W", "warning"] + pages)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    }
}

/// README's arrow list is Package.swift's: both parsed, every library and executable target's
/// dependencies (a product named by its package) the same on both sides.
@Suite struct ArrowListTests {
    @Test func readmeArrowsArePackageSwifts() throws {
        let package = try String(contentsOf: packageRoot.appendingPathComponent("Package.swift"), encoding: .utf8)
        let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let declared = Self.packageArrows(package)
        let written = try #require(Self.readmeArrows(readme), "README.md has no 'Arrows (exactly Package.swift's…):' list")
        #expect(declared.count > 10, "parsed \(declared.count) targets from Package.swift")
        for (target, dependencies) in declared where written[target] != dependencies {
            #expect(written[target] == dependencies, "README's arrows for \(target): \(written[target] ?? []) ≠ Package.swift's \(dependencies)")
        }
        for target in written.keys where declared[target] == nil {
            Issue.record("README lists arrows for \(target), which Package.swift does not give dependencies")
        }
    }

    /// Each non-test target with dependencies: the target names and products' packages it names.
    static func packageArrows(_ text: String) -> [String: Set<String>] {
        var arrows: [String: Set<String>] = [:]
        // Each declaration's text runs to the next one.
        let marker = try! NSRegularExpression(pattern: #"\.(target|executableTarget|testTarget)\("#)
        let starts = marker.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { Range($0.range, in: text)! }
        for (i, start) in starts.enumerated() where !text[start].hasPrefix(".testTarget") {
            let own = String(text[start.upperBound..<(i + 1 < starts.count ? starts[i + 1].lowerBound : text.endIndex)])
            guard let name = quoted(after: "name:", in: own),
                  let start = own.range(of: "dependencies: [") else { continue }
            let rest = own[start.upperBound...]
            guard let end = rest.firstIndex(of: "]") else { continue }
            var list = String(rest[..<end])
            var dependencies: Set<String> = []
            // A product is named by its package (`swift-argument-parser`).
            while let product = list.range(of: ".product(") {
                let close = list[product.upperBound...].firstIndex(of: ")") ?? list.endIndex
                let inside = String(list[product.upperBound..<close])
                if let package = quoted(after: "package:", in: inside) { dependencies.insert(package) }
                list.removeSubrange(product.lowerBound..<min(list.index(after: close), list.endIndex))
            }
            for word in list.split(separator: "\"", omittingEmptySubsequences: false).enumerated() where word.offset % 2 == 1 { dependencies.insert(String(word.element)) }
            if !dependencies.isEmpty { arrows[name] = dependencies }
        }
        return arrows
    }

    /// `Arrows (…): A → B, C; D → E.`: the list after the colon, to the first full stop that ends it.
    static func readmeArrows(_ text: String) -> [String: Set<String>]? {
        guard let start = text.range(of: "Arrows (exactly Package.swift's") else { return nil }
        let afterColon = text[start.upperBound...].drop { $0 != ":" }.dropFirst()
        guard let stop = afterColon.range(of: ".\n") else { return nil }
        var arrows: [String: Set<String>] = [:]
        for entry in afterColon[..<stop.lowerBound].replacingOccurrences(of: "\n", with: " ").split(separator: ";") {
            let sides = entry.components(separatedBy: "→")
            guard sides.count == 2 else { continue }
            let target = sides[0].trimmingCharacters(in: .whitespaces)
            arrows[target] = Set(sides[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
        return arrows
    }

    static func quoted(after label: String, in text: String) -> String? {
        guard let r = text.range(of: label) else { return nil }
        let parts = text[r.upperBound...].split(separator: "\"", maxSplits: 2, omittingEmptySubsequences: false)
        return parts.count >= 2 ? String(parts[1]) : nil
    }
}
