import Foundation
import Testing

@testable import Evaluation

/// Broken copies of the fixtures: every error must name the file and the line (text files) or
/// the field (JSON files).
@Suite struct MalformedDataTests {
    func brokenCUB(_ file: String, _ transform: (inout [String]) -> Void) throws -> String {
        let root = try Fixtures.copy(Fixtures.cub)
        try Fixtures.edit(root.appendingPathComponent(file), transform)
        return errorText { _ = try Fixtures.dataset(.cub, root: root, split: .all) }
    }

    @Test func cubRowCountMismatch() throws {
        let e = try brokenCUB("bounding_boxes.txt") { $0.remove(at: 1) }  // drops "1291 ..."
        #expect(e.contains("bounding_boxes.txt: 2 rows, but") && e.contains("images.txt has 3"), "\(e)")
        #expect(e.contains("no row for image_id 1291") && e.contains("images.txt line 2"), "\(e)")
        let p = try brokenCUB("parts/part_locs.txt") { $0.remove(at: 20) }
        #expect(
            p.contains("part_locs.txt: 44 rows") && p.contains("image_id 1291 has 14 part rows, expected 15"), "\(p)")
    }

    @Test func cubNaNAndNegativeCoordinates() throws {
        let nan = try brokenCUB("parts/part_locs.txt") { $0[1] = "953 2 nan 60.0 1" }
        #expect(nan.contains("part_locs.txt line 2") && nan.contains("x: expected a finite number, got nan"), "\(nan)")
        let negative = try brokenCUB("bounding_boxes.txt") { $0[2] = "1768 -6.0 7.0 494.0 323.0" }
        #expect(
            negative.contains("bounding_boxes.txt line 3")
                && negative.contains("x: expected a coordinate >= 0, got -6.0"), "\(negative)")
        let zero = try brokenCUB("bounding_boxes.txt") { $0[0] = "953 63.0 35.0 0 271.0" }
        #expect(zero.contains("bounding_boxes.txt line 1") && zero.contains("width and height > 0"), "\(zero)")
        let text = try brokenCUB("parts/part_locs.txt") { $0[3] = "953 4 110.0 1x9.0 1" }
        #expect(
            text.contains("part_locs.txt line 4") && text.contains("y: expected a number, got \"1x9.0\""), "\(text)")
        let visible = try brokenCUB("parts/part_locs.txt") { $0[3] = "953 4 110.0 119.0 2" }
        #expect(
            visible.contains("part_locs.txt line 4") && visible.contains("visible: expected 0 or 1, got 2"),
            "\(visible)")
    }

    @Test func cubUnknownIDsAndCategories() throws {
        let id = try brokenCUB("train_test_split.txt") { $0[1] = "1292 1" }
        #expect(id.contains("train_test_split.txt line 2") && id.contains("image_id 1292 is not in"), "\(id)")
        let cls = try brokenCUB("image_class_labels.txt") { $0[2] = "1768 201" }
        #expect(
            cls.contains("image_class_labels.txt line 3") && cls.contains("unknown category \"class_id 201\""), "\(cls)"
        )
        let dup = try brokenCUB("images.txt") { $0.append("953 x/y.jpg") }
        #expect(dup.contains("images.txt line 4") && dup.contains("duplicate image_id 953 (first on line 1)"), "\(dup)")
        let fields = try brokenCUB("train_test_split.txt") { $0[0] = "953" }
        #expect(fields.contains("train_test_split.txt line 1") && fields.contains("expected 2 fields"), "\(fields)")
    }

    @Test func cubPathEscapingTheRoot() throws {
        let e = try brokenCUB("images.txt") { $0[1] = "1291 ../../../etc/passwd" }
        #expect(
            e.contains("images.txt line 2") && e.contains("\"../../../etc/passwd\"") && e.contains("refused"), "\(e)")
        let abs = try brokenCUB("images.txt") { $0[0] = "953 /etc/passwd" }
        #expect(abs.contains("images.txt line 1") && abs.contains("refused"), "\(abs)")
    }

    @Test func cubCRLFLineEndingsAreAccepted() throws {
        let root = try Fixtures.copy(Fixtures.cub)
        for f in ["images.txt", "parts/part_locs.txt", "parts/parts.txt", "bounding_boxes.txt"] {
            let url = root.appendingPathComponent(f)
            let text = try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: "\n", with: "\r\n")
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let crlf = try Fixtures.dataset(.cub, root: root, split: .all)
        let lf = try Fixtures.dataset(.cub, split: .all)
        #expect(crlf.items.map(\.keypoints) == lf.items.map(\.keypoints))
        #expect(crlf.items.map(\.imagePath) == lf.items.map(\.imagePath))
    }

    // MARK: - SPair

    func brokenSPair(_ file: String, _ transform: (inout [String]) -> Void) throws -> String {
        let root = try Fixtures.copy(Fixtures.spair)
        try Fixtures.edit(root.appendingPathComponent(file), transform)
        return errorText { _ = try Fixtures.dataset(.spair, root: root) }
    }

    func brokenSPairJSON(_ edit: (inout [String: Any]) -> Void) throws -> String {
        let root = try Fixtures.copy(Fixtures.spair)
        let url = root.appendingPathComponent("ImageAnnotation/dog/2011_002398.json")
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        edit(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        return errorText { _ = try Fixtures.dataset(.spair, root: root) }
    }

    @Test func spairLayoutErrors() throws {
        let escape = try brokenSPair("Layout/large/test.txt") { $0[0] = "007272-../../x-2011_002398:dog" }
        #expect(escape.contains("test.txt line 1") && escape.contains("refused"), "\(escape)")
        let shape = try brokenSPair("Layout/large/test.txt") { $0[0] = "007272-2009_001225:dog" }
        #expect(
            shape.contains("test.txt line 1") && shape.contains("expected <pair id>-<source>-<target>:<category>"),
            "\(shape)")
    }

    @Test func spairAnnotationErrors() throws {
        let negative = try brokenSPairJSON { j in
            var kps = j["kps"] as? [String: Any] ?? [:]
            kps["4"] = [-3, 91]
            j["kps"] = kps
        }
        #expect(negative.contains("2011_002398.json: kps.4[0]: expected a coordinate >= 0, got -3"), "\(negative)")
        let box = try brokenSPairJSON { $0["bndbox"] = [162, 51, 100, 269] }
        #expect(box.contains("2011_002398.json: bndbox: expected x2 > x1"), "\(box)")
        // A box of zero width or height (which the crop would give no pixel) is refused when read,
        // naming the file and the field, not later skipped as a box outside the image.
        for zero in [[162, 51, 162, 269], [162, 51, 406, 51]] {
            let text = try brokenSPairJSON { $0["bndbox"] = zero }
            #expect(text.contains("2011_002398.json: bndbox: expected x2 > x1 and y2 > y1, got"), "\(text)")
        }
        let category = try brokenSPairJSON { $0["category"] = "cat" }
        #expect(category.contains("2011_002398.json") && category.contains("unknown category \"cat\""), "\(category)")
        let missing = try brokenSPairJSON { $0.removeValue(forKey: "image_width") }
        #expect(missing.contains("2011_002398.json: image_width: missing required field"), "\(missing)")
        let point = try brokenSPairJSON { j in
            var kps = j["kps"] as? [String: Any] ?? [:]
            kps["6"] = [382]
            j["kps"] = kps
        }
        #expect(point.contains("kps.6: expected [x, y] or null"), "\(point)")
    }

    // MARK: - Faces

    @Test func facesErrors() throws {
        let root = try Fixtures.copy(Fixtures.faces)
        try Fixtures.edit(root.appendingPathComponent("000024_ldmks.txt")) { $0[9] = "nan 208.0" }
        let nan = errorText { _ = try Fixtures.dataset(.faces, root: root) }
        #expect(
            nan.contains("000024_ldmks.txt line 10") && nan.contains("x: expected a finite number, got nan"), "\(nan)")
        try Fixtures.edit(root.appendingPathComponent("000024_ldmks.txt")) { $0.remove(at: 9) }
        let short = errorText { _ = try Fixtures.dataset(.faces, root: root) }
        #expect(
            short.contains("000024_ldmks.txt") && short.contains("expected 70 landmark rows \"x y\", got 69"),
            "\(short)")
    }

    // MARK: - COCO

    func brokenCOCO(_ edit: (inout [String: Any]) -> Void) throws -> String {
        let folder = try Fixtures.temporaryFolder()
        let url = folder.appendingPathComponent("broken.json")
        var json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.coco)) as? [String: Any])
        edit(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        return errorText {
            _ = try EvalDataset.load(DatasetOptions(kind: .coco, root: url, images: Fixtures.cocoImages))
        }
    }

    /// A category naming two keypoints alike is refused when it is evaluated, not when
    /// `--categories` leaves it out: the other categories of the file are as good as before.
    @Test func cocoRepeatedNameOnlyInTheCategoriesEvaluated() throws {
        let folder = try Fixtures.temporaryFolder()
        let url = folder.appendingPathComponent("dog-twice.json")
        var json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.coco)) as? [String: Any])
        var c = json["categories"] as? [[String: Any]] ?? []
        var names = c[1]["keypoints"] as? [String] ?? []
        names[4] = "left eye"
        c[1]["keypoints"] = names
        json["categories"] = c
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        func load(_ categories: [String]) throws -> EvalDataset {
            try EvalDataset.load(
                DatasetOptions(
                    kind: .coco, root: url, images: Fixtures.cocoImages, categories: categories, includeOccluded: false)
            )
        }
        #expect(try load(["cat"]).items.map(\.id) == ["14"])
        let dog = errorText { _ = try load(["dog"]) }
        #expect(dog.contains(#"keypoint 4 "left eye" has the name "left eye" of keypoint 3"#), "\(dog)")
    }

    @Test func cocoErrors() throws {
        let escape = try brokenCOCO { j in
            var images = j["images"] as? [[String: Any]] ?? []
            images[1]["file_name"] = "../../secret.jpg"
            j["images"] = images
        }
        #expect(escape.contains("broken.json: images[1].file_name") && escape.contains("refused"), "\(escape)")
        let category = try brokenCOCO { j in
            var a = j["annotations"] as? [[String: Any]] ?? []
            a[0]["category_id"] = 99
            j["annotations"] = a
        }
        #expect(
            category.contains("annotations[0].category_id") && category.contains("unknown category \"99\""),
            "\(category)")
        let length = try brokenCOCO { j in
            var a = j["annotations"] as? [[String: Any]] ?? []
            a[1]["keypoints"] = [1, 2, 2]
            j["annotations"] = a
        }
        #expect(length.contains("annotations[1].keypoints: expected 39 numbers"), "\(length)")
        // "left eye" and "left_eye" are one name once "_" reads as a space: one keypoint would
        // count twice in PCK.
        let twice = try brokenCOCO { j in
            var c = j["categories"] as? [[String: Any]] ?? []
            var names = c[1]["keypoints"] as? [String] ?? []
            names[4] = "left eye"
            c[1]["keypoints"] = names
            j["categories"] = c
        }
        #expect(
            twice.contains("broken.json: categories[1].keypoints")
                && twice.contains(#"keypoint 4 "left eye" has the name "left eye" of keypoint 3"#),
            "\(twice)")
        let negative = try brokenCOCO { j in
            var a = j["annotations"] as? [[String: Any]] ?? []
            var k = a[0]["keypoints"] as? [Any] ?? []
            k[3] = -5  // left ear x, v = 2
            a[0]["keypoints"] = k
            j["annotations"] = a
        }
        #expect(negative.contains("annotations[0].keypoints[3]: expected a coordinate >= 0, got -5"), "\(negative)")
    }
}
