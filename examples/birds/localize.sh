#!/usr/bin/env bash
# CUB's 15 parts on an albatross: table on stdout, heatmaps and an overlay in out/birds/.
set -euo pipefail
model="${KEYPOINTS_MODEL:-$HOME/models/clip-vit-large-patch14-336}"
swift build -c release --product keypoints >&2
.build/release/keypoints localize examples/birds/albatross.jpg --model "$model" --vocabulary cub \
    --heatmap out/birds/heatmaps --overlay out/birds/overlay.png --scores out/birds/scores.json
