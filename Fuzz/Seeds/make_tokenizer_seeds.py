#!/usr/bin/env python3
"""Writes Fuzz/Seeds/tokenizer-files/*.txt: a model folder's vocab.json, merges.txt and a prompt,
joined with NUL bytes (the `tokenizer-files` target's input layout, FuzzTarget.runTokenizerFiles).

Run from the repository root: python3 Fuzz/Seeds/make_tokenizer_seeds.py (Python 3.11, standard
library only). Every seed is built from committed files: the first merges of OpenAI CLIP's
merges.txt (Tests/CLIPTests/Fixtures/tokenizer/merges.txt, MIT licence, see the README there) with
the vocabulary OpenAI derives from them (simple_tokenizer.py: the 256 byte characters of
bytes_to_unicode, the same with "</w>", one token per merge, <|startoftext|>, <|endoftext|>).

The valid seeds hold the 512 byte tokens (the least a vocabulary the loader accepts can hold) and
a hundred merges, so an input costs the target little and BPE still merges in the prompts; the
others are the edge cases of the loader listed in Fuzz/Seeds/README.md.
"""

import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Fuzz/Seeds/tokenizer-files"
OPENAI_MERGES = ROOT / "Tests/CLIPTests/Fixtures/tokenizer/merges.txt"

# Merges in the small valid seeds: "th e</w>", "a n", "o f</w>", "i s</w>" ... so the prompts merge.
SMALL = 100
PROMPT = "This is the beak of a bird"


def bytes_to_unicode():
    """simple_tokenizer.py's bytes_to_unicode(), in its order (the first 256 vocabulary entries)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def openai_merges(count):
    """The first `count` merges of OpenAI's merges.txt, as (left, right) pairs."""
    lines = OPENAI_MERGES.read_text(encoding="utf-8").split("\n")
    assert lines[0] == "#version: 0.2", lines[0]
    return [tuple(line.split()) for line in lines[1 : 1 + count]]


def derived_vocab(merges):
    """OpenAI's vocabulary of these merges (a repeated token keeps its last id, as dict(zip(...)))."""
    tokens = bytes_to_unicode()
    tokens += [t + "</w>" for t in tokens]
    tokens += ["".join(m) for m in merges]
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    return dict(zip(tokens, range(len(tokens))))


def merges_text(merges, header="#version: 0.2", end="\n"):
    lines = ([header] if header is not None else []) + [" ".join(m) for m in merges]
    return end.join(lines) + end


def seed(name, vocab, merges, prompt):
    vocab_bytes = vocab if isinstance(vocab, bytes) else json.dumps(vocab, ensure_ascii=False).encode()
    merges_bytes = merges if isinstance(merges, bytes) else merges.encode()
    (OUT / name).write_bytes(vocab_bytes + b"\0" + merges_bytes + b"\0" + prompt.encode())


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    small = openai_merges(SMALL)
    vocab = derived_vocab(small)

    # Valid: the merges and their vocabulary, with OpenAI's and Hugging Face's headers and none.
    seed(f"openai-{SMALL}-merges.txt", vocab, merges_text(small), PROMPT)
    seed("openai-header.txt", vocab, merges_text(small, header='"bpe_simple_vocab_16e6.txt#version: 0.2'),
         "The Bird\u2019s BEAK &amp; <|endoftext|> \U0001F426")
    seed("no-header.txt", vocab, merges_text(small, header=None), "the other one")
    # No merges at all: every byte is a token.
    seed("no-merges.txt", derived_vocab([]), merges_text([]), PROMPT)
    # CRLF line ends and blank lines after the last merge (accepted).
    seed("crlf-trailing-blank-lines.txt", vocab, merges_text(small, end="\r\n") + "\r\n\n", "Is THE beak\tthere?")
    # A pair listed twice: its later line gives its rank, as Python's dict(zip(merges, ...)) does.
    seed("duplicate-merge.txt", vocab, merges_text(small + [small[0], ("t", "h")]), "this thin thing")
    # A merge with a part that is no token ("bea"; "k</w>" is one) and a product that is ("beak</w>").
    with_parts = small + [("bea", "k</w>")]
    seed("merge-of-non-tokens.txt", derived_vocab(small) | {"beak</w>": len(vocab)}, merges_text(with_parts), PROMPT)
    # Long tokens: "a a" -> "aa", "aa aa" -> "aaaa", ... up to 256 letters, with and without
    # "</w>", and a prompt with words of 300 and 255 letters (merged in halves, not one by one).
    doubling = []
    for k in range(8):
        part = "a" * (1 << k)
        doubling += [(part, part), (part, part + "</w>")]
    seed("long-tokens.txt", derived_vocab(small + doubling), merges_text(small + doubling),
         "a " + "a" * 300 + " " + "A" * 255 + " bird")

    # Refused, each at a different check.
    missing = vocab.copy()
    del missing["".join(small[-1])]
    seed("missing-merge-token.txt", missing, merges_text(small), PROMPT)
    duplicate_id = vocab.copy()
    duplicate_id["<|endoftext|>"] = duplicate_id["<|startoftext|>"]
    seed("duplicate-id.txt", duplicate_id, merges_text(small), PROMPT)
    seed("blank-line-inside.txt", vocab, merges_text(small[:50]) + "\n" + merges_text(small[50:], header=None), PROMPT)
    seed("three-fields.txt", vocab, merges_text(small) + "t h e\n", PROMPT)
    seed("merges-not-utf8.txt", vocab, merges_text(small).encode() + b"\xff \xfe\n", PROMPT)
    seed("vocab-not-utf8.txt", json.dumps(vocab, ensure_ascii=False).encode()[:-1] + b', "\xc3\x28": 9999}',
         merges_text(small), PROMPT)
    seed("negative-id.txt", vocab | {"zz": -1}, merges_text(small), PROMPT)


if __name__ == "__main__":
    main()
