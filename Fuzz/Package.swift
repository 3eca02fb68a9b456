// swift-tools-version:6.0
// Fuzzing harness for keypoints' parsers of outside input (issue 15), kept out of the main
// package so `swift build` and `swift test` never build it. Build and run with Fuzz/run.sh,
// which passes -sanitize=fuzzer,address; see the README's "Fuzzing" section.
import Foundation
import PackageDescription

// A path dependency's identity is its folder name (main, a worktree, a clone): use the parent's.
let parent = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "keypoints-fuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(
            name: "KeypointsFuzz",
            dependencies: [.product(name: "KeypointsKit", package: parent)]
        )
    ],
    swiftLanguageModes: [.v6]
)
