#!/usr/bin/env bash
# The paper's SPair-71k protocol: crop to the annotated box (x1 137, y1 127, x2 282, y2 223), then
# search inside it for the horse keypoints of keypoints/spair.json.
set -euo pipefail
# The model fetched by `keypoints model fetch ViT-L/14-336` (by name), unless KEYPOINTS_MODEL names
# another (a name, ORG/NAME or a directory).
model="${KEYPOINTS_MODEL:-ViT-L/14-336}"
swift build -c release --product keypoints >&2
.build/release/keypoints localize examples/horse/2008_007277.jpg --model "$model" \
    --vocabulary spair --category horse --box 137,127,145,96 --crop-to-box \
    --heatmap out/horse/heatmaps --overlay out/horse/overlay.png
