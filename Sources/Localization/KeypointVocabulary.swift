import Foundation
import KeypointsSupport

/// Named keypoints per object category and the prompt templates that turn a name into CLIP text
/// (several templates per category, or prompts per keypoint, are ensembled: `KeypointQuery`).
///
/// Loaded from `keypoints/*.json` (format in keypoints/README.md): `cub.json` (one category,
/// "bird", CUB's 15 parts), `spair.json` (SPair-71k's six animals with the paper's names),
/// `faces.json` (FaceSynthetics' 70 landmarks). Free-text keypoints need no file
/// (`freeText(_:template:)`).
public struct KeypointVocabulary: Codable, Sendable, Equatable {
    /// Short identifier, e.g. "spair".
    public var name: String
    public var description: String
    /// Default templates for categories without their own (one, or several ensembled).
    public var templates: [String]?
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
        self.init(
            name: name, description: description, templates: template.map { [$0] }, categories: categories,
            source: source)
    }

    public init(
        name: String, description: String = "", templates: [String]?,
        categories: [KeypointCategory], source: String = "(in-memory vocabulary)"
    ) {
        self.name = name
        self.description = description
        self.templates = templates
        self.categories = categories
        self.source = source
    }

    /// The first default template (the only one unless several are ensembled); setting it
    /// replaces them all.
    public var template: String? {
        get { templates?.first }
        set { templates = newValue.map { [$0] } }
    }

    /// As read: `template` is a string when there is one, an array when there are several.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(description, forKey: .description)
        if let templates { try c.encodeTexts(templates, one: .template, many: .template) }
        try c.encode(categories, forKey: .categories)
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
        let fileTemplates = try r.oneOrMoreStrings("template", of: ("template", "templates"))
        for t in fileTemplates ?? [] {
            do throws(PromptTemplateError) {
                _ = try PromptTemplate(t.text)
            } catch {
                throw JSONFieldError(field: t.field, message: "\"\(t.text)\": \(error.message)")
            }
        }
        templates = fileTemplates?.map(\.text)
        let values = try r.nonEmptyArray(
            "categories", of: ("category", "categories"), atMost: LocalizationLimits.categories,
            limitName: "LocalizationLimits.categories")
        var categories: [KeypointCategory] = []
        var names = Set<String>()  // duplicate checks are hash lookups: loading stays linear
        for (i, v) in values.enumerated() {
            let path = r.fieldPath("categories") + "[\(i)]"
            let c = try KeypointCategory(json: v, path: path, defaultTemplates: fileTemplates)
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
        if let r = names.lazy.map({ $0.lowercased() }).firstRepeat() {
            throw KeypointVocabularyError.repeatedKeypoint(
                name: names[r.second], first: r.first + 1, second: r.second + 1)
        }
    }

    /// Keypoints given as free text: each text is the keypoint's name; the prompt is the text
    /// itself, or `template` filled with it.
    /// - Throws: `badTemplate` if the template lacks `{part}` or has any other placeholder;
    ///   `emptyKeypoint` for a blank text; `repeatedKeypoint` for a text given twice.
    public static func freeText(_ texts: [String], template: String? = nil) throws -> [KeypointQuery] {
        try freeText(texts, templates: template.map { [$0] } ?? [])
    }

    /// Keypoints given as free text, each prompted with every one of `templates` filled with
    /// its text (an ensemble when there are several), or with the text itself when `templates`
    /// is empty.
    /// - Throws: `badTemplate` if a template lacks `{part}` or has any other placeholder;
    ///   `tooManyTemplates` over `LocalizationLimits.promptsPerKeypoint`; `emptyKeypoint` for a
    ///   blank text; `repeatedKeypoint` for a text given twice.
    public static func freeText(_ texts: [String], templates: [String]) throws -> [KeypointQuery] {
        try checkDistinct(texts.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        try checkTemplateCount(templates.count)
        let parsed = try templates.map { t in
            let p = try parse(t)
            if let other = p.placeholders.first(where: { $0 != PromptTemplate.part }) {
                throw KeypointVocabularyError.badTemplate(
                    template: t, message: "free-text keypoints fill only \"{part}\", not \"{\(other)}\"")
            }
            return p
        }
        return try texts.enumerated().map { i, raw in
            let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { throw KeypointVocabularyError.emptyKeypoint(index: i) }
            guard !parsed.isEmpty else { return KeypointQuery(id: nil, name: text, prompt: text) }
            return KeypointQuery(id: nil, name: text, prompts: try fill(parsed, part: text, values: [:]))
        }
    }

    /// Throws `tooManyTemplates` when `count` templates are over `LocalizationLimits.promptsPerKeypoint`.
    static func checkTemplateCount(_ count: Int) throws {
        guard count <= LocalizationLimits.promptsPerKeypoint else {
            throw KeypointVocabularyError.tooManyTemplates(count: count, limit: LocalizationLimits.promptsPerKeypoint)
        }
    }

    /// `text` parsed as a template.
    /// - Throws: `badTemplate` naming the template and what is wrong with it.
    static func parse(_ text: String) throws -> PromptTemplate {
        do throws(PromptTemplateError) {
            return try PromptTemplate(text)
        } catch {
            throw KeypointVocabularyError.badTemplate(template: text, message: error.message)
        }
    }

    /// Every template filled with `part` and `values`, in order.
    /// - Throws: `badTemplate` naming the template that has a placeholder without a value.
    static func fill(_ templates: [PromptTemplate], part: String, values: [String: String]) throws -> [String] {
        var prompts: [String] = []
        prompts.reserveCapacity(templates.count)
        for t in templates {
            do throws(PromptTemplateError) {
                prompts.append(try t.fill(part: part, values: values))
            } catch {
                throw KeypointVocabularyError.badTemplate(template: t.text, message: error.message)
            }
        }
        return prompts
    }
}

