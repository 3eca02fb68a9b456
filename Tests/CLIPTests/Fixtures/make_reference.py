#!/usr/bin/env python3
"""PyTorch / Hugging Face reference fixtures for the Swift CLIP engine (CLIPTests).

Run from the repository root:

    python3 Tests/CLIPTests/Fixtures/make_reference.py

Environment the committed files were made with (CPU only, no network needed):

    pip install 'torch==2.13.0+cpu' transformers safetensors pillow ftfy      # transformers 5.24.0
    pip install --no-deps open_clip_torch==3.3.0                              # OpenAI's SimpleTokenizer + BPE file

open_clip is used only for its tokenizer module (loaded by file path, so torchvision is not needed).

What it writes (all next to this script; see README.md for the full description):
    images/      bird.jpg, cow.jpg, face.png (+ FACESYNTHETICS-LICENSE.txt), derived from the shared
                 sample data. They are made only when missing (or with --remake-images): the committed
                 files, not the shared data, are the input of every reference below.
    models/      tiny-quickgelu, tiny-gelu-fp16, tiny-bf16 (save_pretrained) and tiny-quickgelu-hub
                 (same weights as tiny-quickgelu plus the position_ids buffers real hub files carry).
    references/  NAME.safetensors per tiny model, vitb32-synthetic.safetensors (weights regenerated from
                 the seeded generator of notes/synthetic.md, never committed), vitb32-synthetic.config.json
                 and synthetic-check.json.

Everything is deterministic: fixed seeds, one torch thread, no data-dependent ordering. Running the
script twice gives byte-identical files.
"""

import argparse
import gzip
import hashlib
import importlib.util
import json
import math
import os
import shutil
import struct
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from safetensors import safe_open
from safetensors.torch import load_file, save_file

import transformers
from transformers import CLIPConfig, CLIPModel, CLIPTokenizer

# MARK: - Constants

FIXTURES = Path(__file__).resolve().parent
MODELS = FIXTURES / "models"
REFERENCES = FIXTURES / "references"
IMAGES = FIXTURES / "images"

FIXTURE_VERSION = "1"  # bump when the meaning or layout of any reference tensor changes

DEFAULT_SHARED_DATA = Path("/work/shared/data")
BPE_SHA256 = "924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a"

CONTEXT_LENGTH = 77
TINY_MERGES = 1000  # first 1000 merges of OpenAI's list -> vocab 256 + 256 + 1000 + 2 = 1514
TINY_VOCAB_SIZE = 1514
TINY_BOS, TINY_EOS = 1512, 1513
OPENAI_BOS, OPENAI_EOS = 49406, 49407

TEXTS = [
    "This is the beak of a bird",
    "a photo of a cat",
    "This image shows the front left hoof of the horse",
    "the tip of the nose",
]

# OpenAI CLIP _transform normalisation constants.
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)

# The committed images in reference order: (file name, source path inside the shared data folder,
# crop box applied before the downscale or None, target size (w, h)).
IMAGE_SPECS = [
    ("bird.jpg", "cub/CUB_200_2011/images/006.Least_Auklet/Least_Auklet_0014_1901.jpg", None, (160, 120)),
    ("cow.jpg", "spair/SPair-71k/JPEGImages/cow/2009_003189.jpg", None, (106, 160)),
    ("face.png", "faces/dataset_100/000000.png", (128, 96, 448, 416), (96, 96)),
]
JPEG_QUALITY = 90

TINY_LOGIT_SCALE = 2.6592 + 0.3

# Tiny models: name -> (seed, dtype, config kwargs).
TINY_QUICKGELU_CONFIG = dict(
    vision=dict(image_size=48, patch_size=8, hidden_size=64, num_attention_heads=4, num_hidden_layers=2,
                intermediate_size=128, hidden_act="quick_gelu"),
    text=dict(hidden_size=48, num_attention_heads=3, num_hidden_layers=2, intermediate_size=96,
              max_position_embeddings=77, hidden_act="quick_gelu"),
    projection_dim=32,
)
TINY_GELU_CONFIG = dict(
    vision=dict(image_size=40, patch_size=10, hidden_size=48, num_attention_heads=6, num_hidden_layers=3,
                intermediate_size=96, hidden_act="gelu"),
    text=dict(hidden_size=32, num_attention_heads=2, num_hidden_layers=3, intermediate_size=80,
              max_position_embeddings=77, hidden_act="gelu"),
    projection_dim=24,
)
TINY_MODELS = [
    ("tiny-quickgelu", 1001, torch.float32, TINY_QUICKGELU_CONFIG),
    ("tiny-gelu-fp16", 1002, torch.float16, TINY_GELU_CONFIG),
    ("tiny-bf16", 1003, torch.bfloat16, TINY_QUICKGELU_CONFIG),
]
SAFETENSORS_DTYPE = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}

