#!/usr/bin/env python3
"""PyTorch's speed on the same work as `keypoints bench`, for a same-machine comparison.

Builds a random-weight Hugging Face CLIPModel of an OpenAI architecture (no download), then
times `get_image_features` (and `get_text_features` on 77-token inputs) under
`torch.inference_mode()` with `torch.set_num_threads(T)`, in fp32 and/or bf16 (the whole model
cast with `.to(torch.bfloat16)`, as PyTorch runs bf16 inference on CPU). Timing rule as in
`keypoints bench`: one warm-up call, then repeat until --seconds have passed (at least twice).

    pip install torch==2.13.0+cpu transformers safetensors    # the CPU wheel
    python3 examples/pytorch_bench.py --arch ViT-L/14-336 --batch 8 --precision fp32 bf16

Prints a table (items/s), or one JSON document with --json. Compare with
`keypoints bench --arch ViT-L/14-336 --batch 8` run on the same machine in the same session;
README.md (set-up: "Set-up (fresh Debian 12 with Swift 6)"; figures: "`keypoints bench`") gives
the toolchain and the same-machine figures this script measured.
"""

import argparse
import json
import sys
import time

# The vision and text towers of OpenAI's CLIP models, as in their config.json files on the hub.
ARCHITECTURES = {
    "ViT-B/32": dict(vision=(768, 12, 12, 3072, 32, 224), text=(512, 8, 12, 2048), projection=512),
    "ViT-B/16": dict(vision=(768, 12, 12, 3072, 16, 224), text=(512, 8, 12, 2048), projection=512),
    "ViT-L/14": dict(vision=(1024, 24, 16, 4096, 14, 224), text=(768, 12, 12, 3072), projection=768),
    "ViT-L/14-336": dict(vision=(1024, 24, 16, 4096, 14, 336), text=(768, 12, 12, 3072), projection=768),
}


def build(arch):
    from transformers import CLIPConfig, CLIPModel

    v = ARCHITECTURES[arch]["vision"]
    t = ARCHITECTURES[arch]["text"]
    config = CLIPConfig(
        vision_config=dict(
            hidden_size=v[0], num_hidden_layers=v[1], num_attention_heads=v[2], intermediate_size=v[3],
            patch_size=v[4], image_size=v[5], hidden_act="quick_gelu",
        ),
        text_config=dict(
            hidden_size=t[0], num_attention_heads=t[1], num_hidden_layers=t[2], intermediate_size=t[3],
            max_position_embeddings=77, hidden_act="quick_gelu",
        ),
        projection_dim=ARCHITECTURES[arch]["projection"],
    )
    return CLIPModel(config).eval(), v[5]


def measure(call, seconds):
    """Seconds per call: one warm-up, then at least two calls and at least `seconds` in all."""
    call()
    calls, start = 0, time.perf_counter()
    while calls < 2 or time.perf_counter() - start < seconds:
        call()
        calls += 1
    return (time.perf_counter() - start) / calls


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", choices=sorted(ARCHITECTURES), required=True)
    parser.add_argument("--batch", type=int, default=64, help="images per forward pass")
    parser.add_argument("--text-batch", type=int, default=64, help="texts per forward pass")
    parser.add_argument("--precision", nargs="+", choices=["fp32", "bf16"], default=["fp32"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()
    if args.batch < 1 or args.text_batch < 1 or args.threads < 1 or args.seconds <= 0:
        parser.error("--batch, --text-batch and --threads must be at least 1, --seconds positive")

    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model, side = build(args.arch)
    rows = []
    for precision in args.precision:
        dtype = torch.float32 if precision == "fp32" else torch.bfloat16
        model = model.to(dtype)
        pixels = torch.randn(args.batch, 3, side, side, dtype=dtype)
        ids = torch.randint(0, 49408, (args.text_batch, 77))
        print(f"[{precision}] timing {args.arch} ...", file=sys.stderr)
        with torch.inference_mode():
            image = measure(lambda: model.get_image_features(pixel_values=pixels), args.seconds)
            text = measure(lambda: model.get_text_features(input_ids=ids), args.seconds)
        rows.append(
            dict(precision=precision, images_per_s=args.batch / image, texts_per_s=args.text_batch / text)
        )
    if args.json:
        print(json.dumps(dict(arch=args.arch, batch=args.batch, threads=args.threads,
                              torch=torch.__version__, results=rows)))
        return
    print(f"PyTorch {torch.__version__}, {args.arch}, batch {args.batch}, {args.threads} threads")
    print("precision   images/s    texts/s")
    for r in rows:
        print(f"{r['precision']:<9} {r['images_per_s']:10.2f} {r['texts_per_s']:10.2f}")


if __name__ == "__main__":
    main()
