import Foundation
import Testing

@testable import Localization

@Suite("Keypoint vocabularies")
struct KeypointVocabularyTests {
    // MARK: - CUB

    /// CUB_200_2011/parts/parts.txt, copied verbatim (`cat parts/parts.txt`).
    static let cubParts = """
        1 back
        2 beak
        3 belly
        4 breast
        5 crown
        6 forehead
        7 left eye
        8 left leg
        9 left wing
        10 nape
        11 right eye
        12 right leg
        13 right wing
        14 tail
        15 throat
        """

    @Test func cubHasTheFifteenPartsOfPartsTxt() throws {
        let v = try KeypointVocabulary.load(from: Repo.vocabulary("cub"))
        #expect(v.categoryNames == ["bird"])
        let q = try v.queries(category: "bird")
        let expected = Self.cubParts.split(separator: "\n").map { line -> (Int, String) in
            let parts = line.split(separator: " ", maxSplits: 1)
            return (Int(parts[0]) ?? -1, String(parts[1]))
        }
        #expect(q.count == 15)
        #expect(q.map(\.id) == expected.map { $0.0 })
        #expect(q.map(\.name) == expected.map { $0.1 })
        #expect(q[6].prompt == "This is the left eye of a bird")  // METHOD.md's CUB prompt
    }

    // MARK: - SPair-71k

    /// METHOD.md's copy of the paper's Table 8 (SPair keypoint id -> name), "-" entries left out.
    static let spairTable: [String: [Int: String]] = [
        "bird": [
            0: "crown", 1: "right wing", 2: "left wing", 3: "beak", 6: "forehead", 7: "right eye",
            8: "left eye", 9: "nape", 10: "right foot", 11: "left foot", 13: "tail",
        ],
        "cat": [
            2: "right ear", 3: "left ear", 4: "right eye", 5: "left eye", 6: "nose", 8: "mouth",
            9: "front right paw", 10: "front left paw", 11: "hind right paw", 12: "hind left paw", 13: "tail",
        ],
        "cow": [
            2: "right ear", 3: "left ear", 4: "right eye", 5: "left eye", 6: "nose", 8: "mouth",
            9: "front right hoof", 10: "front left hoof", 11: "hind right hoof", 12: "hind left hoof", 13: "tail",
            15: "front right knee", 16: "front left knee", 17: "hind right knee", 18: "hind left knee",
            19: "right horn", 20: "left horn",
        ],
        "dog": [
            2: "right ear", 3: "left ear", 4: "right eye", 5: "left eye", 6: "nose", 7: "forehead", 8: "mouth",
            9: "front right paw", 10: "front left paw", 11: "hind right paw", 12: "hind left paw", 13: "tail",
            15: "neck",
        ],
        "horse": [
            2: "right ear", 3: "left ear", 4: "right eye", 5: "left eye", 6: "nose", 8: "mouth", 9: "forehead",
            10: "front right hoof", 11: "front left hoof", 12: "hind right hoof", 13: "hind left hoof", 14: "tail",
            16: "front right knee", 17: "front left knee", 18: "hind right knee", 19: "hind left knee",
        ],
        "sheep": [
            2: "right ear", 3: "left ear", 4: "right eye", 5: "left eye", 6: "nose", 8: "mouth",
            9: "front right hoof", 10: "front left hoof", 11: "hind left hoof", 12: "hind right hoof", 13: "tail",
            15: "front right knee", 16: "front left knee", 17: "hind right knee", 18: "hind left knee",
            19: "right horn",
        ],
    ]

    @Test func spairHasTheSixAnimalsOfTable8() throws {
        let v = try KeypointVocabulary.load(from: Repo.vocabulary("spair"))
        #expect(v.categoryNames == ["bird", "cat", "cow", "dog", "horse", "sheep"])
        for (animal, table) in Self.spairTable {
            let q = try v.queries(category: animal)
            #expect(q.map(\.id) == table.keys.sorted(), "\(animal)")
            for k in q {
                #expect(k.name == table[k.id ?? -1], "\(animal) id \(String(describing: k.id))")
                #expect(k.prompt == "This image shows the \(k.name) of the \(animal)")
            }
        }
    }

    @Test func subsetsKeepTheRequestedOrder() throws {
        let v = try KeypointVocabulary.load(from: Repo.vocabulary("spair"))
        let q = try v.queries(category: "Cat", keypoints: ["tail", " Nose "])
        #expect(q.map(\.id) == [13, 6])
        #expect(q[1].prompt == "This image shows the nose of the cat")
    }