// MARK: - Category

/// One object category: its keypoints and how to phrase them.
public struct KeypointCategory: Encodable, Sendable, Equatable {
    public var name: String
    /// The templates in force (the category's own, else the file's), each containing `{part}`;
    /// several make every keypoint an ensemble of prompts, one per template.
    public var templates: [String]
    /// Values of the template's other placeholders, e.g. `{"animal": "cat"}`.
    public var values: [String: String]
    public var keypoints: [KeypointDefinition]

    public init(name: String, template: String, values: [String: String] = [:], keypoints: [KeypointDefinition]) {
        self.init(name: name, templates: [template], values: values, keypoints: keypoints)
    }

    public init(name: String, templates: [String], values: [String: String] = [:], keypoints: [KeypointDefinition]) {
        self.name = name
        self.templates = templates
        self.values = values
        self.keypoints = keypoints
    }

    /// The first template in force (the only one unless several are ensembled); setting it
    /// replaces them all.
    public var template: String {
        get { templates.first ?? "" }
        set { templates = [newValue] }
    }

    enum CodingKeys: String, CodingKey {
        case name, template, values, keypoints
    }

    /// As read: `template` is a string when there is one, an array when there are several.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encodeTexts(templates, one: .template, many: .template)
        try c.encode(values, forKey: .values)
        try c.encode(keypoints, forKey: .keypoints)
    }

    /// Every keypoint's prompts (its own, else one per template), in file order.
    /// - Throws: `badTemplate` (only for categories built in code; loading checks templates).
    public func queries() throws -> [KeypointQuery] {
        var parsed: [PromptTemplate] = []
        if keypoints.contains(where: { $0.prompts == nil }) {
            guard !templates.isEmpty else {
                throw KeypointVocabularyError.badTemplate(template: "", message: "category \(name) has no template")
            }
            parsed = try templates.map(KeypointVocabulary.parse)
        }
        return try keypoints.map { k in
            if let p = k.prompts { return KeypointQuery(id: k.id, name: k.name, prompts: p) }
            return KeypointQuery(
                id: k.id, name: k.name, prompts: try KeypointVocabulary.fill(parsed, part: k.name, values: values))
        }
    }

    init(json: JSONValue, path: String, defaultTemplates: [(text: String, field: String)]?) throws {
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
        let own = try r.oneOrMoreStrings("template", of: ("template", "templates"))
        guard let texts = own ?? defaultTemplates else {
            throw JSONFieldError(
                field: r.fieldPath("template"),
                message: "missing required field (the file has no top-level template either)")
        }
        for t in texts {
            do throws(PromptTemplateError) {
                _ = try PromptTemplate(t.text).fill(part: "", values: values)
            } catch {
                throw JSONFieldError(
                    field: own != nil ? t.field : r.fieldPath("values"),
                    message: "template \"\(t.text)\": \(error.message)")
            }
        }
        templates = texts.map(\.text)
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
    /// Optional full prompts used instead of the templates (several are ensembled).
    public var prompts: [String]?

    public init(id: Int, name: String, prompt: String? = nil) {
        self.init(id: id, name: name, prompts: prompt.map { [$0] })
    }

    public init(id: Int, name: String, prompts: [String]?) {
        self.id = id
        self.name = name
        self.prompts = prompts
    }

    /// The first own prompt (the only one unless several are ensembled); setting it replaces
    /// them all.
    public var prompt: String? {
        get { prompts?.first }
        set { prompts = newValue.map { [$0] } }
    }

    enum CodingKeys: String, CodingKey {
        case id, name, prompt
    }

    /// As read: `prompt` is a string when there is one, an array when there are several.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        if let prompts { try c.encodeTexts(prompts, one: .prompt, many: .prompt) }
    }

    init(json: JSONValue, path: String) throws {
        let r = try JSONObjectReader(json, path: path, known: ["id", "name", "prompt"])
        id = try r.integer("id", minimum: 0)
        name = try r.string("name").trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else {
            throw JSONFieldError(field: r.fieldPath("name"), message: "expected a non-empty string")
        }
        let own = try r.oneOrMoreStrings("prompt", of: ("prompt", "prompts"))
        for p in own ?? [] where p.text.trimmingCharacters(in: .whitespaces).isEmpty {
            throw JSONFieldError(field: p.field, message: "expected a non-empty string")
        }
        prompts = own?.map(\.text)
    }
}

