import Foundation
import Imaging
import KeypointsSupport
import Localization

/// COCO keypoints annotations (`root` = the annotation JSON, e.g.
/// person_keypoints_val2017.json; images under `--images`, default the JSON's folder).
///
/// Fields used: `images[].id/file_name/width/height`, `categories[].id/name/keypoints`,
/// `annotations[].id/image_id/category_id/keypoints/bbox/iscrowd`. `keypoints` holds `[x, y, v]`
/// triples in the order of the category's names; `bbox` is `[x, y, width, height]`.
///
/// - Each annotation (one object instance) is an item, id = annotation id, in id order.
///   Crowd annotations (`iscrowd` 1) and annotations without a labelled keypoint are skipped
///   (and counted in a note), as COCO's own keypoint evaluation ignores them.
/// - Visibility: COCO writes v = 2 for visible, v = 1 for labelled but not visible, v = 0 for not
///   labelled. By default v >= 1 is evaluated (the location is known even when occluded);
///   `includeOccluded: false` keeps v = 2 only.
/// - The predictor sees the full image with the instance's bbox as the search region
///   (`SearchScope.box`): an image can hold several instances, and the box says which one.
///   PCK is normalised by `max(bbox width, height)`.
/// - Names: from the vocabulary when it has the category (matched by name; keypoint id = index
///   in the category's `keypoints` list); otherwise the file's names with `_` read as spaces and
///   the prompt `defaultTemplate` (`This is the {part} of a {category}`).
public enum COCOReader: DatasetReader {
    static let name = "coco"
    static let splits: [DatasetSplit] = [.all]
    static let vocabularyFileName: String? = nil

    static func read(_ options: DatasetOptions, split: DatasetSplit, categories: [String]) throws -> ReaderOutput {
        try read(
            file: options.root, images: options.images, categories: categories,
            vocabulary: options.vocabulary, includeOccluded: options.includeOccluded)
    }

    public static let defaultTemplate = "This is the {part} of a {category}"

    static func read(
        file: URL, images: URL?, categories: [String], vocabulary: KeypointVocabulary?,
        includeOccluded: Bool
    ) throws -> ReaderOutput {
        let imageRoot = images ?? file.deletingLastPathComponent()
        let json = try AnnotationFile.json(file)
        var notes: [String] = []
        let cats = try readCategories(json.field("categories"), vocabulary: vocabulary, notes: &notes)
        let wanted = try cats.selection(categories, file: file.path)
        let imgs = try readImages(json.field("images"), root: imageRoot, file: file.path)
        var items: [(Int, EvalItem)] = []
        var crowd = 0
        var empty = 0
        var seen = Set<Int>()
        for node in try json.field("annotations").array() {
            let idNode = try node.field("id")
            let id = try idNode.integer()
            guard seen.insert(id).inserted else { throw idNode.fail("duplicate annotation id \(id)") }
            switch try readAnnotation(
                node, categories: cats, wanted: wanted, images: imgs,
                includeOccluded: includeOccluded, file: file.path)
            {
            case .item(let item): items.append((id, item))
            case .crowd: crowd += 1
            case .noLabelledKeypoint: empty += 1
            case .notSelected: break
            }
        }
        if crowd > 0 { notes.append("\(crowd) crowd annotations (iscrowd 1) are not evaluated") }
        if empty > 0 { notes.append("\(empty) annotations without a labelled keypoint are not evaluated") }
        return ReaderOutput(items: items.sorted { $0.0 < $1.0 }.map(\.1), notes: notes, imageRoot: imageRoot)
    }

    /// One category of `categories[]`: its name and, per keypoint, (name, prompt) or nil when the
    /// vocabulary has the category but not that keypoint.
    struct Category {
        let name: String
        let keypoints: [(name: String, prompts: [String])?]
        /// Two of its keypoints read as one name: an error when the category is evaluated, not
        /// when it is left out by `--categories`.
        var repeatedName: JSONFieldError? = nil
    }

    /// The categories by id, in file order.
    struct Categories {
        var byID: [Int: Category] = [:]
        var order: [Int] = []

        /// The ids of the named categories (any case); nil (all) when `names` is empty.
        /// - Throws: a selected category's `repeatedName`.
        func selection(_ names: [String], file: String) throws -> Set<Int>? {
            var set = Set<Int>()
            for c in names {
                guard let id = order.first(where: { byID[$0]?.name.lowercased() == c.lowercased() }) else {
                    throw EvaluationError.unknownCategory(
                        file: file, line: nil, name: c,
                        known: order.compactMap { byID[$0]?.name })
                }
                set.insert(id)
            }
            for id in order where names.isEmpty || set.contains(id) {
                if let problem = byID[id]?.repeatedName { throw problem }
            }
            return names.isEmpty ? nil : set
        }
    }