# Synthetic ViT-B/32 (notes/synthetic.md).
SYNTHETIC_SEED = 20231002
VITB32_CONFIG = dict(
    vision=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                image_size=224, patch_size=32, hidden_act="quick_gelu", layer_norm_eps=1e-5, projection_dim=512),
    text=dict(hidden_size=512, intermediate_size=2048, num_hidden_layers=12, num_attention_heads=8,
              vocab_size=49408, max_position_embeddings=77, hidden_act="quick_gelu", layer_norm_eps=1e-5,
              bos_token_id=0, eos_token_id=2, pad_token_id=1, projection_dim=512),
    projection_dim=512,
    logit_scale_init_value=2.6592,
)
SYNTHETIC_CHECK_KEYS = [
    "vision_model.embeddings.patch_embedding.weight",
    "text_model.encoder.layers.3.mlp.fc1.bias",
    "vision_model.pre_layrnorm.weight",
    "text_projection.weight",
]

# Sanity limit: two different images (or texts) must not give (nearly) the same embedding.
MAX_DISTINCT_COSINE = 0.99


def log(message):
    print(message, file=sys.stderr, flush=True)


# MARK: - BPE vocabulary (OpenAI CLIP simple_tokenizer layout)

def bytes_to_unicode():
    """OpenAI CLIP's byte -> printable unicode table, in its own (insertion) order."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2 ** 8):
        if b not in bs:
            bs.append(b)
            cs.append(2 ** 8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def find_bpe_file(shared_data):
    """OpenAI's merges file: the shared data copy, else the copy inside the open_clip package (same sha256)."""
    candidates = [shared_data / "clip" / "bpe_simple_vocab_16e6.txt.gz"]
    spec = importlib.util.find_spec("open_clip")
    if spec is not None and spec.submodule_search_locations:
        candidates.append(Path(list(spec.submodule_search_locations)[0]) / "bpe_simple_vocab_16e6.txt.gz")
    for path in candidates:
        if path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest != BPE_SHA256:
                raise SystemExit(f"{path}: sha256 {digest}, expected {BPE_SHA256}")
            return path
    raise SystemExit(f"OpenAI BPE file not found in {[str(p) for p in candidates]}")


def read_merges(bpe_path, count):
    lines = gzip.open(bpe_path).read().decode("utf-8").split("\n")
    merges = lines[1:count + 1]  # line 0 is the version header
    assert len(merges) == count and all(len(m.split(" ")) == 2 for m in merges)
    return merges


