import Testing

/// How ReadmeDocument attributes options the README writes (the rules ReadmeOptionsTests rely
/// on), on small documents.
@Suite struct ReadmeDocumentTests {
    static let commands = ["", "eval", "localize", "model", "model fetch"]

    static func mentions(_ text: String) -> [(String, ReadmeDocument.Owners)] {
        ReadmeDocument(text: text, commands: commands).mentions.map { ($0.option, $0.owners) }
    }

    /// `PAPER="--grid dense30 --fit crop"`, given to commands as `$PAPER`: its options are the
    /// section's commands' (any command's here), so a renamed option or a wrong value shows.
    @Test func optionsInAShellVariableAreRead() {
        let found = Self.mentions(
            """
            ## Reproducing
            ```sh
            PAPER="--grid dense30 --fit crop"
            keypoints eval --dataset cub $PAPER
            OTHER="a b --c"
            ```
            """)
        #expect(found.map(\.0) == ["--grid", "--fit", "--dataset"])
        #expect(found.first?.1 == .anyCommand)
    }

    /// Options after `keypoints WORD` where WORD is no command belong to WORD, which has none,
    /// instead of going unread.
    @Test func optionsAfterAnUnknownCommandAreItsOwn() {
        let found = Self.mentions(
            """
            ## Evaluating
            ```sh
            keypoints evaluate --dataset cub --split val
            warning: keypoints are in the stored frame; --exif-transpose applies it
            ```
            A mistyped command (`keypoints locallize`) suggests the nearest.
            """)
        #expect(found.map(\.0) == ["--dataset", "--split"])
        #expect(found.allSatisfy { $0.1 == .commands(["evaluate"]) })
    }
}
