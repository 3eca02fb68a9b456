#!/usr/bin/env bash
# CUB's 15 parts on an albatross: table on stdout, heatmaps and an overlay in out/birds/.
set -euo pipefail
# The model fetched by `keypoints model fetch ViT-L/14-336` (by name), unless KEYPOINTS_MODEL names
# another (a name, ORG/NAME or a directory).
model="${KEYPOINTS_MODEL:-ViT-L/14-336}"
swift build -c release --product keypoints >&2
.build/release/keypoints localize examples/birds/albatross.jpg --model "$model" --vocabulary cub \
    --heatmap out/birds/heatmaps --overlay out/birds/overlay.png --scores out/birds/scores.json
