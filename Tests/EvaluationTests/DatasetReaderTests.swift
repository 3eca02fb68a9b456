import Foundation
import Imaging
import Testing

@testable import Evaluation

// Expected values are read off the fixture files themselves (quoted next to each check), not
// produced by the readers.

@Suite struct CUBReaderTests {
    @Test func testSplitOfTheFixture() throws {
        // train_test_split.txt: "953 0", "1291 1", "1768 0" -> test = 953, 1768 (ascending ids).
        let d = try Fixtures.dataset(.cub)
        #expect(d.split == .test)
        #expect(d.items.map(\.id) == ["953", "1768"])
        let item = try #require(d.items.first)
        // images.txt: "953 018.Spotted_Catbird/Spotted_Catbird_0018_796800.jpg"
        #expect(item.imagePath == "images/018.Spotted_Catbird/Spotted_Catbird_0018_796800.jpg")
        #expect(FileManager.default.fileExists(atPath: item.imageURL.path))
        // image_class_labels.txt "953 18"; classes.txt "18 018.Spotted_Catbird"
        #expect(item.category == "018.Spotted_Catbird")
        // bounding_boxes.txt "953 63.0 35.0 134.0 271.0"
        #expect(item.box == Box(x: 63, y: 35, width: 134, height: 271))
        #expect(item.box.longerSide == 271)
        #expect(item.region == .image)
        // part_locs.txt: 11 visible rows for 953; first visible "953 2 86.0 60.0 1" (part 2 = beak),
        // invisible parts 1, 5, 7, 13 are left out.
        #expect(item.keypoints.count == 11)
        #expect(item.keypoints.map(\.id) == [2, 3, 4, 6, 8, 9, 10, 11, 12, 14, 15])
        let beak = try #require(item.keypoints.first)
        #expect(beak.name == "beak" && beak.x == 86 && beak.y == 60)
        #expect(beak.prompt == "This is the beak of a bird")
        #expect(d.items[1].keypoints.count == 10)
    }

    @Test func trainAllAndCategories() throws {
        #expect(try Fixtures.dataset(.cub, split: .train).items.map(\.id) == ["1291"])
        #expect(try Fixtures.dataset(.cub, split: .all).items.map(\.id) == ["953", "1291", "1768"])
        // Class by full name, by name without the number, by id; any case.
        #expect(
            try Fixtures.dataset(.cub, split: .all, categories: ["032.Mangrove_Cuckoo"]).items.map(\.id) == ["1768"])
        #expect(
            try Fixtures.dataset(.cub, split: .all, categories: ["red_faced_cormorant", "18"]).items.map(\.id) == [
                "953", "1291",
            ])
        let e = errorText { _ = try Fixtures.dataset(.cub, categories: ["Dodo"]) }
        #expect(e.contains("classes.txt") && e.contains("unknown category \"Dodo\""), "\(e)")
    }

    /// The complete annotation files of the release (11,788 images, 176,820 part rows) parse.
    @Test(
        .enabled(
            if: Fixtures.hasSharedData, "../shared/data is not present (fresh clone): full-size CUB files not tested"))
    func fullSizeAnnotations() throws {
        let root = Fixtures.sharedData.appendingPathComponent("cub/full_annotations/CUB_200_2011")
        let all = try Fixtures.dataset(.cub, root: root, split: .all)
        #expect(all.items.count == 11_788)
        // awk '$5==1' parts/part_locs.txt | wc -l  -> 141407
        #expect(all.items.reduce(0) { $0 + $1.keypoints.count } == 141_407)
        let test = try Fixtures.dataset(.cub, root: root)
        // awk '$2==0' train_test_split.txt | wc -l -> 5794; visible parts of those -> 69546
        #expect(test.items.count == 5_794)
        #expect(test.items.reduce(0) { $0 + $1.keypoints.count } == 69_546)
        #expect(Set(all.items.map(\.category)).count == 200)
        // images.txt line 1: "1 001.Black_footed_Albatross/Black_Footed_Albatross_0046_18.jpg"
        #expect(all.items[0].id == "1" && all.items[0].imagePath.hasSuffix("Black_Footed_Albatross_0046_18.jpg"))
    }

    /// The 100-image sample with images: every image file exists where the reader says.
    @Test(.enabled(if: Fixtures.hasSharedData, "../shared/data is not present: CUB sample not tested"))
    func sharedSample() throws {
        let d = try Fixtures.dataset(
            .cub, root: Fixtures.sharedData.appendingPathComponent("cub/CUB_200_2011"), split: .all)
        #expect(d.items.count == 100)
        #expect(d.items.allSatisfy { FileManager.default.fileExists(atPath: $0.imageURL.path) })
        // PROVENANCE.md: 1,149 of the 1,500 part rows are visible.
        #expect(d.items.reduce(0) { $0 + $1.keypoints.count } == 1_149)
    }
}

