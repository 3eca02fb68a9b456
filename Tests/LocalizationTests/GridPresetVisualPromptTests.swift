import Foundation
import Imaging
import Testing

@testable import Localization

/// A grid preset's optional `visual_prompt` (e.g. the paper's three-image ensemble): decoded
/// strictly with errors naming the field path, absent from the shipped presets, which encode as
/// before, and used by `Localizer.defaultOptions`.
@Suite struct GridPresetVisualPromptTests {
    static var blue: [String: Any] {
        ["shape": "square", "color": [0, 0, 255], "radius": 20, "thickness": 3, "units": "pixels"]
    }

    static func withPrompt(_ prompt: Any) -> [String: Any] {
        var b = GridPresetTests.base()
        b["visual_prompt"] = prompt
        return b
    }

    @Test("an ensemble decodes; members without a marker take the preset's, a member's own marker wins")
    func ensembleDecodes() throws {
        let p = try GridPresetTests.decode(
            Self.withPrompt([
                "type": "ensemble",
                "prompts": [
                    ["type": "marker"], ["type": "markerBlurOutside", "sigma": 8],
                    ["type": "markerGreyOutside", "marker": Self.blue], ["type": "crop", "pixels": 64],
                ],
            ]))
        let square = MarkerStyle(shape: .square, color: RGB(0, 0, 255), radius: 20, thickness: 3, units: .pixels)
        let expected = VisualPrompt.ensemble([
            .paper, .markerBlurOutside(.paper, sigma: 8), .markerGreyOutside(square), .crop(.pixels(64)),
        ])
        #expect(p.visualPrompt == expected)
        #expect(Localizer.defaultOptions(for: p).prompt == expected)
        // The in-memory check (encode, then the strict reader) accepts what the reader made.
        try p.validate()
        #expect(try GridPreset.decode(JSONEncoder().encode(p), file: "again") == p)
        let single = try GridPresetTests.decode(Self.withPrompt(["type": "markerGreyOutside"]))
        #expect(single.effectiveVisualPrompt == .markerGreyOutside(.paper))
    }

    @Test("the grid fuzz target's ensemble seed is a valid preset with four members")
    func fuzzSeedDecodes() throws {
        let p = try GridPreset.load(from: Repo.root.appendingPathComponent("Fuzz/Seeds/grid/ensemble.json"))
        #expect(p.visualPrompt?.members.count == 4)
    }

    @Test("presets without visual_prompt: the marker alone, encoded without the field")
    func shippedPresetsAreUnchanged() throws {
        for name in ["fast", "dense30"] {
            let p = try Repo.preset(name)
            #expect(p.visualPrompt == nil && Localizer.defaultOptions(for: p).prompt == .marker(p.marker))
            let json = String(decoding: try JSONEncoder().encode(p), as: UTF8.self)
            #expect(!json.contains("visual_prompt"), "\(json)")
        }
    }