def tiny_vocab(merges):
    byte_chars = list(bytes_to_unicode().values())
    vocab = byte_chars + [c + "</w>" for c in byte_chars] + ["".join(m.split(" ")) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    assert len(vocab) == len(set(vocab)) == TINY_VOCAB_SIZE
    assert vocab.index("<|startoftext|>") == TINY_BOS and vocab.index("<|endoftext|>") == TINY_EOS
    return {token: i for i, token in enumerate(vocab)}


def write_tokenizer_files(folder, vocab, merges):
    """Hugging Face CLIP tokenizer files: vocab.json (token -> id, id order) and merges.txt."""
    with open(folder / "vocab.json", "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(folder / "merges.txt", "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "\n".join(merges) + "\n")


def load_open_clip_tokenizer_module():
    """open_clip/tokenizer.py loaded by file path (the package __init__ would import torchvision)."""
    spec = importlib.util.find_spec("open_clip")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("open_clip_torch is required: pip install --no-deps open_clip_torch==3.3.0")
    path = Path(list(spec.submodule_search_locations)[0]) / "tokenizer.py"
    module_spec = importlib.util.spec_from_file_location("open_clip_tokenizer_standalone", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def pad_ids(ids):
    """OpenAI clip.tokenize layout: [bos, ..., eos] then zeros up to CONTEXT_LENGTH."""
    assert len(ids) <= CONTEXT_LENGTH
    return ids + [0] * (CONTEXT_LENGTH - len(ids))


def tiny_input_ids(model_dir, oc_tokenizer_module, bpe_path):
    """Ids from transformers' CLIPTokenizer loaded from the model folder, checked against OpenAI's
    SimpleTokenizer (open_clip's copy) built on the same truncated merges list."""
    tokenizer = CLIPTokenizer.from_pretrained(str(model_dir))
    rows = []
    for text in TEXTS:
        ids = tokenizer(text)["input_ids"]
        assert ids[0] == TINY_BOS and ids[-1] == TINY_EOS, (text, ids)
        assert TINY_BOS not in ids[1:-1] and TINY_EOS not in ids[1:-1], (text, ids)
        rows.append(pad_ids(ids))

    # Independent check: OpenAI's algorithm on a merges file cut to the same 1000 merges.
    with tempfile.TemporaryDirectory() as tmp:
        cut = Path(tmp) / "bpe_cut.txt.gz"
        lines = gzip.open(bpe_path).read().decode("utf-8").split("\n")
        with gzip.open(cut, "wb") as f:
            f.write("\n".join(lines[:TINY_MERGES + 1]).encode("utf-8"))
        reference = oc_tokenizer_module.SimpleTokenizer(bpe_path=str(cut))
        assert reference.vocab_size == TINY_VOCAB_SIZE
        assert (reference.sot_token_id, reference.eot_token_id) == (TINY_BOS, TINY_EOS)
        expected = reference(TEXTS, context_length=CONTEXT_LENGTH).tolist()
    assert rows == expected, f"HF tokenizer {rows} != OpenAI SimpleTokenizer {expected}"
    return torch.tensor(rows, dtype=torch.int64)


def openai_input_ids(oc_tokenizer_module, bpe_path):
    """Ids of OpenAI's own tokenizer (full 48894-merge BPE) for the ViT-B/32 references, cross-checked
    against transformers' CLIPTokenizer built from the same full vocabulary."""
    reference = oc_tokenizer_module.SimpleTokenizer(bpe_path=str(bpe_path))
    assert (reference.sot_token_id, reference.eot_token_id) == (OPENAI_BOS, OPENAI_EOS)
    ids = reference(TEXTS, context_length=CONTEXT_LENGTH)

    lines = gzip.open(bpe_path).read().decode("utf-8").split("\n")
    merges = lines[1:49152 - 256 - 2 + 1]
    byte_chars = list(bytes_to_unicode().values())
    vocab = byte_chars + [c + "</w>" for c in byte_chars] + ["".join(m.split(" ")) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    with tempfile.TemporaryDirectory() as tmp:
        write_tokenizer_files(Path(tmp), {t: i for i, t in enumerate(vocab)}, merges)
        hf = CLIPTokenizer.from_pretrained(tmp)
        hf_rows = [pad_ids(hf(text)["input_ids"]) for text in TEXTS]
    assert hf_rows == ids.tolist(), f"HF {hf_rows} != OpenAI {ids.tolist()}"
    return ids.to(torch.int64)


# MARK: - Images

def make_images(shared_data):
    IMAGES.mkdir(parents=True, exist_ok=True)
    for name, source, box, size in IMAGE_SPECS:
        src = Image.open(shared_data / source)
        src.load()
        assert src.mode == "RGB", (source, src.mode)
        if box is not None:
            src = src.crop(box)
        small = src.resize(size, Image.LANCZOS)
        out = IMAGES / name
        if name.endswith(".jpg"):
            small.save(out, format="JPEG", quality=JPEG_QUALITY)
        else:
            small.save(out, format="PNG", optimize=False)
        log(f"  wrote {out.relative_to(FIXTURES)} {small.size} from {source}")
    license_src = shared_data / "faces" / "LICENSE.txt"
    shutil.copyfile(license_src, IMAGES / "FACESYNTHETICS-LICENSE.txt")


def clip_preprocess(path, size):
    """OpenAI CLIP `_transform(size)` (torchvision Resize(size, BICUBIC) -> CenterCrop(size) -> RGB ->
    ToTensor -> Normalize) written out with PIL and torch so torchvision is not needed.

    Returns (uint8 (3, S, S) crop after RGB conversion, float32 (3, S, S) normalised pixels)."""
    image = Image.open(path)
    w, h = image.size
    # torchvision _compute_resized_output_size: shorter side -> size, longer side int(size * long / short).
    if w <= h:
        new_w, new_h = size, int(size * h / w)
    else:
        new_w, new_h = int(size * w / h), size
    if (new_w, new_h) != (w, h):
        image = image.resize((new_w, new_h), Image.BICUBIC)
    # torchvision center_crop: Python round() (half to even).
    top = int(round((new_h - size) / 2.0))
    left = int(round((new_w - size) / 2.0))
    image = image.crop((left, top, left + size, top + size))
    image = image.convert("RGB")
    u8 = torch.from_numpy(np.array(image, dtype=np.uint8, copy=True)).permute(2, 0, 1).contiguous()
    # ToTensor: to float32 then div(255); Normalize: sub_(mean).div_(std) with float32 mean/std.
    pixels = u8.to(torch.float32).div(255)
    mean = torch.as_tensor(CLIP_MEAN, dtype=torch.float32).view(-1, 1, 1)
    std = torch.as_tensor(CLIP_STD, dtype=torch.float32).view(-1, 1, 1)
    pixels = pixels.sub(mean).div(std)
    return u8, pixels


def image_batch(size):
    u8s, pixels = zip(*(clip_preprocess(IMAGES / name, size) for name, _, _, _ in IMAGE_SPECS))
    return torch.stack(u8s), torch.stack(pixels)


# MARK: - Tiny random models

def clip_config(spec, vocab_size, bos, eos, pad):
    text = dict(spec["text"], vocab_size=vocab_size, bos_token_id=bos, eos_token_id=eos, pad_token_id=pad,
                projection_dim=spec["projection_dim"])
    vision = dict(spec["vision"], projection_dim=spec["projection_dim"])
    return CLIPConfig(text_config=text, vision_config=vision, projection_dim=spec["projection_dim"])


@torch.no_grad()
def perturb_tiny(model, seed):
    """Make the tiny model's weights non-trivial after HF init (which sets LayerNorm to 1/0, biases to 0
    and small weights).

    Besides the LayerNorm/bias/embedding draws, every Linear weight and the patch embedding get
    N(0, fan_in^-0.5): with HF's small init (attention near uniform, patch features ~0.02) the class
    token hardly depends on the image and different images' embeddings have cosine > 0.99."""
    g = torch.Generator().manual_seed(seed)

    def normal(t, mean, std):
        t.copy_(torch.randn(t.shape, generator=g, dtype=torch.float32) * std + mean)

    for name, module in model.named_modules():
        if isinstance(module, torch.nn.LayerNorm):
            normal(module.weight, 1.0, 0.2)
            normal(module.bias, 0.0, 0.1)
        elif isinstance(module, torch.nn.Linear):
            normal(module.weight, 0.0, module.weight.shape[1] ** -0.5)
            if module.bias is not None:
                normal(module.bias, 0.0, 0.05)
    normal(model.vision_model.embeddings.class_embedding, 0.0, 0.2)
    normal(model.vision_model.embeddings.position_embedding.weight, 0.0, 0.2)
    normal(model.text_model.embeddings.position_embedding.weight, 0.0, 0.2)
    patch = model.vision_model.embeddings.patch_embedding.weight
    normal(patch, 0.0, (patch.shape[1] * patch.shape[2] * patch.shape[3]) ** -0.5)
    model.logit_scale.fill_(TINY_LOGIT_SCALE)


def check_safetensors_dtypes(path, dtype_name):
    with safe_open(str(path), "pt") as f:
        keys = list(f.keys())
        dtypes = {f.get_slice(k).get_dtype() for k in keys}
    assert dtypes == {dtype_name}, f"{path}: dtypes {dtypes}, expected {{{dtype_name}}}"
    assert not any(k.endswith("position_ids") for k in keys), f"{path}: unexpected position_ids"
    return keys


def build_tiny(name, seed, dtype, spec, vocab, merges):
    folder = MODELS / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    config = clip_config(spec, TINY_VOCAB_SIZE, TINY_BOS, TINY_EOS, TINY_EOS)
    torch.manual_seed(seed)
    model = CLIPModel(config).eval()
    perturb_tiny(model, seed)
    model = model.to(dtype)
    model.save_pretrained(str(folder))
    write_tokenizer_files(folder, vocab, merges)
    check_safetensors_dtypes(folder / "model.safetensors", SAFETENSORS_DTYPE[dtype])

    saved = json.loads((folder / "config.json").read_text())
    for section, keys in [("vision_config", ["hidden_act", "image_size", "patch_size", "layer_norm_eps",
                                             "hidden_size", "num_attention_heads", "num_hidden_layers",
                                             "intermediate_size"]),
                          ("text_config", ["hidden_act", "layer_norm_eps", "vocab_size", "bos_token_id",
                                           "eos_token_id", "pad_token_id", "max_position_embeddings"])]:
        missing = [k for k in keys if k not in saved[section]]
        assert not missing, f"{folder}/config.json {section} lacks {missing}"
    assert saved["projection_dim"] == spec["projection_dim"]
    return model  # in `dtype`


def make_hub_copy(source_name, hub_name):
    """Same weights plus the int64 position_ids buffers that real hub checkpoints carry."""
    src, dst = MODELS / source_name, MODELS / hub_name
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    tensors = load_file(str(src / "model.safetensors"))
    vision = json.loads((src / "config.json").read_text())["vision_config"]
    text = json.loads((src / "config.json").read_text())["text_config"]
    num_positions = (vision["image_size"] // vision["patch_size"]) ** 2 + 1
    tensors["vision_model.embeddings.position_ids"] = torch.arange(num_positions, dtype=torch.int64).unsqueeze(0)
    tensors["text_model.embeddings.position_ids"] = torch.arange(
        text["max_position_embeddings"], dtype=torch.int64).unsqueeze(0)
    save_file(tensors, str(dst / "model.safetensors"), metadata={"format": "pt"})
    for f in ["config.json", "vocab.json", "merges.txt"]:
        shutil.copyfile(src / f, dst / f)
    with safe_open(str(dst / "model.safetensors"), "pt") as f:
        s = f.get_slice("vision_model.embeddings.position_ids")
        assert (s.get_dtype(), s.get_shape()) == ("I64", [1, num_positions])
        s = f.get_slice("text_model.embeddings.position_ids")
        assert (s.get_dtype(), s.get_shape()) == ("I64", [1, 77])


# MARK: - Forward and references

def load_float32(folder):
    model = CLIPModel.from_pretrained(str(folder), dtype=torch.float32, attn_implementation="eager")
    assert model.vision_model.config._attn_implementation == "eager"
    return model.eval()


def l2_normalize(x):
    return x / x.norm(p=2, dim=-1, keepdim=True)


@torch.no_grad()
def compute_references(model, pixel_values, input_ids):
    """All outputs are float32. No attention_mask: OpenAI CLIP runs the text tower with the causal mask
    only (pads are zeros after eos and the pooled position is eos, so padding cannot leak in)."""
    vision = model.vision_model(pixel_values=pixel_values)
    text = model.text_model(input_ids=input_ids)
    image_raw = model.get_image_features(pixel_values=pixel_values).pooler_output
    text_raw = model.get_text_features(input_ids=input_ids).pooler_output
    assert torch.equal(image_raw, model.visual_projection(vision.pooler_output))
    assert torch.equal(text_raw, model.text_projection(text.pooler_output))
    image_embeds = l2_normalize(image_raw)
    text_embeds = l2_normalize(text_raw)
    logit_scale = model.logit_scale.detach().reshape(1).clone()
    logits = logit_scale.exp() * image_embeds @ text_embeds.t()
    full = model(input_ids=input_ids, pixel_values=pixel_values)
    torch.testing.assert_close(full.logits_per_image, logits, rtol=1e-6, atol=1e-5)
    torch.testing.assert_close(full.image_embeds, image_embeds, rtol=0, atol=1e-6)
    torch.testing.assert_close(full.text_embeds, text_embeds, rtol=0, atol=1e-6)
    refs = {
        "pixel_values": pixel_values,
        "input_ids": input_ids,
        "image_embeds": image_embeds,
        "text_embeds": text_embeds,
        "image_embeds_raw": image_raw,
        "text_embeds_raw": text_raw,
        "vision_pooled": vision.pooler_output,
        "text_pooled": text.pooler_output,
        "logit_scale": logit_scale,
        "logits_per_image": logits,
    }
    return {k: v.detach().contiguous() for k, v in refs.items()}


def check_not_degenerate(name, refs):
    for key in ["image_embeds", "text_embeds"]:
        e = refs[key]
        cos = e @ e.t()
        off = cos[~torch.eye(len(e), dtype=torch.bool)]
        assert off.max() < MAX_DISTINCT_COSINE, f"{name}: {key} nearly identical (max cos {off.max():.5f})"
        assert torch.isfinite(e).all()
        log(f"  {name}: {key} max off-diagonal cosine {off.max().item():.4f}")


def reference_metadata(model_name, image_size, extra=None):
    """safetensors header metadata: ONE key, "fixture", holding a JSON object with sorted keys.
    (safetensors serialises the metadata map in hash order, so several keys would make the file bytes
    differ from run to run.)"""
    info = {
        "fixture_version": FIXTURE_VERSION,
        "generator": "Tests/CLIPTests/Fixtures/make_reference.py",
        "model": model_name,
        "image_size": image_size,
        "images": [name for name, _, _, _ in IMAGE_SPECS],
        "texts": TEXTS,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
    }
    info.update(extra or {})
    return {"fixture": json.dumps(info, sort_keys=True)}


def make_tiny_references(oc_tok, bpe_path, vocab, merges):
    for name, seed, dtype, spec in TINY_MODELS:
        log(f"tiny model {name} (seed {seed}, {dtype})")
        in_memory = build_tiny(name, seed, dtype, spec, vocab, merges)
        model = load_float32(MODELS / name)
        # The float32 model used for references is exactly the stored (possibly 16-bit) weights upcast.
        expected = {k: v.to(torch.float32) for k, v in in_memory.state_dict().items()}
        for k, v in model.state_dict().items():
            assert torch.equal(v, expected[k]), f"{name}: {k} changed in the save/load round trip"
        size = spec["vision"]["image_size"]
        u8, pixels = image_batch(size)
        ids = tiny_input_ids(MODELS / name, oc_tok, bpe_path)
        refs = compute_references(model, pixels, ids)
        refs["pixel_values_u8"] = u8
        check_not_degenerate(name, refs)
        cross_check_float64(name, load_file(str(MODELS / name / "model.safetensors")),
                            json.loads((MODELS / name / "config.json").read_text()), refs)
        save_file(refs, str(REFERENCES / f"{name}.safetensors"),
                  metadata=reference_metadata(name, size, {"weights_dtype": SAFETENSORS_DTYPE[dtype]}))
        if name == "tiny-quickgelu":
            make_hub_copy(name, "tiny-quickgelu-hub")
            hub = load_float32(MODELS / "tiny-quickgelu-hub")
            hub_refs = compute_references(hub, pixels, ids)
            for k in hub_refs:
                assert torch.equal(hub_refs[k], refs[k]), f"tiny-quickgelu-hub differs in {k}"


# MARK: - Independent float64 forward (cross-check of the HF references)

# The tolerances proposed for the Swift float32 engine vs these references; the float64 forward below,
# written from the OpenAI CLIP model definition without transformers, must already meet them.
PARITY_MIN_COSINE = 0.99999
PARITY_MAX_ABS = 1e-4


@torch.no_grad()
def float64_forward(weights, config, pixel_values, input_ids):
    """Plain pre-LayerNorm CLIP (OpenAI model.py semantics) in float64 from a {HF key: tensor} dict.

    pixel_values: (B, 3, S, S), input_ids: (B, T) -> dict of vision_pooled (B, Cv), text_pooled (B, Ct),
    image_embeds_raw (B, E), text_embeds_raw (B, E)."""
    w = {k: v.to(torch.float64) for k, v in weights.items() if not k.endswith("position_ids")}

    def layer_norm(x, prefix, eps):
        mean = x.mean(-1, keepdim=True)
        var = ((x - mean) ** 2).mean(-1, keepdim=True)
        return (x - mean) / torch.sqrt(var + eps) * w[prefix + ".weight"] + w[prefix + ".bias"]

    def linear(x, prefix):
        y = x @ w[prefix + ".weight"].t()
        return y + w[prefix + ".bias"] if prefix + ".bias" in w else y

    def activation(x, name):
        if name == "quick_gelu":
            return x * torch.sigmoid(1.702 * x)
        assert name == "gelu", name
        return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))

    def tower(x, prefix, cfg, causal):
        # x: (B, T, C)
        heads, eps = cfg["num_attention_heads"], cfg["layer_norm_eps"]
        b, t, c = x.shape
        d = c // heads
        for layer in range(cfg["num_hidden_layers"]):
            p = f"{prefix}.encoder.layers.{layer}"
            h = layer_norm(x, p + ".layer_norm1", eps)
            q, k, v = (linear(h, f"{p}.self_attn.{n}_proj").view(b, t, heads, d).transpose(1, 2)
                       for n in ("q", "k", "v"))
            scores = (q * d ** -0.5) @ k.transpose(-1, -2)  # (B, H, T, T)
            if causal:
                scores = scores.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf"))
            o = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, c)
            x = x + linear(o, p + ".self_attn.out_proj")
            h = layer_norm(x, p + ".layer_norm2", eps)
            x = x + linear(activation(linear(h, p + ".mlp.fc1"), cfg["hidden_act"]), p + ".mlp.fc2")
        return x

    vc, tc = config["vision_config"], config["text_config"]
    # Vision: non-overlapping P x P patches in row-major grid order, flattened as (3, P, P).
    patch = vc["patch_size"]
    px = pixel_values.to(torch.float64)
    b, _, size, _ = px.shape
    g = size // patch
    patches = px.reshape(b, 3, g, patch, g, patch).permute(0, 2, 4, 1, 3, 5).reshape(b, g * g, 3 * patch * patch)
    conv = w["vision_model.embeddings.patch_embedding.weight"].reshape(vc["hidden_size"], -1)
    cls = w["vision_model.embeddings.class_embedding"].expand(b, 1, -1)
    x = torch.cat([cls, patches @ conv.t()], dim=1) + w["vision_model.embeddings.position_embedding.weight"]
    x = layer_norm(x, "vision_model.pre_layrnorm", vc["layer_norm_eps"])
    x = tower(x, "vision_model", vc, causal=False)
    vision_pooled = layer_norm(x[:, 0], "vision_model.post_layernorm", vc["layer_norm_eps"])

    # Text: causal mask only; pooled at the first eos (== argmax of the ids for OpenAI's vocabulary,
    # where eos 49407 is the largest id; HF's legacy eos_token_id == 2 configs use argmax).
    t = input_ids.shape[1]
    x = w["text_model.embeddings.token_embedding.weight"][input_ids] + \
        w["text_model.embeddings.position_embedding.weight"][:t]
    x = tower(x, "text_model", tc, causal=True)
    x = layer_norm(x, "text_model.final_layer_norm", tc["layer_norm_eps"])
    if tc["eos_token_id"] == 2:
        pool = input_ids.argmax(-1)
    else:
        pool = (input_ids == tc["eos_token_id"]).int().argmax(-1)
    text_pooled = x[torch.arange(len(x)), pool]
    return {
        "vision_pooled": vision_pooled,
        "text_pooled": text_pooled,
        "image_embeds_raw": linear(vision_pooled, "visual_projection"),
        "text_embeds_raw": linear(text_pooled, "text_projection"),
    }


def cross_check_float64(name, weights, config, refs):
    """The float32 HF references vs the float64 forward: per row cosine and max abs difference."""
    out = float64_forward(weights, config, refs["pixel_values"], refs["input_ids"])
    report = []
    for key, value in out.items():
        ref = refs[key].to(torch.float64)
        cosine = torch.nn.functional.cosine_similarity(ref, value, dim=-1).min().item()
        max_abs = (ref - value).abs().max().item()
        assert cosine >= PARITY_MIN_COSINE and max_abs <= PARITY_MAX_ABS, (name, key, cosine, max_abs)
        report.append(f"{key} 1-cos={1 - cosine:.1e} maxabs={max_abs:.1e} (max |ref| {ref.abs().max().item():.2f})")
    log(f"  {name}: float64 forward vs HF float32: " + ", ".join(report))


# MARK: - Synthetic generator (notes/synthetic.md)

MASK64 = (1 << 64) - 1
FNV_OFFSET, FNV_PRIME = 0xCBF29CE484222325, 0x100000001B3
GOLDEN = 0x9E3779B97F4A7C15
MIX1, MIX2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
LAYER_NORM_NAMES = ("layer_norm", "layrnorm", "layernorm")


def fnv1a64(key):
    h = FNV_OFFSET
    for byte in key.encode("utf-8"):
        h = ((h ^ byte) * FNV_PRIME) & MASK64
    return h


def synthetic_rule(key, shape):
    """(center, scale) as float32 per notes/synthetic.md, or None for 'not generated'."""
    if key == "logit_scale":
        raise ValueError("logit_scale is a constant, not a generated tensor")
    if key.endswith("position_ids"):
        return None
    if any(n in key for n in LAYER_NORM_NAMES) and key.endswith(".weight"):
        return np.float32(1.0), np.float32(0.2)
    if any(n in key for n in LAYER_NORM_NAMES) and key.endswith(".bias"):
        return np.float32(0.0), np.float32(0.1)
    if key.endswith(("class_embedding", "position_embedding.weight", "token_embedding.weight")):
        return np.float32(0.0), np.float32(0.2)
    if key.endswith("patch_embedding.weight"):
        assert len(shape) == 4 and shape[1] == 3 and shape[2] == shape[3], (key, shape)
        p = shape[2]
        return np.float32(0.0), np.float32(math.sqrt(3.0 / (3 * p * p)))
    if key.endswith(".weight"):
        assert len(shape) == 2, (key, shape)
        return np.float32(0.0), np.float32(math.sqrt(3.0 / shape[1]))
    if key.endswith(".bias"):
        return np.float32(0.0), np.float32(0.05)
    raise ValueError(f"no synthetic rule for {key}")


def synthetic_tensor(key, shape, seed, chunk=1 << 22):
    """Vectorised numpy implementation: float32 array of `shape`, C order."""
    center, scale = synthetic_rule(key, shape)
    n = int(np.prod(shape, dtype=np.int64))
    out = np.empty(n, dtype=np.float32)
    base = np.uint64((seed ^ fnv1a64(key)) & MASK64)
    with np.errstate(over="ignore"):
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            i1 = np.arange(start + 1, stop + 1, dtype=np.uint64)
            z = base + i1 * np.uint64(GOLDEN)
            z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX1)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
            z = z ^ (z >> np.uint64(31))
            u = (z >> np.uint64(40)).astype(np.float32) / np.float32(16777216)
            v = np.float32(2) * u - np.float32(1)
            prod = scale * v          # float32 multiply ...
            out[start:stop] = center + prod  # ... then float32 add (two roundings, no FMA)
    return out.reshape(shape)


