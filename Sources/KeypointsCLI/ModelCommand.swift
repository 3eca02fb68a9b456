import ArgumentParser
import Foundation
import KeypointsSupport
import ModelStore

/// `keypoints model list|fetch|rm`: the local model cache.
struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "List, download and remove CLIP models in the local cache.",
        discussion: """
            Models are cached in $KEYPOINTS_HOME/models (default ~/.cache/keypoints/models), one folder \
            per Hugging Face repository. Every --model option takes a known name (keypoints model list), \
            a repository id ORG/NAME that was fetched, or a model directory.
            Examples:
              keypoints model fetch ViT-L/14-336
              keypoints model fetch openai/clip-vit-base-patch32 --revision main
              keypoints model list --json
            """,
        subcommands: [List.self, Fetch.self, Remove.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Show the known models and what is installed, with sizes.",
            discussion: """
                Examples:
                  keypoints model list
                  keypoints model list --json
                """
        )

        @Flag(help: "Print exactly one JSON document.")
        var json = false

        struct Output: Encodable {
            let cache: String
            let models: [ModelStore.Entry]
        }

        func run() throws {
            let store = ModelStore()
            let entries = store.list()
            if json {
                try Console.printJSON(Output(cache: store.modelsDirectory.path, models: entries))
                return
            }
            let rows = entries.map { e -> [String] in
                let state: String
                switch e.state {
                case .installed: state = "installed"
                case .partial: state = "partial (fetch resumes)"
                case .notInstalled: state = "-"
                }
                let size =
                    e.sizeOnDisk.map(FetchProgress.bytes) ?? e.downloadSize.map { "(" + FetchProgress.bytes($0) + ")" }
                    ?? "-"
                // Names and repositories come from the registry and the cache's folders.
                return [(e.name + (e.isDefault ? " *" : "")).displaySafe, e.repository.displaySafe, state, size]
            }
            let header = ["NAME", "REPOSITORY", "STATE", "SIZE"]
            let widths = (0..<header.count).map { c in ([header] + rows).map { $0[c].count }.max() ?? 0 }
            func line(_ cells: [String]) -> String {
                cells.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                    .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
            }
            print(line(header))
            for r in rows { print(line(r)) }
            print("")
            Console.result("* default model (localize, eval)    cache: \(store.modelsDirectory.path)")
            if !entries.contains(where: { $0.state == .installed }) {
                print("nothing installed yet: \(ModelStoreError.fetchCommand(ModelRegistry.defaultModelName))")
            }
        }
    }

    struct Fetch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fetch",
            abstract: "Download a model into the cache (resumable, verified, installed atomically).",
            discussion: """
                NAME is a known model (keypoints model list) or any Hugging Face repository id ORG/NAME \
                of a CLIP model holding config.json, model.safetensors, vocab.json and merges.txt (a \
                repository without model.safetensors but with model.safetensors.index.json gets the index \
                and every shard it names, checked to be plain file names before any is downloaded; a \
                misspelled known name such as ViT-B/33 is refused with the nearest, not looked up). An \
                interrupted fetch resumes where it stopped when run again. Prints the installed folder \
                on stdout. The endpoint defaults to $KEYPOINTS_HF_ENDPOINT, then $HF_ENDPOINT, then \
                https://huggingface.co. The revision defaults to the known model's own (refs/pr/1 for \
                dino-vits16 and dino-vitb16, whose main branch has no safetensors; main for the others \
                and for repository ids).

                Examples:
                  keypoints model fetch ViT-L/14-336
                  keypoints model fetch dino-vits16
                  keypoints model fetch openai/clip-vit-base-patch32 --revision main
                  keypoints model fetch ViT-B/32 --endpoint https://hf-mirror.example.org
                """
        )

        @Argument(help: ArgumentHelp("A known model name or a Hugging Face repository id.", valueName: "name"))
        var name: String
        @Option(help: ArgumentHelp("Hub or mirror base URL.", valueName: "url"))
        var endpoint: String?
        @Option(
            help: ArgumentHelp(
                "Branch, tag or commit (default: the known model's revision, refs/pr/1 for dino-vits16 and dino-vitb16; else main).",
                valueName: "rev"))
        var revision: String?
        @Flag(help: "Download again even if the model is installed.")
        var force = false
        // `.unconditional` on numbers (as --threads): "--retries -1" reaches validate().
        @Option(
            parsing: .unconditional,
            help: ArgumentHelp("Automatic resumes per file after a dropped connection.", valueName: "n"))
        var retries = 3
        @Option(
            parsing: .unconditional,
            help: ArgumentHelp("Seconds without data before a transfer counts as stalled.", valueName: "s"))
        var timeout: Double = 60

        func validate() throws {
            if retries < 0 { throw ValidationError("--retries must be at least 0, got \(retries)") }
            if !(timeout > 0) { throw ValidationError("--timeout must be positive, got \(timeout)") }
            if let revision, revision.isEmpty { throw ValidationError("--revision is empty") }
        }

        func run() async throws {
            let store = ModelStore()
            let options = FetchOptions(
                endpoint: endpoint ?? ModelStore.defaultEndpoint(), revision: revision,
                retries: retries, timeout: timeout, force: force)
            let printer = FetchPrinter()
            let result: FetchResult
            do {
                result = try await store.fetch(name, options: options) { printer.handle($0) }
            } catch let error as ModelStoreError {
                printer.end()
                throw CLIError(error.description)
            }
            printer.end()
            let m = result.manifest
            if result.alreadyInstalled {
                Console.note(
                    "\(m.name) is already installed (revision \(m.revision)); use --force to download it again")
            } else {
                let checked = m.files.filter { $0.verified != "recorded" }.map(\.name)
                Console.note(
                    "installed \(m.name) from \(m.repository)@\(m.revision): \(m.files.count) files, "
                        + FetchProgress.bytes(m.totalSize)
                        + (checked.isEmpty
                            ? "; SHA-256 recorded in \(ModelManifest.fileName)"
                            : "; SHA-256 verified for \(checked.joined(separator: ", "))"))
            }
            print(result.folder.path)
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm",
            abstract: "Delete a model from the cache (and any interrupted fetch of it).",
            discussion: """
                Examples:
                  keypoints model rm ViT-B/32
                  keypoints model rm openai/clip-vit-base-patch32
                """
        )

        @Argument(help: ArgumentHelp("A known model name or a Hugging Face repository id.", valueName: "name"))
        var name: String

        func run() throws {
            do {
                for url in try ModelStore().remove(name) { Console.result("removed \(url.path)") }
            } catch let error as ModelStoreError {
                throw CLIError(error.description)
            }
        }
    }
}