    @Test(
        "bad visual prompts are refused naming the field",
        arguments: [
            (#"{"type": "star"}"#, "visual_prompt.type", "expected one of"),
            (#"{"type": "marker", "sigma": 3}"#, "visual_prompt.sigma", "unknown field"),
            (#"{"type": "markerBlurOutside"}"#, "visual_prompt.sigma", "missing"),
            (#"{"type": "markerBlurOutside", "sigma": 0}"#, "visual_prompt.sigma", "expected a number > 0"),
            (#"{"type": "crop", "fraction": 1.5}"#, "visual_prompt.fraction", "0 < fraction <= 1"),
            (#"{"type": "crop", "fraction": 0.2, "pixels": 9}"#, "visual_prompt", "exactly one of"),
            (#"{"type": "crop", "pixels": 0}"#, "visual_prompt.pixels", "expected an integer >= 1"),
            (
                #"{"type": "ensemble", "prompts": [{"type": "marker"}]}"#, "visual_prompt.prompts",
                "expected 2...8 prompts, got 1"
            ),
            (
                #"{"type": "ensemble", "prompts": [\#(Array(repeating: #"{"type": "marker"}"#, count: 9).joined(separator: ","))]}"#,
                "visual_prompt.prompts", "got 9"
            ),
            (
                #"{"type": "ensemble", "prompts": [{"type": "marker"}, {"type": "ensemble", "prompts": []}]}"#,
                "visual_prompt.prompts[1].type", "no nesting"
            ),
            (
                #"{"type": "ensemble", "prompts": [{"type": "marker"}, {"type": "markerBlurOutside", "sigma": -2}]}"#,
                "visual_prompt.prompts[1].sigma", "expected a number > 0"
            ),
            (
                #"{"type": "ensemble", "prompts": [{"type": "marker", "marker": {"shape": "circle"}}, {"type": "marker"}]}"#,
                "visual_prompt.prompts[0].marker.color", "missing"
            ),
            ("[1, 2]", "visual_prompt", "expected an object"),
        ])
    func badPromptsNameTheField(prompt: String, field: String, message: String) throws {
        let object = try JSONSerialization.jsonObject(with: Data(prompt.utf8))
        let error = #expect(throws: GridPresetError.self) { try GridPresetTests.decode(Self.withPrompt(object)) }
        #expect(error?.field == field, "\(String(describing: error))")
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
    }
    /// A marker of `radius` and `thickness` in `units`, every key given (the preset is strict).
    static func marker(_ radius: Double, _ thickness: Double = 0.01, _ units: String = "fraction") -> String {
        #"{"shape": "circle", "color": [255, 0, 0], "radius": \#(radius), "thickness": \#(thickness), "units": "\#(units)"}"#
    }

    static func ensemble(of count: Int) -> String {
        #"{"type": "ensemble", "prompts": [\#(Array(repeating: #"{"type": "marker"}"#, count: count).joined(separator: ","))]}"#
    }

    @Test(
        "the grid-preset reader and VisualPrompt's own JSON decoding and validate() accept the same prompts",
        arguments: [
            (#"{"type": "markerBlurOutside", "sigma": 0}"#, false),
            (#"{"type": "markerBlurOutside", "sigma": -2}"#, false),
            (#"{"type": "markerBlurOutside", "sigma": 1e-9}"#, true),
            (#"{"type": "markerBlurOutside", "sigma": 8}"#, true),
            (#"{"type": "crop", "fraction": 0}"#, false),
            (#"{"type": "crop", "fraction": 1}"#, true),
            (#"{"type": "crop", "fraction": 1.000001}"#, false),
            (#"{"type": "crop", "pixels": 0}"#, false),
            (#"{"type": "crop", "pixels": 1}"#, true),
            (ensemble(of: 1), false), (ensemble(of: 2), true), (ensemble(of: 8), true), (ensemble(of: 9), false),
            (#"{"type": "marker", "marker": \#(marker(1))}"#, true),
            (#"{"type": "marker", "marker": \#(marker(0.06, 1))}"#, true),
            (#"{"type": "marker", "marker": \#(marker(1.5))}"#, false),
            (#"{"type": "marker", "marker": \#(marker(0))}"#, false),
            (#"{"type": "marker", "marker": \#(marker(20, 3, "pixels"))}"#, true),
            (#"{"type": "markerGreyOutside", "marker": \#(marker(20, -1, "pixels"))}"#, false),
        ])
    func sameBoundsAsImaging(prompt: String, valid: Bool) throws {
        let object = try JSONSerialization.jsonObject(with: Data(prompt.utf8))
        let preset = try? GridPresetTests.decode(Self.withPrompt(object))
        #expect((preset != nil) == valid, "grid preset reader: \(prompt)")
        let own = try? JSONDecoder().decode(VisualPrompt.self, from: Data(prompt.utf8))
        #expect((own != nil) == valid, "VisualPrompt's JSON decoding: \(prompt)")
        if let preset { #expect((try? preset.effectiveVisualPrompt.validate()) != nil, "validate(): \(prompt)") }
        if let own { #expect(preset?.effectiveVisualPrompt == own, "\(prompt)") }
    }
}
