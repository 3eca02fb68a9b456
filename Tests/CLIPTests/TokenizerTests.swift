import Foundation
import Testing

@testable import CLIP

/// Golden ids come from OpenAI's own simple_tokenizer.py code run by
/// Tests/CLIPTests/Fixtures/make_tokenizer_golden.py (real ftfy 6.3.1 and Python's html module);
/// re-run that script if the golden format version changes.
@Suite("TokenizerTests")
struct TokenizerTests {
    // MARK: - Fixtures

    struct Case: Decodable, Sendable {
        let text: String
        let ftfy: String
        let cleaned: String
        let ids: [Int32]
        let bpeCount: Int
        let idsWithoutFixEncoding: [Int32]?
        let cleanedWithoutFixEncoding: String?
    }

    struct Truncated: Decodable, Sendable {
        let mergeCount: Int
        let vocabSize: Int
        let sot: Int32
        let eot: Int32
        let cases: [Case]
    }

    struct Golden: Decodable, Sendable {
        let format: String
        let version: Int
        let contextLength: Int
        let vocabSize: Int
        let sot: Int32
        let eot: Int32
        let cases: [Case]
        let mojibakeNotRepaired: [Case]
        let truncatedVocabulary: Truncated
    }

    static let goldenFormat = "keypoints-clip-tokenizer-golden"
    static let goldenVersion = 1

    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    static let mergesURL = fixtures.appendingPathComponent("tokenizer/merges.txt")

    static let golden: Result<Golden, any Error> = Result {
        let data = try Data(contentsOf: fixtures.appendingPathComponent("tokenizer/golden.json"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Golden.self, from: data)
    }

    /// The full OpenAI tokenizer from merges.txt alone (derived vocabulary), loaded once.
    static let openAI: Result<CLIPTokenizer, TokenizerError> = Result { () throws(TokenizerError) in
        try CLIPTokenizer(mergesURL: mergesURL)
    }

    func golden() throws -> Golden {
        let golden = try Self.golden.get()
        try #require(
            golden.format == Self.goldenFormat && golden.version == Self.goldenVersion,
            "golden.json is \(golden.format) v\(golden.version): re-run make_tokenizer_golden.py")
        return golden
    }

