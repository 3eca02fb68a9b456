import CLIP
import Foundation
import Imaging
import Testing

@testable import Localization

/// Prompt ensembles (CLIP's prompt ensembling): several templates or prompts per keypoint in a
/// vocabulary, their encoding in results files (one prompt as before), and the ensemble's text
/// embedding, the L2-normalised mean of its prompts' L2-normalised embeddings.
@Suite struct PromptEnsembleTests {
    static var fixtures: URL { Repo.root.appendingPathComponent("Tests/CLIPTests/Fixtures") }

    static func decode(_ object: Any) throws -> KeypointVocabulary {
        try KeypointVocabulary.decode(JSONSerialization.data(withJSONObject: object), file: "keypoints/bad.json")
    }

    /// One category "cat" with `{"animal": "cat"}`, keypoints nose (id 1) and tail (id 2).
    static func vocabulary(
        template: Any? = "the {part} of the {animal}", categoryTemplate: Any? = nil,
        keypoints: [[String: Any]] = [["id": 1, "name": "nose"], ["id": 2, "name": "tail"]]
    ) -> [String: Any] {
        var category: [String: Any] = ["name": "cat", "values": ["animal": "cat"], "keypoints": keypoints]
        if let categoryTemplate { category["template"] = categoryTemplate }
        var v: [String: Any] = ["name": "t", "categories": [category]]
        if let template { v["template"] = template }
        return v
    }

    // MARK: - Vocabulary format

    @Test func templateArraysAndPromptArraysMakeEnsembles() throws {
        let fileLevel = try Self.decode(
            Self.vocabulary(template: ["the {part} of the {animal}", "a photo of the {animal}'s {part}"]))
        #expect(
            try fileLevel.queries(category: "cat").map(\.prompts) == [
                ["the nose of the cat", "a photo of the cat's nose"],
                ["the tail of the cat", "a photo of the cat's tail"],
            ])
        #expect(fileLevel.templates?.count == 2)

        // A category's own array replaces the file's string; a keypoint's own prompts replace both.
        let mixed = try Self.decode(
            Self.vocabulary(
                categoryTemplate: ["{part} ({animal})", "the {animal}: {part}", "{part}"],
                keypoints: [
                    ["id": 1, "name": "nose", "prompt": ["a wet nose", "a cat's nose"]], ["id": 2, "name": "tail"],
                ]
            ))
        let q = try mixed.queries(category: "cat")
        #expect(q[0].prompts == ["a wet nose", "a cat's nose"])
        #expect(q[1].prompts == ["tail (cat)", "the cat: tail", "tail"])

