import ArgumentParser

@main
struct KeypointsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keypoints",
        abstract: "Find named keypoints in photos by visual prompting of CLIP (no training).",
        discussion: """
            A red circle is drawn at candidate locations and each marked image is scored with CLIP \
            against a prompt such as "This is the beak of a bird". Models are Hugging Face \
            openai/clip-vit-* directories (config.json, model.safetensors, vocab.json, merges.txt).
            """,
        subcommands: [LocalizeCommand.self, EvalCommand.self, ReportCommand.self, SaliencyCommand.self, EmbedCommand.self, InfoCommand.self, BenchCommand.self, ExperimentCommand.self, ModelCommand.self]
    )
}
