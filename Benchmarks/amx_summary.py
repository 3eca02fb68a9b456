#!/usr/bin/env python3
"""Markdown tables from a folder written by Benchmarks/amx_session.sh.

    python3 Benchmarks/amx_summary.py OUT_DIR > summary.md

Reads OUT_DIR/info.txt, every OUT_DIR/<run>.json (`keypoints bench --json` documents; fields as
README "`keypoints bench`" documents them) and OUT_DIR/pytorch.json (examples/pytorch_bench.py
--json). Prints the machine, one row per (run, precision/library) with images/s, the same run's
raw product rate and the fraction of it reached, the profile of every --profile run by operation
class, PyTorch's figures, and issue 11's targets (judged only on a CPU with AMX, where they apply).
A run that failed (NAME.stderr without NAME.json) is listed at the top, and a target whose run
failed or gave no figure is "not measured", not left out.
Standard library only.
"""

import json
import pathlib
import sys

# Issue 11's "done when", on an AMX CPU.
TARGET_FRACTION_OF_GEMM = 0.85  # ViT-L/14-336 batch 8, bf16: image GFLOP/s over bf16 GEMM GFLOP/s
TARGET_SMALL_IMAGES_PER_S = 60.0  # ViT-B/32 batch 64, bf16
TARGET_LOCALIZE_SECONDS = 150.0  # 15 CUB keypoints, fast.json, ViT-L/14-336


def load(folder):
    runs = {}
    for path in sorted(folder.glob("*.json")):
        try:
            runs[path.stem] = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as error:
            sys.exit(f"{path}: not a JSON document: {error}")
    return runs


def info_value(info, key):
    for line in info.splitlines():
        if line.startswith(key + ":"):
            return line.split(":", 1)[1].strip()
    return None