        // Strings stay single prompts; a one-element array is one prompt too.
        let single = try Self.decode(Self.vocabulary(template: ["the {part} of the {animal}"]))
        #expect(
            try single.queries(category: "cat").map(\.prompts) == [["the nose of the cat"], ["the tail of the cat"]])
    }

    @Test func shippedVocabulariesLoadAsSinglePrompts() throws {
        for name in ["cub", "spair", "faces"] {
            let v = try KeypointVocabulary.load(from: Repo.vocabulary(name))
            for c in v.categories {
                #expect(c.templates.count == 1, "\(name) \(c.name)")
                for q in try c.queries() { #expect(q.prompts.count == 1, "\(name) \(c.name) \(q.name)") }
            }
            // Encoding writes what it read: `template` stays a string.
            let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(v)) as? [String: Any]
            #expect(encoded?["template"] is String, "\(name)")
        }
    }

    typealias Case = KeypointVocabularyTests.Case

    static let overLimit = (0...LocalizationLimits.promptsPerKeypoint).map { "the {part} number \($0)" }

    static let cases: [Case] = [
        Case(
            name: "empty template array", json: { vocabulary(template: [String]()) },
            field: "template", message: "expected at least one template, got an empty array"),
        Case(
            name: "template without {part} in an array",
            json: { vocabulary(template: ["the {part} of the {animal}", "a photo of a cat"]) },
            field: "template[1]", message: "expected a \"{part}\" placeholder"),
        Case(
            name: "category template without {part} in an array",
            json: { vocabulary(categoryTemplate: ["{part} of a cat", "a cat"]) },
            field: "categories[0].template[1]", message: "expected a \"{part}\" placeholder"),
        Case(
            name: "category template with an unknown placeholder",
            json: { vocabulary(categoryTemplate: ["{part} of a cat", "{part} of a {colour} cat"]) },
            field: "categories[0].template[1]", message: "no value for placeholder \"{colour}\""),
        Case(
            name: "a number among the templates", json: { vocabulary(template: ["the {part}", 3]) },
            field: "template[1]", message: "expected a string, got 3"),
        Case(
            name: "template neither string nor array", json: { vocabulary(template: 3) },
            field: "template", message: "expected a string or an array of strings, got 3"),
        Case(
            name: "too many templates", json: { vocabulary(template: overLimit) },
            field: "template",
            message: "101 templates, over the limit LocalizationLimits.promptsPerKeypoint = 100"),
        Case(
            name: "too many prompts",
            json: { vocabulary(keypoints: [["id": 1, "name": "nose", "prompt": overLimit]]) },
            field: "categories[0].keypoints[0].prompt",
            message: "101 prompts, over the limit LocalizationLimits.promptsPerKeypoint = 100"),
        Case(
            name: "empty prompt array",
            json: { vocabulary(keypoints: [["id": 1, "name": "nose", "prompt": [String]()]]) },
            field: "categories[0].keypoints[0].prompt", message: "expected at least one prompt, got an empty array"),
        Case(
            name: "blank prompt in an array",
            json: { vocabulary(keypoints: [["id": 1, "name": "nose", "prompt": ["a nose", " "]]]) },
            field: "categories[0].keypoints[0].prompt[1]", message: "expected a non-empty string"),
    ]

    @Test(arguments: cases)
    func badEnsemblesNameFileFieldAndLimit(_ c: Case) {
        do {
            _ = try Self.decode(c.json())
            Issue.record("\(c.name): expected an error")
        } catch let error as KeypointVocabularyError {
            #expect(error.field == c.field, "\(c.name): \(error)")
            #expect("\(error)".hasPrefix("keypoints/bad.json: \(c.field): "), "\(c.name): \(error)")
            #expect("\(error)".contains(c.message), "\(c.name): \(error)")
        } catch {
            Issue.record("\(c.name): unexpected \(error)")
        }
    }

    @Test func replacingAndFreeTextTakeSeveralTemplates() throws {
        let v = try Self.decode(Self.vocabulary(keypoints: [["id": 1, "name": "nose", "prompt": "own prompt"]]))
        let replaced = try v.replacingTemplates(["the {part}", "a {animal}'s {part}"])
        #expect(try replaced.queries(category: "cat").map(\.prompts) == [["the nose", "a cat's nose"]])
        #expect(
            throws: KeypointVocabularyError.badTemplate(
                template: "a {colour} {part}", message: "category cat has no value for {colour} in keypoints/bad.json")
        ) { try v.replacingTemplates(["the {part}", "a {colour} {part}"]) }
        #expect(throws: KeypointVocabularyError.tooManyTemplates(count: 101, limit: 100)) {
            try v.replacingTemplates(Self.overLimit)
        }

        let free = try KeypointVocabulary.freeText(["wheel"], templates: ["the {part} of a car", "a car's {part}"])
        #expect(free.map(\.prompts) == [["the wheel of a car", "a car's wheel"]])
        #expect(try KeypointVocabulary.freeText(["wheel"], templates: []).map(\.prompts) == [["wheel"]])
        #expect(
            throws: KeypointVocabularyError.badTemplate(template: "a car", message: "expected a \"{part}\" placeholder")
        ) {
            try KeypointVocabulary.freeText(["wheel"], templates: ["the {part}", "a car"])
        }
        #expect(throws: KeypointVocabularyError.tooManyTemplates(count: 101, limit: 100)) {
            try KeypointVocabulary.freeText(["wheel"], templates: Self.overLimit)
        }
    }

    // MARK: - Encoding

    @Test func onePromptEncodesAsBeforeAndSeveralAsAnArray() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let one = KeypointQuery(id: nil, name: "beak", prompt: "This is the beak of a bird")
        #expect(
            String(decoding: try encoder.encode(one), as: UTF8.self)
                == #"{"name":"beak","prompt":"This is the beak of a bird"}"#)
        let two = KeypointQuery(id: 3, name: "beak", prompts: ["the beak", "a bird's beak"])
        #expect(
            String(decoding: try encoder.encode(two), as: UTF8.self)
                == #"{"id":3,"name":"beak","prompts":["the beak","a bird's beak"]}"#)
        for q in [one, two] { #expect(try JSONDecoder().decode(KeypointQuery.self, from: encoder.encode(q)) == q) }

        // A record line's keypoint as builds before ensembles wrote it.
        let old = #"{"name":"beak","prompt":"beak","score":0.14969264,"stage":0,"x":40,"y":114}"#
        let p = try JSONDecoder().decode(KeypointPrediction.self, from: Data(old.utf8))
        #expect(p.prompts == ["beak"] && p.x == 40 && p.stage == 0)
        #expect(String(decoding: try encoder.encode(p), as: UTF8.self) == old)

        for bad in [
            #"{"name":"beak"}"#, #"{"name":"beak","prompt":"a","prompts":["b"]}"#, #"{"name":"beak","prompts":[]}"#,
        ] {
            #expect(throws: DecodingError.self, "\(bad)") {
                try JSONDecoder().decode(KeypointQuery.self, from: Data(bad.utf8))
            }
        }
        #expect(KeypointQuery.recordedText(["a"]) == "a")
        #expect(KeypointQuery.recordedText(["a", "b/c"]) == #"["a","b/c"]"#)
    }

    // MARK: - Embeddings and scores

    static func bundle() throws -> CLIPBundle {
        try CLIPBundle.load(directory: fixtures.appendingPathComponent("models/tiny-quickgelu"))
    }

    /// The Double mean of a handful of Float rows, then Float: the ensemble's computation and
    /// this one differ only in summation order (~1e-7 on unit vectors); scores (dot products
    /// of unit vectors) inherit that.
    static let embeddingTolerance: Float = 1e-6

    @Test func ensembleEmbeddingIsTheNormalisedMeanOfNormalisedPromptEmbeddings() throws {
        let bundle = try Self.bundle()
        let localizer = Localizer(bundle: bundle, preset: try Repo.preset("fast"), workers: 1)
        let queries = [
            KeypointQuery(id: nil, name: "beak", prompts: ["This is the beak of a bird", "a photo of a beak", "beak"]),
            KeypointQuery(id: nil, name: "eye", prompt: "This is the eye of a bird"),
        ]
        let got = try localizer.textEmbeddings(for: queries)
        let e = bundle.model.embeddingDim
        #expect(got.count == 2 * e)

        // By hand, each prompt embedded on its own.
        let ws = Workspace(workers: 1)
        var sum = [Float](repeating: 0, count: e)
        for p in queries[0].prompts {
            let v = try bundle.embedTexts([p], workspace: ws)
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for j in 0..<e { sum[j] += v[j] / norm }
        }
        let mean = sum.map { $0 / 3 }
        let norm = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let expected = mean.map { $0 / norm }
        let worst = zip(got[0..<e], expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < Self.embeddingTolerance, "largest difference \(worst)")
        // Not merely one of its prompts.
        let first = try bundle.embedTexts([queries[0].prompts[0]], workspace: ws)
        #expect(zip(got[0..<e], first).map { abs($0 - $1) }.max() ?? 0 > 1e-3)

        // A one-prompt query's row is its prompt's embedding, bit for bit, as before ensembles.
        #expect(Array(got[e..<(2 * e)]) == (try localizer.textEmbeddings(["This is the eye of a bird"])))
    }

    @Test func ensembleRowsAreCachedByTheirPromptsAndEqualTheComputedOnes() throws {
        let bundle = try Self.bundle()
        let preset = try Repo.preset("fast")
        let localizer = Localizer(bundle: bundle, preset: preset, workers: 1)
        let beak = KeypointQuery(
            id: nil, name: "beak", prompts: ["This is the beak of a bird", "a photo of a beak", "beak"])
        let eye = KeypointQuery(id: nil, name: "eye", prompt: "This is the eye of a bird")
        let wing = KeypointQuery(id: nil, name: "wing", prompts: ["a wing", "This is the wing of a bird"])
        let e = bundle.model.embeddingDim
        let first = try localizer.textEmbeddings(for: [beak, eye, wing])
        #expect(first.count == 3 * e)
        // One cached row per ensemble, keyed by its prompts, equal to the row it returned.
        #expect(Set(localizer.ensembleCache.keys) == [beak.prompts, wing.prompts])
        #expect(localizer.ensembleCache[beak.prompts] == Array(first[0..<e]))
        #expect(localizer.ensembleCache[wing.prompts] == Array(first[(2 * e)..<(3 * e)]))
        // The next image's call (another order, a subset): the same rows, bit for bit.
        let again = try localizer.textEmbeddings(for: [wing, beak])
        #expect(again == Array(first[(2 * e)..<(3 * e)]) + Array(first[0..<e]))
        // Computed afresh, the ensembles alone (another text batch): the same rows up to its rounding.
        let fresh = try Localizer(bundle: bundle, preset: preset, workers: 1).textEmbeddings(for: [wing, beak])
        let apart = zip(fresh, again).map { abs($0 - $1) }.max() ?? .infinity
        #expect(fresh.count == again.count && apart < Self.embeddingTolerance, "largest difference \(apart)")
        // New embeddings for a prompt drop the cached rows: the beak's row is averaged again.
        var unit = [Float](repeating: 0, count: e)
        unit[0] = 1
        localizer.provideTextEmbeddings(unit, prompts: ["beak"])
        #expect(localizer.ensembleCache.isEmpty)
        let changed = try localizer.textEmbeddings(for: [beak])
        let worst = zip(changed, first[0..<e]).map { abs($0 - $1) }.max() ?? 0
        #expect(worst > 1e-3, "largest difference \(worst)")
    }

    @Test func manyPromptsAreEmbeddedInBatchesWithTheSameResult() throws {
        let bundle = try Self.bundle()
        let localizer = Localizer(bundle: bundle, preset: try Repo.preset("fast"), workers: 1)
        let prompts = (0..<(Localizer.textBatch + 44)).map { "a photo of part \($0) of a bird" }
        let queries =
            [KeypointQuery(id: nil, name: "part", prompts: Array(prompts.prefix(100)))]
            + prompts.dropFirst(100).map { KeypointQuery(id: nil, name: $0, prompt: $0) }
        let got = try localizer.textEmbeddings(for: queries)
        let e = bundle.model.embeddingDim
        #expect(got.count == queries.count * e)
        // Each prompt alone, through a fresh cache: the same rows up to the batch's rounding.
        let ws = Workspace(workers: 1)
        for (k, q) in queries.enumerated().dropFirst().filter({ $0.offset % 37 == 0 }) {
            let alone = try bundle.embedTexts([q.prompt], workspace: ws)
            let worst = zip(got[(k * e)..<((k + 1) * e)], alone).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst < Self.embeddingTolerance, "\(q.prompt): \(worst)")
        }
    }

    /// The search as `Localizer.localize` ran it before ensembles: one text embedding per
    /// keypoint from `textEmbeddings(_ prompts:)`, fed to the same scorer and search.
    static func searchWith(
        _ texts: [Float], keypoints: Int, localizer: Localizer, image: DecodedImage
    ) throws -> SearchResult {
        let options = Localizer.defaultOptions(for: localizer.preset)
        let (geometry, region, _) = try localizer.geometry(
            width: image.width, height: image.height, path: "cow.jpg", options: options)
        let renderer = try CandidateRenderer(prompt: options.prompt, photo: image.rgb, geometry: geometry)
        let search = try CoarseToFineSearch(preset: localizer.preset, region: region, keypointCount: keypoints)
        var scorer = CLIPScorer(
            model: localizer.bundle.model, preprocessor: localizer.bundle.preprocessor, renderer: renderer,
            textEmbeddings: texts, workspace: localizer.workspace, batch: search.batchSize)
        return try search.run(&scorer, progress: nil)
    }

    @Test func onePromptScoresAreUnchangedAndEnsemblesScoreTheirMean() throws {
        let bundle = try Self.bundle()
        let image = try ImageCodec.decode(contentsOf: Self.fixtures.appendingPathComponent("images/cow.jpg"))
        let localizer = Localizer(bundle: bundle, preset: try Repo.preset("fast"), workers: 2)
        let single = [
            KeypointQuery(id: nil, name: "nose", prompt: "This image shows the nose of the cow"),
            KeypointQuery(id: nil, name: "tail", prompt: "This image shows the tail of the cow"),
        ]
        let now = try localizer.localize(image, path: "cow.jpg", keypoints: single)
        let before = try Self.searchWith(
            try localizer.textEmbeddings(single.map(\.prompt)), keypoints: 2, localizer: localizer, image: image)
        // The text side is bit-identical (`ensembleEmbeddingIs...`); the image tower's runs may
        // differ in the last bits when other tests load the cores (seen: 1e-8).
        for k in 0..<2 {
            let a = now.search.samples(keypoint: k)
            let b = before.samples(keypoint: k)
            #expect(a.map(\.x) == b.map(\.x) && a.map(\.y) == b.map(\.y) && !a.isEmpty, "\(single[k].name)")
            let worst = zip(a, b).map { abs($0.score - $1.score) }.max() ?? .infinity
            #expect(worst < Self.embeddingTolerance, "\(single[k].name): largest score difference \(worst)")
            #expect(now.keypoints[k].prompts == [single[k].prompt])
        }

        let ensemble = [
            KeypointQuery(id: nil, name: "nose", prompts: ["This image shows the nose of the cow", "a cow's nose"])
        ]
        let got = try localizer.localize(image, path: "cow.jpg", keypoints: ensemble)
        let e = bundle.model.embeddingDim
        let rows = try localizer.textEmbeddings(ensemble[0].prompts)
        var mean = (0..<e).map { rows[$0] + rows[e + $0] }
        let norm = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
        mean = mean.map { $0 / norm }
        let byHand = try Self.searchWith(mean, keypoints: 1, localizer: localizer, image: image)
        let a = got.search.samples(keypoint: 0)
        let b = byHand.samples(keypoint: 0)
        #expect(a.count == b.count && !a.isEmpty)
        let worst = zip(a, b).map { abs($0.score - $1.score) }.max() ?? .infinity
        #expect(worst < Self.embeddingTolerance, "largest score difference \(worst)")
        #expect(got.keypoints[0].prompts == ensemble[0].prompts)
    }

    @Test func aBlankPromptInAnEnsembleIsRefused() throws {
        let localizer = Localizer(bundle: try Self.bundle(), preset: try Repo.preset("fast"), workers: 1)
        let image = try ImageCodec.decode(contentsOf: Self.fixtures.appendingPathComponent("images/cow.jpg"))
        for prompts in [["a nose", " "], []] {
            #expect(throws: LocalizationError.self) {
                try localizer.localize(
                    image, path: "cow.jpg", keypoints: [KeypointQuery(id: nil, name: "nose", prompts: prompts)])
            }
        }
    }
}