/// A keypoint to localize: its name and the texts CLIP scores against.
///
/// Several prompts make an ensemble (CLIP's prompt ensembling): the keypoint's text embedding is
/// the L2-normalised mean of its prompts' L2-normalised embeddings (`Localizer.textEmbeddings(for:)`).
/// Encoded with `"prompt": "..."` when there is one prompt (as before ensembles existed, so
/// older files still compare equal) and `"prompts": [...]` when there are several; decoding
/// accepts both.
public struct KeypointQuery: Codable, Sendable, Equatable {
    /// The dataset id, `nil` for free text.
    public var id: Int?
    public var name: String
    /// One prompt, or several ensembled; never empty when built by a vocabulary.
    public var prompts: [String]

    public init(id: Int?, name: String, prompt: String) {
        self.init(id: id, name: name, prompts: [prompt])
    }

    public init(id: Int?, name: String, prompts: [String]) {
        self.id = id
        self.name = name
        self.prompts = prompts
    }

    /// The first prompt (the only one unless several are ensembled); setting it replaces them all.
    public var prompt: String {
        get { prompts.first ?? "" }
        set { prompts = [newValue] }
    }

    enum CodingKeys: String, CodingKey {
        case id, name, prompt, prompts
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(Int.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        prompts = try c.decodeTexts(one: .prompt, many: .prompts)
    }

