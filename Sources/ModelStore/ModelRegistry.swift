import Foundation
import KeypointsSupport

/// One file of a model repository.
public struct ModelFile: Sendable, Codable, Equatable {
    /// The path inside the repository (and inside the installed folder), e.g. "model.safetensors".
    public var name: String
    /// Exact size in bytes when known; checked after download.
    public var size: Int64?
    /// SHA-256 as 64 lower-case hex digits when known (the Hugging Face LFS oid); checked after download.
    public var sha256: String?
    /// Optional files may be missing from the repository (HTTP 404): the fetch goes on without them.
    public var optional: Bool

    public init(_ name: String, size: Int64? = nil, sha256: String? = nil, optional: Bool = false) {
        self.name = name
        self.size = size
        self.sha256 = sha256
        self.optional = optional
    }
}

/// A model that `keypoints model fetch NAME` knows how to download.
public struct ModelSpec: Sendable, Codable, Equatable {
    /// Short name used on the command line, e.g. "ViT-L/14-336".
    public var name: String
    /// Other accepted spellings (OpenCLIP style "ViT-L-14-336"); matched case-insensitively.
    public var aliases: [String]
    /// Hugging Face repository id "ORG/NAME".
    public var repository: String
    /// Branch, tag or commit the known sizes and digests belong to.
    public var revision: String
    public var files: [ModelFile]
    public var summary: String

    public init(
        name: String, aliases: [String] = [], repository: String, revision: String = "main",
        files: [ModelFile], summary: String = ""
    ) {
        self.name = name
        self.aliases = aliases
        self.repository = repository
        self.revision = revision
        self.files = files
        self.summary = summary
    }

    /// Size of all files when every size is known.
    public var knownDownloadSize: Int64? {
        var total: Int64 = 0
        for f in files where !f.optional {
            guard let s = f.size else { return nil }
            total += s
        }
        return total
    }
}

/// The table of known models. Pass a custom one to `ModelStore` (tests, mirrors, OpenCLIP
/// checkpoints converted to the Hugging Face layout).
public struct ModelRegistry: Sendable {
    public var models: [ModelSpec]

    public init(models: [ModelSpec]) { self.models = models }

    /// The paper's backbone; the default of `localize` and `eval`.
    public static let defaultModelName = "ViT-L/14-336"

    /// Files every Hugging Face CLIP repository must hold for the CLIP module to load it. A
    /// repository without model.safetensors (a 404) is fetched as a sharded checkpoint instead:
    /// model.safetensors.index.json and the shards it names (`fetch`).
    public static let standardFiles: [ModelFile] = [
        ModelFile("config.json"),
        ModelFile("model.safetensors"),
        ModelFile("vocab.json"),
        ModelFile("merges.txt"),
        ModelFile("preprocessor_config.json", optional: true),
    ]

    /// Files of a Hugging Face ViTModel repository (DINO): no tokenizer.
    public static let vitFiles: [ModelFile] = [
        ModelFile("config.json"),
        ModelFile("model.safetensors"),
        ModelFile("preprocessor_config.json", optional: true),
    ]

    /// The saliency model of `keypoints saliency` and `--mask saliency` (TokenCut's default).
    public static let defaultSaliencyModelName = "dino-vits16"