    // MARK: - Faces

    @Test func facesHaveSeventyLandmarks() throws {
        let v = try KeypointVocabulary.load(from: Repo.vocabulary("faces"))
        let q = try v.queries(category: "face")
        #expect(q.count == 70)
        #expect(q.map(\.id) == Array(0..<70))
        #expect(Set(q.map(\.name)).count == 70)
        // iBUG-68 anchors (0-based) and the two pupils; left/right are the subject's.
        let anchors: [Int: String] = [
            8: "chin", 30: "tip of the nose", 36: "outer corner of the right eye", 39: "inner corner of the right eye",
            42: "inner corner of the left eye", 45: "outer corner of the left eye", 48: "right corner of the mouth",
            54: "left corner of the mouth", 68: "right pupil", 69: "left pupil",
        ]
        for (id, name) in anchors { #expect(q[id].name == name) }
        // Groups of the iBUG scheme: jaw 0-16, right brow 17-21, left brow 22-26, nose 27-35,
        // right eye 36-41, left eye 42-47, outer lips 48-59, inner lips 60-67.
        for i in 17...21 { #expect(q[i].name.contains("right eyebrow")) }
        for i in 22...26 { #expect(q[i].name.contains("left eyebrow")) }
        for i in 36...41 { #expect(q[i].name.contains("right eye")) }
        for i in 42...47 { #expect(q[i].name.contains("left eye")) }
        for i in 48...67 { #expect(q[i].name.contains("lip") || q[i].name.contains("mouth")) }
        #expect(q[30].prompt == "This is the tip of the nose of a face")
    }

    // MARK: - Errors

    @Test func unknownCategoryListsTheKnownOnes() throws {
        let v = try KeypointVocabulary.load(from: URL(fileURLWithPath: Repo.vocabulary("spair").path))
        let error = #expect(throws: KeypointVocabularyError.self) { try v.queries(category: "zebra") }
        #expect(
            error?.description.hasSuffix(
                "spair.json: unknown category \"zebra\" (known: bird, cat, cow, dog, horse, sheep)") == true)
    }

    @Test func unknownKeypointListsTheKnownOnes() throws {
        let v = try KeypointVocabulary.load(from: Repo.vocabulary("cub"))
        let error = #expect(throws: KeypointVocabularyError.self) {
            try v.queries(category: "bird", keypoints: ["beak", "fin"])
        }
        #expect(error?.description.contains("category \"bird\" has no keypoint \"fin\" (known: back, beak,") == true)
    }

    static func decode(_ object: Any) throws -> KeypointVocabulary {
        try KeypointVocabulary.decode(JSONSerialization.data(withJSONObject: object), file: "keypoints/bad.json")
    }

    static func vocabulary(
        template: String? = "the {part} of the {animal}", values: [String: String]? = ["animal": "cat"],
        keypoints: [[String: Any]] = [["id": 1, "name": "nose"], ["id": 2, "name": "tail"]]
    ) -> [String: Any] {
        var category: [String: Any] = ["name": "cat", "keypoints": keypoints]
        if let values { category["values"] = values }
        var v: [String: Any] = ["name": "t", "categories": [category]]
        if let template { v["template"] = template }
        return v
    }

    @Test func validInlineVocabulary() throws {
        let v = try Self.decode(Self.vocabulary())
        #expect(try v.queries(category: "cat").map(\.prompt) == ["the nose of the cat", "the tail of the cat"])
    }

    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let json: @Sendable () -> [String: Any]
        let field: String
        let message: String
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "no {part}", json: { vocabulary(template: "a photo of a cat") },
            field: "template", message: "expected a \"{part}\" placeholder"),
        Case(
            name: "no template at all", json: { vocabulary(template: nil) },
            field: "categories[0].template", message: "missing required field"),
        Case(
            name: "placeholder without a value", json: { vocabulary(values: nil) },
            field: "categories[0].values", message: "no value for placeholder \"{animal}\""),
        Case(
            name: "duplicate id", json: { vocabulary(keypoints: [["id": 1, "name": "a"], ["id": 1, "name": "b"]]) },
            field: "categories[0].keypoints[1].id", message: "duplicate id 1"),
        Case(
            name: "duplicate name",
            json: { vocabulary(keypoints: [["id": 1, "name": "a"], ["id": 2, "name": "A"]]) },
            field: "categories[0].keypoints[1].name", message: "duplicate name"),
        Case(
            name: "negative id", json: { vocabulary(keypoints: [["id": -1, "name": "a"]]) },
            field: "categories[0].keypoints[0].id", message: "expected an integer >= 0, got -1"),
        Case(
            name: "empty name", json: { vocabulary(keypoints: [["id": 1, "name": " "]]) },
            field: "categories[0].keypoints[0].name", message: "expected a non-empty string"),
        Case(
            name: "no keypoints", json: { vocabulary(keypoints: []) },
            field: "categories[0].keypoints", message: "expected at least one keypoint"),
        Case(
            name: "unknown field", json: { vocabulary(keypoints: [["id": 1, "name": "a", "label": "x"]]) },
            field: "categories[0].keypoints[0].label", message: "unknown field"),
        Case(
            name: "no categories",
            json: {
                var v = vocabulary()
                v["categories"] = [Any]()
                return v
            },
            field: "categories", message: "expected at least one category"),
    ]

    @Test(arguments: cases)
    func invalidVocabularyNamesTheField(_ c: Case) throws {
        let error = #expect(throws: KeypointVocabularyError.self) { try Self.decode(c.json()) }
        #expect(error?.field == c.field)
        #expect(
            error?.description.hasPrefix("keypoints/bad.json: \(c.field): ") == true, "\(String(describing: error))")
        #expect(error?.description.contains(c.message) == true, "\(String(describing: error))")
    }

    @Test func duplicateCategoryAndBadJSON() throws {
        var v = Self.vocabulary()
        v["categories"] = [(v["categories"] as! [Any])[0], (v["categories"] as! [Any])[0]]  // literal above
        let dup = #expect(throws: KeypointVocabularyError.self) { try Self.decode(v) }
        #expect(dup?.field == "categories[1].name")
        let bad = #expect(throws: KeypointVocabularyError.self) {
            try KeypointVocabulary.decode(Data("[".utf8), file: "keypoints/x.json")
        }
        #expect(bad?.field == "(JSON syntax)")
    }

