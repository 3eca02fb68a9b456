import Foundation
import KeypointsTestSupport
import Testing

@testable import Evaluation

/// `report --ci` and `eval --ci` through the built executable, on the committed results files of
/// Fixtures/bootstrap (random baselines over the 100-image CUB sample, see PROVENANCE.md there).
@Suite struct ConfidenceIntervalCLITests {
    static let folder = Fixtures.folder.appendingPathComponent("bootstrap")
    static let random = folder.appendingPathComponent("cub100-random.jsonl").path
    static let box = folder.appendingPathComponent("cub100-random-box.jsonl").path

    func run(_ arguments: [String]) throws -> KeypointsExecutable.Result {
        try KeypointsExecutable.runInRepository(arguments)
    }

    /// Foundation's JSON parser may round the last digit of a double: equal within 1e-15.
    func near(_ a: Double?, _ b: Double) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= 1e-15 * max(1, abs(b))
    }

    /// A JSON interval `{"low", "high", "method"}` with these bounds, of the percentile bootstrap.
    func near(_ a: Any?, low: Double, high: Double) -> Bool {
        guard let ci = a as? [String: Any], ci.count == 3, ci["method"] as? String == "bootstrap" else { return false }
        return near(ci["low"] as? Double, low) && near(ci["high"] as? Double, high)
    }

    /// An exact bound from `pow` here against the library's after a JSON round trip (Foundation
    /// may round the last digit): equal well within 1e-12.
    static let boundTolerance = 1e-12

    /// The images (photos: one category's records with one path) of a results file holding
    /// each keypoint, per category x keypoint and per keypoint: read from its lines here, apart
    /// from the library, as the n an exact interval must record.
    static func imagesHolding(_ path: String) throws -> (cells: [String: [String: Int]], keypoints: [String: Int]) {
        var cells: [String: [String: Set<String>]] = [:]
        var keypoints: [String: Set<String>] = [:]
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            guard object["type"] as? String == "image", let category = object["category"] as? String,
                let photo = object["path"] as? String, let points = object["keypoints"] as? [[String: Any]]
            else { continue }
            for name in points.compactMap({ $0["name"] as? String }) {
                cells[category, default: [:]][name, default: []].insert(photo)
                keypoints[name, default: []].insert(category + "\n" + photo)
            }
        }
        return (cells.mapValues { $0.mapValues(\.count) }, keypoints.mapValues(\.count))
    }

    func jsonObject(_ r: KeypointsExecutable.Result) throws -> [String: Any] {
        #expect(r.status == 0, "stderr: \(r.stderr)")
        return try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    /// The seed-0 intervals are pinned: the draws are the project's own (SplitMix64, Lemire), so
    /// these are the numbers on every machine (21 / 1149 = 1.83%; values from this command's
    /// --json, cross-checked against an independent numpy bootstrap to within 0.02 points at
    /// 20,000 resamples). A keypoint's figure, each photo holding the keypoint at most once, is a
    /// count over photos: the breast's 5 of 88 is scipy's Clopper-Pearson interval, marked ^
    /// (`binomtest(5, 88).proportion_ci(0.95, 'exact')`: [1.870, 12.763]).
    @Test func reportTableHasIntervalsAndTheLegend() throws {
        guard KeypointsExecutable.available() else { return }
        let r = try run(["report", Self.random, "--ci"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("overall:   1.83% [1.29, 2.42]   21 of 1149 keypoints correct, 100 images\n"))
        #expect(r.stdout.contains("mean over 50 categories:   1.75% [1.20, 2.26]\n"))
        #expect(
            r.stdout.contains(
                "95% confidence intervals in brackets: percentile bootstrap over images, stratified by category (1000 resamples, seed 0)"
            ))
        #expect(r.stdout.contains("keypoint        PCK   correct / count  95% CI\n"))
        #expect(r.stdout.contains("breast        5.68%         5 / 88     [1.87, 12.76]^\n"), "\(r.stdout)")
        #expect(r.stdout.contains("right eye     2.22%         1 / 45     [0.06, 11.77]^\n"))
        // Two images per category: the stratified intervals are too narrow, and stderr says so.
        #expect(r.stderr.contains("50 of 50 categories have fewer than 10 images (fewest: 2)"))
        #expect(r.stderr.contains("0.71 of the width"))

        let level = try run(["report", Self.random, "--ci", "--ci-level", "0.9", "--ci-seed", "3"])
        #expect(level.stdout.contains("keypoint        PCK   correct / count  90% CI\n"))
        #expect(level.stdout.contains("90% confidence intervals in brackets") && level.stdout.contains("seed 3)"))
        #expect(!level.stdout.contains("[1.29, 2.42]"))

        // Drawn across categories, the intervals are wider (numpy, 20,000 resamples: 1.12 to 2.61).
        let loose = try run(["report", Self.random, "--ci", "--ci-unstratified"])
        #expect(loose.stdout.contains("overall:   1.83% [1.13, 2.64]   21 of 1149"), "\(loose.stdout)")
        #expect(loose.stdout.contains("over images, not stratified (1000 resamples, seed 0)") && loose.stderr.isEmpty)

        let plain = try run(["report", Self.random])
        #expect(!plain.stdout.contains("[") && !plain.stdout.contains("CI") && plain.stderr.isEmpty)
    }

    @Test func reportJSONAddsIntervalsAndKeepsItsFields() throws {
        guard KeypointsExecutable.available() else { return }
        let plain = try jsonObject(try run(["report", Self.random, "--json"]))
        let json = try jsonObject(try run(["report", Self.random, "--json", "--ci"]))
        #expect(Set(json.keys).subtracting(plain.keys) == ["bootstrap", "pck_ci", "mean_per_category_ci"])
        for key in plain.keys where !["per_category", "per_keypoint", "per_category_keypoint"].contains(key) {
            #expect(
                (json[key] as? NSObject) == (plain[key] as? NSObject) || key == "mean_per_category", "\(key) changed")
        }
        let bootstrap = try #require(json["bootstrap"] as? [String: Any])
        #expect(bootstrap["level"] as? Double == 0.95 && bootstrap["resamples"] as? Int == 1000)
        #expect(bootstrap["seed"] as? Int == 0 && bootstrap["unit"] as? String == "image")
        #expect(bootstrap["stratified_by"] as? String == "category")
        #expect(near(json["pck_ci"], low: 0.012941078716271107, high: 0.024159279111735))
        // The breast: 5 of 88 photos, the exact interval. scipy 1.17.1: beta.ppf(0.025, 5, 84) and
        // beta.ppf(0.975, 6, 83).
        let breast = try #require((json["per_keypoint"] as? [String: Any])?["breast"] as? [String: Any])
        let breastCI = try #require(breast["ci"] as? [String: Any])
        #expect(breastCI["method"] as? String == "exact-binomial" && breastCI["images"] as? Int == 88, "\(breastCI)")
        let scipy = (low: 0.018703863483034114, high: 0.12763240126903339)
        let breastBounds = (
            low: try #require(breastCI["low"] as? Double), high: try #require(breastCI["high"] as? Double)
        )
        #expect(
            ClopperPearsonTests.relativeError(breastBounds.low, scipy.low) < ClopperPearsonTests.scipyTolerance
                && ClopperPearsonTests.relativeError(breastBounds.high, scipy.high)
                    < ClopperPearsonTests.scipyTolerance,
            "\(breastCI)")
        #expect(near(breast["pck"] as? Double, 5.0 / 88) && breast["count"] as? Int == 88)
        // per_category_keypoint: every entry with keypoints gains its "ci", the rest is as it was.
        // Each photo holds a cell's keypoint once, so every cell is a count over its photos (at
        // most 2) with the exact binomial interval: at 0% or 100% the closed form (upper bound
        // 1 - 0.025^(1/n)), at 1 of 2 [1 - sqrt(0.975), sqrt(0.975)] (Beta(1, 2)'s and Beta(2,
        // 1)'s quantiles).
        let cells = try #require(json["per_category_keypoint"] as? [String: [String: [String: Any]]])
        let plainCells = try #require(plain["per_category_keypoint"] as? [String: [String: [String: Any]]])
        let held = try Self.imagesHolding(Self.random)
        #expect(cells.keys.sorted() == plainCells.keys.sorted() && cells.count == 50)
        for (category, row) in cells {
            for (name, entry) in row {
                var without = entry
                let ci = without.removeValue(forKey: "ci") as? [String: Any]
                #expect(
                    (without as NSDictionary) == (plainCells[category]?[name] as NSDictionary?), "\(category) \(name)")
                let (count, pck) = (entry["count"] as? Int ?? 0, entry["pck"] as? Double)
                let (low, high) = (ci?["low"] as? Double, ci?["high"] as? Double)
                #expect(count > 0 ? (low ?? 1) <= pck ?? 0 && pck ?? 1 <= (high ?? 0) : ci == nil)
                guard count > 0, let pck else { continue }
                #expect(ci?["method"] as? String == "exact-binomial", "\(category) \(name)")
                #expect((high ?? 0) - (low ?? 0) >= 1 - sqrt(0.025), "\(category) \(name)")
                // Its n, the images holding the cell's keypoint, gives the bound.
                let images = try #require(ci?["images"] as? Int, "\(category) \(name): no images in \(ci ?? [:])")
                #expect(images == held.cells[category]?[name] && count == images, "\(category) \(name)")
                guard pck == 0 || pck == 1 else {
                    #expect(images == 2 && pck == 0.5, "\(category) \(name)")
                    #expect(
                        abs((low ?? 0) - (1 - sqrt(0.975))) < Self.boundTolerance
                            && abs((high ?? 0) - sqrt(0.975)) < Self.boundTolerance, "\(category) \(name)")
                    continue
                }
                let bound = pow(0.025, 1 / Double(images))
                #expect(
                    abs((pck == 1 ? low ?? 0 : 1 - (high ?? 1)) - bound) < Self.boundTolerance, "\(category) \(name)")
            }
        }
        // The random baseline's forehead, 0 of 98 images (README): [0.00, 3.69], and n is there.
        let forehead = try #require((json["per_keypoint"] as? [String: Any])?["forehead"] as? [String: Any])
        let foreheadCI = try #require(forehead["ci"] as? [String: Any])
        #expect(forehead["pck"] as? Double == 0 && foreheadCI["method"] as? String == "exact-binomial")
        #expect(held.keypoints["forehead"] == 98 && foreheadCI["images"] as? Int == 98, "\(foreheadCI)")
        let foreheadHigh = try #require(foreheadCI["high"] as? Double)
        #expect(abs(foreheadHigh - (1 - pow(0.025, 1.0 / 98))) < Self.boundTolerance && foreheadHigh > 0.0368)
        // The report decodes with the library's type, intervals included.
        let report = try JSONDecoder().decode(
            PCKReport.self, from: Data(try run(["report", Self.random, "--json", "--ci"]).stdout.utf8))
        #expect(report.bootstrap?.resamples == 1000 && report.perCategory.values.allSatisfy { $0.ci != nil })
    }

    @Test func compareTableCSVAndJSONHavePairedDifferences() throws {
        guard KeypointsExecutable.available() else { return }
        let table = try run(["report", "--compare", Self.random, Self.box, "--ci"])
        #expect(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n").map(String.init)
        #expect(lines[1].hasSuffix("random (mask none)   random (mask box)               [2]-[1]"))
        // Categories at 0% have an exact binomial interval (^), so the unmarked ones leave the
        // marker's column blank.
        #expect(
            lines[2].hasPrefix("all ")
                && lines[2].hasSuffix("1.8% [1.3, 2.4]     3.9% [3.2, 4.7]     +2.1 [1.2, 3.0]  *"), "\(lines[2])")
        let albatross = lines.first { $0.hasPrefix("category 001.Black_footed_Albatross ") }
        #expect(albatross?.contains("0.0% [0.0, 84.2]^") == true, "\(String(describing: albatross))")
        // Both runs score every image alike on the left wing: 0 in every resample, marked `=`.
        #expect(lines.contains { $0.hasPrefix("left wing ") && $0.hasSuffix("+0.0 [0.0, 0.0]=  ") })
        #expect(lines.contains { $0.hasPrefix("^ 95% exact binomial (Clopper-Pearson) interval") })
        #expect(lines.contains { $0.hasPrefix("= every resample gave the same value") })
        #expect(
            table.stdout.contains(
                "[2]-[1]: run 2 minus run 1 in percentage points, paired over the 100 images both scored\n"))
        #expect(table.stdout.contains("(1000 resamples, seed 0); * the difference's interval excludes 0\n"))

        let csv = try run(["report", "--compare", "--csv", Self.random, Self.box, "--ci"]).stdout
            .split(separator: "\n").map(String.init)
        #expect(
            csv[0]
                == "row,name,random (mask none),random (mask box),random (mask none) ci_low,random (mask none) ci_high,"
                + "random (mask box) ci_low,random (mask box) ci_high,random (mask box) - random (mask none),"
                + "random (mask box) - random (mask none) ci_low,random (mask box) - random (mask none) ci_high,"
                + "random (mask none) ci_method,random (mask box) ci_method,"
                + "random (mask box) - random (mask none) ci_method")
        #expect(
            csv[1]
                == "overall,all,0.018277,0.039164,0.012941,0.024159,0.031523,0.047039,0.020888,0.012184,0.029880,"
                + "bootstrap,bootstrap,bootstrap")
        #expect(csv[2].hasPrefix("mean_per_category,categories,0.017471,0.038005,"))
        let plainCSV = try run(["report", "--compare", "--csv", Self.random, Self.box]).stdout
        #expect(plainCSV.hasPrefix("row,name,random (mask none),random (mask box)\noverall,all,0.018277,0.039164\n"))

        let json = try jsonObject(try run(["report", "--compare", "--json", Self.random, Self.box, "--ci"]))
        let differences = try #require(json["differences"] as? [[String: Any]])
        #expect(differences.count == 1)
        #expect(differences[0]["run"] as? Int == 1 && differences[0]["baseline"] as? Int == 0)
        #expect(differences[0]["shared_images"] as? Int == 100)
        let first = try #require((differences[0]["rows"] as? [[String: Any]])?.first)
        #expect(first["kind"] as? String == "overall" && first["excludes_zero"] as? Bool == true)
        #expect(near(first["difference"] as? Double, 45.0 / 1149 - 21.0 / 1149))
        #expect((json["mean_per_category_ci"] as? [Any])?.count == 2 && json["bootstrap"] != nil)
        let rows = try #require(json["rows"] as? [[String: Any]])
        let overallValues = try #require(rows.first?["values"] as? [[String: Any]])
        #expect(overallValues.allSatisfy { ($0["ci"] as? [String: Any])?["method"] as? String == "bootstrap" })
        let plain = try jsonObject(try run(["report", "--compare", "--json", Self.random, Self.box]))
        #expect(plain["differences"] == nil && plain["bootstrap"] == nil && plain["mean_per_category_ci"] == nil)

        // The category x keypoint cells' differences: every cell of the runs' reports (both
        // scored the same 100 images, with the same keypoints), each the difference of the two
        // reports' cells, with its interval; on this sample some exclude 0 and most do not.
        let cells = try #require(differences[0]["per_category_keypoint"] as? [String: [String: [String: Any]]])
        let reports = try #require(json["reports"] as? [[String: Any]])
        func pcks(_ report: [String: Any]) throws -> [String: [String: Double]] {
            let table = try #require(report["per_category_keypoint"] as? [String: [String: [String: Any]]])
            return table.mapValues { $0.compactMapValues { $0["pck"] as? Double } }
        }
        let (baseline, boxed) = (try pcks(reports[0]), try pcks(reports[1]))
        #expect(cells.count == 50 && cells.values.map(\.count).reduce(0, +) == 661)
        var excluding = 0
        for (category, row) in baseline {
            for (keypoint, pck) in row {
                let cell = try #require(cells[category]?[keypoint], "\(category) \(keypoint)")
                let other = try #require(boxed[category]?[keypoint])
                #expect(near(cell["difference"] as? Double, other - pck), "\(category) \(keypoint)")
                let ci = try #require(cell["ci"] as? [String: Any])
                #expect(ci["method"] as? String == "bootstrap", "\(category) \(keypoint)")
                let (low, high) = (try #require(ci["low"] as? Double), try #require(ci["high"] as? Double))
                #expect(low <= high && cell["excludes_zero"] as? Bool == (low > 0 || high < 0))
                if low > 0 || high < 0 { excluding += 1 }
            }
        }
        #expect(excluding > 0 && excluding < 661 / 2, "\(excluding) cells exclude 0")
    }

    /// `--curve --ci` shades a band around each run's curve (SVG: a `<path class="band">` per run
    /// before the polylines; PNG: other pixels) with the level in the legend; without --ci the
    /// figures have none.
    @Test func curveHasBandsOnlyWithCI() throws {
        guard KeypointsExecutable.available() else { return }
        let dir = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func figure(_ name: String, _ options: [String]) throws -> Data {
            let path = dir.appendingPathComponent(name).path
            let r = try run(["report", "--compare", Self.random, Self.box, "--curve", path] + options)
            #expect(r.status == 0, "\(r.stderr)")
            return try Data(contentsOf: URL(fileURLWithPath: path))
        }
        let banded = String(decoding: try figure("b.svg", ["--ci", "--ci-level", "0.8"]), as: UTF8.self)
        let parsed = try SVGElements.parse(banded)
        #expect(
            parsed.paths.filter { $0["class"] == "band" }.map { $0["fill"] } == parsed.polylines.map { $0["stroke"] })
        #expect(parsed.paths.filter { $0["class"] == "band" }.count == 2)
        #expect(parsed.drawn.filter { $0 != "axes" } == ["band", "band", "curve", "curve"])
        #expect(parsed.texts.contains("shaded: pointwise 80% interval over images"))
        let plain = String(decoding: try figure("p.svg", []), as: UTF8.self)
        #expect(!plain.contains("band") && !plain.contains("shaded"))
        #expect(try figure("b.png", ["--ci"]) != (try figure("p.png", [])))
    }

    /// A run over other images (the ids changed, and the seed so it is another run) shares no
    /// image with the first: the table says so instead of a difference.
    @Test func runsWithoutSharedImagesSaySo() throws {
        guard KeypointsExecutable.available() else { return }
        let dir = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let other = dir.appendingPathComponent("other.jsonl")
        let text = try String(contentsOfFile: Self.random, encoding: .utf8)
            .replacingOccurrences(of: "\"id\":\"", with: "\"id\":\"x")
            .replacingOccurrences(of: "\"seed\":\"0\"", with: "\"seed\":\"5\"")
        try text.write(to: other, atomically: true, encoding: .utf8)
        let r = try run(["report", "--compare", Self.random, other.path, "--ci"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("[2]-[1]: no image scored by both runs, so no paired difference\n"))
        let all = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("all ") })
        #expect(all.hasSuffix("  -"), "\(all)")
        #expect(!r.stdout.contains("] *"))
    }

    @Test func refusals() throws {
        guard KeypointsExecutable.available() else { return }
        let cases: [([String], String)] = [
            (
                ["report", Self.random, "--ci-level", "0.9"],
                "--ci-level applies to --ci (confidence intervals); add --ci"
            ),
            (
                ["report", Self.random, "--ci-resamples", "500", "--ci-seed", "1"],
                "--ci-resamples, --ci-seed apply to --ci (confidence intervals); add --ci"
            ),
            (
                ["report", Self.random, "--ci", "--ci-level", "1.5"],
                "--ci-level 1.5: expected a level in (0, 1), e.g. 0.95"
            ),
            (["report", Self.random, "--ci", "--ci-level", "-0.5"], "--ci-level -0.5: expected a level in (0, 1)"),
            (
                ["report", Self.random, "--ci", "--ci-resamples", "99"],
                "--ci-resamples 99: expected 100...100000 resamples"
            ),
            (
                ["report", Self.random, "--ci", "--ci-resamples", "100001"],
                "--ci-resamples 100001: expected 100...100000 resamples"
            ),
            (
                ["report", Self.random, "--ci", "--ci-seed", "-1"],
                "The value '-1' is invalid for '--ci-seed <seed>': expected an integer in 0...18446744073709551615"
            ),
            (
                ["report", Self.random, "--ci-unstratified"],
                "--ci-unstratified applies to --ci (confidence intervals); add --ci"
            ),
            (
                ["eval", "--dataset", "cub", "--root", Fixtures.cub.path, "--method", "random", "--ci-seed", "1"],
                "--ci-seed applies to --ci (confidence intervals); add --ci"
            ),
        ]
        for (arguments, message) in cases {
            let r = try run(arguments)
            #expect(r.status == 64, "\(arguments): \(r.stderr)")
            #expect(r.stderr.contains("Error: \(message)"), "\(arguments): \(r.stderr)")
        }
        let localize = Fixtures.repositoryRoot.appendingPathComponent("Fuzz/Seeds/localize-results/photos.jsonl").path
        let r = try run(["report", localize, "--ci"])
        #expect(r.status == 1 && r.stdout.isEmpty)
        #expect(r.stderr.contains("--ci applies to eval results (PCK needs ground truth); "), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "one line: \(r.stderr)")
    }

    /// `eval --ci` gives its closing report the same intervals as `report --ci` on its file.
    @Test func evalClosingReportHasTheSameIntervals() throws {
        guard KeypointsExecutable.available() else { return }
        let dir = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("r.jsonl").path
        let eval = try run([
            "eval", "--dataset", "cub", "--root", Fixtures.cub.path, "--split", "all", "--method", "random", "--out",
            out, "--ci", "--ci-resamples", "200", "--json",
        ])
        let evalJSON = try jsonObject(eval)
        #expect((evalJSON["bootstrap"] as? [String: Any])?["resamples"] as? Int == 200)
        // Three images, each its own category: every resample is the data itself, and stderr says
        // why. No keypoint is right: the exact binomial interval over the 3 images, [0, 1 -
        // 0.025^(1/3)] = [0, 0.7076].
        let evalCI = try #require(evalJSON["pck_ci"] as? [String: Any])
        #expect(evalCI["low"] as? Double == 0 && evalCI["method"] as? String == "exact-binomial")
        #expect(abs((evalCI["high"] as? Double ?? 0) - (1 - pow(0.025, 1.0 / 3))) < 1e-12, "\(evalCI)")
        #expect(eval.stderr.contains("3 of 3 categories have fewer than 10 images (fewest: 1)"))
        let report = try jsonObject(try run(["report", out, "--json", "--ci", "--ci-resamples", "200"]))
        #expect((report["per_keypoint"] as? NSDictionary) == (evalJSON["per_keypoint"] as? NSDictionary))
        let table = try run([
            "eval", "--dataset", "cub", "--root", Fixtures.cub.path, "--split", "all", "--method", "random", "--ci",
        ])
        #expect(table.stdout.contains("overall:   0.00% [0.00, 70.76]^   0 of 31 keypoints correct, 3 images\n"))

        // Above, every interval is exact binomial (no resample can move it), so the equality
        // could not tell a dropped option. At
        // alpha 0.5 (17 of 31 correct) drawn across categories the intervals vary with the seed
        // and the stratification, so eval must pass on all of --ci's sub-options to match report.
        let options = [
            "--alpha", "0.5", "--ci", "--ci-unstratified", "--ci-seed", "2", "--ci-resamples", "200", "--json",
        ]
        let wide = dir.appendingPathComponent("wide.jsonl").path
        let wideEval = try jsonObject(
            try run(
                [
                    "eval", "--dataset", "cub", "--root", Fixtures.cub.path, "--split", "all", "--method", "random",
                    "--out", wide,
                ]
                    + options))
        let wideReport = try jsonObject(try run(["report", wide] + options))
        let overall = try #require(wideEval["pck_ci"] as? [String: Any])
        #expect(
            try #require(overall["low"] as? Double) < (try #require(overall["high"] as? Double)),
            "a spread to compare: \(overall)")
        for key in [
            "pck_ci", "mean_per_category_ci", "per_keypoint", "per_category", "per_category_keypoint", "bootstrap",
        ] {
            #expect((wideEval[key] as? NSObject) == (wideReport[key] as? NSObject), "\(key)")
        }
        var seedZero = options
        seedZero[5] = "0"
        let otherSeed = try jsonObject(try run(["report", wide] + seedZero))
        // (The keypoints' figures, one per photo, are exact: the pooled figure varies with the
        // seed, between seeds 0 and 2 at 200 resamples: [0.5, 0.6364] against [0.5, 0.5938].)
        #expect((otherSeed["pck_ci"] as? NSObject) != (wideEval["pck_ci"] as? NSObject))
        var stratified = options
        stratified.remove(at: 3)
        let strata = try jsonObject(try run(["report", wide] + stratified))
        #expect((strata["pck_ci"] as? NSObject) != (wideEval["pck_ci"] as? NSObject))
    }
}
