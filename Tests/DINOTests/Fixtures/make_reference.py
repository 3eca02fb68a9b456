#!/usr/bin/env python3
"""Reference fixtures for the Swift DINO ViT and TokenCut (DINOTests).

Run from the repository root:

    python3 Tests/DINOTests/Fixtures/make_reference.py

Environment the committed files were made with (CPU only, no network needed):

    pip install 'torch==2.13.0+cpu' transformers==5.24.0 safetensors pillow scipy numpy

What it writes (all next to this script; see README.md):
    images/      bird.jpg and cow.jpg (copies of Tests/CLIPTests/Fixtures/images, committed) and
                 disc.png (drawn here from a fixed seed: a reddish ellipse on a textured background).
    models/      random-weight Hugging Face ViTModels in the hub layout (config.json,
                 model.safetensors, preprocessor_config.json).
    references/  NAME.safetensors per model: for each case (image, --size) the preprocessed,
                 padded pixel_values, the last layer's keys, the final hidden states, and TokenCut's
                 affinity threshold, eigenvector and token mask from the NumPy/SciPy
                 re-implementation below.

Deterministic: fixed seeds, one torch thread; safetensors metadata has one key.
"""

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import scipy
import scipy.linalg
import scipy.ndimage
import torch
from PIL import Image, ImageDraw
from safetensors import safe_open
from safetensors.torch import save_file

import transformers
from transformers import ViTConfig, ViTModel

FIXTURES = Path(__file__).resolve().parent
MODELS = FIXTURES / "models"
REFERENCES = FIXTURES / "references"
IMAGES = FIXTURES / "images"

FIXTURE_VERSION = "1"  # bump when the meaning or layout of any reference tensor changes

# preprocessor_config.json of facebook/dino-vits16 (ImageNet statistics, bicubic).
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]

# TokenCut constants (Wang et al., CVPR 2022; keypoints issue 10).
TOKENCUT_EPS = 1e-5

# Tiny models: name -> (seed, dtype, add_pooling_layer, ViTConfig kwargs). Odd widths and head
# counts, patch 8 and 16, two different layer_norm_eps, checkpoint grids (2x2, 5x5) that no case uses.
MODEL_SPECS = [
    ("vit-p16-w36-h3", 2001, torch.float32, True,
     dict(hidden_size=36, num_attention_heads=3, num_hidden_layers=2, intermediate_size=52,
          patch_size=16, image_size=32, layer_norm_eps=1e-12, hidden_act="gelu")),
    ("vit-p8-w30-h5-fp16", 2002, torch.float16, False,
     dict(hidden_size=30, num_attention_heads=5, num_hidden_layers=3, intermediate_size=45,
          patch_size=8, image_size=40, layer_norm_eps=1e-6, hidden_act="gelu")),
]
SAFETENSORS_DTYPE = {torch.float32: "F32", torch.float16: "F16"}

# Cases per model: (image, --size, tau). Every token grid is non-square and differs from the
# checkpoint's own. tau is TokenCut's threshold; each was checked (below) to give a
# well-separated second eigenvalue, so the eigenvector is well defined.
CASES = {
    "vit-p16-w36-h3": [("bird.jpg", 112, 0.2), ("cow.jpg", 112, 0.2), ("disc.png", 120, 0.2)],
    "vit-p8-w30-h5-fp16": [("bird.jpg", 96, 0.2), ("cow.jpg", 72, 0.2), ("disc.png", 100, 0.85)],
}

# A case is kept only if the eigenvector is stable: relative gap between the 2nd and 3rd
# eigenvalues, and every token's distance from the threshold mean(x), in units of std(x).
MIN_RELATIVE_EIGENGAP = 0.05
MIN_THRESHOLD_MARGIN = 1e-3


def log(message):
    print(message, file=sys.stderr, flush=True)


# MARK: - Images

def make_disc(path):
    """120x90 RGB: a reddish ellipse on a green-grey background, both with seeded noise."""
    rng = np.random.default_rng(31)
    w, h = 120, 90
    base = np.zeros((h, w, 3), dtype=np.float64)
    base[:] = (96, 128, 88)
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).ellipse((38, 20, 92, 70), fill=255)
    m = np.asarray(mask, dtype=np.float64)[..., None] / 255
    base = base * (1 - m) + np.array((200, 60, 40), dtype=np.float64) * m
    base += rng.normal(0, 12, size=base.shape)
    Image.fromarray(np.clip(np.round(base), 0, 255).astype(np.uint8), "RGB").save(path, optimize=False)