    // MARK: - Free text

    @Test func freeTextIsItsOwnPrompt() throws {
        let q = try KeypointVocabulary.freeText(["the left headlight", "  door handle "])
        #expect(
            q == [
                KeypointQuery(id: nil, name: "the left headlight", prompt: "the left headlight"),
                KeypointQuery(id: nil, name: "door handle", prompt: "door handle"),
            ])
    }

    /// A keypoint asked for twice (ignoring case and surrounding spaces) would be answered and
    /// written twice: refused, naming both places (fresh-eyes finding).
    @Test func aKeypointAskedForTwiceIsRefused() throws {
        #expect(throws: KeypointVocabularyError.repeatedKeypoint(name: "Beak", first: 1, second: 3)) {
            _ = try KeypointVocabulary.freeText(["beak", "tail", " Beak"])
        }
        let cub = try KeypointVocabulary.load(from: Repo.vocabulary("cub"))
        #expect(throws: KeypointVocabularyError.repeatedKeypoint(name: "beak", first: 1, second: 2)) {
            _ = try cub.queries(category: "bird", keypoints: ["beak", "beak"])
        }
        #expect(try cub.queries(category: "bird", keypoints: ["beak", "tail"]).map(\.name) == ["beak", "tail"])
        #expect(
            "\(KeypointVocabularyError.repeatedKeypoint(name: "beak", first: 1, second: 2))"
                == "keypoint \"beak\" is asked for twice (keypoints 1 and 2); give each keypoint once")
    }

    @Test func freeTextWithTemplate() throws {
        let q = try KeypointVocabulary.freeText(["wheel"], template: "This is the {part} of a car")
        #expect(q.map(\.prompt) == ["This is the wheel of a car"])
    }

    @Test func freeTextErrors() throws {
        let noPart = #expect(throws: KeypointVocabularyError.self) {
            try KeypointVocabulary.freeText(["wheel"], template: "a car")
        }
        #expect(noPart == .badTemplate(template: "a car", message: "expected a \"{part}\" placeholder"))
        #expect(throws: KeypointVocabularyError.self) {
            try KeypointVocabulary.freeText(["wheel"], template: "the {part} of the {animal}")
        }
        #expect(throws: KeypointVocabularyError.emptyKeypoint(index: 1)) {
            try KeypointVocabulary.freeText(["wheel", " "])
        }
    }

    @Test func templateBracesThatAreNotPlaceholdersStayLiteral() throws {
        let t = try PromptTemplate("{part} {not a name} {} {")
        #expect(t.placeholders == ["part"])
        #expect(try t.fill(part: "beak") == "beak {not a name} {} {")
    }
}
