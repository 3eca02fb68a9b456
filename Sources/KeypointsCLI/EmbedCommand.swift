import ArgumentParser
import CLIP
import Foundation
import Imaging
import Localization

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Print normalised CLIP embeddings of images and texts, and their cosine similarities.",
        discussion: """
            EXIF orientation is not applied: images are used as stored (as the CLIP reference reads \
            them), with a warning for each rotated or mirrored one; --exif-transpose turns them upright \
            first. A text longer than CLIP's 77 tokens is cut, with a warning giving its token count.

            Example:
              keypoints embed --model ViT-B/32 --image bird.jpg --text "a photo of a bird"
            """
    )

    @OptionGroup var model: ModelOptions
    @Option(
        name: .customLong("image"), help: ArgumentHelp("An image file (JPEG or PNG); repeatable.", valueName: "path"))
    var images: [String] = []
    @Option(name: .customLong("text"), help: ArgumentHelp("A text; repeatable.", valueName: "text"))
    var texts: [String] = []
    @Flag(help: "Print exactly one JSON document.")
    var json = false
    @OptionGroup var exif: ExifOptions
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        if images.isEmpty && texts.isEmpty { throw ValidationError("give at least one --image or --text") }
        for (i, t) in texts.enumerated() where t.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw ValidationError("--text number \(i + 1) is empty")
        }
    }

    struct Output: Encodable {
        struct Image: Encodable {
            let path: String
            let embedding: [Float]
            /// The EXIF orientation applied (`--exif-transpose`), absent when used as stored.
            let exifTransposed: Int?
            /// Where it was found ("exif", "raw_profile", "xmp"), absent with it.
            let exifTransposedSource: ExifReader.Reading.Source?
            enum CodingKeys: String, CodingKey {
                case path, embedding
                case exifTransposed = "exif_transposed"
                case exifTransposedSource = "exif_transposed_source"
            }
        }
        struct Text: Encodable {
            let text: String
            let embedding: [Float]
        }
        let images: [Image]
        let texts: [Text]
        let similarity: [[Float]]
        let precision: Precision
    }

    func run() throws {
        let loaded = try compute.loadModel { try CLIPBundle.load(directory: model.url, backend: $0) }
        let bundle = loaded.model
        for w in bundle.truncationWarnings(texts) { Console.warning(w) }
        let precision = loaded.precision
        let ws = Workspace(workers: loaded.workers)
        let photos = try images.map {
            exif.photo(
                try ImageCodec.decode(contentsOf: URL(fileURLWithPath: $0)), path: $0,
                storedFrame: "the stored pixels are embedded")
        }
        let decoded = photos.map(\.image)
        let e = bundle.model.embeddingDim
        let imageEmbeddings = decoded.isEmpty ? [] : bundle.embedImages(decoded, workspace: ws)
        let textEmbeddings = texts.isEmpty ? [] : try bundle.embedTexts(texts, workspace: ws)
        loaded.reportNotices()
        func row(_ m: [Float], _ i: Int) -> [Float] { Array(m[(i * e)..<((i + 1) * e)]) }
        let similarity = images.indices.map { i in
            texts.indices.map { j in
                zip(row(imageEmbeddings, i), row(textEmbeddings, j)).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            }
        }
        let output = Output(
            images: images.indices.map {
                Output.Image(
                    path: images[$0], embedding: row(imageEmbeddings, $0), exifTransposed: photos[$0].applied?.rawValue,
                    exifTransposedSource: photos[$0].appliedSource)
            },
            texts: texts.indices.map { Output.Text(text: texts[$0], embedding: row(textEmbeddings, $0)) },
            similarity: similarity, precision: precision)
        if json {
            try Console.printJSON(output)
            return
        }

        func preview(_ v: [Float]) -> String {
            v.prefix(6).map { String(format: "%+.4f", $0) }.joined(separator: " ")
                + (v.count > 6 ? " ... (\(v.count) values)" : "")
        }
        for item in output.images { Console.result("image \(item.path): \(preview(item.embedding))") }
        for item in output.texts { Console.result("text \"\(item.text)\": \(preview(item.embedding))") }
        if !images.isEmpty && !texts.isEmpty {
            print("\ncosine similarity (rows: images, columns: texts)")
            for (i, path) in images.enumerated() {
                Console.result(similarity[i].map { String(format: "%8.4f", $0) }.joined(separator: " ") + "  " + path)
            }
            print(
                "logit scale exp(\(Console.format(Double(bundle.model.logitScale)))) = \(Console.format(exp(Double(bundle.model.logitScale)), 2))"
            )
        }
    }
}
