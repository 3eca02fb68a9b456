"""Writes coco/dogs.json, a small hand-made file in the COCO keypoints format
(https://cocodataset.org/#format-data), from the two SPair-71k dog annotations of this folder.

Run from Tests/EvaluationTests/Fixtures (make_fixtures.sh does):
    python3 make_coco.py spair/SPair-71k coco/dogs.json

What it holds (the test in COCOReaderTests checks these facts):
- category 18 "dog": the paper's 13 dog keypoint names (SPair ids 2-13 and 15, Table 8),
  written in COCO's snake_case;
- category 17 "cat": one made-up keypoint "nose", for category selection;
- annotation 10 (image 1) and 11 (image 2): the SPair keypoints of the named ids, v = 2,
  except the nose of annotation 10 which is given v = 1 (labelled, not visible); bbox is the
  SPair bndbox [x1, y1, x2, y2] rewritten as [x1, y1, x2 - x1, y2 - y1];
- annotation 12: iscrowd = 1 (must be ignored); annotation 13: no labelled keypoint (ignored);
- annotation 14: a made-up cat on image 1 (nose at (200, 200), bbox [150, 150, 100, 80]).
"""
import json
import os
import sys

spair_root, out_path = sys.argv[1], sys.argv[2]
dog_names = [(2, "right_ear"), (3, "left_ear"), (4, "right_eye"), (5, "left_eye"), (6, "nose"),
             (7, "forehead"), (8, "mouth"), (9, "front_right_paw"), (10, "front_left_paw"),
             (11, "hind_right_paw"), (12, "hind_left_paw"), (13, "tail"), (15, "neck")]

images, annotations = [], []
for image_id, name in [(1, "2009_001225"), (2, "2011_002398")]:
    with open(os.path.join(spair_root, "ImageAnnotation", "dog", name + ".json")) as f:
        a = json.load(f)
    images.append({"id": image_id, "file_name": name + ".jpg",
                   "width": a["image_width"], "height": a["image_height"]})
    kps, labelled = [], 0
    for sid, kname in dog_names:
        p = a["kps"][str(sid)]
        if p is None:
            kps += [0, 0, 0]
        else:
            v = 1 if (image_id == 1 and kname == "nose") else 2
            kps += [p[0], p[1], v]
            labelled += 1
    x1, y1, x2, y2 = a["bndbox"]
    annotations.append({"id": 9 + image_id, "image_id": image_id, "category_id": 18, "iscrowd": 0,
                        "num_keypoints": labelled, "keypoints": kps,
                        "bbox": [x1, y1, x2 - x1, y2 - y1], "area": (x2 - x1) * (y2 - y1)})

annotations.append({"id": 12, "image_id": 2, "category_id": 18, "iscrowd": 1, "num_keypoints": 1,
                    "keypoints": [10, 10, 2] + [0, 0, 0] * 12, "bbox": [0, 0, 50, 50], "area": 2500})
annotations.append({"id": 13, "image_id": 1, "category_id": 18, "iscrowd": 0, "num_keypoints": 0,
                    "keypoints": [0, 0, 0] * 13, "bbox": [0, 0, 40, 40], "area": 1600})
annotations.append({"id": 14, "image_id": 1, "category_id": 17, "iscrowd": 0, "num_keypoints": 1,
                    "keypoints": [200, 200, 2], "bbox": [150, 150, 100, 80], "area": 8000})

doc = {"info": {"description": "EvaluationTests fixture made by make_coco.py from SPair-71k dog annotations"},
       "images": images, "annotations": annotations,
       "categories": [{"id": 17, "name": "cat", "supercategory": "animal", "keypoints": ["nose"], "skeleton": []},
                      {"id": 18, "name": "dog", "supercategory": "animal",
                       "keypoints": [n for _, n in dog_names], "skeleton": []}]}
os.makedirs(os.path.dirname(out_path), exist_ok=True)
with open(out_path, "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
