import Foundation
import Imaging
import Testing

@testable import Evaluation

/// Records what it was shown and answers fixed points.
struct SpyPredictor: KeypointPredictor {
    var method: String { "spy" }
    var settings: [String: String] { ["answer": "origin"] }
    var seen: [(id: String, width: Int, height: Int, region: Box?, names: [String])] = []
    var answer = (x: 0.0, y: 0.0)
    var dropOne = false

    mutating func predict(_ request: PredictionRequest) throws -> PredictionOutput {
        seen.append(
            (request.imageID, request.image.width, request.image.height, request.region, request.keypoints.map(\.name)))
        var p = request.keypoints.map { Prediction(name: $0.name, x: answer.x, y: answer.y, score: 0.25) }
        if dropOne { p.removeLast() }
        return PredictionOutput(predictions: p, passes: 7)
    }
}

@Suite struct RunnerTests {
    func run(
        _ dataset: EvalDataset, _ predictor: inout any KeypointPredictor, out: URL? = nil,
        shard: Shard? = nil, limit: Int? = nil
    ) throws -> (PCKReport, ResultStore) {
        let runner = EvalRunner(dataset: dataset, shard: shard, limit: limit)
        let settings = try runner.settings(for: predictor)
        let store =
            try out.map { try ResultStore.open(url: $0, settings: settings) }
            ?? ResultStore.inMemory(settings: settings)
        let report = try runner.run(predictor: &predictor, store: store)
        return (report, store)
    }

    @Test func spairCropIsShownAndMappedBack() throws {
        var p: any KeypointPredictor = SpyPredictor()
        let (report, store) = try run(try Fixtures.dataset(.spair), &p)
        let spy = try #require(p as? SpyPredictor)
        // 2009_001225: bndbox [145, 74, 366, 284] on 500 x 375 -> columns 145..<366, rows 74..<284
        // (x2 - x1 = 221 is the box's width, the PCK normaliser's side).
        #expect(spy.seen[0].id == "dog/2009_001225" && spy.seen[0].width == 221 && spy.seen[0].height == 210)
        #expect(spy.seen[0].region == nil)
        #expect(spy.seen[0].names.first == "right ear")
        let r = store.images[0]
        #expect(r.crop == Box(x: 145, y: 74, width: 221, height: 210))
        #expect(r.keypoints.allSatisfy { $0.pred == Point(x: 145, y: 74) })  // (0, 0) in the crop
        #expect(r.width == 500 && r.height == 375 && r.passes == 7 && r.unnamed == 1)
        #expect(r.keypoints[0].gt == Point(x: 162, y: 83) && r.keypoints[0].score == 0.25)
        #expect(report.images == 2 && report.keypoints == 21 && report.passes == 14)
    }

