#!/bin/sh
# Copies the EvaluationTests fixture subset byte for byte from the project's real sample data
# (/work/shared/data, see its README.md and each folder's PROVENANCE.md) and writes the
# hand-made COCO file. Run from this folder:
#   sh make_fixtures.sh /work/shared/data
# Files are copied unchanged; annotation text files keep only the rows of the chosen images.
set -eu
DATA=${1:-/work/shared/data}
HERE=$(pwd)

# --- CUB-200-2011: image ids 953 and 1768 (test split) and 1291 (train split), the three
# smallest JPEGs of the sample; every row of those ids, complete classes.txt and parts.txt.
SRC=$DATA/cub/CUB_200_2011
DST=$HERE/cub/CUB_200_2011
rm -rf "$HERE/cub"
mkdir -p "$DST/parts"
IDS="953 1291 1768"
for f in images.txt image_class_labels.txt train_test_split.txt bounding_boxes.txt; do
    : > "$DST/$f"
    # keep the source order (ascending ids)
    awk -v ids="$IDS" 'BEGIN { n = split(ids, a, " "); for (i = 1; i <= n; i++) keep[a[i]] = 1 } ($1 in keep)' \
        "$SRC/$f" > "$DST/$f"
done
awk -v ids="$IDS" 'BEGIN { n = split(ids, a, " "); for (i = 1; i <= n; i++) keep[a[i]] = 1 } ($1 in keep)' \
    "$SRC/parts/part_locs.txt" > "$DST/parts/part_locs.txt"
cp "$SRC/classes.txt" "$DST/classes.txt"
cp "$SRC/parts/parts.txt" "$DST/parts/parts.txt"
for id in $IDS; do
    path=$(awk -v id="$id" '$1 == id { print $2 }' "$SRC/images.txt")
    mkdir -p "$DST/images/$(dirname "$path")"
    cp "$SRC/images/$path" "$DST/images/$path"
done

# --- SPair-71k: the two dog images, their ImageAnnotation JSONs and their Layout/large/test.txt line.
SRC=$DATA/spair/SPair-71k
DST=$HERE/spair/SPair-71k
rm -rf "$HERE/spair"
mkdir -p "$DST/JPEGImages/dog" "$DST/ImageAnnotation/dog" "$DST/Layout/large"
for n in 2009_001225 2011_002398; do
    cp "$SRC/JPEGImages/dog/$n.jpg" "$DST/JPEGImages/dog/"
    cp "$SRC/ImageAnnotation/dog/$n.json" "$DST/ImageAnnotation/dog/"
done
grep ':dog$' "$SRC/Layout/large/test.txt" > "$DST/Layout/large/test.txt"

# --- FaceSynthetics: samples 000022 and 000024 (the two smallest PNGs of the sample) with the
# dataset licence, which must travel with them.
SRC=$DATA/faces/dataset_100
DST=$HERE/faces
rm -rf "$DST"
mkdir -p "$DST"
for n in 000022 000024; do
    cp "$SRC/$n.png" "$SRC/${n}_ldmks.txt" "$DST/"
done
cp "$DATA/faces/LICENSE.txt" "$DST/LICENSE.txt"

# --- COCO keypoints format: written by make_coco.py from the SPair dog annotations above.
python3 "$HERE/make_coco.py" "$HERE/spair/SPair-71k" "$HERE/coco/dogs.json"