/// Draws fetch progress on stderr: redrawn in place on a terminal, otherwise one line per file
/// every 25% (logs stay short). Events arrive on a background queue.
private final class FetchPrinter: @unchecked Sendable {
    private let lock = NSLock()
    private let isTerminal = isatty(2) != 0
    private var lastQuarter: [String: Int] = [:]
    private var drawing = false

    func handle(_ event: FetchEvent) {
        lock.withLock {
            switch event {
            case .progress(let p):
                if isTerminal {
                    Console.progress(p.render())
                    drawing = true
                    if p.finished {
                        Console.endProgress()
                        drawing = false
                    }
                } else {
                    let quarter =
                        p.finished ? 4 : min(3, p.bytesTotal.map { $0 > 0 ? Int(4 * p.bytesDone / $0) : 0 } ?? 0)
                    guard quarter > lastQuarter[p.file, default: -1] else { return }
                    lastQuarter[p.file] = quarter
                    Console.note(p.render())
                }
            case .retrying(let file, let attempt, let of, let reason):
                endLine()
                Console.warning("\(file): \(reason) (resuming, attempt \(attempt) of \(of))")
            case .skippedOptional(let file):
                endLine()
                Console.note("\(file): not in the repository (optional), skipped")
            case .reused(let file):
                endLine()
                Console.note("\(file): already downloaded by an earlier fetch")
            case .sharded(let index):
                endLine()
                Console.note("model.safetensors: not in the repository; fetching the sharded checkpoint's \(index)")
            case .shards(let names):
                endLine()
                Console.note(
                    "\(SafeTensorsIndex.fileName) names \(names.count) shards: \(names.joined(separator: ", "))")
            }
        }
    }

    func end() { lock.withLock { endLine() } }

    private func endLine() {
        if drawing {
            Console.endProgress()
            drawing = false
        }
    }
}
