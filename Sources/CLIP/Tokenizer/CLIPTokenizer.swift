// Port of https://github.com/openai/CLIP/blob/main/clip/simple_tokenizer.py (SimpleTokenizer) and
// clip.tokenize in https://github.com/openai/CLIP/blob/main/clip/clip.py

import Foundation
import KeypointsSupport

/// OpenAI CLIP's tokenizer: the text clean-up of `simple_tokenizer.py` (ftfy subset, HTML
/// unescaping, whitespace collapsing, lower case), its word split, byte-level BPE with "</w>" word
/// ends, and `clip.tokenize(texts, context_length=77, truncate=True)`.
///
/// Load it from a Hugging Face model folder (vocab.json + merges.txt) or from a merges file alone,
/// deriving the vocabulary as OpenAI does. Copies share one BPE cache; the type is `Sendable`.
///
/// Differences from OpenAI's Python code are limited to ftfy's mojibake repair (not implemented,
/// see `TextCleaning+FTFY.swift`) and to Unicode-version differences between Python 3.11 and the
/// Swift runtime for characters assigned after Unicode 14.
public struct CLIPTokenizer: Sendable {
    /// OpenAI's merges slice: `merges[1:49152-256-2+1]`, i.e. at most 48894 merges are read;
    /// later lines of a merges file are ignored (Hugging Face's slow CLIPTokenizer does the same).
    public static let maximumMergeCount = 49152 - 256 - 2
    public static let defaultContextLength = 77
    /// Longest word (a run the word split yields, in UTF-8 bytes) that is byte-pair encoded;
    /// a longer one is refused (`TokenizerError.wordTooLong`). BPE makes up to one pass over a word
    /// per merge it applies, so its time grows with the square of the word's length (fuzzing: a
    /// word of 100 KB took 7 s with 1000 merges; a prompt file may hold megabytes). 2048 bytes
    /// are ~680 CJK characters (a run of letters without spaces is one word), far more than the
    /// 77 tokens CLIP reads.
    public static let maximumWordBytes = 2048
    /// OpenAI's clip.tokenize pads with zeros (which is also the id of "!").
    public static let paddingToken: Int32 = 0
    public static let startText = "<|startoftext|>"
    public static let endText = "<|endoftext|>"

    /// Id of "<|startoftext|>" (49406 for OpenAI's vocabulary).
    public let startToken: Int32
    /// Id of "<|endoftext|>" (49407 for OpenAI's vocabulary).
    public let endToken: Int32
    public let contextLength: Int
    /// Number of vocabulary entries (49408 for OpenAI's vocabulary).
    public let vocabularySize: Int

    private let vocabulary: [String: Int32]
    private let tokens: [Int32: String]
    private let encoder: BytePairEncoder
    private let cache = BPECache()

    // MARK: - Loading

    /// Loads merges (Hugging Face merges.txt format; a first line containing "#version" is skipped)
    /// and, if given, vocab.json, which is then authoritative for ids. Without vocab.json the
    /// vocabulary is derived as OpenAI does: the 256 byte characters, the same with "</w>", one
    /// token per merge, then "<|startoftext|>" and "<|endoftext|>".
    ///
    /// - Parameters:
    ///   - vocabularyURL: vocab.json (token -> id), or nil to derive the vocabulary.
    ///   - mergesURL: merges.txt, one "left right" merge per line, highest priority first.
    ///   - contextLength: the default length of `tokenize` results (77 for CLIP).
    /// - Throws: `TokenizerError` naming the file and the line or token that is wrong.
    public init(vocabularyURL: URL?, mergesURL: URL, contextLength: Int = defaultContextLength) throws(TokenizerError) {
        guard contextLength >= 2 else { throw .invalidContextLength(contextLength) }
        let merges = try Self.readMerges(mergesURL)
        let vocabulary: [String: Int32]
        let vocabularyPath: String
        if let vocabularyURL {
            vocabulary = try Self.readVocabulary(vocabularyURL)
            vocabularyPath = vocabularyURL.path
        } else {
            vocabulary = Self.derivedVocabulary(merges: merges)
            vocabularyPath = mergesURL.path + " (derived vocabulary)"
        }
        var tokens: [Int32: String] = [:]
        tokens.reserveCapacity(vocabulary.count)
        for (token, id) in vocabulary {
            if let other = tokens[id] {
                let (first, second) = other < token ? (other, token) : (token, other)
                throw .duplicateID(path: vocabularyPath, id: Int(id), first: first, second: second)
            }
            tokens[id] = token
        }
        guard let start = vocabulary[Self.startText] else {
            throw .missingToken(path: vocabularyPath, token: Self.startText, neededBy: "the start token")
        }
        guard let end = vocabulary[Self.endText] else {
            throw .missingToken(path: vocabularyPath, token: Self.endText, neededBy: "the end token")
        }
        self.encoder = try BytePairEncoder(merges: merges, vocabulary: vocabulary, vocabularyPath: vocabularyPath)
        self.vocabulary = vocabulary
        self.tokens = tokens
        self.startToken = start
        self.endToken = end
        self.contextLength = contextLength
        self.vocabularySize = vocabulary.count
    }