@Suite struct SPairReaderTests {
    @Test func defaultAnimalsTestSplit() throws {
        // Layout/large/test.txt: "007272-2009_001225-2011_002398:dog"; the fixture has only dog.
        let d = try Fixtures.dataset(.spair)
        #expect(d.items.map(\.id) == ["dog/2009_001225", "dog/2011_002398"])
        // bird, cat, cow, horse, sheep have no folder: noted, not an error.
        #expect(d.notes.filter { $0.contains("has no folder") }.count == 5)
        let a = d.items[0]
        // 2009_001225.json: "bndbox": [145, 74, 366, 284], 500 x 375
        #expect(a.box == Box(x: 145, y: 74, width: 221, height: 210))
        #expect(a.region == .crop)
        #expect(a.expectedWidth == 500 && a.expectedHeight == 375)
        // kps 2..12 non-null and named for dog (Table 8); 14 ([352, 149]) non-null but unnamed; 13, 15 null.
        #expect(a.keypoints.map(\.id) == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
        #expect(a.unnamedKeypoints == 1)
        // "2": [162, 83] = right ear
        #expect(a.keypoints[0].name == "right ear" && a.keypoints[0].x == 162 && a.keypoints[0].y == 83)
        #expect(a.keypoints[0].prompt == "This image shows the right ear of the dog")
        // 2011_002398: non-null 4, 6-15; named 4, 6-13, 15 (10); 14 unnamed.
        #expect(d.items[1].keypoints.map(\.id) == [4, 6, 7, 8, 9, 10, 11, 12, 13, 15])
        #expect(d.items[1].keypoints.last?.name == "neck")
        #expect(d.notes.contains { $0.contains("2 annotated keypoints have no name") })
    }

    @Test func categoriesAndSplits() throws {
        #expect(try Fixtures.dataset(.spair, split: .all, categories: ["dog"]).items.count == 2)
        let e = errorText { _ = try Fixtures.dataset(.spair, categories: ["aeroplane"]) }
        #expect(e.contains("unknown category \"aeroplane\"") && e.contains("known: dog"), "\(e)")
        let t = errorText { _ = try Fixtures.dataset(.spair, split: .train) }
        #expect(t.contains("Layout/large/trn.txt"), "\(t)")
    }

    /// The real sample: non-animal categories are selectable and have no names, so their
    /// keypoints are skipped and counted.
    @Test(.enabled(if: Fixtures.hasSharedData, "../shared/data is not present: SPair sample not tested"))
    func sharedSample() throws {
        let root = Fixtures.sharedData.appendingPathComponent("spair/SPair-71k")
        let d = try Fixtures.dataset(.spair, root: root)
        #expect(Set(d.items.map(\.category)) == ["cow", "dog", "horse"])
        #expect(d.items.count == 6)
        let planes = try Fixtures.dataset(.spair, root: root, split: .all, categories: ["aeroplane"])
        #expect(planes.items.count == 2)
        #expect(planes.items.allSatisfy { $0.keypoints.isEmpty && $0.unnamedKeypoints > 0 })
        #expect(planes.notes.contains { $0.contains("aeroplane has no keypoint names") })
        // PROVENANCE.md: 127 non-null keypoints over the 12 images.
        let all = try Fixtures.dataset(
            .spair, root: root, split: .all,
            categories: ["aeroplane", "cow", "dog", "horse", "motorbike", "pottedplant"])
        #expect(all.items.reduce(0) { $0 + $1.keypoints.count + $1.unnamedKeypoints } == 127)
    }
}

@Suite struct FacesReaderTests {
    @Test func landmarksAndExtent() throws {
        let d = try Fixtures.dataset(.faces)
        #expect(d.split == .all)
        #expect(d.items.map(\.id) == ["000022", "000024"])
        let a = d.items[0]
        #expect(a.category == "face" && a.imagePath == "000022.png" && a.region == .image)
        #expect(a.keypoints.count == 70 && a.unnamedKeypoints == 0)
        // numpy: a = np.loadtxt('faces/000022_ldmks.txt'); a.min(0) = (197.01, 198.361),
        // a.max(0) - a.min(0) = (162.235, 177.281); a[0] = (197.01, 251.761); a[69] = (341.028, 229.998)
        let tolerance = 1e-9  // decimal text parsed twice; only rounding of the subtraction differs
        #expect(abs(a.box.x - 197.01) < tolerance && abs(a.box.y - 198.361) < tolerance)
        #expect(abs(a.box.width - 162.235) < 1e-6 && abs(a.box.height - 177.281) < 1e-6)
        #expect(a.keypoints[0].x == 197.01 && a.keypoints[0].y == 251.761)
        #expect(a.keypoints[69].x == 341.028 && a.keypoints[69].y == 229.998)
        #expect(a.keypoints[68].name.contains("pupil"))
    }

    @Test func noSplitNoCategories() {
        #expect(errorText { _ = try Fixtures.dataset(.faces, split: .test) }.contains("faces has no test split"))
        #expect(
            errorText { _ = try Fixtures.dataset(.faces, categories: ["face"]) }.contains("--categories does not apply")
        )
    }
}