def make_images():
    IMAGES.mkdir(parents=True, exist_ok=True)
    clip_images = FIXTURES.parent.parent / "CLIPTests" / "Fixtures" / "images"
    for name in ["bird.jpg", "cow.jpg"]:
        if not (IMAGES / name).exists():
            shutil.copyfile(clip_images / name, IMAGES / name)
    if not (IMAGES / "disc.png").exists():
        make_disc(IMAGES / "disc.png")


# MARK: - TokenCut preprocessing (issue 10, step by step)

def resized_size(width, height, size):
    """Longer side becomes `size`; the shorter one int(short * size / long + 0.5), at least 1."""
    if max(width, height) == size:
        return width, height
    if width >= height:
        return size, max(1, int(height * size / width + 0.5))
    return max(1, int(width * size / height + 0.5)), size


def preprocess(path, size, patch):
    """photo -> RGB -> longer side `size` (PIL bicubic; none when already) -> /255 -> ImageNet
    mean/std -> zero pad right/bottom to a multiple of `patch`. Returns (1, 3, H, W) float32."""
    image = Image.open(path).convert("RGB")
    w, h = resized_size(image.width, image.height, size)
    if (w, h) != image.size:
        image = image.resize((w, h), Image.BICUBIC)
    x = np.asarray(image, dtype=np.float32) / np.float32(255)
    x = (x - np.array(IMAGENET_MEAN, dtype=np.float32)) / np.array(IMAGENET_STD, dtype=np.float32)
    ph, pw = -(-h // patch) * patch, -(-w // patch) * patch
    padded = np.zeros((ph, pw, 3), dtype=np.float32)
    padded[:h, :w] = x
    return torch.from_numpy(padded.transpose(2, 0, 1).copy()).unsqueeze(0), (w, h)


# MARK: - TokenCut (NumPy / SciPy re-implementation)

def tokencut(features, rows, cols, tau):
    """features (N, D) -> (eigenvector (N) float64, mask (rows, cols) uint8, eigenvalues).

    F rows L2-normalised, A = F F^T, A > tau -> 1 else eps, D = diag(row sums), second smallest
    generalised eigenvector of (D - A) x = lambda D x, foreground x > mean(x), seed argmax |x|,
    flip when the seed is background, keep the 4-connected component holding the seed."""
    f = features.astype(np.float64)
    f = f / np.linalg.norm(f, axis=1, keepdims=True)
    a = f @ f.T
    a = np.where(a > tau, 1.0, TOKENCUT_EPS)
    d = np.diag(a.sum(axis=1))
    values, vectors = scipy.linalg.eigh(d - a, d)
    x = vectors[:, 1].copy()
    foreground = x > x.mean()
    seed = int(np.argmax(np.abs(x)))
    if not foreground[seed]:
        x = -x
        foreground = ~foreground
    labels, _ = scipy.ndimage.label(foreground.reshape(rows, cols))  # default structure: 4-connected
    mask = (labels == labels.reshape(-1)[seed]).astype(np.uint8)
    return x, mask, values, seed


# MARK: - Models

def perturb(model, seed):
    """Non-trivial weights: HF init (LayerNorm 1/0, zero biases, std 0.02) makes every token's key
    nearly the same. Linear weights N(0, fan_in^-0.5), LayerNorm N(1, 0.2)/N(0, 0.1), biases
    N(0, 0.05), class token and position embeddings N(0, 0.2)."""
    g = torch.Generator().manual_seed(seed)

    def normal(t, mean, std):
        t.copy_(torch.randn(t.shape, generator=g, dtype=torch.float32) * std + mean)

    for _, module in model.named_modules():
        if isinstance(module, torch.nn.LayerNorm):
            normal(module.weight, 1.0, 0.2)
            normal(module.bias, 0.0, 0.1)
        elif isinstance(module, torch.nn.Linear):
            normal(module.weight, 0.0, module.weight.shape[1] ** -0.5)
            if module.bias is not None:
                normal(module.bias, 0.0, 0.05)
    e = model.embeddings
    normal(e.cls_token, 0.0, 0.2)
    normal(e.position_embeddings, 0.0, 0.2)
    proj = e.patch_embeddings.projection
    normal(proj.weight, 0.0, (proj.weight[0].numel()) ** -0.5)
    normal(proj.bias, 0.0, 0.05)


def build_model(name, seed, dtype, pooler, spec):
    folder = MODELS / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    torch.manual_seed(seed)
    config = ViTConfig(qkv_bias=True, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, **spec)
    model = ViTModel(config, add_pooling_layer=pooler).eval()
    with torch.no_grad():
        perturb(model, seed)
    model = model.to(dtype)
    model.save_pretrained(str(folder))
    (folder / "preprocessor_config.json").write_text(json.dumps({
        "do_normalize": True, "do_resize": True, "feature_extractor_type": "ViTFeatureExtractor",
        "image_mean": IMAGENET_MEAN, "image_std": IMAGENET_STD, "resample": 3,
        "size": spec["image_size"]}, indent=2, sort_keys=True) + "\n")
    with safe_open(str(folder / "model.safetensors"), "pt") as f:
        keys = list(f.keys())
        dtypes = {f.get_slice(k).get_dtype() for k in keys}
    assert dtypes == {SAFETENSORS_DTYPE[dtype]}, f"{name}: dtypes {dtypes}"
    assert any(k.startswith("pooler.") for k in keys) == pooler, f"{name}: pooler keys"
    saved = json.loads((folder / "config.json").read_text())
    for k in ["hidden_act", "layer_norm_eps", "patch_size", "image_size", "qkv_bias"]:
        assert k in saved, f"{name}/config.json lacks {k}"
    # The reference runs in float32 on the stored (possibly fp16-rounded) weights, as Swift does.
    return ViTModel.from_pretrained(str(folder), dtype=torch.float32, attn_implementation="eager",
                                    add_pooling_layer=pooler).eval()


@torch.no_grad()
def forward(model, pixel_values):
    """-> keys (N, C) of the last layer without the class token, hidden states (T, C)."""
    captured = {}
    last = model.layers[-1]
    handle = last.attention.k_proj.register_forward_hook(
        lambda module, inputs, output: captured.__setitem__("keys", output))
    out = model(pixel_values=pixel_values, interpolate_pos_encoding=True)
    handle.remove()
    return captured["keys"][0, 1:].contiguous(), out.last_hidden_state[0].contiguous()


def make_references(name, model, patch):
    tensors, cases = {}, []
    for index, (image, size, tau) in enumerate(CASES[name]):
        pixels, (w, h) = preprocess(IMAGES / image, size, patch)
        rows, cols = pixels.shape[2] // patch, pixels.shape[3] // patch
        keys, hidden = forward(model, pixels)
        assert keys.shape[0] == rows * cols
        x, mask, values, seed = tokencut(keys.numpy(), rows, cols, tau)
        gap = (values[2] - values[1]) / max(abs(values[2]), 1e-12)
        margin = np.min(np.abs(x - x.mean())) / x.std()
        log(f"{name} {image} size {size}: grid {rows}x{cols}, lambda {values[1]:.5f} {values[2]:.5f} "
            f"(gap {gap:.3f}), margin {margin:.4f}, foreground {mask.sum()}/{mask.size}, seed {seed}")
        assert gap >= MIN_RELATIVE_EIGENGAP, f"{name} {image}: eigengap {gap} too small; change tau"
        assert margin >= MIN_THRESHOLD_MARGIN, f"{name} {image}: a token sits on the threshold"
        assert 0 < mask.sum() < mask.size, f"{name} {image}: trivial mask"
        p = f"case{index}."
        tensors[p + "pixel_values"] = pixels.contiguous()
        tensors[p + "keys"] = keys
        tensors[p + "hidden_states"] = hidden
        tensors[p + "eigenvector"] = torch.from_numpy(x)
        tensors[p + "mask"] = torch.from_numpy(mask.astype(np.uint8))
        cases.append({"image": image, "size": size, "tau": tau, "resized": [w, h], "grid": [rows, cols],
                      "seed_token": seed, "eigenvalues": [float(values[1]), float(values[2])]})
    info = {
        "fixture_version": FIXTURE_VERSION, "generator": "Tests/DINOTests/Fixtures/make_reference.py",
        "model": name, "cases": cases, "torch": torch.__version__, "transformers": transformers.__version__,
        "numpy": np.__version__, "scipy": scipy.__version__,
    }
    REFERENCES.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(REFERENCES / f"{name}.safetensors"),
              metadata={"fixture": json.dumps(info, sort_keys=True)})


def main():
    torch.set_num_threads(1)
    make_images()
    for name, seed, dtype, pooler, spec in MODEL_SPECS:
        model = build_model(name, seed, dtype, pooler, spec)
        make_references(name, model, spec["patch_size"])
    for path in sorted(FIXTURES.rglob("*")):
        if path.is_file():
            log(f"{path.relative_to(FIXTURES)}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
