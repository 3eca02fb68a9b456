import Foundation
import KeypointsSupport

/// Failures of the model store: lookups, downloads and verification. Messages name the model,
/// URL or path involved, with expected vs actual values, and say what to run next.
public enum ModelStoreError: RawMessageError, Equatable {
    /// A name that is neither a known model, a repository id nor an existing directory, or is a
    /// misspelled known name; `suggestion` is the known name it is nearest to, when one is close.
    case unknownModel(name: String, known: [String], suggestion: String? = nil)
    /// A known model that is not in the cache.
    case notInstalled(name: String, cache: String)
    /// A repository id (or a relative path that does not exist) that is not in the cache.
    case repositoryNotInstalled(id: String, cache: String, known: [String])
    /// `remove` of a model that has neither an install nor a partial fetch.
    case nothingToRemove(name: String, cache: String)
    /// A path that exists but is not a directory.
    case notADirectory(path: String)
    case notFound(url: String)
    case httpStatus(url: String, status: Int)
    /// The connection ended before the whole file arrived; the partial file is kept for a resume.
    case interrupted(url: String, received: Int64, expected: Int64?, reason: String)
    case timedOut(url: String, seconds: Double)
    case network(url: String, message: String)
    /// The server's name did not resolve (offline, no DNS): not retried. `files`: the model's
    /// files to get another way (config.json, model.safetensors and, for CLIP, the tokenizer's
    /// vocab.json and merges.txt); empty where the caller does not know the model.
    case hostNotFound(url: String, host: String, files: [String] = [])
    case badRangeResponse(url: String, detail: String)
    case sizeMismatch(file: String, url: String, expected: Int64, actual: Int64)
    /// `source` says where the expected digest came from ("registry", "server").
    case checksumMismatch(file: String, url: String, expected: String, actual: String, source: String)
    case fileSystem(path: String, message: String)
    /// The file system holding `path` has `available` bytes free; the transfer needs `needed`.
    case insufficientSpace(file: String, path: String, needed: Int64, available: Int64)
    /// A small model file (config.json, a tokenizer file, the shard index) that the server
    /// announced (`announced`) or sent (`received`, at least) larger than keypoints reads it
    /// (`limit` bytes, named `limitName`); the transfer was stopped and the partial file removed.
    case fileTooLarge(file: String, url: String, bytes: Int64, announced: Bool, limit: Int, limitName: String)
    /// Another process is fetching the same model.
    case busy(path: String)
    case invalidManifest(path: String, message: String)
    case invalidEndpoint(String)
    /// The downloaded `model.safetensors.index.json` of a sharded repository is malformed or names
    /// a shard that is not a plain file name; no shard was downloaded.
    case invalidShardIndex(SafeTensorsIndexError)
    case cancelled

    /// The command that downloads `name` (quoted for the shell when needed).
    public static func fetchCommand(_ name: String) -> String {
        let safe = name.allSatisfy { $0.isLetter || $0.isNumber || "-_./@+:".contains($0) }
        return "keypoints model fetch " + (safe ? name : "'" + name.replacingOccurrences(of: "'", with: "'\\''") + "'")
    }