    /// The OpenAI CLIP ViTs in the Hugging Face layout, then the DINO ViTs of TokenCut.
    ///
    /// DINO: on `main`, facebook/dino-vits16 and dino-vitb16 hold only pytorch_model.bin, which
    /// keypoints never unpickles; their safetensors conversion is the revision `refs/pr/1`.
    ///
    /// Known digests. The hub cannot be reached from where this table was written, so a digest is
    /// recorded only where a public page showed it; every other file's digest is computed at
    /// download time and recorded in the model folder's manifest (and checked against the hub's
    /// own `X-Linked-Etag` LFS digest when the server sends one).
    /// - ViT-L/14 model.safetensors: LFS pointer `oid sha256:a2bf730a…6dcb`, `size 1710540580`, shown
    ///   identically on https://huggingface.co/InvokeAI/clip-vit-large-patch14/blob/1832c1585ac9843a752aa7219b718cdcb00f2690/model.safetensors
    ///   ("Copy from https://huggingface.co/openai/clip-vit-large-patch14"),
    ///   https://huggingface.co/Fluf22/openai-clip-large/blob/main/model.safetensors ("Duplicate from
    ///   openai/clip-vit-large-patch14") and the commit pages
    ///   https://huggingface.co/smegmarip/ComfyUI/commit/e8ff61cdc91bde5cbe6edd053dd1537cff870fa6 and
    ///   https://huggingface.co/SG161222/Verus_Vision_1.0b/commit/ff4883bccc850cf0002b024698bf57f642134769
    ///   (which give the exact size).
    public static let builtin = ModelRegistry(models: [
        ModelSpec(
            name: "ViT-B/32", aliases: ["ViT-B-32"], repository: "openai/clip-vit-base-patch32",
            files: standardFiles, summary: "OpenAI CLIP ViT-B/32, 224 px, quick_gelu (~0.6 GB)"),
        ModelSpec(
            name: "ViT-B/16", aliases: ["ViT-B-16"], repository: "openai/clip-vit-base-patch16",
            files: standardFiles, summary: "OpenAI CLIP ViT-B/16, 224 px, quick_gelu (~0.6 GB)"),
        ModelSpec(
            name: "ViT-L/14", aliases: ["ViT-L-14"], repository: "openai/clip-vit-large-patch14",
            files: standardFiles.map { f in
                f.name == "model.safetensors"
                    ? ModelFile(
                        f.name, size: 1_710_540_580,
                        sha256: "a2bf730a0c7debf160f7a6b50b3aaf3703e7e88ac73de7a314903141db026dcb")
                    : f
            },
            summary: "OpenAI CLIP ViT-L/14, 224 px, quick_gelu (~1.7 GB)"),
        ModelSpec(
            name: "ViT-L/14-336", aliases: ["ViT-L-14-336"], repository: "openai/clip-vit-large-patch14-336",
            files: standardFiles, summary: "OpenAI CLIP ViT-L/14 at 336 px, the paper's backbone (~1.7 GB)"),
        ModelSpec(
            name: "dino-vits16", repository: "facebook/dino-vits16", revision: "refs/pr/1", files: vitFiles,
            summary: "DINO ViT-S/16 for saliency masks (TokenCut's default; ~87 MB)"),
        ModelSpec(
            name: "dino-vitb16", repository: "facebook/dino-vitb16", revision: "refs/pr/1", files: vitFiles,
            summary: "DINO ViT-B/16 for saliency masks (~343 MB)"),
        ModelSpec(
            name: "dino-vits8", repository: "facebook/dino-vits8", files: vitFiles,
            summary: "DINO ViT-S/8 for saliency masks, 4x the tokens of /16 (~87 MB)"),
    ])

    /// The known model called `name` (or one of its aliases, or its repository id), ignoring case.
    public func spec(named name: String) -> ModelSpec? {
        let key = name.lowercased()
        return models.first { m in
            m.name.lowercased() == key || m.aliases.contains { $0.lowercased() == key }
                || m.repository.lowercased() == key
        }
    }

    /// Every name and alias of the known models, as spelled in the table.
    public var shortNames: [String] { models.flatMap { [$0.name] + $0.aliases } }

    /// True when `name` is no known model but is spelled like a short name, so that it is a typo
    /// rather than a repository to download: it is not ORG/NAME, or its ORG is at most one edit
    /// from the part before the '/' of a known name ("ViT-B/33", "ViT-H/14", "ViT-L/14-335";
    /// no Hugging Face organisation is called "ViT-B").
    public func isMisspelledShortName(_ name: String) -> Bool {
        guard spec(named: name) == nil else { return false }
        guard Self.isRepositoryID(name) else { return true }
        let organisation = String(name.prefix { $0 != "/" })
        let families = shortNames.filter { $0.contains("/") }.map { String($0.prefix { $0 != "/" }) }
        return families.contains { Spelling.editDistance($0, organisation) <= 1 }
    }

    /// The known name or alias `name` is most likely a typo of, or nil when none is close.
    public func nearestShortName(to name: String) -> String? {
        Spelling.nearest(to: name, among: shortNames)
    }

    /// A spec for any Hugging Face repository with the standard file layout and no known digests.
    public static func adHoc(repository: String) -> ModelSpec {
        ModelSpec(
            name: repository, repository: repository, files: standardFiles,
            summary: "Hugging Face repository \(repository)")
    }

    /// True for "ORG/NAME" with both parts made of letters, digits, '-', '_' and '.' (not "." or
    /// "..") — the Hugging Face repository id syntax, which is also safe as a folder name.
    public static func isRepositoryID(_ s: String) -> Bool {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        return parts.allSatisfy { p in
            !p.isEmpty && p.count <= 96 && p != "." && p != ".." && !p.hasPrefix(".")
                && p.allSatisfy { c in c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "_" || c == ".") }
        }
    }

    /// The installed folder's name for a repository id: "openai/clip-vit-base-patch32" ->
    /// "openai--clip-vit-base-patch32". Known names install under their repository's folder, so
    /// `ViT-B/32` and `openai/clip-vit-base-patch32` are the same install.
    public static func folderName(forRepository repository: String) -> String {
        repository.replacingOccurrences(of: "/", with: "--")
    }
}
