/// Runtime failures of the command line (argument problems are `ValidationError`s).
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
