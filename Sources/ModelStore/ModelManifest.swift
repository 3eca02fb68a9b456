import Foundation
import KeypointsSupport

/// `keypoints-manifest.json` in an installed model folder: what was downloaded, from where,
/// when, and each file's size and SHA-256. It is written last, inside the staging folder, so a
/// folder with a manifest is a complete install.
public struct ModelManifest: Codable, Sendable, Equatable {
    public static let fileName = "keypoints-manifest.json"
    public static let currentFormat = 1

    public struct Entry: Codable, Sendable, Equatable {
        public var name: String
        public var size: Int64
        public var sha256: String
        public var url: String
        /// Where the digest was checked against: "registry" (known digest), "server" (the hub's
        /// X-Linked-Etag LFS digest) or "recorded" (computed here, nothing to compare with).
        public var verified: String

        public init(name: String, size: Int64, sha256: String, url: String, verified: String) {
            self.name = name
            self.size = size
            self.sha256 = sha256
            self.url = url
            self.verified = verified
        }
    }

    public var format: Int
    /// The name it was fetched as ("ViT-L/14-336" or "ORG/NAME").
    public var name: String
    public var repository: String
    public var revision: String
    public var endpoint: String
    /// ISO 8601, UTC.
    public var fetchedAt: String
    public var files: [Entry]
    /// Optional files the repository does not have (HTTP 404).
    public var absent: [String]

    enum CodingKeys: String, CodingKey {
        case format, name, repository, revision, endpoint, files, absent
        case fetchedAt = "fetched_at"
    }

    public init(
        name: String, repository: String, revision: String, endpoint: String, fetchedAt: Date,
        files: [Entry], absent: [String]
    ) {
        self.format = Self.currentFormat
        self.name = name
        self.repository = repository
        self.revision = revision
        self.endpoint = endpoint
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        self.fetchedAt = f.string(from: fetchedAt)
        self.files = files
        self.absent = absent
    }

    public var totalSize: Int64 { files.reduce(0) { $0 + $1.size } }

    public static func load(from folder: URL) throws -> ModelManifest {
        let url = folder.appendingPathComponent(fileName)
        let data = try RegularFile.read(
            url, maxBytes: ModelStoreLimits.manifestBytes, limitName: "ModelStoreLimits.manifestBytes"
        ) { ModelStoreError.invalidManifest(path: url.path, message: "cannot read: \($0.message)") }
        let manifest: ModelManifest
        do { manifest = try JSONDecoder().decode(ModelManifest.self, from: data) } catch {
            throw ModelStoreError.invalidManifest(path: url.path, message: "\(error)")
        }
        try manifest.validate(path: url.path)
        return manifest
    }

    /// Every size non-negative and their sum an Int64 (`totalSize`), every digest a SHA-256 as
    /// `SHA256Hasher.hex` writes it.
    func validate(path: String) throws(ModelStoreError) {
        var total: Int64 = 0
        for (i, entry) in files.enumerated() {
            guard entry.size >= 0 else {
                throw .invalidManifest(
                    path: path, message: "files[\(i)].size: expected a size in bytes, got \(entry.size)")
            }
            let (sum, overflow) = total.addingReportingOverflow(entry.size)
            guard !overflow else {
                throw .invalidManifest(path: path, message: "files[\(i)].size: the sizes add up to more than Int64.max")
            }
            total = sum
            guard SHA256Hasher.isHexDigest(entry.sha256) else {
                throw .invalidManifest(
                    path: path, message: "files[\(i)].sha256: expected 64 lowercase hex digits")
            }
        }
    }

    func write(to folder: URL) throws {
        let url = folder.appendingPathComponent(Self.fileName)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do { try encoder.encode(self).write(to: url, options: .atomic) } catch {
            throw ModelStoreError.fileSystem(
                path: url.path, message: "cannot write manifest: \(error.localizedDescription)")
        }
    }
}
