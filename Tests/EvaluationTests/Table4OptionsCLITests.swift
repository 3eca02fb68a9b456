import Foundation
import KeypointsTestSupport
import Testing

@testable import Evaluation

/// `eval --fit` and `eval --method crop --crop-side` (issue 10 items 5 and 6): recorded in the
/// results header, a resume with other values refused, misuse refused before any work.
@Suite(.serialized) struct Table4OptionsCLITests {
    static var tinyModel: String {
        Fixtures.repositoryRoot.appendingPathComponent("Tests/CLIPTests/Fixtures/models/tiny-quickgelu").path
    }
    let base = ["eval", "--dataset", "cub", "--root", Fixtures.cub.path, "--split", "all", "--limit", "1"]
    var clip: [String] { base + ["--model", Self.tinyModel, "--precision", "fp32", "--threads", "1"] }

    @Test func fitAndCropSideAreRecordedAndResumeChecksThem() throws {
        guard KeypointsExecutable.available() else { return }
        let folder = try Fixtures.temporaryFolder()
        let out = folder.appendingPathComponent("crop.jsonl").path
        let crop = clip + ["--method", "crop", "--crop-side", "0.3", "--fit", "stretch", "--out", out]
        let first = try KeypointsExecutable.runInRepository(crop)
        #expect(first.status == 0, "\(first.stderr)")
        let settings = try #require(try ResultFile.read(URL(fileURLWithPath: out)).header?.settings)
        #expect(settings["fit"] == "stretch" && settings["crop_side"] == "0.3", "\(settings)")
        #expect(settings["visual_prompt"]?.contains("crop of the photo") == true, "\(settings)")
        let again = try KeypointsExecutable.runInRepository(crop)
        #expect(again.status == 0 && again.stderr.contains("resuming"), "\(again.stderr)")
        for (option, value) in [("--fit", "pad"), ("--crop-side", "40px")] {
            var changed = crop
            let i = try #require(changed.firstIndex(of: option))
            changed[i + 1] = value
            let refused = try KeypointsExecutable.runInRepository(changed)
            #expect(refused.status != 0, "\(option) \(value): \(refused.stderr)")
            let key = option == "--fit" ? "fit: the file has stretch" : "crop_side: the file has 0.3"
            #expect(refused.stderr.contains(key), "\(option) \(value): \(refused.stderr)")
        }
        // report --compare tells runs that differ only in fit apart by it.
        let padOut = folder.appendingPathComponent("crop-pad.jsonl").path
        let pad = try KeypointsExecutable.runInRepository(
            clip + ["--method", "crop", "--crop-side", "0.3", "--out", padOut])
        #expect(pad.status == 0, "\(pad.stderr)")
        let compare = try KeypointsExecutable.runInRepository(["report", "--compare", out, padOut])
        #expect(compare.status == 0, "\(compare.stderr)")
        #expect(
            compare.stdout.contains("crop (fit stretch)") && compare.stdout.contains("crop (fit pad)"),
            "\(compare.stdout)")
        // The red circle records its fit too: the preset's (pad) unless --fit says otherwise.
        let circleOut = folder.appendingPathComponent("circle.jsonl").path
        let circle = try KeypointsExecutable.runInRepository(clip + ["--out", circleOut])
        #expect(circle.status == 0, "\(circle.stderr)")
        let circleSettings = try #require(try ResultFile.read(URL(fileURLWithPath: circleOut)).header?.settings)
        #expect(circleSettings["fit"] == "pad" && circleSettings["crop_side"] == nil, "\(circleSettings)")
    }

    /// A setting left at its default is absent from the header; the compare label still names it
    /// ("mask none", not the file name), as in the README's Table 4 random rows.
    @Test func compareNamesADefaultMaskAsNone() throws {
        guard KeypointsExecutable.available() else { return }
        let folder = try Fixtures.temporaryFolder()
        let plain = folder.appendingPathComponent("random.jsonl").path
        let boxed = folder.appendingPathComponent("random-box.jsonl").path
        for (out, extra) in [(plain, [String]()), (boxed, ["--mask", "box"])] {
            let r = try KeypointsExecutable.runInRepository(base + ["--method", "random", "--out", out] + extra)
            #expect(r.status == 0, "\(r.stderr)")
        }
        // Red-circle runs beside them (Table 4's layout): runs are told apart within their method,
        // so a random run's missing grid and model do not label it, nor the red-circle runs.
        let circle = folder.appendingPathComponent("circle.jsonl").path
        let circleBoxed = folder.appendingPathComponent("circle-box.jsonl").path
        for (out, extra) in [(circle, [String]()), (circleBoxed, ["--mask", "box"])] {
            let r = try KeypointsExecutable.runInRepository(clip + ["--out", out] + extra)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let compare = try KeypointsExecutable.runInRepository(
            ["report", "--compare", plain, boxed, circle, circleBoxed])
        #expect(compare.status == 0, "\(compare.stderr)")
        let header = compare.stdout.split(separator: "\n").dropFirst().first.map(String.init) ?? ""
        let labels = header.split(separator: "  ").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        #expect(
            labels == ["random (mask none)", "random (mask box)", "redcircle (mask none)", "redcircle (mask box)"],
            "\(compare.stdout)")
    }

    @Test func misuseIsRefusedBeforeAnyWork() throws {
        guard KeypointsExecutable.available() else { return }
        let cases: [([String], String)] = [
            (clip + ["--crop-side", "0.3"], "--crop-side applies to --method crop"),
            (clip + ["--method", "crop", "--crop-side", "1.5"], "--crop-side"),
            (clip + ["--method", "crop", "--crop-side", "abc"], "--crop-side"),
            (base + ["--method", "random", "--fit", "crop"], "--fit applies to --method redcircle and crop"),
            (base + ["--method", "random", "--grid", "dense30"], "--grid applies to --method redcircle and crop"),
            (
                base + ["--method", "random", "--template", "a {part}"],
                "--template applies to --method redcircle and crop"
            ),
            (clip + ["--fit", "square"], "--fit"),
        ]
        for (arguments, message) in cases {
            let r = try KeypointsExecutable.runInRepository(arguments)
            #expect(r.status != 0 && r.stderr.contains(message), "\(arguments.suffix(4)): \(r.stderr)")
        }
    }
}