    /// Loads `vocab.json` and `merges.txt` from a Hugging Face model folder.
    public init(modelDirectory: URL, contextLength: Int = defaultContextLength) throws(TokenizerError) {
        try self.init(
            vocabularyURL: modelDirectory.appendingPathComponent("vocab.json"),
            mergesURL: modelDirectory.appendingPathComponent("merges.txt"),
            contextLength: contextLength)
    }

    /// Loads a merges file alone and derives the vocabulary as OpenAI does.
    public init(mergesURL: URL, contextLength: Int = defaultContextLength) throws(TokenizerError) {
        try self.init(vocabularyURL: nil, mergesURL: mergesURL, contextLength: contextLength)
    }

    // MARK: - Encoding

    /// The cleaned text that is split into words: `whitespace_clean(basic_clean(text)).lower()`.
    public static func cleanText(_ text: String) -> String {
        String(scalars: TextCleaning.clean(text))
    }

    /// BPE token ids of `text`, without start and end tokens (OpenAI's `SimpleTokenizer.encode`).
    /// - Throws: `TokenizerError.wordTooLong` for a word over `maximumWordBytes`.
    public func encode(_ text: String) throws(TokenizerError) -> [Int32] {
        let cleaned = TextCleaning.clean(text)
        var ids: [Int32] = []
        for range in PreTokenizer.split(cleaned) {
            let word = cleaned[range]
            if word.elementsEqual(Self.startText.unicodeScalars) {
                ids.append(startToken)
            } else if word.elementsEqual(Self.endText.unicodeScalars) {
                ids.append(endToken)
            } else {
                let utf8 = Array(String(scalars: word).utf8)
                guard utf8.count <= Self.maximumWordBytes else {
                    throw .wordTooLong(
                        text: text, word: String(scalars: word.prefix(20)), bytes: utf8.count,
                        limit: Self.maximumWordBytes)
                }
                ids.append(contentsOf: encodeWord(utf8))
            }
        }
        return ids
    }

    private func encodeWord(_ utf8: [UInt8]) -> [Int32] {
        if let cached = cache.value(for: utf8) { return cached }
        let ids = encoder.encode(word: utf8)
        cache.store(ids, for: utf8)
        return ids
    }

    /// `clip.tokenize(text, context_length, truncate)`: `[start, ids..., end]` padded with zeros to
    /// exactly `contextLength` ids. Too long inputs are cut to `contextLength` ids whose last is
    /// replaced by the end token, or rejected when `truncate` is false.
    ///
    /// Empty (or all-whitespace) text gives `[start, end, 0, ...]`.
    /// - Throws: `TokenizerError.invalidContextLength` (below 2), `.textTooLong`, `.wordTooLong`.
    public func tokenize(_ text: String, contextLength: Int? = nil, truncate: Bool = true) throws(TokenizerError)
        -> [Int32]
    {
        let length = contextLength ?? self.contextLength
        guard length >= 2 else { throw .invalidContextLength(length) }
        var ids = [startToken] + (try encode(text)) + [endToken]
        if ids.count > length {
            guard truncate else { throw .textTooLong(text: text, tokenCount: ids.count, contextLength: length) }
            ids.removeLast(ids.count - length)
            ids[length - 1] = endToken
        }
        ids.append(contentsOf: repeatElement(Self.paddingToken, count: length - ids.count))
        return ids
    }

    /// `tokenize` of each text: `texts.count` rows of `contextLength` ids.
    public func tokenize(_ texts: [String], contextLength: Int? = nil, truncate: Bool = true) throws(TokenizerError)
        -> [[Int32]]
    {
        var rows: [[Int32]] = []
        rows.reserveCapacity(texts.count)
        for text in texts { rows.append(try tokenize(text, contextLength: contextLength, truncate: truncate)) }
        return rows
    }

    // MARK: - Decoding

    /// The token string of an id ("a</w>", "<|endoftext|>"), or nil if the id is not in the vocabulary.
    public func token(for id: Int32) -> String? { tokens[id] }

