import CLIP
import Evaluation
import Foundation
import Imaging
import KeypointsSupport
import Localization
import ModelStore
import Saliency
import Tensor
import TensorDNNL
import Testing

/// Every module's error type makes its message display-safe (`displaySafe`): one error of each,
/// quoting a name with controls, prints the escapes and no control.
@Suite struct ErrorMessageTests {
    static let hostile = TerminalTextTests.hostile
    static let escaped = TerminalTextTests.escaped

    @Test func everyErrorTypeEscapesWhatItQuotes() {
        let h = Self.hostile
        let errors: [(String, any CustomStringConvertible)] = [
            ("FileReadError", FileReadError(path: "f" + h, message: "m")),
            ("JSONFieldError", JSONFieldError(file: "f", field: "k" + h, message: "m")),
            ("SafeTensorsIndexError", SafeTensorsIndexError.missingShard(path: "p", shard: "s", key: "k" + h)),
            ("TensorError", TensorError.blasUnavailable("dlopen: " + h)),
            ("DNNLError", DNNLError.dnnl(call: "c", status: "s", problem: "p" + h)),
            ("SafeTensorsError", SafeTensorsError.unknownDType(path: "p", key: "k" + h, dtype: "X")),
            ("CLIPError", CLIPError.wrongShape(path: "p", key: "k" + h, expected: [1], actual: [2])),
            ("TokenizerError", TokenizerError.malformedMerge(path: "merges.txt", line: 2, content: "a" + h)),
            ("ModelStoreError", ModelStoreError.notADirectory(path: "p" + h)),
            ("ImageError", ImageError.unreadable(path: "p" + h, reason: "r")),
            ("CanvasError", CanvasError.invalidParameter(name: "n" + h, expected: "e", actual: "a")),
            ("SaliencyError", SaliencyError.badPreprocessor(path: "p", field: "f" + h, reason: "r")),
            ("PhotoBoxesError", PhotoBoxesError.repeatedPhoto(file: "f", photo: "p" + h, first: 2, second: 3)),
            ("KeypointVocabularyError", KeypointVocabularyError.unknownCategory(file: "f", name: "n", known: [h])),
            ("SearchError", SearchError.invalidArgument("a" + h)),
            ("GridPresetError", GridPresetError.invalidField(file: "f", field: "stages" + h, message: "m")),
            ("LocalizationError", LocalizationError.emptyPrompt(name: "n" + h)),
            ("EvaluationError", EvaluationError.unknownCategory(file: "f", line: 3, name: "n" + h, known: ["k" + h])),
        ]
        for (name, error) in errors {
            let text = error.description
            TerminalTextTests.expectSafe(text, holding: [Self.escaped])
            #expect(!text.contains("\n"), "\(name): \(text.debugDescription)")
        }
    }

    /// Escaping is in the message, not in the error's fields: they keep the text as read, so
    /// callers compare and look up names as they are.
    @Test func fieldsKeepTheRawText() {
        let error = EvaluationError.unknownCategory(file: "f", line: nil, name: "n" + Self.hostile, known: [])
        guard case .unknownCategory(_, _, let name, _) = error else {
            Issue.record("\(error)")
            return
        }
        #expect(name == "n" + Self.hostile)
        #expect(error.description == "f: unknown category \"n\(Self.escaped)\" (known: none)")
    }
}
