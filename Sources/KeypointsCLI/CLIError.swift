import Foundation
import KeypointsSupport
import ModelStore

/// Runtime failures of the command line (argument problems are `ValidationError`s). The message
/// is made display-safe (`displaySafe`) here, once for every call site: they quote paths,
/// names and other errors.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description.displaySafe }
}

extension ModelStore {
    /// `resolve`, with the option that named the model in front of the error
    /// ("--saliency-model: /nonexist: no such model directory").
    func resolve(_ nameOrPath: String, option: String) throws -> URL {
        do { return try resolve(nameOrPath) } catch let error as ModelStoreError {
            throw CLIError("\(option): \(error)")
        }
    }
}