    /// `categories[]`: id, name and keypoint names, named from the vocabulary when it has the
    /// category, else from the file (`_` read as spaces) with `defaultTemplate`.
    static func readCategories(
        _ list: JSONNode, vocabulary: KeypointVocabulary?,
        notes: inout [String]
    ) throws -> Categories {
        var cats = Categories()
        for node in try list.array() {
            let idNode = try node.field("id")
            let id = try idNode.integer()
            let name = try node.field("name").string()
            guard cats.byID[id] == nil else { throw idNode.fail("duplicate category id \(id)") }
            let kpNames = try node.field("keypoints").array().map { try $0.string() }
            let named: [(name: String, prompts: [String])?]
            var repeatedName: JSONFieldError?
            if let v = vocabulary, let vc = v.categoryIfPresent(name) {
                let byID = try v.namesByID(vc)
                named = kpNames.indices.map { byID[$0] }
            } else {
                let template = try PromptTemplate(defaultTemplate)
                let names = kpNames.map {
                    $0.replacingOccurrences(of: "_", with: " ").trimmingCharacters(in: .whitespaces)
                }
                // Two positions with one name would be one keypoint counted twice in PCK.
                if let r = names.firstRepeat() {
                    repeatedName = node.fail(
                        "keypoints",
                        "category \(name): keypoint \(r.second) \"\(kpNames[r.second])\" has the name \"\(names[r.second])\" "
                            + "of keypoint \(r.first) (\"_\" read as a space): expected each name once, or a --vocabulary naming them"
                    )
                }
                named = try names.map { n in (n, [try template.fill(part: n, values: ["category": name])]) }
                if let v = vocabulary {
                    notes.append("COCO category \(name) is not in \(v.source): using the file's keypoint names")
                }
            }
            cats.byID[id] = Category(name: name, keypoints: named, repeatedName: repeatedName)
            cats.order.append(id)
        }
        return cats
    }

    /// One image of `images[]`.
    struct Image {
        let path: String
        let url: URL
        let width: Int?
        let height: Int?
    }

    /// `images[]`: id -> file name (resolved under `root`, never leaving it) and optional size.
    static func readImages(_ list: JSONNode, root: URL, file: String) throws -> [Int: Image] {
        var imgs: [Int: Image] = [:]
        for node in try list.array() {
            let idNode = try node.field("id")
            let id = try idNode.integer()
            let nameNode = try node.field("file_name")
            let path = try nameNode.string()
            let url: URL
            do {
                url = try SafePath.resolve(path, under: root, file: file, line: nil)
            } catch {
                throw nameNode.fail(
                    "image path \"\(path)\" is absolute or leaves the image folder with \"..\"; refused")
            }
            guard imgs[id] == nil else { throw idNode.fail("duplicate image id \(id)") }
            let w = try node.child("width").map { try $0.integer() }
            let h = try node.child("height").map { try $0.integer() }
            imgs[id] = Image(path: path, url: url, width: w, height: h)
        }
        return imgs
    }

    /// What became of one annotation.
    enum Annotation {
        case item(EvalItem)
        case crowd
        case noLabelledKeypoint
        case notSelected
    }

    /// One element of `annotations[]` (its id already checked unique).
    static func readAnnotation(
        _ node: JSONNode, categories cats: Categories, wanted: Set<Int>?, images: [Int: Image],
        includeOccluded: Bool, file: String
    ) throws -> Annotation {
        let id = try node.field("id").integer()
        let catNode = try node.field("category_id")
        let catID = try catNode.integer()
        guard let cat = cats.byID[catID] else {
            throw EvaluationError.unknownCategory(
                file: file + ": " + catNode.path, line: nil, name: String(catID),
                known: cats.order.map(String.init))
        }
        if let wanted, !wanted.contains(catID) { return .notSelected }
        let imageNode = try node.field("image_id")
        guard let image = images[try imageNode.integer()] else {
            throw imageNode.fail("no image with this id in images[]")
        }
        if let c = node.child("iscrowd"), try c.integer() != 0 { return .crowd }
        let box = try readBox(node.field("bbox"))
        let kpNode = try node.field("keypoints")
        let k = try kpNode.array()
        guard k.count == 3 * cat.keypoints.count else {
            throw kpNode.fail(
                "expected \(3 * cat.keypoints.count) numbers (x, y, v for each of \(cat.name)'s \(cat.keypoints.count) keypoints), got \(k.count)"
            )
        }
        var keypoints: [GroundTruthKeypoint] = []
        var unnamed = 0
        var labelled = 0
        for i in 0..<cat.keypoints.count {
            let v = try k[3 * i + 2].integer()
            guard (0...2).contains(v) else { throw k[3 * i + 2].fail("expected visibility 0, 1 or 2, got \(v)") }
            if v == 0 { continue }
            labelled += 1
            let x = try k[3 * i].coordinate()
            let y = try k[3 * i + 1].coordinate()
            if v == 1 && !includeOccluded { continue }
            if let n = cat.keypoints[i] {
                keypoints.append(GroundTruthKeypoint(id: i, name: n.name, prompts: n.prompts, x: x, y: y))
            } else {
                unnamed += 1
            }
        }
        if labelled == 0 { return .noLabelledKeypoint }
        return .item(
            EvalItem(
                id: String(id), category: cat.name, imagePath: image.path, imageURL: image.url,
                box: box, region: .box, keypoints: keypoints, unnamedKeypoints: unnamed,
                expectedWidth: image.width, expectedHeight: image.height))
    }

    /// `bbox`: `[x, y, width, height]` with a positive size.
    static func readBox(_ node: JSONNode) throws -> Box {
        let b = try node.array()
        guard b.count == 4 else { throw node.fail("expected [x, y, width, height], got \(node.brief)") }
        let box = Box(
            x: try b[0].coordinate(), y: try b[1].coordinate(), width: try b[2].number(), height: try b[3].number())
        guard box.width > 0, box.height > 0 else {
            throw node.fail("expected width and height > 0, got \(box.width) x \(box.height)")
        }
        return box
    }
}
