#!/usr/bin/env bash
# Free-text face landmarks with a prompt template.
set -euo pipefail
# The model fetched by `keypoints model fetch ViT-L/14-336` (by name), unless KEYPOINTS_MODEL names
# another (a name, ORG/NAME or a directory).
model="${KEYPOINTS_MODEL:-ViT-L/14-336}"
swift build -c release --product keypoints >&2
.build/release/keypoints localize examples/faces/000000.png --model "$model" \
    --keypoint "tip of the nose" --keypoint "left eye" --keypoint "right corner of the mouth" \
    --template "This is the {part} of a face" --overlay out/faces/overlay.png --json