def f32(x):
    """Round a Python float (double) to the nearest float32 and back (struct packs round to nearest even)."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def synthetic_value_pure_python(key, index, seed, center, scale):
    """One element with Python ints only (independent of numpy); center/scale as Python floats.
    scale32 * v is exact in double (24 + 25 significant bits) so one f32() rounding is correct, and
    double rounding of the add is innocuous because 53 >= 2 * 24 + 2."""
    s = ((seed ^ fnv1a64(key)) + (index + 1) * GOLDEN) & MASK64
    z = s
    z = ((z ^ (z >> 30)) * MIX1) & MASK64
    z = ((z ^ (z >> 27)) * MIX2) & MASK64
    z = z ^ (z >> 31)
    k = z >> 40
    v = (2 * k - (1 << 24)) / float(1 << 24)
    return f32(f32(center) + f32(f32(scale) * v))


@torch.no_grad()
def fill_synthetic(model, seed):
    state = model.state_dict()
    filled = {}
    for key, tensor in state.items():
        if key == "logit_scale":
            value = torch.tensor(np.float32(2.6592600345611572))
        elif synthetic_rule(key, tuple(tensor.shape)) is None:
            continue
        else:
            value = torch.from_numpy(synthetic_tensor(key, tuple(tensor.shape), seed))
        assert value.dtype == torch.float32 and value.shape == tensor.shape, key
        tensor.copy_(value)
        filled[key] = value
    unfilled = [k for k in state if k not in filled and not k.endswith("position_ids")]
    assert not unfilled, f"parameters without a synthetic rule: {unfilled}"
    for name, p in model.named_parameters():
        assert name in filled, f"parameter {name} not filled"
        assert torch.equal(p.view(torch.int32), filled[name].view(torch.int32)), f"{name} not bit-exact"
    return filled


def spot_check_synthetic(filled, seed):
    """Independent pure-Python values at chosen indices must equal the filled float32 tensors bit for bit."""
    checks = 0
    for key in SYNTHETIC_CHECK_KEYS + ["vision_model.encoder.layers.0.self_attn.q_proj.weight",
                                       "text_model.embeddings.token_embedding.weight",
                                       "vision_model.embeddings.class_embedding",
                                       "text_model.final_layer_norm.bias",
                                       "visual_projection.weight"]:
        tensor = filled[key].reshape(-1)
        n = tensor.numel()
        shape = tuple(filled[key].shape)
        # Independent (center, scale) from the spec table, not from synthetic_rule().
        if "layer_norm" in key or "layrnorm" in key or "layernorm" in key:
            center, scale = (1.0, 0.2) if key.endswith("weight") else (0.0, 0.1)
        elif key.endswith(("class_embedding", "token_embedding.weight")):
            center, scale = 0.0, 0.2
        elif key.endswith("patch_embedding.weight"):
            center, scale = 0.0, math.sqrt(3.0 / (3 * shape[2] * shape[3]))
        elif key.endswith(".weight"):
            center, scale = 0.0, math.sqrt(3.0 / shape[1])
        else:
            center, scale = 0.0, 0.05
        for index in sorted({0, 1, 2, 7, n // 3, n // 2 + 1, n - 2, n - 1}):
            expected = synthetic_value_pure_python(key, index, seed, center, scale)
            got = float(tensor[index].item())
            assert struct.pack("<f", expected) == struct.pack("<f", got), (key, index, expected, got)
            checks += 1
    log(f"  synthetic generator: {checks} pure-Python spot checks bit-exact")


def synthetic_check_json(filled, seed):
    entries = {}
    for key in SYNTHETIC_CHECK_KEYS:
        values = filled[key].numpy()
        flat = values.reshape(-1)
        center, scale = synthetic_rule(key, values.shape)
        entries[key] = {
            "seed": seed,
            "shape": list(values.shape),
            "count": int(flat.size),
            "fnv1a64": f"0x{fnv1a64(key):016x}",
            "center": repr(float(center)),
            "scale": repr(float(scale)),
            "first8": [repr(float(x)) for x in flat[:8]],
            "last": repr(float(flat[-1])),
            "sum_float64": repr(math.fsum(float(x) for x in flat)),
        }
    # repr strings round-trip exactly; parse them as Double and convert to Float in Swift.
    return {
        "fixture_version": FIXTURE_VERSION,
        "generator": "Tests/CLIPTests/Fixtures/make_reference.py (notes/synthetic.md)",
        "note": "values are repr() of the float32 values widened to float64, so they parse exactly; "
                "sum_float64 is math.fsum (correctly rounded, order independent) of the float32 values",
        "logit_scale": repr(float(np.float32(2.6592600345611572))),
        "tensors": entries,
    }


def make_synthetic_references(oc_tok, bpe_path):
    log(f"synthetic ViT-B/32 (seed {SYNTHETIC_SEED})")
    spec = VITB32_CONFIG
    config = CLIPConfig(text_config=spec["text"], vision_config=spec["vision"],
                        projection_dim=spec["projection_dim"],
                        logit_scale_init_value=spec["logit_scale_init_value"])
    config.architectures = ["CLIPModel"]
    config.dtype = torch.float32
    torch.manual_seed(0)
    model = CLIPModel._from_config(config, attn_implementation="eager").eval()
    assert model.vision_model.config._attn_implementation == "eager"
    filled = fill_synthetic(model, SYNTHETIC_SEED)
    spot_check_synthetic(filled, SYNTHETIC_SEED)
    # The config.json a save_pretrained of this model would write (the weights are never written).
    (REFERENCES / "vitb32-synthetic.config.json").write_text(config.to_json_string(use_diff=True))

    u8, pixels = image_batch(224)
    ids = openai_input_ids(oc_tok, bpe_path)
    refs = compute_references(model, pixels, ids)
    check_not_degenerate("vitb32-synthetic", refs)
    cross_check_float64("vitb32-synthetic", filled, json.loads(config.to_json_string(use_diff=False)), refs)
    # Size budget: the float32 (3, 3, 224, 224) pixel_values (1.8 MB) are not stored; pixel_values_u8 holds
    # the same information (pixel_values == ((u8.float() / 255) - mean) / std in float32, checked here).
    recomputed = u8.to(torch.float32).div(255).sub(torch.tensor(CLIP_MEAN).view(-1, 1, 1)) \
        .div(torch.tensor(CLIP_STD).view(-1, 1, 1))
    assert torch.equal(recomputed, refs["pixel_values"])
    del refs["pixel_values"]
    refs["pixel_values_u8"] = u8
    save_file(refs, str(REFERENCES / "vitb32-synthetic.safetensors"),
              metadata=reference_metadata("vitb32-synthetic", 224,
                                          {"weights_dtype": "F32", "synthetic_seed": SYNTHETIC_SEED}))
    (REFERENCES / "synthetic-check.json").write_text(json.dumps(synthetic_check_json(filled, SYNTHETIC_SEED),
                                                                indent=2) + "\n")


# MARK: - Verification

def summarize():
    lines = []
    for path in sorted(list(REFERENCES.glob("*.safetensors")) + list(MODELS.glob("*/model.safetensors"))):
        with safe_open(str(path), "pt") as f:
            keys = list(f.keys())
            for k in keys:
                f.get_tensor(k)  # loads back
            if path.parent == REFERENCES:
                lines.append(f"{path.relative_to(FIXTURES)}: metadata {f.metadata()}")
                for k in keys:
                    s = f.get_slice(k)
                    lines.append(f"  {k:18s} {s.get_dtype():4s} {s.get_shape()}")
            else:
                dtypes = sorted({f.get_slice(k).get_dtype() for k in keys})
                lines.append(f"{path.relative_to(FIXTURES)}: {len(keys)} tensors, dtypes {dtypes}")
    total = 0
    for folder in [MODELS, REFERENCES, IMAGES]:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                total += p.stat().st_size
    lines.append(f"total bytes under models/, references/, images/: {total}")
    log("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared-data", type=Path, default=Path(os.environ.get("KEYPOINTS_SHARED_DATA",
                                                                                  DEFAULT_SHARED_DATA)),
                        help="shared sample data folder (only needed to (re)make images/)")
    parser.add_argument("--remake-images", action="store_true",
                        help="re-derive images/ from the shared data even if they exist")
    parser.add_argument("--skip-synthetic", action="store_true", help="skip the ViT-B/32 synthetic references")
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    for folder in [MODELS, REFERENCES, IMAGES]:
        folder.mkdir(parents=True, exist_ok=True)
    if args.remake_images or not all((IMAGES / name).is_file() for name, _, _, _ in IMAGE_SPECS):
        log("images")
        make_images(args.shared_data)

    bpe_path = find_bpe_file(args.shared_data)
    merges = read_merges(bpe_path, TINY_MERGES)
    vocab = tiny_vocab(merges)
    oc_tok = load_open_clip_tokenizer_module()

    make_tiny_references(oc_tok, bpe_path, vocab, merges)
    if not args.skip_synthetic:
        make_synthetic_references(oc_tok, bpe_path)
    summarize()


if __name__ == "__main__":
    main()
