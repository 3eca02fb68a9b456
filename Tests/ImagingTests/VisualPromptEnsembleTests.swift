import Foundation
import Testing

@testable import Imaging

/// The visual-prompt ensemble's JSON and validation, and that the single prompts' JSON and
/// descriptions (recorded in presets and results headers) are exactly what they were.
@Suite("Visual prompt ensembles")
struct VisualPromptEnsembleTests {
    static let paperMarkerJSON =
        #"{"color":[255,0,0],"radius":0.06,"shape":"circle","thickness":0.01,"units":"fraction"}"#

    static func encoded(_ p: VisualPrompt) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(p), as: UTF8.self)
    }

    static func decode(_ json: String) throws -> VisualPrompt {
        try JSONDecoder().decode(VisualPrompt.self, from: Data(json.utf8))
    }

    /// The field a decoding error names, e.g. "prompts/1/type" (a missing key: its path and name).
    static func path(of error: any Error) -> String {
        let keys: [any CodingKey] =
            switch error as? DecodingError {
            case .dataCorrupted(let c), .typeMismatch(_, let c), .valueNotFound(_, let c): c.codingPath
            case .keyNotFound(let key, let c): c.codingPath + [key]
            default: []
            }
        return keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: "/")
    }

    @Test("single prompts encode and describe exactly as before ensembles existed")
    func singlePromptsUnchanged() throws {
        let m = Self.paperMarkerJSON
        let cases: [(VisualPrompt, json: String, description: String)] = [
            (.paper, #"{"marker":\#(m),"type":"marker"}"#, "marker circle rgb(255,0,0) r 0.06H t 0.01H"),
            (
                .markerBlurOutside(.paper, sigma: 8), #"{"marker":\#(m),"sigma":8,"type":"markerBlurOutside"}"#,
                "marker circle rgb(255,0,0) r 0.06H t 0.01H, blur outside sigma 8.0 px"
            ),
            (
                .markerGreyOutside(.paper), #"{"marker":\#(m),"type":"markerGreyOutside"}"#,
                "marker circle rgb(255,0,0) r 0.06H t 0.01H, grey outside"
            ),
            (
                .crop(.fraction(0.25)), #"{"fraction":0.25,"type":"crop"}"#,
                "crop of the photo (or box crop), side \(CropSide.fraction(0.25)), window kept inside"
            ),
            (
                .crop(.pixels(64)), #"{"pixels":64,"type":"crop"}"#,
                "crop of the photo (or box crop), side \(CropSide.pixels(64)), window kept inside"
            ),
        ]
        for (prompt, json, description) in cases {
            #expect(try Self.encoded(prompt) == json)
            #expect(try Self.decode(json) == prompt)
            #expect(prompt.description == description)
            #expect(prompt.members == [prompt])
        }
    }

    @Test("an ensemble round-trips through JSON and lists its members in order")
    func ensembleRoundTrip() throws {
        let square = MarkerStyle(shape: .square, color: RGB(0, 0, 255), radius: 30, thickness: 4, units: .pixels)
        let prompts: [VisualPrompt] = [
            .paperEnsemble(sigma: 8), .paperEnsemble(square, sigma: 3),
            .ensemble([.paper, .crop(.fraction(0.3))]),
            .ensemble(Array(repeating: .markerGreyOutside(.paper), count: 8)),
        ]
        for p in prompts {
            let json = try Self.encoded(p)
            #expect(json.hasPrefix(#"{"prompts":["#) && json.hasSuffix(#""type":"ensemble"}"#), "\(json)")
            #expect(try Self.decode(json) == p)
            try p.validate()
        }
        let ensemble = VisualPrompt.paperEnsemble(square, sigma: 3)
        #expect(
            ensemble.members == [.marker(square), .markerBlurOutside(square, sigma: 3), .markerGreyOutside(square)])
        #expect(ensemble.markerStyle == square)
        #expect(
            try Self.decode(#"{"type": "ensemble", "prompts": [{"type": "marker"}, {"type": "markerGreyOutside"}]}"#)
                == .ensemble([.paper, .markerGreyOutside(.paper)]))
        #expect(ensemble.description.hasPrefix("ensemble of 3 (mean score): [marker square"), "\(ensemble)")
    }

    @Test("an ensemble's recorded description has a short label: its members by kind")
    func shortLabel() {
        let square = MarkerStyle(shape: .square, color: RGB(0, 0, 255), radius: 30, thickness: 4, units: .pixels)
        let cases: [(VisualPrompt, String)] = [
            (.paperEnsemble(sigma: 8), "ensemble of 3: circle, circle+blur, circle+grey"),
            (.paperEnsemble(square, sigma: 3), "ensemble of 3: square, square+blur, square+grey"),
            (.ensemble([.paper, .crop(.fraction(0.3))]), "ensemble of 2: circle, crop"),
        ]
        for (prompt, label) in cases {
            #expect(VisualPrompt.shortLabel(ofDescription: prompt.description) == label, "\(prompt)")
        }
        // A single prompt's description is already short; text this type did not write is kept.
        for text in [
            VisualPrompt.markerGreyOutside(.paper).description, "ensemble of 3 (mean score): no brackets",
            "ensemble of many", "",
        ] {
            #expect(VisualPrompt.shortLabel(ofDescription: text) == text)
        }
    }

    /// Every kind `description` can write, with custom markers (each shape, pixel and fraction
    /// sizes, other colours), and ensembles of 2 to 8 of them, mixed markers included.
    static var everyKind: [VisualPrompt] {
        let markers =
            [MarkerStyle.paper]
            + MarkerShape.allCases.map {
                MarkerStyle(shape: $0, color: RGB(0, 128, 255), radius: 12.5, thickness: 2, units: .pixels)
            } + [MarkerStyle(shape: .arrow, color: RGB(255, 255, 0), radius: 0.1, thickness: 0.02, units: .fraction)]
        var singles: [VisualPrompt] = [.crop(.standard), .crop(.fraction(0.3)), .crop(.pixels(64))]
        for m in markers {
            singles += [
                .marker(m), .markerBlurOutside(m, sigma: 8), .markerBlurOutside(m, sigma: 0.5), .markerGreyOutside(m),
            ]
        }
        var ensembles = markers.map { VisualPrompt.paperEnsemble($0, sigma: 3) }
        for size in VisualPrompt.ensembleMembers {
            for start in stride(from: 0, to: singles.count - size, by: 3) {
                ensembles.append(.ensemble(Array(singles[start..<(start + size)])))
            }
        }
        return singles + ensembles
    }

    @Test("the label read from a recorded description is the prompt's own, for every kind description writes")
    func shortLabelOfEveryDescription() throws {
        var kinds = Set<String>()
        for prompt in Self.everyKind {
            try prompt.validate()
            // No default: a new kind fails to compile here until the samples cover it.
            switch prompt {
            case .marker: kinds.insert("marker")
            case .markerBlurOutside: kinds.insert("markerBlurOutside")
            case .markerGreyOutside: kinds.insert("markerGreyOutside")
            case .crop: kinds.insert("crop")
            case .ensemble: kinds.insert("ensemble")
            }
            #expect(VisualPrompt.shortLabel(ofDescription: prompt.description) == prompt.shortLabel, "\(prompt)")
        }
        #expect(kinds.count == 5)
        let blue = MarkerStyle(shape: .square, color: RGB(0, 0, 255), radius: 30, thickness: 4, units: .pixels)
        let arrow = MarkerStyle(shape: .arrow, color: .red, radius: 0.1, thickness: 0.02, units: .fraction)
        #expect(
            VisualPrompt.ensemble([.marker(blue), .markerBlurOutside(arrow, sigma: 2), .crop(.pixels(64))]).shortLabel
                == "ensemble of 3: square, arrow+blur, crop")
        #expect(VisualPrompt.markerGreyOutside(blue).shortLabel == VisualPrompt.markerGreyOutside(blue).description)
    }

    @Test("an ensemble of one marker names the marker once in its compact description")
    func compactDescription() {
        let green = MarkerStyle(shape: .circle, color: RGB(0, 255, 0), radius: 0.06, thickness: 0.01, units: .fraction)
        let paper = VisualPrompt.paperEnsemble(green, sigma: 8)
        #expect(
            paper.compactDescription
                == "ensemble of 3 (mean score): marker, marker + blur outside sigma 8.0 px, marker + grey outside; "
                + "marker \(green)")
        #expect(paper.compactDescription.count < paper.description.count)
        // Members with different markers, or a crop, keep every member's full description.
        let square = MarkerStyle(shape: .square, color: RGB(0, 0, 255), radius: 30, thickness: 4, units: .pixels)
        for prompt in [
            VisualPrompt.ensemble([.marker(green), .markerGreyOutside(square)]),
            .ensemble([.marker(green), .crop(.fraction(0.3))]),
            .markerGreyOutside(green), .marker(square),
        ] {
            #expect(prompt.compactDescription == prompt.description, "\(prompt)")
        }
    }

    @Test(
        "bad ensembles are refused naming the field",
        arguments: [
            (#"{"type": "ensemble", "prompts": [{"type": "marker"}]}"#, "prompts"),
            (#"{"type": "ensemble", "prompts": []}"#, "prompts"),
            (#"{"type": "ensemble"}"#, "prompts"),
            (
                #"{"type": "ensemble", "prompts": [\#(Array(repeating: #"{"type": "marker"}"#, count: 9).joined(separator: ","))]}"#,
                "prompts"
            ),
            (
                #"{"type": "ensemble", "prompts": [{"type": "marker"}, {"type": "ensemble", "prompts": [{"type": "marker"}, {"type": "marker"}]}]}"#,
                "prompts/1/type"
            ),
            (
                #"{"type": "ensemble", "prompts": [{"type": "marker"}, {"type": "markerBlurOutside", "sigma": 0}]}"#,
                "prompts/1/sigma"
            ),
            (
                #"{"type": "ensemble", "prompts": [{"type": "marker"}, {"type": "crop", "fraction": 2}]}"#,
                "prompts/1/fraction"
            ),
            (#"{"type": "ensemble", "prompts": [{"type": "marker"}, {"type": "star"}]}"#, "prompts/1/type"),
        ])
    func badEnsembleJSON(json: String, field: String) {
        #expect {
            try Self.decode(json)
        } throws: { error in
            Self.path(of: error) == field
        }
    }

    @Test("validate() refuses ensembles of the wrong size, nested or with a bad member, naming the field")
    func validation() {
        let bad: [(VisualPrompt, String)] = [
            (.ensemble([.paper]), "visual prompt ensemble prompts"),
            (.ensemble(Array(repeating: .paper, count: 9)), "visual prompt ensemble prompts"),
            (.ensemble([.paper, .paperEnsemble(sigma: 8)]), "visual prompt ensemble prompts[1]"),
            (.ensemble([.paper, .markerBlurOutside(.paper, sigma: -1)]), "visual prompt sigma"),
        ]
        for (prompt, name) in bad {
            #expect {
                try prompt.validate()
            } throws: { error in
                guard case .invalidParameter(let n, _, _) = error as? CanvasError else { return false }
                return n == name
            }
        }
    }

    @Test("a renderer renders one image: an ensemble is refused, its members render as themselves")
    func renderersPerMember() throws {
        let photo = MarkerVisualPromptTests.texture()
        let geometry = try CanvasGeometry(imageWidth: photo.width, imageHeight: photo.height, size: 64, fitMode: .pad)
        let ensemble = VisualPrompt.paperEnsemble(sigma: 2)
        #expect(throws: CanvasError.self) { try CandidateRenderer(prompt: ensemble, photo: photo, geometry: geometry) }
        let renderers = try CandidateRenderer.members(of: ensemble, photo: photo, geometry: geometry)
        #expect(renderers.map(\.prompt) == ensemble.members)
        let p = Point(x: 40.5, y: 30.25)
        for (r, member) in zip(renderers, ensemble.members) {
            #expect(
                r.render(at: p)
                    == (try CandidateRenderer(prompt: member, photo: photo, geometry: geometry)).render(at: p))
        }
        let images = renderers.map { $0.render(at: p) }
        #expect(images[0] != images[1] && images[1] != images[2] && images[0] != images[2])
        #expect(throws: CanvasError.self) {
            try CandidateRenderer.members(of: .ensemble([.paper]), photo: photo, geometry: geometry)
        }
    }
}
