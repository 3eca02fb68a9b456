import Foundation
import KeypointsTestSupport
import Testing

@testable import Evaluation

/// `keypoints eval` as a user meets it: which vocabulary it accepts, where --out may point, and
/// what it says about the report of a results file and about skipped images.
@Suite(.serialized) struct EvalCommandMessagesTests {
    let cubArguments = [
        "eval", "--dataset", "cub", "--root", Fixtures.cub.path, "--split", "all", "--method", "random",
    ]

    func errorLines(_ r: KeypointsExecutable.Result) -> [Substring] {
        r.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }
    }

    /// Another dataset's vocabulary matched parts by id only, reporting bird parts under face
    /// landmark names; it is refused in one line naming the file and both sides' categories.
    @Test func anotherDatasetsVocabularyIsRefused() throws {
        guard KeypointsExecutable.available() else { return }
        let cases: [(arguments: [String], file: String, has: String, needs: String)] = [
            (cubArguments + ["--vocabulary", "keypoints/faces.json"], "faces.json", "(face)", "(bird)"),
            (
                ["eval", "--dataset", "faces", "--root", Fixtures.faces.path, "--method", "random", "--vocabulary"]
                    + ["keypoints/cub.json"], "cub.json", "(bird)", "(face)"
            ),
            (
                ["eval", "--dataset", "spair", "--root", Fixtures.spair.path, "--split", "all", "--method", "random"]
                    + ["--vocabulary", "keypoints/faces.json"], "faces.json", "(face)", "(dog)"
            ),
        ]
        for c in cases {
            let r = try KeypointsExecutable.runInRepository(c.arguments)
            let lines = errorLines(r)
            #expect(r.status != 0 && lines.count == 1, "\(r.stderr)")
            #expect(
                lines.first.map { $0.contains(c.file) && $0.contains(c.has) && $0.contains(c.needs) } == true,
                "\(r.stderr)")
        }
        // spair.json has a "bird" category, with SPair's ids: refused by its name.
        let spair = try KeypointsExecutable.runInRepository(cubArguments + ["--vocabulary", "spair"])
        #expect(
            spair.status != 0 && errorLines(spair).first?.contains("this is the spair vocabulary") == true,
            "\(spair.stderr)")
    }

    /// `--vocabulary cub` is looked up in keypoints/ as localize's --vocabulary and eval's --grid are.
    @Test func vocabularyTakesABareName() throws {
        guard KeypointsExecutable.available() else { return }
        let r = try KeypointsExecutable.runInRepository(cubArguments + ["--vocabulary", "cub", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try JSONDecoder().decode(PCKReport.self, from: Data(r.stdout.utf8))
        #expect(report.keypoints == 31)
        let unknown = try KeypointsExecutable.runInRepository(cubArguments + ["--vocabulary", "zebra"])
        #expect(
            unknown.status != 0 && errorLines(unknown).first?.contains("--vocabulary 'zebra'") == true,
            "\(unknown.stderr)")
    }

    /// `--out new/dir/r.jsonl` creates the missing folders, as OutputPath.checkFile promises.
    @Test func outCreatesMissingFolders() throws {
        guard KeypointsExecutable.available() else { return }
        let out = try Fixtures.temporaryFolder().appendingPathComponent("new/dir/r.jsonl")
        let r = try KeypointsExecutable.runInRepository(cubArguments + ["--out", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try ResultFile.read(out).images.count == 3)
    }

    /// A rerun with a smaller --limit reports the whole file and says so.
    @Test func reportOfAFileWithMoreImagesThanSelectedSaysSo() throws {
        guard KeypointsExecutable.available() else { return }
        let out = try Fixtures.temporaryFolder().appendingPathComponent("r.jsonl").path
        let all = try KeypointsExecutable.runInRepository(cubArguments + ["--out", out])
        #expect(all.status == 0 && !all.stderr.contains("report covers"), "\(all.stderr)")
        let limited = try KeypointsExecutable.runInRepository(cubArguments + ["--out", out, "--limit", "1", "--json"])
        #expect(limited.status == 0, "\(limited.stderr)")
        let report = try JSONDecoder().decode(PCKReport.self, from: Data(limited.stdout.utf8))
        #expect(report.images == 3)
        #expect(limited.stderr.contains("1 of 1 selected images already done (the file holds 3)"), "\(limited.stderr)")
        #expect(
            limited.stderr.contains("the report covers all 3 images in \(out), 2 of them outside this run's selection"),
            "\(limited.stderr)")
    }

    /// When every image is a symlink out of the dataset, the root was right: the final error
    /// names --follow-symlinks, not --root.
    @Test func allImagesSymlinkedOutNameFollowSymlinks() throws {
        guard KeypointsExecutable.available() else { return }
        let folder = try Fixtures.temporaryFolder()
        let root = folder.appendingPathComponent("CUB_200_2011")
        let elsewhere = folder.appendingPathComponent("elsewhere")
        try FileManager.default.copyItem(at: Fixtures.cub, to: root)
        try FileManager.default.moveItem(at: root.appendingPathComponent("images"), to: elsewhere)
        let fm = FileManager.default
        for species in try fm.contentsOfDirectory(atPath: elsewhere.path) {
            let dir = root.appendingPathComponent("images/\(species)")
            try fm.createDirectory(at: dir, withIntermediateDirectories: true)
            for file in try fm.contentsOfDirectory(atPath: elsewhere.appendingPathComponent(species).path) {
                try fm.createSymbolicLink(
                    at: dir.appendingPathComponent(file),
                    withDestinationURL: elsewhere.appendingPathComponent("\(species)/\(file)"))
            }
        }
        let arguments = ["eval", "--dataset", "cub", "--root", root.path, "--split", "all", "--method", "random"]
        let refused = try KeypointsExecutable.runInRepository(arguments)
        let lines = errorLines(refused)
        #expect(refused.status != 0 && lines.count == 1, "\(refused.stderr)")
        #expect(lines.first?.hasSuffix("give --follow-symlinks to read them") == true, "\(refused.stderr)")
        #expect(lines.first?.contains("--root must be") == false, "\(refused.stderr)")
        let followed = try KeypointsExecutable.runInRepository(arguments + ["--follow-symlinks"])
        #expect(followed.status == 0, "\(followed.stderr)")
    }
}
