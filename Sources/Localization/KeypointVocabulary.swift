import Foundation
import KeypointsSupport

/// Named keypoints per object category and the prompt template that turns a name into CLIP text.
///
/// Loaded from `keypoints/*.json` (format in keypoints/README.md): `cub.json` (one category,
/// "bird", CUB's 15 parts), `spair.json` (SPair-71k's six animals with the paper's names),
/// `faces.json` (FaceSynthetics' 70 landmarks). Free-text keypoints need no file
/// (`freeText(_:template:)`).
public struct KeypointVocabulary: Codable, Sendable, Equatable {
    /// Short identifier, e.g. "spair".
    public var name: String
    public var description: String
    /// Default template for categories without their own.
    public var template: String?
    public var categories: [KeypointCategory]
    /// The file it was loaded from, for error messages (not encoded).
    public var source: String = "(in-memory vocabulary)"

    enum CodingKeys: String, CodingKey {
        case name, description, template, categories
    }

    public init(
        name: String, description: String = "", template: String? = nil,
        categories: [KeypointCategory], source: String = "(in-memory vocabulary)"
    ) {
        self.name = name
        self.description = description
        self.template = template
        self.categories = categories
        self.source = source
    }

    // MARK: - Loading

    /// Loads and validates a vocabulary file.
    /// - Parameter url: a file URL; its `relativePath` names the file in errors.
    /// - Throws: `KeypointVocabularyError` naming the file and the field.
    public static func load(from url: URL) throws -> KeypointVocabulary {
        let data = try RegularFile.read(
            url, maxBytes: LocalizationLimits.fileBytes, limitName: "LocalizationLimits.fileBytes"
        ) { KeypointVocabularyError.unreadable(file: url.relativePath, reason: $0.message) }
        return try decode(data, file: url.relativePath)
    }

    /// Decodes and validates vocabulary JSON; `file` names it in errors.
    public static func decode(_ data: Data, file: String) throws -> KeypointVocabulary {
        switch decodeJSONFile(KeypointVocabulary.self, from: data) {
        case .success(var v):
            v.source = file
            return v
        case .failure(let e):
            throw KeypointVocabularyError.invalidField(file: file, field: e.field, message: e.message)
        }
    }

    public init(from decoder: Decoder) throws {
        let r = try JSONObjectReader(
            JSONValue(from: decoder), path: jsonFieldPath(decoder.codingPath),
            known: ["name", "description", "template", "categories"])
        name = try r.string("name")
        guard !name.isEmpty else {
            throw JSONFieldError(field: r.fieldPath("name"), message: "expected a non-empty string")
        }
        description = try r.optionalString("description") ?? ""
        template = try r.optionalString("template")
        if let t = template {
            do throws(PromptTemplateError) {
                _ = try PromptTemplate(t)
            } catch {
                throw JSONFieldError(field: r.fieldPath("template"), message: "\"\(t)\": \(error.message)")
            }
        }
        let values = try r.nonEmptyArray(
            "categories", of: ("category", "categories"), atMost: LocalizationLimits.categories,
            limitName: "LocalizationLimits.categories")
        var categories: [KeypointCategory] = []
        var names = Set<String>()  // duplicate checks are hash lookups: loading stays linear
        for (i, v) in values.enumerated() {
            let path = r.fieldPath("categories") + "[\(i)]"
            let c = try KeypointCategory(json: v, path: path, defaultTemplate: template)
            guard names.insert(c.name).inserted else {
                throw JSONFieldError(field: path + ".name", message: "duplicate category \"\(c.name)\"")
            }
            categories.append(c)
        }
        self.categories = categories
    }

    // MARK: - Queries

    /// Category names in file order.
    public var categoryNames: [String] { categories.map(\.name) }

    /// The category named `name` (exact match, then case-insensitive).
    /// - Throws: `unknownCategory` listing the known names.
    public func category(_ name: String) throws -> KeypointCategory {
        if let c = categories.first(where: { $0.name == name }) { return c }
        let folded = name.lowercased()
        if let c = categories.first(where: { $0.name.lowercased() == folded }) { return c }
        throw KeypointVocabularyError.unknownCategory(file: source, name: name, known: categoryNames)
    }

    /// Prompts for a category's keypoints.
    /// - Parameters:
    ///   - category: a category name.
    ///   - keypoints: names to keep, in the order wanted (matched case-insensitively after
    ///     trimming spaces); `nil` keeps all, in file order.
    /// - Throws: `unknownCategory`, `unknownKeypoint`.
    public func queries(category name: String, keypoints: [String]? = nil) throws -> [KeypointQuery] {
        let c = try category(name)
        let all = try c.queries()
        guard let wanted = keypoints else { return all }
        let byName = Dictionary(all.map { ($0.name.lowercased(), $0) }, uniquingKeysWith: { first, _ in first })
        try Self.checkDistinct(wanted.map { $0.trimmingCharacters(in: .whitespaces) })
        return try wanted.map { w in
            let key = w.trimmingCharacters(in: .whitespaces).lowercased()
            guard let q = byName[key] else {
                throw KeypointVocabularyError.unknownKeypoint(
                    file: source, category: c.name, name: w,
                    known: c.keypoints.map(\.name))
            }
            return q
        }
    }