    /// A fresh temporary folder, removed by the caller.
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("TokenizerTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The merges file lines without its "#version" header.
    func mergeLines() throws -> [String] {
        let text = try String(contentsOf: Self.mergesURL, encoding: .utf8)
        return Array(text.split(separator: "\n").dropFirst().map(String.init))
    }

    func expectGolden(_ tokenizer: CLIPTokenizer, _ cases: [Case], sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        for item in cases {
            let ids = try tokenizer.tokenize(item.text)
            #expect(ids == item.ids, "text \(item.text.debugDescription)", sourceLocation: sourceLocation)
        }
    }

    // MARK: - Golden ids

    @Test func goldenListIsLargeEnoughAndCoversTruncation() throws {
        let golden = try golden()
        #expect(golden.cases.count >= 60)
        #expect(golden.contextLength == CLIPTokenizer.defaultContextLength)
        // at least one text overflows 77 tokens and one is empty
        #expect(golden.cases.contains { $0.bpeCount + 2 > golden.contextLength })
        #expect(golden.cases.contains { $0.text.isEmpty })
    }

    @Test func derivedVocabularyMatchesOpenAI() throws {
        let golden = try golden()
        let tokenizer = try Self.openAI.get()
        #expect(tokenizer.vocabularySize == golden.vocabSize)
        #expect(tokenizer.startToken == golden.sot)
        #expect(tokenizer.endToken == golden.eot)
        #expect(tokenizer.contextLength == golden.contextLength)
    }

    @Test func everyGoldenTextGivesOpenAIIds() throws {
        try expectGolden(try Self.openAI.get(), try golden().cases)
    }

    @Test func encodeGivesTheUnpaddedIds() throws {
        let tokenizer = try Self.openAI.get()
        for item in try golden().cases where item.bpeCount + 2 <= item.ids.count {
            let expected = Array(item.ids[1..<(1 + item.bpeCount)])
            #expect(try tokenizer.encode(item.text) == expected, "text \(item.text.debugDescription)")
        }
    }

    @Test func ftfySubsetMatchesFtfyOnGoldenTexts() throws {
        for item in try golden().cases {
            let fixed = String(scalars: TextCleaning.fixText(Array(item.text.unicodeScalars)))
            #expect(
                Array(fixed.unicodeScalars) == Array(item.ftfy.unicodeScalars),
                "ftfy.fix_text(\(item.text.debugDescription))")
            let cleaned = CLIPTokenizer.cleanText(item.text)
            #expect(
                Array(cleaned.unicodeScalars) == Array(item.cleaned.unicodeScalars),
                "cleaned \(item.text.debugDescription)")
        }
    }

    /// ftfy's mojibake repair is not ported: these texts give the ids OpenAI's code gives with
    /// `ftfy.fix_text(text, fix_encoding=False)`, and (documented divergence) not OpenAI's ids.
    @Test func mojibakeIsNotRepaired() throws {
        let tokenizer = try Self.openAI.get()
        let cases = try golden().mojibakeNotRepaired
        #expect(!cases.isEmpty)
        for item in cases {
            let ids = try tokenizer.tokenize(item.text)
            #expect(ids == item.idsWithoutFixEncoding, "text \(item.text.debugDescription)")
            #expect(ids != item.ids)
            #expect(CLIPTokenizer.cleanText(item.text) == item.cleanedWithoutFixEncoding)
        }
    }

    static let fuzzPath = ProcessInfo.processInfo.environment["TOKENIZER_FUZZ_JSON"]

    /// Differential check on random texts made by `make_tokenizer_golden.py --fuzz PATH`
    /// (OpenAI's code; texts that ftfy's mojibake repair would change are left out).
    @Test(.enabled(if: fuzzPath != nil))
    func randomTextsMatchOpenAI() throws {
        struct Fuzz: Decodable { let cases: [Case] }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let fuzz = try decoder.decode(
            Fuzz.self, from: Data(contentsOf: URL(fileURLWithPath: try #require(Self.fuzzPath))))
        let tokenizer = try Self.openAI.get()
        var failures = 0
        for item in fuzz.cases {
            let cleaned = CLIPTokenizer.cleanText(item.text)
            let ids = try tokenizer.tokenize(item.text)
            if Array(cleaned.unicodeScalars) != Array(item.cleaned.unicodeScalars) || ids != item.ids {
                failures += 1
                if failures <= 20 {
                    Issue.record(
                        "text \(item.text.debugDescription): cleaned \(cleaned.debugDescription), expected \(item.cleaned.debugDescription)"
                    )
                }
            }
        }
        #expect(failures == 0, "\(failures) of \(fuzz.cases.count) random texts differ")
    }

    @Test func batchTokenizeMatchesSingleTexts() throws {
        let tokenizer = try Self.openAI.get()
        let cases = Array(try golden().cases.prefix(10))
        let rows = try tokenizer.tokenize(cases.map(\.text))
        #expect(rows == cases.map(\.ids))
    }

    @Test func concurrentTokenizingSharesTheCacheSafely() async throws {
        let tokenizer = try Self.openAI.get()
        let cases = try golden().cases
        let results = try await withThrowingTaskGroup(of: (Int, [Int32]).self) { group in
            for (index, item) in cases.enumerated() {
                group.addTask { (index, try tokenizer.tokenize(item.text)) }
            }
            var results = [[Int32]](repeating: [], count: cases.count)
            for try await (index, ids) in group { results[index] = ids }
            return results
        }
        #expect(results == cases.map(\.ids))
    }

    // MARK: - Truncation and context length

    @Test func shorterContextKeepsTheEndToken() throws {
        let tokenizer = try Self.openAI.get()
        let golden = try golden()
        let item = try #require(golden.cases.first { $0.bpeCount >= 10 })
        // clip.tokenize(text, context_length=5, truncate=True) = first 4 ids + eot
        let ids = try tokenizer.tokenize(item.text, contextLength: 5)
        #expect(ids == Array(item.ids.prefix(4)) + [golden.eot])
    }

    @Test func overLongTextWithoutTruncationThrows() throws {
        let tokenizer = try Self.openAI.get()
        let item = try #require(try golden().cases.first { $0.bpeCount + 2 > 77 })
        #expect(throws: TokenizerError.textTooLong(text: item.text, tokenCount: item.bpeCount + 2, contextLength: 77)) {
            try tokenizer.tokenize(item.text, truncate: false)
        }
        #expect(throws: TokenizerError.invalidContextLength(1)) { try tokenizer.tokenize("a", contextLength: 1) }
    }

    // MARK: - Loading

    /// A vocab.json holding the vocabulary OpenAI's code derives gives the same ids as merges
    /// alone; a vocab.json with every id moved proves that vocab.json, not the derivation, decides
    /// the ids.
    @Test func vocabularyFileIsAuthoritativeAndMatchesDerived() throws {
        let golden = try golden()
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: Self.mergesURL, to: folder.appendingPathComponent("merges.txt"))
        let derived = CLIPTokenizer.derivedVocabulary(merges: try CLIPTokenizer.readMerges(Self.mergesURL))
        #expect(derived.count == golden.vocabSize)

        try JSONEncoder().encode(derived).write(to: folder.appendingPathComponent("vocab.json"))
        let fromFolder = try CLIPTokenizer(modelDirectory: folder)
        try expectGolden(fromFolder, golden.cases)

        // ids reversed: id -> (size - 1 - id); padding stays 0
        let top = Int32(golden.vocabSize - 1)
        try JSONEncoder().encode(derived.mapValues { top - $0 }).write(to: folder.appendingPathComponent("vocab.json"))
        let reversed = try CLIPTokenizer(modelDirectory: folder)
        #expect(reversed.startToken == top - golden.sot && reversed.endToken == top - golden.eot)
        for item in golden.cases {
            // a real token 0 ("!") moves to `top`; the padding zeros stay zeros
            let real = min(item.bpeCount + 2, golden.contextLength)
            let expected =
                item.ids.prefix(real).map { top - $0 } + Array(repeating: 0, count: golden.contextLength - real)
            #expect(try reversed.tokenize(item.text) == expected, "text \(item.text.debugDescription)")
        }
    }

    @Test func truncatedVocabularyFromMergesOnly() throws {
        let truncated = try golden().truncatedVocabulary
        #expect(truncated.vocabSize == 1514 && truncated.sot == 1512 && truncated.eot == 1513)
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("merges.txt")
        let lines = try mergeLines().prefix(truncated.mergeCount)
        try ("#version: 0.2\n" + lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        let tokenizer = try CLIPTokenizer(mergesURL: url)
        #expect(tokenizer.vocabularySize == truncated.vocabSize)
        #expect(tokenizer.startToken == truncated.sot && tokenizer.endToken == truncated.eot)
        try expectGolden(tokenizer, truncated.cases)
    }

    static let tinyModel = fixtures.appendingPathComponent("models/tiny-quickgelu")

    /// The tiny test model's vocab.json + merges.txt were written by transformers (make_reference.py).
    @Test(.enabled(if: FileManager.default.fileExists(atPath: tinyModel.appendingPathComponent("vocab.json").path)))
    func truncatedVocabularyFromModelFolder() throws {
        let truncated = try golden().truncatedVocabulary
        let tokenizer = try CLIPTokenizer(modelDirectory: Self.tinyModel)
        #expect(tokenizer.vocabularySize == truncated.vocabSize)
        #expect(tokenizer.startToken == truncated.sot && tokenizer.endToken == truncated.eot)
        try expectGolden(tokenizer, truncated.cases)
    }

    @Test func malformedMergesLineNamesFileAndLine() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("merges.txt")
        try "#version: 0.2\ni n\nt h e\nth e</w>\n".write(to: url, atomically: true, encoding: .utf8)
        let expected = TokenizerError.malformedMerge(path: url.path, line: 3, content: "t h e")
        #expect(throws: expected) { try CLIPTokenizer(mergesURL: url) }
        #expect(expected.description.contains(url.path) && expected.description.contains("line 3"))

        try "#version: 0.2\ni n\n\nth e</w>\n".write(to: url, atomically: true, encoding: .utf8)
        #expect(throws: TokenizerError.malformedMerge(path: url.path, line: 3, content: "")) {
            try CLIPTokenizer(mergesURL: url)
        }
        // trailing blank lines and CRLF line ends are fine
        try "#version: 0.2\r\ni n\r\nt h\r\n\n\n".write(to: url, atomically: true, encoding: .utf8)
        #expect(try CLIPTokenizer(mergesURL: url).vocabularySize == 512 + 2 + 2)
    }

    @Test func missingFilesNameThePath() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let merges = folder.appendingPathComponent("merges.txt")
        #expect(throws: TokenizerError.fileNotFound(path: merges.path)) { try CLIPTokenizer(mergesURL: merges) }
        #expect(TokenizerError.fileNotFound(path: merges.path).description.contains(merges.path))

        try "#version: 0.2\ni n\n".write(to: merges, atomically: true, encoding: .utf8)
        let vocabulary = folder.appendingPathComponent("vocab.json")
        #expect(throws: TokenizerError.fileNotFound(path: vocabulary.path)) {
            try CLIPTokenizer(modelDirectory: folder)
        }
    }

    @Test func badVocabularyFilesAreRejected() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let merges = folder.appendingPathComponent("merges.txt")
        try "#version: 0.2\ni n\n".write(to: merges, atomically: true, encoding: .utf8)
        let mergeList = try CLIPTokenizer.readMerges(merges)
        let vocabularyURL = folder.appendingPathComponent("vocab.json")
        var vocabulary = CLIPTokenizer.derivedVocabulary(merges: mergeList)

        vocabulary.removeValue(forKey: "<|endoftext|>")
        try JSONEncoder().encode(vocabulary).write(to: vocabularyURL)
        #expect(
            throws: TokenizerError.missingToken(
                path: vocabularyURL.path, token: "<|endoftext|>", neededBy: "the end token")
        ) {
            try CLIPTokenizer(modelDirectory: folder)
        }

        vocabulary["<|endoftext|>"] = 515
        vocabulary.removeValue(forKey: "in")
        try JSONEncoder().encode(vocabulary).write(to: vocabularyURL)
        #expect(throws: TokenizerError.missingToken(path: vocabularyURL.path, token: "in", neededBy: "merges line 2")) {
            try CLIPTokenizer(modelDirectory: folder)
        }

        try Data("[1, 2]".utf8).write(to: vocabularyURL)
        #expect {
            try CLIPTokenizer(modelDirectory: folder)
        } throws: { error in
            guard case .malformedVocabulary(let path, _) = error as? TokenizerError else { return false }
            return path == vocabularyURL.path
        }
    }

    // MARK: - Decoding

    /// For ASCII letters and spaces, decoding gives back the cleaned text (OpenAI's decode turns
    /// each "</w>" into a space; the final one is stripped).
    @Test func decodeRoundTripsSimpleASCII() throws {
        let tokenizer = try Self.openAI.get()
        for text in [
            "This is the beak of a bird", "  The   LEFT eye\tof a CAT  ",
            "pneumonoultramicroscopicsilicovolcanoconiosis",
        ] {
            let ids = try tokenizer.tokenize(text)
            #expect(tokenizer.decode(ids) == CLIPTokenizer.cleanText(text))
        }
        let ids = try tokenizer.tokenize("a cat")
        #expect(tokenizer.decode(ids, skipSpecialTokens: false).hasPrefix("<|startoftext|>a cat <|endoftext|>!!!"))
    }

    /// A word is byte-pair encoded in time growing with the square of its length: one over
    /// `maximumWordBytes` is refused, naming its size and the limit, instead of running for minutes
    /// (found by fuzzing the prompt target). Texts of many words are not limited.
    @Test func refusesAWordOverTheLimit() throws {
        let tokenizer = try Self.openAI.get()
        let limit = CLIPTokenizer.maximumWordBytes
        let longest = String(repeating: "ab", count: limit / 2)
        #expect(try tokenizer.encode(longest).count > 0)
        for text in [longest + "a", "a bird " + String(repeating: "日", count: limit / 3 + 1) + " beak"] {
            do {
                _ = try tokenizer.tokenize(text)
                Issue.record("accepted a text with a word of more than \(limit) bytes")
            } catch {
                guard case .wordTooLong(_, _, let bytes, let l) = error else {
                    Issue.record("unexpected error \(error)")
                    continue
                }
                #expect(bytes > limit && l == limit)
                #expect(error.description.contains("CLIPTokenizer.maximumWordBytes (\(limit))"), "\(error)")
            }
        }
        let manyWords = String(repeating: "the beak of a bird ", count: 10_000)
        #expect(try tokenizer.tokenize(manyWords).count == CLIPTokenizer.defaultContextLength)
    }

    /// ftfy unescapes one level of nested HTML entities per pass and repeats until nothing
    /// changes; each pass rescans the line, so deep nesting made cleaning quadratic (fuzzing: an
    /// 8 KB prompt of "&amp;amp;..." ran for minutes). Up to `ftfyMaximumPasses` levels the result
    /// is ftfy's ("&"); deeper nesting stops after that many passes.
    @Test func nestedEntitiesStopAfterTheBoundedPasses() {
        let passes = TextCleaning.ftfyMaximumPasses
        func fixed(_ depth: Int) -> String {
            String(scalars: TextCleaning.fixText(Array(("&" + String(repeating: "amp;", count: depth)).unicodeScalars)))
        }
        #expect(fixed(passes - 1) == "&")
        #expect(fixed(2000) == "&" + String(repeating: "amp;", count: 2000 - passes))
        #expect(passes <= 64, "each pass rescans the line: the bound keeps cleaning linear")
    }

    @Test func decodeRestoresUTF8() throws {
        let tokenizer = try Self.openAI.get()
        let text = "café 日本語 🐦"
        #expect(tokenizer.decode(try tokenizer.encode(text)) == text)
        // 320 = "a</w>": golden ids of "This is the beak of a bird" are [49406, 589, 533, 518, 36498, 539, 320, 3329, 49407]
        #expect(tokenizer.token(for: 49407) == "<|endoftext|>" && tokenizer.id(for: "a</w>") == 320)
    }
}
