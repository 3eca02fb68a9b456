// Port of https://github.com/openai/CLIP/blob/main/clip/simple_tokenizer.py (SimpleTokenizer.bpe)

import Foundation

/// One line of a merges file: two symbols whose concatenation becomes a new symbol.
struct Merge: Sendable, Equatable {
    var left: String
    var right: String
    /// 1-based line in the merges file, for error messages.
    var line: Int
}

/// Byte-pair encoding of one word with CLIP's merge ranks and "</w>" word ends.
///
/// Symbols are interned as Int32 indices (the 512 byte symbols first, then every merge part and
/// result), so merging compares integers; `vocabularyID` maps a symbol to its token id.
struct BytePairEncoder: Sendable {
    struct MergeResult: Sendable {
        var rank: Int32
        var symbol: Int32
    }

    /// `byteSymbol[b]` / `byteEndSymbol[b]`: the symbol of byte character `b`, alone / + "</w>".
    let byteSymbol: [Int32]
    let byteEndSymbol: [Int32]
    /// (left << 32 | right) -> rank and merged symbol. A repeated pair keeps its last rank, as
    /// Python's `dict(zip(merges, range(len(merges))))` does.
    let merges: [UInt64: MergeResult]
    /// Token id of each symbol; -1 for merge parts that are not tokens (never emitted).
    let vocabularyID: [Int32]

    /// - Throws: `TokenizerError.missingToken` when a byte symbol or a merge result has no id.
    init(merges mergeList: [Merge], vocabulary: [String: Int32], vocabularyPath: String) throws(TokenizerError) {
        var symbols: [String: Int32] = [:]
        var names: [String] = []
        func intern(_ symbol: String) -> Int32 {
            if let index = symbols[symbol] { return index }
            let index = Int32(names.count)
            symbols[symbol] = index
            names.append(symbol)
            return index
        }
        var byteSymbol = [Int32](repeating: 0, count: 256)
        var byteEndSymbol = [Int32](repeating: 0, count: 256)
        for (byte, scalar) in ByteUnicode.vocabularyOrder {
            byteSymbol[Int(byte)] = intern(String(scalar))
        }
        for (byte, scalar) in ByteUnicode.vocabularyOrder {
            byteEndSymbol[Int(byte)] = intern(String(scalar) + "</w>")
        }
        var ids = names.map { vocabulary[$0] ?? -1 }
        if let missing = ids.firstIndex(of: -1) {
            throw .missingToken(path: vocabularyPath, token: names[missing], neededBy: "the byte-level alphabet")
        }
        var table: [UInt64: MergeResult] = [:]
        table.reserveCapacity(mergeList.count)
        for (rank, merge) in mergeList.enumerated() {
            let left = intern(merge.left)
            let right = intern(merge.right)
            let joined = merge.left + merge.right
            let result = intern(joined)
            while ids.count < names.count { ids.append(vocabulary[names[ids.count]] ?? -1) }
            guard ids[Int(result)] >= 0 else {
                throw .missingToken(path: vocabularyPath, token: joined, neededBy: "merges line \(merge.line)")
            }
            table[UInt64(UInt32(left)) << 32 | UInt64(UInt32(right))] = MergeResult(rank: Int32(rank), symbol: result)
        }
        self.byteSymbol = byteSymbol
        self.byteEndSymbol = byteEndSymbol
        self.merges = table
        self.vocabularyID = ids
    }

    /// Token ids of one pre-tokenized word given as UTF-8 bytes.
    ///
    /// OpenAI's loop: repeatedly take the adjacent pair with the lowest rank and merge all its
    /// non-overlapping occurrences left to right, until no adjacent pair has a rank.
    func encode(word utf8: [UInt8]) -> [Int32] {
        guard let last = utf8.last else { return [] }
        // word: (n) symbols; the last byte carries the "</w>" word end
        var word = utf8.dropLast().map { byteSymbol[Int($0)] }
        word.append(byteEndSymbol[Int(last)])
        while word.count > 1 {
            var best: MergeResult? = nil
            var bestPair: (Int32, Int32) = (0, 0)
            for i in 0..<(word.count - 1) {
                if let merge = merges[UInt64(UInt32(word[i])) << 32 | UInt64(UInt32(word[i + 1]))],
                    merge.rank < best?.rank ?? .max
                {
                    best = merge
                    bestPair = (word[i], word[i + 1])
                }
            }
            guard let best else { break }
            var write = 0
            var read = 0
            while read < word.count {
                if read + 1 < word.count && word[read] == bestPair.0 && word[read + 1] == bestPair.1 {
                    word[write] = best.symbol
                    read += 2
                } else {
                    word[write] = word[read]
                    read += 1
                }
                write += 1
            }
            word.removeLast(word.count - write)
        }
        return word.map { vocabularyID[Int($0)] }
    }
}

/// A bounded, lock-protected map from word (UTF-8 bytes) to token ids, shared by copies of a
/// tokenizer. Keys are bytes, not String: String equality is canonical equivalence, so "=\u{338}"
/// and "≠" would share an entry although their bytes (and tokens) differ.
final class BPECache: @unchecked Sendable {
    // @unchecked: every access to `entries` holds `lock`.
    private let lock = NSLock()
    private var entries: [[UInt8]: [Int32]] = [:]
    /// Entries kept before the cache is emptied; far more than the words of any prompt list.
    static let capacity = 50_000

    func value(for word: [UInt8]) -> [Int32]? {
        lock.lock()
        defer { lock.unlock() }
        return entries[word]
    }

    func store(_ ids: [Int32], for word: [UInt8]) {
        lock.lock()
        defer { lock.unlock() }
        if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
        entries[word] = ids
    }
}
