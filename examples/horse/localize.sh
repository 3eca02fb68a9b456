#!/usr/bin/env bash
# The paper's SPair-71k protocol: crop to the annotated box (x1 137, y1 127, x2 282, y2 223), then
# search inside it for the horse keypoints of keypoints/spair.json.
set -euo pipefail
model="${KEYPOINTS_MODEL:-$HOME/models/clip-vit-large-patch14-336}"
swift build -c release --product keypoints >&2
.build/release/keypoints localize examples/horse/2008_007277.jpg --model "$model" \
    --vocabulary spair --category horse --box 137,127,145,96 --crop-to-box \
    --heatmap out/horse/heatmaps --overlay out/horse/overlay.png