    /// Throws `repeatedKeypoint` for the first name (ignoring case) that `names` holds twice.
    static func checkDistinct(_ names: [String]) throws {
        var seen: [String: Int] = [:]
        for (i, name) in names.enumerated() {
            if let first = seen[name.lowercased()] {
                throw KeypointVocabularyError.repeatedKeypoint(name: name, first: first + 1, second: i + 1)
            }
            seen[name.lowercased()] = i
        }
    }

    /// Keypoints given as free text: each text is the keypoint's name; the prompt is the text
    /// itself, or `template` filled with it.
    /// - Throws: `badTemplate` if the template lacks `{part}` or has any other placeholder;
    ///   `emptyKeypoint` for a blank text; `repeatedKeypoint` for a text given twice.
    public static func freeText(_ texts: [String], template: String? = nil) throws -> [KeypointQuery] {
        try checkDistinct(texts.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        var parsed: PromptTemplate?
        if let t = template {
            do throws(PromptTemplateError) {
                let p = try PromptTemplate(t)
                if let other = p.placeholders.first(where: { $0 != PromptTemplate.part }) {
                    throw PromptTemplateError(message: "free-text keypoints fill only \"{part}\", not \"{\(other)}\"")
                }
                parsed = p
            } catch {
                throw KeypointVocabularyError.badTemplate(template: t, message: error.message)
            }
        }
        return try texts.enumerated().map { i, raw in
            let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { throw KeypointVocabularyError.emptyKeypoint(index: i) }
            let prompt: String
            if let p = parsed {
                do throws(PromptTemplateError) {
                    prompt = try p.fill(part: text)
                } catch {
                    throw KeypointVocabularyError.badTemplate(template: p.text, message: error.message)
                }
            } else {
                prompt = text
            }
            return KeypointQuery(id: nil, name: text, prompt: prompt)
        }
    }
}

// MARK: - Category

/// One object category: its keypoints and how to phrase them.
public struct KeypointCategory: Encodable, Sendable, Equatable {
    public var name: String
    /// The template in force (the category's own, else the file's); contains `{part}`.
    public var template: String
    /// Values of the template's other placeholders, e.g. `{"animal": "cat"}`.
    public var values: [String: String]
    public var keypoints: [KeypointDefinition]

    public init(name: String, template: String, values: [String: String] = [:], keypoints: [KeypointDefinition]) {
        self.name = name
        self.template = template
        self.values = values
        self.keypoints = keypoints
    }

    /// Every keypoint's prompt, in file order.
    /// - Throws: `badTemplate` (only for categories built in code; loading checks templates).
    public func queries() throws -> [KeypointQuery] {
        try keypoints.map { k in
            if let p = k.prompt { return KeypointQuery(id: k.id, name: k.name, prompt: p) }
            do throws(PromptTemplateError) {
                let prompt = try PromptTemplate(template).fill(part: k.name, values: values)
                return KeypointQuery(id: k.id, name: k.name, prompt: prompt)
            } catch {
                throw KeypointVocabularyError.badTemplate(template: template, message: error.message)
            }
        }
    }

