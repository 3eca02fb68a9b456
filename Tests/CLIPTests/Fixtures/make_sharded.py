#!/usr/bin/env python3
"""The sharded-checkpoint fixture of CLIPTests: models/tiny-quickgelu saved by transformers in shards.

Run from the repository root (after make_reference.py; same environment, see README.md):

    python3 Tests/CLIPTests/Fixtures/make_sharded.py

It loads models/tiny-quickgelu with transformers, saves it again with
`save_pretrained(dir, max_shard_size=MAX_SHARD_SIZE)`, which writes model.safetensors.index.json and
three shards, checks that

- the shards hold exactly the tensors the index's weight_map assigns to them, no key twice;
- every tensor equals the one in models/tiny-quickgelu/model.safetensors bit for bit (same dtype,
  shape and bytes), and no tensor is missing or added;
- metadata.total_size equals the sum of the tensors' byte counts,

and commits only the index (sharded/model.safetensors.index.json). The shards themselves are the
same tensors as the committed single file (808 KB), so the Swift tests rebuild them from it at test
time, one F32 safetensors file per shard name with the keys the index lists, instead of committing
the model's weights a second time. The index's layout (which key in which shard, the file names,
total_size) is what transformers wrote.

Deterministic: the index is json with sorted keys and the shard split depends only on the tensors'
sizes and names.
"""

import json
import shutil
import sys
import tempfile
from pathlib import Path

import torch
import transformers
from safetensors import safe_open
from transformers import CLIPModel

FIXTURES = Path(__file__).resolve().parent
SOURCE = FIXTURES / "models" / "tiny-quickgelu"
OUT = FIXTURES / "sharded"
# 808 KB of weights: the token embedding (1514 x 48 F32, 291 KB) fits one shard, and this gives
# three shards (345, 353 and 110 KB with transformers 5.24.0).
MAX_SHARD_SIZE = "350KB"
INDEX = "model.safetensors.index.json"


def tensors(path):
    with safe_open(str(path), "pt") as f:
        return {k: f.get_tensor(k) for k in f.keys()}


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    single = tensors(SOURCE / "model.safetensors")
    model = CLIPModel.from_pretrained(str(SOURCE), dtype=torch.float32)
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp, max_shard_size=MAX_SHARD_SIZE)
        tmp = Path(tmp)
        assert not (tmp / "model.safetensors").exists(), "expected a sharded save"
        index = json.loads((tmp / INDEX).read_text())
        weight_map = index["weight_map"]
        shards = sorted(set(weight_map.values()))
        assert len(shards) == 3, f"expected 3 shards, got {shards}"
        seen = {}
        total = 0
        for shard in shards:
            for key, t in tensors(tmp / shard).items():
                assert key not in seen, f"{key} in {seen.get(key)} and {shard}"
                assert weight_map.get(key) == shard, f"{key} is in {shard}, index says {weight_map.get(key)}"
                ref = single[key]
                assert t.dtype == ref.dtype and t.shape == ref.shape, key
                assert t.view(-1).view(torch.uint8).equal(ref.reshape(-1).view(torch.uint8)), key
                seen[key] = shard
                total += t.numel() * t.element_size()
        assert set(seen) == set(single) == set(weight_map), "key sets differ"
        assert index["metadata"]["total_size"] == total, (index["metadata"], total)
        OUT.mkdir(exist_ok=True)
        shutil.copyfile(tmp / INDEX, OUT / INDEX)
        for shard in shards:
            count = sum(1 for v in weight_map.values() if v == shard)
            print(f"{shard}: {count} tensors, {(tmp / shard).stat().st_size} bytes")
    print(f"wrote {OUT / INDEX} (transformers {transformers.__version__}, torch {torch.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