def fmt(x, digits=2):
    return "" if x is None else f"{x:.{digits}f}"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: amx_summary.py OUT_DIR")
    folder = pathlib.Path(sys.argv[1])
    info_path = folder / "info.txt"
    if not info_path.is_file():
        sys.exit(f"{info_path}: missing (written by Benchmarks/amx_session.sh)")
    info = info_path.read_text()
    runs = load(folder)
    pytorch = runs.pop("pytorch", None)
    # amx_session.sh keeps NAME.stderr of every run and NAME.json only of those that succeeded.
    failed = sorted(p.stem for p in folder.glob("*.stderr") if not (folder / f"{p.stem}.json").is_file())
    amx = (info_value(info, "amx_bf16 cpus") or "0") != "0"

    print(f"# keypoints bench session: {info_value(info, 'cpu')}\n")
    print("```")
    print(info.rstrip())
    print("```\n")
    if failed:
        print("Runs that failed, so absent below (see OUT_DIR/NAME.stderr): " + ", ".join(failed) + "\n")

    print("| run | model | batch | precision | library/attention | images/s | GFLOP/s | raw product GFLOP/s "
          "| of raw | ceiling images/s | texts/s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, doc in runs.items():
        for p in doc.get("precisions", []):
            image, text = p.get("image") or {}, p.get("text") or {}
            print(f"| {name} | {doc.get('model')} | {doc.get('batch')} | {p.get('precision')} "
                  f"| {p.get('backend')}, {p.get('attention')} | {fmt(image.get('items_per_s'))} "
                  f"| {fmt(image.get('gflops'), 1)} | {fmt(p.get('gemm_gflops'), 1)} "
                  f"| {fmt(100 * p['image_fraction_of_gemm'], 0) + '%' if 'image_fraction_of_gemm' in p else ''} "
                  f"| {fmt(p.get('image_ceiling_items_per_s'))} | {fmt(text.get('items_per_s'), 1)} |")
    print()

    for name, doc in runs.items():
        for p in doc.get("precisions", []):
            profile = p.get("profile")
            if not profile:
                continue
            print(f"Profile of {name}, {p.get('precision')} ({p.get('backend')}, {p.get('attention')}): "
                  f"{fmt(profile.get('seconds_per_item'), 3)} s per image\n")
            print("| operation | s/image | share | GFLOP/s |")
            print("|---|---|---|---|")
            for op in profile.get("operations", []):
                print(f"| {op['operation']} | {fmt(op.get('seconds_per_item'), 3)} "
                      f"| {fmt(100 * op.get('share', 0), 1)}% | {fmt(op.get('gflops'), 1)} |")
            print()

    localize = [(p, p["localization"]) for doc in runs.values() for p in doc.get("precisions", [])
                if p.get("localization")]
    for p, loc in localize:
        print(f"Localize ({p.get('precision')}, {p.get('backend')}): {loc['keypoints']} keypoints, "
              f"{loc['visual_prompt']}: fast.json {loc['fast_passes']} passes in {fmt(loc['fast_seconds'], 1)} s; "
              f"dense30.json {loc['dense30_passes']} passes, {fmt(loc['dense30_seconds_projected'], 0)} s projected\n")

    if pytorch:
        print(f"PyTorch {pytorch.get('torch')}, {pytorch.get('arch')}, batch {pytorch.get('batch')}, "
              f"{pytorch.get('threads')} threads:\n")
        print("| precision | images/s | texts/s |")
        print("|---|---|---|")
        for r in pytorch.get("results", []):
            print(f"| {r['precision']} | {fmt(r['images_per_s'])} | {fmt(r['texts_per_s'], 1)} |")
        print()

    print("## Issue 11's targets\n")
    if not amx:
        print("Not judged: this CPU has no AMX (the targets are for AMX CPUs; on others the issue asks "
              "that nothing gets slower, which needs a before/after pair of runs).")
        return
    rows = []

    def not_measured(what, needed, run):
        if run in failed:
            why = f"run failed, see {run}.stderr"
        elif run in runs:
            why = f"{run}.json holds no such figures"
        else:
            why = "not run"
        rows.append((what, f"not measured ({why})", needed, None))

    big = [p for name, doc in runs.items() if name.startswith("big-bf16")
           for p in doc.get("precisions", []) if p.get("precision") == "bf16"]
    if big:
        best = max(big, key=lambda p: p["image_fraction_of_gemm"])
        rows.append(("ViT-L/14-336 b8 bf16, fraction of bf16 GEMM (best setting)",
                     f"{100 * best['image_fraction_of_gemm']:.0f}% ({best['attention']})",
                     f">= {100 * TARGET_FRACTION_OF_GEMM:.0f}%",
                     best["image_fraction_of_gemm"] >= TARGET_FRACTION_OF_GEMM))
    else:
        not_measured("ViT-L/14-336 b8 bf16, fraction of bf16 GEMM (best setting)",
                     f">= {100 * TARGET_FRACTION_OF_GEMM:.0f}%",
                     next((n for n in failed if n.startswith("big-bf16")), "big-bf16-all-heads-workers"))
    small = [p for p in (runs.get("small") or {}).get("precisions", []) if p.get("precision") == "bf16"]
    if small:
        v = small[0]["image"]["items_per_s"]
        rows.append(("ViT-B/32 b64 bf16 images/s", fmt(v), f">= {TARGET_SMALL_IMAGES_PER_S:.0f}",
                     v >= TARGET_SMALL_IMAGES_PER_S))
    else:
        not_measured("ViT-B/32 b64 bf16 images/s", f">= {TARGET_SMALL_IMAGES_PER_S:.0f}", "small")
    for p, loc in localize:
        rows.append((f"localize 15 keypoints, fast.json ({p.get('precision')})", f"{loc['fast_seconds']:.1f} s",
                     f"<= {TARGET_LOCALIZE_SECONDS:.0f} s", loc["fast_seconds"] <= TARGET_LOCALIZE_SECONDS))
    if not localize:
        not_measured("localize 15 keypoints, fast.json", f"<= {TARGET_LOCALIZE_SECONDS:.0f} s", "localize")
    print("| target | measured | needed | met |")
    print("|---|---|---|---|")
    for what, measured, needed, met in rows:
        print(f"| {what} | {measured} | {needed} | {'-' if met is None else 'yes' if met else 'no'} |")


if __name__ == "__main__":
    main()
