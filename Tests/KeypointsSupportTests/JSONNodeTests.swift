import Foundation
import Testing

@testable import KeypointsSupport

/// The strict JSON reader's errors: each names the file (when given), the field path, what was
/// expected and what was found.
@Suite struct JSONNodeTests {
    static func node(_ text: String, file: String? = "data.json") throws -> JSONNode {
        try JSONNode.parse(Data(text.utf8), file: file)
    }

    /// The error `body` throws, or nil.
    static func error(_ body: () throws -> Void) -> JSONFieldError? {
        do {
            try body()
            return nil
        } catch {
            return error as? JSONFieldError
        }
    }

    @Test func syntaxErrorNamesTheFile() {
        let e = Self.error { _ = try Self.node("{\"a\": [1, 2,}") }
        #expect(e?.file == "data.json")
        #expect(e?.field == "(JSON syntax)")
        #expect(e?.message.hasPrefix("invalid JSON") == true)
        #expect(e?.description.hasPrefix("data.json: (JSON syntax): invalid JSON") == true)
    }

    /// A vocabulary or grid file with a syntax error said only "invalid JSON: The given data was
    /// not valid JSON"; the line and column are given (columns count characters, not bytes).
    @Test func syntaxErrorsGiveLineAndColumn() {
        let cases: [(text: String, line: Int, column: Int)] = [
            ("{\n  \"categories\": [\n    {\"name\": \"bird\",, }\n  ]\n}\n", 3, 21),
            ("{\"a\": 1,\n \"é\": \"x\", \"b\": x}", 2, 17),
            ("{\"a\": 1} x", 1, 10),
        ]
        for (text, line, column) in cases {
            let e = Self.error { _ = try Self.node(text) }
            #expect(e?.field == "(JSON syntax)")
            #expect(
                e?.message.hasPrefix("invalid JSON at line \(line), column \(column): ") == true,
                "\(text): \(String(describing: e))")
        }
        // No offset to give (the text ends early): the parser's words alone.
        let cut = Self.error { _ = try Self.node("{\"a\": [1, 2") }
        #expect(cut?.message.hasPrefix("invalid JSON: ") == true, "\(String(describing: cut))")
    }

    @Test func pathsReachNestedFields() throws {
        let root = try Self.node(#"{"annotations": [{"bbox": [1, 2, "x", 4]}]}"#)
        let bbox = try root.field("annotations").array()[0].field("bbox").array()
        #expect(try bbox[1].number() == 2)
        let e = Self.error { _ = try bbox[2].number() }
        #expect(
            e
                == JSONFieldError(
                    file: "data.json", field: "annotations[0].bbox[2]", message: "expected a number, got \"x\""))
        #expect(e?.description == "data.json: annotations[0].bbox[2]: expected a number, got \"x\"")
    }

    @Test func missingAndNullFields() throws {
        let root = try Self.node(#"{"a": null}"#)
        #expect(Self.error { _ = try root.field("b") }?.description == "data.json: b: missing required field")
        #expect(try root.field("a").isNull)
        #expect(Self.error { _ = try root.required("a") }?.description == "data.json: a: missing required field (null)")
        #expect(Self.error { _ = try root.field("a").field("c") }?.message == "expected an object, got null")
        let top = try Self.node("[1]")
        #expect(Self.error { _ = try top.field("x") }?.field == "(top level)")
    }

    @Test func integersCoordinatesAndBooleans() throws {
        let root = try Self.node(#"{"n": 2.5, "m": 0, "c": -1, "b": true, "s": "3"}"#, file: nil)
        #expect(Self.error { _ = try root.field("n").integer() }?.description == "n: expected an integer, got 2.5")
        #expect(
            Self.error { _ = try root.field("m").integer(minimum: 2) }?.message == "expected an integer >= 2, got 0")
        #expect(try root.field("m").integer(minimum: 0) == 0)
        #expect(Self.error { _ = try root.field("c").coordinate() }?.message == "expected a coordinate >= 0, got -1")
        #expect(Self.error { _ = try root.field("b").number() }?.message == "expected a number, got true")
        #expect(Self.error { _ = try root.field("s").integer() }?.message == "expected an integer, got \"3\"")
        #expect(Self.error { _ = try root.field("n").integer() }?.file == nil)
    }

    @Test func longStringsAreCutInMessages() throws {
        let long = String(repeating: "x", count: 100)
        let root = try Self.node("{\"a\": \"\(long)\"}")
        let e = Self.error { _ = try root.field("a").number() }
        #expect(e?.message == "expected a number, got \"\(String(repeating: "x", count: 40))...\"")
    }

    @Test func objectMembersInKeyOrder() throws {
        let root = try Self.node(#"{"kps": {"2": null, "10": [1, 2], "1": [3, 4]}}"#)
        let members = try root.field("kps").object()
        #expect(members.map(\.0) == ["1", "10", "2"])
        #expect(members.map(\.1.path) == ["kps.1", "kps.10", "kps.2"])
        #expect(members[2].1.isNull)
    }

    @Test func strictObjectsRefuseUnknownFields() throws {
        let root = try Self.node(#"{"grid": 3, "topk": 2}"#, file: "grids/x.json")
        let e = Self.error { _ = try root.object(known: ["grid", "top_k"]) }
        #expect(e?.description == "grids/x.json: topk: unknown field (known fields: grid, top_k)")
        let r = try Self.node(#"{"grid": 3, "fit": "crop", "top_k": null}"#).object(known: ["grid", "fit", "top_k"])
        #expect(try r.integer("grid", minimum: 2) == 3)
        #expect(try r.optionalInteger("top_k", minimum: 1) == nil)
        #expect(
            Self.error { _ = try r.choice("fit", among: ["pad", "stretch"]) }?.description
                == "data.json: fit: expected one of \"pad\", \"stretch\", got \"crop\"")
        #expect(Self.error { _ = try r.integer("grid", minimum: 4) }?.message == "expected an integer >= 4, got 3")
    }
}