    /// The id of a token string, or nil.
    public func id(for token: String) -> Int32? { vocabulary[token] }

    /// Text of token ids: OpenAI's `decode` (token strings joined, byte characters back to UTF-8
    /// with U+FFFD for invalid sequences, each "</w>" becomes a space), then stripped of leading
    /// and trailing spaces as Hugging Face's CLIPTokenizer does.
    ///
    /// - Parameter skipSpecialTokens: drop start and end tokens and everything after the last end
    ///   token (the zero padding of `tokenize`). Unknown ids decode to U+FFFD.
    public func decode(_ ids: [Int32], skipSpecialTokens: Bool = true) -> String {
        var kept = ids[...]
        if skipSpecialTokens, let last = kept.lastIndex(of: endToken) { kept = kept[..<last] }
        var bytes: [UInt8] = []
        for id in kept {
            if skipSpecialTokens && (id == startToken || id == endToken) { continue }
            guard let token = tokens[id] else {
                bytes.append(contentsOf: "\u{FFFD}".utf8)
                continue
            }
            for scalar in token.unicodeScalars {
                if let byte = ByteUnicode.bytes[scalar] {
                    bytes.append(byte)
                } else {
                    bytes.append(contentsOf: String(scalar).utf8)
                }
            }
        }
        let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "</w>", with: " ")
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: - Files

    private static func readText(_ url: URL) throws(TokenizerError) -> String {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else { throw .fileNotFound(path: path) }
        let data = try RegularFile.read(
            url, maxBytes: TransformerLimits.tokenizerFileBytes, limitName: "TransformerLimits.tokenizerFileBytes"
        ) { TokenizerError.unreadableFile(path: path, reason: $0.message) }
        guard let text = String(data: data, encoding: .utf8) else { throw .notUTF8(path: path) }
        return text
    }

    /// Merges of a merges.txt: the first line is skipped when it contains "#version" (Hugging Face
    /// "#version: 0.2", OpenAI "\"bpe_simple_vocab_16e6.txt#version: 0.2"); blank lines at the end
    /// are ignored; at most `maximumMergeCount` merges are read.
    static func readMerges(_ url: URL) throws(TokenizerError) -> [Merge] {
        let text = try readText(url)
        var merges: [Merge] = []
        var pendingBlankLine: Int? = nil
        var lineNumber = 0
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if merges.count == maximumMergeCount { break }
            if lineNumber == 1 && String(decoding: line, as: UTF8.self).contains("#version") { continue }
            let fields = line.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D })
            if fields.isEmpty {
                pendingBlankLine = pendingBlankLine ?? lineNumber
                continue
            }
            if let blank = pendingBlankLine {
                throw .malformedMerge(path: url.path, line: blank, content: "")
            }
            guard fields.count == 2 else {
                throw .malformedMerge(path: url.path, line: lineNumber, content: String(decoding: line, as: UTF8.self))
            }
            merges.append(
                Merge(
                    left: String(decoding: fields[0], as: UTF8.self),
                    right: String(decoding: fields[1], as: UTF8.self), line: lineNumber))
        }
        return merges
    }

    static func readVocabulary(_ url: URL) throws(TokenizerError) -> [String: Int32] {
        let text = try readText(url)
        let object: [String: Int]
        do {
            object = try JSONDecoder().decode([String: Int].self, from: Data(text.utf8))
        } catch {
            throw .malformedVocabulary(path: url.path, reason: "\(error)")
        }
        var vocabulary: [String: Int32] = [:]
        vocabulary.reserveCapacity(object.count)
        for (token, id) in object {
            guard let id32 = Int32(exactly: id), id32 >= 0 else {
                throw .malformedVocabulary(path: url.path, reason: "token \"\(token)\" has id \(id)")
            }
            vocabulary[token] = id32
        }
        return vocabulary
    }

    /// OpenAI's vocabulary: byte characters, the same + "</w>", merges joined, the two special
    /// tokens. A repeated token keeps its last id, as Python's `dict(zip(vocab, range(len(vocab))))`.
    static func derivedVocabulary(merges: [Merge]) -> [String: Int32] {
        var list = ByteUnicode.vocabularyOrder.map { String($0.scalar) }
        list += list.map { $0 + "</w>" }
        list += merges.map { $0.left + $0.right }
        list += [startText, endText]
        var vocabulary: [String: Int32] = [:]
        vocabulary.reserveCapacity(list.count)
        for (id, token) in list.enumerated() { vocabulary[token] = Int32(id) }
        return vocabulary
    }
}