    /// The message, its outside text (paths, keys, names) as it is (`RawMessageError`).
    public var rawMessage: String {
        switch self {
        case .unknownModel(let name, let known, let suggestion?):
            return "'\(name)' is not a known model; did you mean \(suggestion)? (known models: "
                + known.joined(separator: ", ") + "; a Hugging Face repository is ORG/NAME, a model directory a path)"
        case .unknownModel(let name, let known, nil):
            return "'\(name)' is not a model directory, a known model or a Hugging Face repository id (ORG/NAME); "
                + "known models: " + known.joined(separator: ", ")
                + " (e.g. \(Self.fetchCommand(known.last ?? "ViT-L/14-336")))"
        case .notInstalled(let name, let cache):
            return "model \(name) is not installed (looked in \(cache)); download it with: \(Self.fetchCommand(name))"
        case .repositoryNotInstalled(let id, let cache, let known):
            return
                "no model directory '\(id)' and the Hugging Face repository \(id) is not installed (looked in \(cache)); "
                + "download it with: \(Self.fetchCommand(id)) (known models: \(known.joined(separator: ", ")))"
        case .nothingToRemove(let name, let cache):
            return "nothing to remove: \(name) is not in \(cache) (keypoints model list shows what is installed)"
        case .notADirectory(let path):
            return
                "\(path): not a directory (a model is a folder with config.json, model.safetensors, vocab.json, merges.txt)"
        case .notFound(let url):
            return "HTTP 404 Not Found: \(url) (check the model name, --revision and --endpoint)"
        case .httpStatus(let url, let status):
            let hint = status == 401 || status == 403 ? " (the repository may be private or gated)" : ""
            return "HTTP \(status) from \(url)\(hint)"
        case .interrupted(let url, let received, let expected, let reason):
            let of = expected.map { " of \($0)" } ?? ""
            return
                "download interrupted after \(received)\(of) bytes of \(url): \(reason); run the same fetch again to resume"
        case .timedOut(let url, let seconds):
            return "no data from \(url) for \(Int(seconds)) s; run the same fetch again to resume"
        case .network(let url, let message):
            return "\(url): \(message)"
        case .hostNotFound(let url, let host, let files):
            let list =
                files.isEmpty
                ? "the model's files"
                : files.dropLast().joined(separator: ", ") + (files.count > 1 ? " and " : "") + (files.last ?? "")
            return "\(url): cannot resolve \(host) (offline, or no DNS?); fetch through a reachable mirror with "
                + "--endpoint URL or KEYPOINTS_HF_ENDPOINT=URL, or download \(list) another way and pass their "
                + "folder with --model DIR"
        case .badRangeResponse(let url, let detail):
            return "\(url): unusable range response: \(detail)"
        case .sizeMismatch(let file, let url, let expected, let actual):
            return
                "\(file): expected \(expected) bytes, got \(actual) (from \(url)); the file was deleted, run the fetch again"
        case .checksumMismatch(let file, let url, let expected, let actual, let source):
            return "\(file): SHA-256 mismatch (from \(url)): expected \(expected) (\(source)), got \(actual); "
                + "the file was deleted and nothing was installed"
        case .fileSystem(let path, let message):
            return "\(path): \(message)"
        case .insufficientSpace(let file, let path, let needed, let available):
            return "not enough disk space for \(file): needs \(Self.gigabytes(needed)) in \(path), "
                + "\(Self.gigabytes(available)) free; free some space (or set KEYPOINTS_HOME to another disk) "
                + "and run the fetch again to resume"
        case .fileTooLarge(let file, let url, let bytes, let announced, let limit, let limitName):
            return "\(file) from \(url): "
                + (announced ? "the server announces \(bytes) bytes" : "over \(bytes) bytes received")
                + ", more than keypoints reads (\(limitName) = \(limit)); stopped, nothing kept. "
                + "Is this the right repository (or --endpoint)?"
        case .busy(let path):
            return "another keypoints process is fetching into \(path); wait for it or stop it"
        case .invalidManifest(let path, let message):
            return "\(path): invalid manifest: \(message)"
        case .invalidEndpoint(let value):
            return "invalid endpoint '\(value)': expected an http:// or https:// URL such as https://huggingface.co"
        case .invalidShardIndex(let error):
            return "\(error.rawMessage); no shard was downloaded and nothing was installed"
        case .cancelled:
            return "fetch cancelled; run it again to resume"
        }
    }

    /// "1.71 GB" (decimal units, as download sizes are usually given).
    static func gigabytes(_ bytes: Int64) -> String { String(format: "%.2f GB", Double(bytes) / 1e9) }

    /// Runs `body`, reporting a failed file read as `fileSystem` (path and step).
    static func mapping<T>(_ body: () throws(FileReadError) -> T) throws(ModelStoreError) -> T {
        do {
            return try body()
        } catch {
            throw .fileSystem(path: error.path, message: error.message)
        }
    }
}