    init(json: JSONValue, path: String, defaultTemplate: String?) throws {
        let r = try JSONObjectReader(json, path: path, known: ["name", "template", "values", "keypoints"])
        name = try r.string("name")
        guard !name.isEmpty else {
            throw JSONFieldError(field: r.fieldPath("name"), message: "expected a non-empty string")
        }
        var values: [String: String] = [:]
        if let object = try r.optionalObject("values") {
            for (key, v) in object {
                guard case .string(let s) = v else {
                    throw JSONFieldError(
                        field: r.fieldPath("values") + "." + key, message: "expected a string, got \(v.brief)")
                }
                values[key] = s
            }
        }
        self.values = values
        let own = try r.optionalString("template")
        guard let text = own ?? defaultTemplate else {
            throw JSONFieldError(
                field: r.fieldPath("template"),
                message: "missing required field (the file has no top-level template either)")
        }
        let templatePath = own != nil ? r.fieldPath("template") : "template"
        let parsed: PromptTemplate
        do throws(PromptTemplateError) {
            parsed = try PromptTemplate(text)
            _ = try parsed.fill(part: "", values: values)
        } catch {
            throw JSONFieldError(
                field: own != nil ? templatePath : r.fieldPath("values"),
                message: "template \"\(text)\": \(error.message)")
        }
        template = text
        let items = try r.nonEmptyArray(
            "keypoints", of: ("keypoint", "keypoints"), atMost: LocalizationLimits.keypointsPerCategory,
            limitName: "LocalizationLimits.keypointsPerCategory")
        var keypoints: [KeypointDefinition] = []
        var ids = Set<Int>()
        var names = Set<String>()  // hash lookups: linear in the keypoints
        for (i, v) in items.enumerated() {
            let kPath = r.fieldPath("keypoints") + "[\(i)]"
            let k = try KeypointDefinition(json: v, path: kPath)
            guard ids.insert(k.id).inserted else {
                throw JSONFieldError(field: kPath + ".id", message: "duplicate id \(k.id)")
            }
            guard names.insert(k.name.lowercased()).inserted else {
                throw JSONFieldError(field: kPath + ".name", message: "duplicate name \"\(k.name)\"")
            }
            keypoints.append(k)
        }
        self.keypoints = keypoints
    }
}

// MARK: - Keypoint

/// One named keypoint of a category.
public struct KeypointDefinition: Encodable, Sendable, Equatable {
    /// The dataset's id (CUB part_id, SPair keypoint index, FaceSynthetics landmark row).
    public var id: Int
    /// Natural name, substituted for `{part}`.
    public var name: String
    /// Optional full prompt used instead of the template.
    public var prompt: String?

    public init(id: Int, name: String, prompt: String? = nil) {
        self.id = id
        self.name = name
        self.prompt = prompt
    }

    init(json: JSONValue, path: String) throws {
        let r = try JSONObjectReader(json, path: path, known: ["id", "name", "prompt"])
        id = try r.integer("id", minimum: 0)
        name = try r.string("name").trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else {
            throw JSONFieldError(field: r.fieldPath("name"), message: "expected a non-empty string")
        }
        prompt = try r.optionalString("prompt")
        if let p = prompt, p.trimmingCharacters(in: .whitespaces).isEmpty {
            throw JSONFieldError(field: r.fieldPath("prompt"), message: "expected a non-empty string")
        }
    }
}

/// A keypoint to localize: its name and the text CLIP scores against.
public struct KeypointQuery: Codable, Sendable, Equatable {
    /// The dataset id, `nil` for free text.
    public var id: Int?
    public var name: String
    public var prompt: String

    public init(id: Int?, name: String, prompt: String) {
        self.id = id
        self.name = name
        self.prompt = prompt
    }
}

// MARK: - Template override

extension KeypointVocabulary {
    /// The vocabulary with `template` in force for every category and keypoint (per-keypoint
    /// `prompt`s are dropped too): the `--template` ablation switch of `localize` and `eval`.
    /// - Throws: `badTemplate` if `template` lacks `{part}` or names a placeholder some category
    ///   has no value for.
    public func replacingTemplate(_ template: String) throws -> KeypointVocabulary {
        let parsed: PromptTemplate
        do throws(PromptTemplateError) {
            parsed = try PromptTemplate(template)
        } catch {
            throw KeypointVocabularyError.badTemplate(template: template, message: error.message)
        }
        guard parsed.placeholders.contains(PromptTemplate.part) else {
            throw KeypointVocabularyError.badTemplate(template: template, message: "needs {part}")
        }
        var copy = self
        copy.template = template
        for i in copy.categories.indices {
            let c = copy.categories[i]
            if let missing = parsed.placeholders.first(where: { $0 != PromptTemplate.part && c.values[$0] == nil }) {
                throw KeypointVocabularyError.badTemplate(
                    template: template, message: "category \(c.name) has no value for {\(missing)} in \(source)")
            }
            copy.categories[i].template = template
            for j in c.keypoints.indices { copy.categories[i].keypoints[j].prompt = nil }
        }
        return copy
    }
}

extension JSONObjectReader {
    /// The array at `key`, holding one to `limit` elements; errors name the field and, over the
    /// limit, the count and the limit (`limitName`). `noun` names one element and several.
    func nonEmptyArray(
        _ key: String, of noun: (one: String, many: String), atMost limit: Int, limitName: String
    ) throws(JSONFieldError) -> [JSONValue] {
        let values = try array(key)
        guard !values.isEmpty else {
            throw JSONFieldError(
                field: fieldPath(key), message: "expected at least one \(noun.one), got an empty array")
        }
        guard values.count <= limit else {
            throw JSONFieldError(
                field: fieldPath(key), message: "\(values.count) \(noun.many), over the limit \(limitName) = \(limit)")
        }
        return values
    }
}