@Suite struct COCOReaderTests {
    @Test func instancesNamesAndVisibility() throws {
        // make_coco.py: annotations 10, 11 (dog), 12 crowd (ignored), 13 no keypoints (ignored), 14 cat.
        let d = try Fixtures.dataset(.coco)
        #expect(d.items.map(\.id) == ["10", "11", "14"])
        #expect(d.notes.contains { $0.contains("1 crowd annotations") })
        #expect(d.notes.contains { $0.contains("1 annotations without a labelled keypoint") })
        let dog = d.items[0]
        #expect(dog.category == "dog" && dog.region == .box)
        // SPair bndbox [145, 74, 366, 284] -> bbox [145, 74, 221, 210]
        #expect(dog.box == Box(x: 145, y: 74, width: 221, height: 210))
        #expect(dog.imagePath == "2009_001225.jpg" && FileManager.default.fileExists(atPath: dog.imageURL.path))
        // 11 labelled dog keypoints of the SPair annotation (ids 2-12); nose has v = 1 and counts by default.
        #expect(dog.keypoints.count == 11)
        #expect(dog.keypoints.contains { $0.name == "nose" })
        // snake_case names read with spaces, prompt from the default template.
        #expect(dog.keypoints[0].name == "right ear")
        #expect(dog.keypoints[0].prompt == "This is the right ear of a dog")
        #expect(dog.expectedWidth == 500 && dog.expectedHeight == 375)
    }

    @Test func visibleOnlyAndCategories() throws {
        let d = try EvalDataset.load(
            DatasetOptions(
                kind: .coco, root: Fixtures.coco, images: Fixtures.cocoImages,
                categories: ["cat"], includeOccluded: false))
        #expect(d.items.map(\.id) == ["14"])
        let dogs = try EvalDataset.load(
            DatasetOptions(
                kind: .coco, root: Fixtures.coco, images: Fixtures.cocoImages,
                categories: ["dog"], includeOccluded: false))
        #expect(dogs.items[0].keypoints.count == 10)
        #expect(!dogs.items[0].keypoints.contains { $0.name == "nose" })
        #expect(dogs.settings["coco_occluded"] == "excluded")
    }
}

/// A vocabulary names keypoints by the dataset's own ids, so another dataset's is refused (it
/// named CUB's parts with face landmark names, matching by id only).
@Suite struct VocabularyMatchTests {
    func load(_ kind: DatasetKind, root: URL, vocabulary: String) throws -> EvalDataset {
        try EvalDataset.load(
            DatasetOptions(
                kind: kind, root: root, split: .all, vocabulary: try Fixtures.vocabulary(vocabulary)))
    }

    @Test func vocabularyWithoutTheDatasetsCategoriesIsRefused() throws {
        let faces = try Fixtures.vocabulary("faces")
        let cub = try Fixtures.vocabulary("cub")
        #expect(
            throws: EvaluationError.vocabularyMismatch(
                file: faces.source, categories: ["face"], dataset: "cub", needed: ["bird"])
        ) {
            try load(.cub, root: Fixtures.cub, vocabulary: "faces")
        }
        #expect(
            throws: EvaluationError.vocabularyMismatch(
                file: cub.source, categories: ["bird"], dataset: "faces", needed: ["face"])
        ) {
            try load(.faces, root: Fixtures.faces, vocabulary: "cub")
        }
        // The SPair fixture has dog only; cub.json has bird only.
        #expect(
            throws: EvaluationError.vocabularyMismatch(
                file: cub.source, categories: ["bird"], dataset: "spair", needed: ["dog"])
        ) {
            try load(.spair, root: Fixtures.spair, vocabulary: "cub")
        }
        let text = EvaluationError.vocabularyMismatch(
            file: "keypoints/faces.json", categories: ["face"], dataset: "cub", needed: ["bird"]
        ).description
        #expect(text.hasPrefix("keypoints/faces.json: the vocabulary's categories (face) include none of the cub"))
    }

    /// spair.json has a "bird" category, but its ids are SPair's: refused for CUB by its name.
    @Test func anotherDatasetsVocabularyWithAMatchingCategoryIsRefused() throws {
        let spair = try Fixtures.vocabulary("spair")
        #expect(
            throws: EvaluationError.vocabularyOfAnotherDataset(
                file: spair.source, name: "spair", dataset: "cub", defaultVocabulary: "cub.json")
        ) {
            try load(.cub, root: Fixtures.cub, vocabulary: "spair")
        }
        // A vocabulary of the dataset's category under another name still loads.
        var renamed = try Fixtures.vocabulary("cub")
        renamed.name = "my-birds"
        let d = try EvalDataset.load(
            DatasetOptions(kind: .cub, root: Fixtures.cub, split: .all, vocabulary: renamed))
        #expect(d.items.count == 3)
    }
}