    /// Prompts or templates as one settings string (results headers, the dataset digest): one
    /// text as itself, so that what a run without ensembles records is what it recorded before
    /// they existed; several as a JSON array.
    public static func recordedText(_ texts: [String]) -> String {
        guard texts.count != 1 else { return texts[0] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        // Encoding an array of strings cannot fail.
        return (try? encoder.encode(texts)).map { String(decoding: $0, as: UTF8.self) } ?? "\(texts)"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encodeTexts(prompts, one: .prompt, many: .prompts)
    }
}

extension KeyedEncodingContainer {
    /// One text as a string under `one`; none or several as an array under `many` (which may be
    /// the same key): how prompts and templates are written wherever a single one was before.
    mutating func encodeTexts(_ texts: [String], one: Key, many: Key) throws {
        if texts.count == 1 { try encode(texts[0], forKey: one) } else { try encode(texts, forKey: many) }
    }
}

extension KeyedDecodingContainer {
    /// What `encodeTexts` wrote: a string under `one`, or a non-empty array of at most
    /// `LocalizationLimits.promptsPerKeypoint` strings under `many`; exactly one of them.
    func decodeTexts(one: Key, many: Key) throws -> [String] {
        let hasOne = contains(one)
        guard hasOne != contains(many) else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: codingPath + [one],
                    debugDescription: "expected \"\(one.stringValue)\" or \"\(many.stringValue)\" (one of them)"))
        }
        if hasOne { return [try decode(String.self, forKey: one)] }
        let texts = try decode([String].self, forKey: many)
        guard !texts.isEmpty, texts.count <= LocalizationLimits.promptsPerKeypoint else {
            throw DecodingError.dataCorruptedError(
                forKey: many, in: self,
                debugDescription:
                    "\(texts.count) texts: expected 1...\(LocalizationLimits.promptsPerKeypoint) (LocalizationLimits.promptsPerKeypoint)"
            )
        }
        return texts
    }
}

// MARK: - Template override

extension KeypointVocabulary {
    /// The vocabulary with `template` in force for every category and keypoint (per-keypoint
    /// `prompt`s are dropped too): the `--template` ablation switch of `localize` and `eval`.
    /// - Throws: `badTemplate` if `template` lacks `{part}` or names a placeholder some category
    ///   has no value for.
    public func replacingTemplate(_ template: String) throws -> KeypointVocabulary {
        try replacingTemplates([template])
    }

    /// The vocabulary with the ensemble `templates` in force for every category and keypoint
    /// (per-keypoint `prompt`s are dropped too): `--template` given once or more.
    /// - Throws: `badTemplate` if a template lacks `{part}` or names a placeholder some category
    ///   has no value for, or if `templates` is empty; `tooManyTemplates` over
    ///   `LocalizationLimits.promptsPerKeypoint`.
    public func replacingTemplates(_ templates: [String]) throws -> KeypointVocabulary {
        guard !templates.isEmpty else {
            throw KeypointVocabularyError.badTemplate(template: "", message: "expected at least one template")
        }
        try Self.checkTemplateCount(templates.count)
        var copy = self
        copy.templates = templates
        for i in copy.categories.indices {
            copy.categories[i].templates = templates
            for j in copy.categories[i].keypoints.indices { copy.categories[i].keypoints[j].prompts = nil }
        }
        for template in templates {
            let parsed = try Self.parse(template)
            guard parsed.placeholders.contains(PromptTemplate.part) else {
                throw KeypointVocabularyError.badTemplate(template: template, message: "needs {part}")
            }
            for c in categories {
                if let missing = parsed.placeholders.first(where: { $0 != PromptTemplate.part && c.values[$0] == nil })
                {
                    throw KeypointVocabularyError.badTemplate(
                        template: template, message: "category \(c.name) has no value for {\(missing)} in \(source)")
                }
            }
        }
        return copy
    }
}

extension JSONObjectReader {
    /// The field `key` as one string or a non-empty array of at most
    /// `LocalizationLimits.promptsPerKeypoint` strings, each with its field path (`template`,
    /// `template[1]`); nil when absent. `noun` names one element and several.
    func oneOrMoreStrings(
        _ key: String, of noun: (one: String, many: String)
    ) throws(JSONFieldError) -> [(text: String, field: String)]? {
        guard has(key) else { return nil }
        let value = try required(key)
        if case .string(let s) = value { return [(s, fieldPath(key))] }
        guard case .array = value else {
            throw JSONFieldError(
                field: fieldPath(key), message: "expected a string or an array of strings, got \(value.brief)")
        }
        let values = try nonEmptyArray(
            key, of: noun, atMost: LocalizationLimits.promptsPerKeypoint,
            limitName: "LocalizationLimits.promptsPerKeypoint")
        var texts: [(text: String, field: String)] = []
        for (i, v) in values.enumerated() {
            let field = fieldPath(key) + "[\(i)]"
            guard case .string(let s) = v else {
                throw JSONFieldError(field: field, message: "expected a string, got \(v.brief)")
            }
            texts.append((s, field))
        }
        return texts
    }

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
