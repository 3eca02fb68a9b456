#!/usr/bin/env bash
# Encoder throughput with random weights (no download): ViT-B/32 at batch 64, ViT-L/14-336 at 8.
set -euo pipefail
swift build -c release --product keypoints >&2
.build/release/keypoints bench --arch ViT-B/32 --batch 64
.build/release/keypoints bench --arch ViT-L/14-336 --batch 8
