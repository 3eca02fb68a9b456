#!/usr/bin/env bash
# Free-text face landmarks with a prompt template.
set -euo pipefail
model="${KEYPOINTS_MODEL:-$HOME/models/clip-vit-large-patch14-336}"
swift build -c release --product keypoints >&2
.build/release/keypoints localize examples/faces/000000.png --model "$model" \
    --keypoint "tip of the nose" --keypoint "left eye" --keypoint "right corner of the mouth" \
    --template "This is the {part} of a face" --overlay out/faces/overlay.png --json