    /// The image eval shows for a crop dataset is `localize --box x1,y1,x2-x1,y2-y1 --crop-to-box`'s
    /// crop, so a photo rerun with localize sees the same pixels (it showed one more column and row).
    @Test func spairCropIsLocalizeCropToBox() throws {
        let dataset = try Fixtures.dataset(.spair)
        #expect(dataset.items.count == 2)
        for item in dataset.items {
            let loaded = try EvalRunner.loadImage(item).get()
            let geometry = try CanvasGeometry(
                imageWidth: loaded.originalWidth, imageHeight: loaded.originalHeight, box: item.box, size: 224,
                fitMode: .pad)
            let s = geometry.source
            #expect(
                loaded.crop == Box(x: Double(s.x), y: Double(s.y), width: Double(s.width), height: Double(s.height)),
                "\(item.id)")
            #expect(loaded.image.width == s.width && loaded.image.height == s.height, "\(item.id)")
            #expect(loaded.crop?.width == item.box.width && loaded.crop?.height == item.box.height, "\(item.id)")
        }
    }

    /// The crop of a crop item is the decoded photo's crop whole: its colour model, alpha and
    /// warnings stay (a palette PNG with tRNS stays a palette image, not an RGBA one).
    @Test func cropKeepsWhatTheFileHeldBeyondRGB() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ImagingTests/Fixtures/png_modes/pal8-trns.png")
        let item = EvalItem(
            id: "p", category: "c", imagePath: file.lastPathComponent, imageURL: file,
            box: Box(x: 3, y: 2, width: 9, height: 11), region: .crop,
            keypoints: [GroundTruthKeypoint(id: 0, name: "k", prompt: "k", x: 5, y: 5)])
        let decoded = try ImageCodec.decode(contentsOf: file)
        #expect(decoded.colorModel == .palette && decoded.alpha != nil)
        let loaded = try EvalRunner.loadImage(item).get()
        let same = loaded.image == decoded.cropped(x: 3, y: 2, width: 9, height: 11)
        #expect(same, "not the decoded photo's crop")
        #expect(loaded.image.colorModel == .palette && loaded.image.hasTransparencyChunk)
    }

    /// A crop item whose box has no area is skipped saying so, not as a box outside the image:
    /// `Box.pixels` gives such a box no pixels, wherever it lies (the old crop kept one). A box
    /// past the image's edge is still "outside". (SPair's reader refuses a bndbox with x2 <= x1
    /// before this: `MalformedDataTests.spairAnnotationErrors`.)
    @Test func cropBoxWithoutAreaIsSkippedAsSuch() throws {
        let item = try #require(try Fixtures.dataset(.spair).items.first)
        func reason(_ box: Box) -> String {
            var degenerate = item
            degenerate.box = box
            guard case .failure(let skip) = EvalRunner.loadImage(degenerate) else { return "(loaded)" }
            return skip.message
        }
        for box in [
            Box(x: 145, y: 74, width: 0, height: 210), Box(x: 145, y: 74, width: 221, height: 0),
            Box(x: 145, y: 74, width: -3, height: 210), Box(x: 145, y: 74, width: .nan, height: 210),
        ] {
            let text = reason(box)
            #expect(text.contains("annotation box \(box) has no area"), "\(text)")
            #expect(!text.contains("outside"), "\(text)")
        }
        let outside = reason(Box(x: 600, y: 74, width: 20, height: 210))
        #expect(outside.contains("lies outside the 500x375 image"), "\(outside)")
    }

    @Test func cocoSeesTheWholeImageAndTheBox() throws {
        var p: any KeypointPredictor = SpyPredictor()
        _ = try run(try Fixtures.dataset(.coco), &p)
        let spy = try #require(p as? SpyPredictor)
        #expect(spy.seen.map(\.id) == ["10", "11", "14"])
        #expect(spy.seen[0].width == 500 && spy.seen[0].height == 375)
        #expect(spy.seen[0].region == Box(x: 145, y: 74, width: 221, height: 210))
    }

    @Test func cubSeesTheWholeImageAndOnlyVisibleParts() throws {
        var p: any KeypointPredictor = SpyPredictor()
        let (report, _) = try run(try Fixtures.dataset(.cub), &p)
        let spy = try #require(p as? SpyPredictor)
        // Spotted_Catbird_0018_796800.jpg is 239 x 320 (PIL).
        #expect(spy.seen[0].width == 239 && spy.seen[0].height == 320 && spy.seen[0].region == nil)
        // 11 + 10 visible parts of the two test images; invisible ones are never asked for.
        #expect(report.keypoints == 21)
        #expect(!spy.seen[0].names.contains("back"))  // "953 1 0.0 0.0 0"
    }

    @Test func contractViolationsAreErrors() throws {
        var p: any KeypointPredictor = SpyPredictor(dropOne: true)
        let e = errorText { _ = try run(try Fixtures.dataset(.faces), &p) }
        #expect(e.contains("predictor spy on image 000022: 69 predictions for 70 keypoints"), "\(e)")

        struct Greedy: KeypointPredictor {
            var method: String { "greedy" }
            var settings: [String: String] { ["dataset": "mine"] }
            func predict(_ request: PredictionRequest) throws -> PredictionOutput { PredictionOutput(predictions: []) }
        }
        let runner = EvalRunner(dataset: try Fixtures.dataset(.faces))
        #expect(errorText { _ = try runner.settings(for: Greedy()) }.contains("reserved setting key \"dataset\""))
        // Extra (command-line) settings are recorded; a predictor may repeat them but not contradict them.
        let s = try runner.settings(for: SpyPredictor(), extra: ["model": "/m", "answer": "origin"])
        #expect(s["model"] == "/m" && s["answer"] == "origin" && s["method"] == "spy" && s["shard"] == "all")
        #expect(
            errorText { _ = try runner.settings(for: SpyPredictor(), extra: ["answer": "other"]) }
                .contains("predictor spy sets \"answer\" to origin, the command line to other"))
        #expect(errorText { _ = try runner.settings(for: SpyPredictor(), extra: ["split": "x"]) }.contains("reserved"))
    }

    @Test func randomPredictionsDependOnlyOnSeedImageAndName() throws {
        let image = DecodedImage(rgb: RGBImage(width: 40, height: 30))
        let keypoints = [EvalKeypoint(name: "beak", prompt: "p"), EvalKeypoint(name: "tail", prompt: "q")]
        let region = Box(x: 10, y: 5, width: 20, height: 10)
        let p = RandomPredictor(seed: 3)
        let a = try p.predict(
            PredictionRequest(imageID: "42", category: "x", image: image, region: region, keypoints: keypoints))
        let b = try p.predict(
            PredictionRequest(
                imageID: "42", category: "x", image: image, region: region,
                keypoints: Array(keypoints.reversed())))
        #expect(a.predictions[0] == b.predictions[1] && a.predictions[1] == b.predictions[0])
        #expect(a.predictions.allSatisfy { $0.x >= 10 && $0.x < 30 && $0.y >= 5 && $0.y < 15 })
        let other = try RandomPredictor(seed: 4).predict(
            PredictionRequest(
                imageID: "42", category: "x", image: image,
                region: region, keypoints: keypoints))
        #expect(other.predictions != a.predictions)
        let whole = try p.predict(
            PredictionRequest(imageID: "43", category: "x", image: image, region: nil, keypoints: keypoints))
        #expect(whole.predictions.allSatisfy { $0.x >= 0 && $0.x < 40 && $0.y >= 0 && $0.y < 30 })
    }

    /// Over many images the random baseline's PCK is the share of the search region within the
    /// threshold: for a uniform point in a W x H box and a ground truth in its middle that is
    /// about pi (alpha max(W, H))^2 / (W H) = pi * 0.01 for a square box.
    @Test func randomBaselineMatchesGeometry() throws {
        var items: [EvalItem] = []
        for i in 0..<4000 {
            items.append(
                EvalItem(
                    id: "\(i)", category: "c", imagePath: "x.png", imageURL: URL(fileURLWithPath: "/nonexistent"),
                    box: Box(x: 0, y: 0, width: 100, height: 100), region: .box,
                    keypoints: [GroundTruthKeypoint(id: 0, name: "k", prompt: "k", x: 50, y: 50)]))
        }
        var correct = 0
        let p = RandomPredictor(seed: 0)
        let image = DecodedImage(rgb: RGBImage(width: 100, height: 100))
        for item in items {
            let out = try p.predict(
                PredictionRequest(
                    imageID: item.id, category: "c", image: image, region: item.box,
                    keypoints: item.keypoints.map(\.query)))
            if PCK.isCorrect(
                prediction: Point(x: out.predictions[0].x, y: out.predictions[0].y), truth: Point(x: 50, y: 50),
                boxSize: 100, alpha: 0.1)
            {
                correct += 1
            }
        }
        let rate = Double(correct) / Double(items.count)
        // pi / 100 = 0.0314; binomial standard error sqrt(p (1 - p) / 4000) = 0.0028, allow 4 of them.
        #expect(abs(rate - Double.pi / 100) < 4 * 0.0028, "rate \(rate)")
    }

    @Test func missingImageIsSkippedAndTheRunContinues() throws {
        let root = try Fixtures.copy(Fixtures.cub)
        let missing = root.appendingPathComponent("images/018.Spotted_Catbird/Spotted_Catbird_0018_796800.jpg")
        try FileManager.default.removeItem(at: missing)
        let out = try Fixtures.temporaryFolder().appendingPathComponent("r.jsonl")
        var p: any KeypointPredictor = RandomPredictor()
        let dataset = try Fixtures.dataset(.cub, root: root, split: .all)
        let (report, store) = try run(dataset, &p, out: out)
        store.close()
        #expect(report.images == 2 && report.skipped == 1)
        let s = try #require(report.skippedFiles.first)
        #expect(
            s.id == "953" && s.reason.contains("missing image file")
                && s.reason.contains("Spotted_Catbird_0018_796800.jpg"))
        #expect(report.table().contains("skipped images (1)"))
        // Resuming retries it (still missing): still one skipped item, no duplicate image lines.
        var q: any KeypointPredictor = RandomPredictor()
        let (again, store2) = try run(dataset, &q, out: out)
        store2.close()
        #expect(again.skipped == 1 && again.images == 2)
        let file = try ResultFile.read(out)
        #expect(file.images.count == 2 && file.skipped.count == 2 && file.unresolvedSkipped.count == 1)
    }

    @Test func sizeMismatchIsSkipped() throws {
        let root = try Fixtures.copy(Fixtures.spair)
        let url = root.appendingPathComponent("ImageAnnotation/dog/2011_002398.json")
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        json["image_width"] = 499
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        var p: any KeypointPredictor = RandomPredictor()
        let (report, _) = try run(try Fixtures.dataset(.spair, root: root), &p)
        #expect(report.images == 1 && report.skipped == 1)
        #expect(report.skippedFiles[0].reason.contains("image is 500x332 but the annotation says 499x332"))
    }
}
