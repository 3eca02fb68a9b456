#!/usr/bin/env python3
"""Golden token ids for the Swift CLIPTokenizer (Tests/CLIPTests/TokenizerTests.swift).

Exact commands (run from the repository root; Python 3.11, ftfy 6.3.1, regex 2026.5.9,
transformers 5.24.0):

    python3 Tests/CLIPTests/Fixtures/make_tokenizer_golden.py
    python3 Tests/CLIPTests/Fixtures/make_tokenizer_golden.py \
        --swift-tables Sources/CLIP/Tokenizer/TextCleaning+Tables.swift

Optional differential fuzzing (nothing committed):

    python3 Tests/CLIPTests/Fixtures/make_tokenizer_golden.py --fuzz /tmp/tokenizer_fuzz.json
    TOKENIZER_FUZZ_JSON=/tmp/tokenizer_fuzz.json swift test --filter TokenizerTests

The first writes
  Tests/CLIPTests/Fixtures/tokenizer/merges.txt   "#version: 0.2" + the 48894 merges OpenAI uses
                                                  (lines 1..48894 of bpe_simple_vocab_16e6.txt.gz)
  Tests/CLIPTests/Fixtures/tokenizer/golden.json  ids from OpenAI's SimpleTokenizer (ported below,
                                                  the real ftfy and html modules) + clip.tokenize
                                                  (context 77, truncate=True)
The second writes the Swift data tables (HTML5 entities as Python's html module knows them, ftfy's
width map) so they are generated, not typed.

The reference tokenizer is OpenAI's code, not a re-implementation: SimpleTokenizer below is a copy
of clip/simple_tokenizer.py (only the merges source became a parameter), and clip_tokenize is the
body of clip.tokenize. transformers' CLIPTokenizer (tokenizers backend) is used only to record, as a
note, where the Hugging Face fast tokenizer gives other ids (it skips ftfy and html.unescape).
"""
# Port of https://github.com/openai/CLIP/blob/main/clip/simple_tokenizer.py
# (SimpleTokenizer, bytes_to_unicode, get_pairs, basic_clean, whitespace_clean) and of
# clip.tokenize in https://github.com/openai/CLIP/blob/main/clip/clip.py.
#
# MIT License
#
# Copyright (c) 2021 OpenAI
#
# Permission is hereby granted, free of charge, to any person obtaining a copy
# of this software and associated documentation files (the "Software"), to deal
# in the Software without restriction, including without limitation the rights
# to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
# copies of the Software, and to permit persons to whom the Software is
# furnished to do so, subject to the following conditions:
#
# The above copyright notice and this permission notice shall be included in all
# copies or substantial portions of the Software.
#
# THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
# IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
# FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
# AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
# LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
# OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
# SOFTWARE.

import argparse
import gzip
import hashlib
import html
import html.entities
import json
import sys
import tempfile
import unicodedata
from functools import lru_cache
from pathlib import Path

import ftfy
import ftfy.chardata
import regex as re

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE / "tokenizer"
DEFAULT_BPE = Path("/work/shared/data/clip/bpe_simple_vocab_16e6.txt.gz")
BPE_SHA256 = "924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a"
MERGE_COUNT = 49152 - 256 - 2  # = 48894, the slice OpenAI takes: merges[1:49152-256-2+1]
TRUNCATED_MERGE_COUNT = 1000  # the tiny test models use the first 1000 merges (vocab 1514)
CONTEXT_LENGTH = 77
GOLDEN_FORMAT = "keypoints-clip-tokenizer-golden"
GOLDEN_VERSION = 1


# MARK: - OpenAI simple_tokenizer.py (verbatim apart from the merges parameter)

@lru_cache()
def bytes_to_unicode():
    """
    Returns list of utf-8 byte and a corresponding list of unicode strings.
    The reversible bpe codes work on unicode strings.
    This means you need a large # of unicode characters in your vocab if you want to avoid UNKs.
    When you're at something like a 10B token dataset you end up needing around 5K for decent coverage.
    This is a signficant percentage of your normal, say, 32K bpe vocab.
    To avoid that, we want lookup tables between utf-8 bytes and unicode strings.
    And avoids mapping to whitespace/control characters the bpe code barfs on.
    """
    bs = list(range(ord("!"), ord("~")+1))+list(range(ord("¡"), ord("¬")+1))+list(range(ord("®"), ord("ÿ")+1))
    cs = bs[:]
    n = 0
    for b in range(2**8):
        if b not in bs:
            bs.append(b)
            cs.append(2**8+n)
            n += 1
    cs = [chr(n) for n in cs]
    return dict(zip(bs, cs))


def get_pairs(word):
    """Return set of symbol pairs in a word.
    Word is represented as tuple of symbols (symbols being variable-length strings).
    """
    pairs = set()
    prev_char = word[0]
    for char in word[1:]:
        pairs.add((prev_char, char))
        prev_char = char
    return pairs


def basic_clean(text):
    text = ftfy.fix_text(text)
    text = html.unescape(html.unescape(text))
    return text.strip()


def whitespace_clean(text):
    text = re.sub(r'\s+', ' ', text)
    text = text.strip()
    return text


class SimpleTokenizer(object):
    def __init__(self, merge_lines):
        # OpenAI: merges = gzip.open(bpe_path).read().decode("utf-8").split('\n')[1:49152-256-2+1]
        self.byte_encoder = bytes_to_unicode()
        self.byte_decoder = {v: k for k, v in self.byte_encoder.items()}
        merges = [tuple(merge.split()) for merge in merge_lines]
        vocab = list(bytes_to_unicode().values())
        vocab = vocab + [v+'</w>' for v in vocab]
        for merge in merges:
            vocab.append(''.join(merge))
        vocab.extend(['<|startoftext|>', '<|endoftext|>'])
        self.vocab = vocab
        self.encoder = dict(zip(vocab, range(len(vocab))))
        self.decoder = {v: k for k, v in self.encoder.items()}
        self.bpe_ranks = dict(zip(merges, range(len(merges))))
        self.cache = {'<|startoftext|>': '<|startoftext|>', '<|endoftext|>': '<|endoftext|>'}
        self.pat = re.compile(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""", re.IGNORECASE)

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + ( token[-1] + '</w>',)
        pairs = get_pairs(word)

        if not pairs:
            return token+'</w>'

        while True:
            bigram = min(pairs, key = lambda pair: self.bpe_ranks.get(pair, float('inf')))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                    new_word.extend(word[i:j])
                    i = j
                except:
                    new_word.extend(word[i:])
                    break

                if word[i] == first and i < len(word)-1 and word[i+1] == second:
                    new_word.append(first+second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            new_word = tuple(new_word)
            word = new_word
            if len(word) == 1:
                break
            else:
                pairs = get_pairs(word)
        word = ' '.join(word)
        self.cache[token] = word
        return word

    def encode(self, text):
        bpe_tokens = []
        text = whitespace_clean(basic_clean(text)).lower()
        for token in re.findall(self.pat, text):
            token = ''.join(self.byte_encoder[b] for b in token.encode('utf-8'))
            bpe_tokens.extend(self.encoder[bpe_token] for bpe_token in self.bpe(token).split(' '))
        return bpe_tokens

    def decode(self, tokens):
        text = ''.join([self.decoder[token] for token in tokens])
        text = bytearray([self.byte_decoder[c] for c in text]).decode('utf-8', errors="replace").replace('</w>', ' ')
        return text


def clip_tokenize(tokenizer, text, context_length=CONTEXT_LENGTH):
    """clip.tokenize(text, context_length, truncate=True) for one text, as a list of ints."""
    sot_token = tokenizer.encoder["<|startoftext|>"]
    eot_token = tokenizer.encoder["<|endoftext|>"]
    tokens = [sot_token] + tokenizer.encode(text) + [eot_token]
    if len(tokens) > context_length:
        tokens = tokens[:context_length]
        tokens[-1] = eot_token
    return tokens + [0] * (context_length - len(tokens))


# MARK: - Test texts

HUNDRED_WORDS = " ".join(
    ["the quick brown fox jumps over the lazy dog while the bird sings"] * 8
)  # 13 words x 8 = 104 words
assert len(HUNDRED_WORDS.split()) >= 100

TEXTS = [
    # keypoint prompts
    "This is the beak of a bird",
    "This image shows the front left hoof of the horse",
    "a photo of a red circle around the left eye of a cat.",
    "A photo of the RIGHT WING TIP of a Black-footed Albatross",
    # punctuation and digits
    "Hello, world!",
    "What?! No... way!!!",
    "(parentheses) [brackets] {braces} <angles>",
    "email@example.com #hashtag $100 50% a+b=c",
    "2023",
    "3.14",
    "1,000,000 and 0.5 and 007",
    "hoof_front-left/right",
    "snake_case and kebab-case and CamelCase",
    # apostrophes and contractions
    "don't",
    "it's",
    "we'll",
    "I'M",
    "they're, you've, he'd, I'LL, SHE'S",
    "'s's''s 'sand",
    "rock 'n' roll",
    # curly quotes, primes, ligatures, widths
    "\u2018single\u2019 and \u201cdouble\u201d quotes",
    "it\u2019s the bird\u2019s wing",
    "\u201alow\u201b \u201equotes\u201f \u02bcmodifier \u2032prime\u2033",
    "\ufb01ne \ufb02our \ufb00 \ufb03 \ufb04 \ufb05 \ufb06 \u0132ssel \u01c5emal \u01c8",
    "\uff26\uff35\uff2c\uff2c\uff37\uff29\uff24\uff34\uff28 \uff54\uff45\uff58\uff54 \uff11\uff12\uff13\uff01",
    "\uff8a\uff9d\uff76\uff78 \uff76\uff9e \uff35\u30bf\u30fc\u30f3 \u65e5\u672c\u3000\u8a9e \uffe5\uffe1",
    # HTML entities
    "&amp;",
    "&lt;b&gt;bold&lt;/b&gt;",
    "&amp;amp;",
    "&#39;quoted&#39;",
    "caf&eacute; &EACUTE; &Eacute; P&EACUTE;REZ STRA&SZLIG;E",
    "&#x41;&#X42;&#67; &#128; &#0; &#1114112; &#x110000; &#55296; &#65;&#66",
    "fish &amp chips &copy 2020 &notit; &ampfoo &AMP; &COPY",
    "a &amp;amp;amp;lt; b",
    "<i>tag</i> &amp;amp;amp;lt; b",
    "&nbsp;non&nbsp;breaking &quot;quoted&quot; &apos;apos&apos;",
    "A&B &unknown; &#xZZ; & ; &; &#; &#59;",
    "&lt;|endoftext|&gt; &hellip; &mdash; &rarr; &ShortRightArrow; &NotNestedGreaterGreater;",
    # accents and normalisation
    "caf\u00e9",
    "na\u00efve",
    "cafe\u0301 de\u0301ja\u0300 vu",
    "\u00c5ngstr\u00f6m \u00c5NGSTR\u00d6M \u212b",
    "\u1100\u1161\u11a8 \u30ab\u3099",
    "Stra\u00dfe STRASSE \u00df \u1e9e",
    "\u0130stanbul \u0130I",
    "\u039f\u0394\u039f\u03a3 \u03a3\u0391\u03a3 \u03a3 \u03a3\u0391\u03a3.",
    "\u017ftop '\u017f \u212aelvin",
    # a supplementary-plane starter + a voicing mark (no composition; Foundation's NFC gets it wrong)
    "\U000230cf\uff9e and \U00023059\u3099",
    # U+0345 folds to a letter, so the IGNORECASE split pattern matches it nowhere and drops it
    "\u0389\u0345 a\u0345b !\u0345! \u03b1\u0345",
    # other scripts
    "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8",
    "\u5317\u4eac 2008\u5e74",
    "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8",
    "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440!",
    "Hindi: \u0939\u093f\u0928\u094d\u0926\u0940",
    "Arabic: \u0645\u0631\u062d\u0628\u0627",
    "Thai: \u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35",
    # numbers that are not ASCII digits
    "\u0663 \u00b2 \u00bd \u216b x\u00b2+y\u00b2=z\u00b2",
    "\u2211\u222b\u221a\u221e \u2260 \u2264 \u00b1 \u2026 \u2014 \u2013",
    "\u24b6\u24d1 \u00a9\u00ae\u2122",
    # emoji
    "I love \U0001f426 and \U0001f434!",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 family",
    "\U0001f1fa\U0001f1f8\U0001f1ef\U0001f1f5\U0001f3f3\ufe0f\u200d\U0001f308 flags",
    "\U0001f44d\U0001f3fd thumbs \u2764\ufe0f",
    # whitespace, line breaks, control characters
    "tab\tseparated\tvalues",
    "line one\nline two\r\nline three\rfour\u2028five\u2029six",
    "   leading and trailing   ",
    "many     spaces    here",
    "\u00a0nbsp\u00a0inside\u2003em\u3000ideographic\u202fnarrow",
    "zero\u200bwidth joiner\u200d non\u200cjoiner",
    "bell\x07 and\x00null \x1b[31mred\x1b[0m \x1b[12;34",
    "\ufeffbom start \ufffcobject",
    "C1 \x85 \x91quote\x92 \x80uro \x81",
    "\x0bvt\x0cff\x1cfs",
    # mixed case
    "ThIs Is MiXeD CaSe",
    "The Bird's BEAK",
    # empty and whitespace only
    "",
    "   \t\n  ",
    # over-long inputs (> 77 tokens)
    HUNDRED_WORDS,
    "!" * 200,
    "-=" * 100,
    "pneumonoultramicroscopicsilicovolcanoconiosis " * 10,
    "\U0001f426" * 50,
    # the special token strings inside text
    "<|startoftext|>hello<|endoftext|>",
    "a <|endoftext|> b <|STARTOFTEXT|> c",
    "!<|endoftext|> <|endoftext|>!",
    "<|startoftext|><|endoftext|><|end of text|>",
]

# Mojibake: ftfy's fix_encoding repairs these; the Swift port does not (documented). The golden
# records both the OpenAI ids and the ids with fix_text(..., fix_encoding=False).
MOJIBAKE_TEXTS = [
    "caf\u00c3\u00a9",
    "\u00e2\u20ac\u0153quoted\u00e2\u20ac\u009d",
    "sch\u00c3\u00b6n",
]

# Texts for the truncated (first 1000 merges) vocabulary.
TRUNCATED_TEXTS = [
    "This is the beak of a bird",
    "This image shows the front left hoof of the horse",
    "don't stop: 3.14 caf\u00e9 \U0001f426 <|endoftext|>",
    HUNDRED_WORDS,
]

# Texts whose ids from transformers' CLIPTokenizer (HF fast) are recorded next to OpenAI's.
HF_NOTE_TEXTS = [
    "&amp;amp;",
    "it\u2019s the bird\u2019s wing",
    "\ufb01ne \ufb02our",
    "\uff26\uff35\uff2c\uff2c\uff37\uff29\uff24\uff34\uff28",
    "C1 \x85 \x91quote\x92",
    "This is the beak of a bird",
]


# MARK: - Helpers

def read_merges(bpe_path):
    data = bpe_path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != BPE_SHA256:
        sys.exit(f"{bpe_path}: sha256 {digest}, expected {BPE_SHA256}")
    lines = gzip.decompress(data).decode("utf-8").split("\n")
    merges = lines[1:MERGE_COUNT + 1]
    assert len(merges) == MERGE_COUNT and all(len(m.split()) == 2 for m in merges)
    return merges


def clean(text, fix_encoding=True):
    fixed = ftfy.fix_text(text, fix_encoding=fix_encoding)
    cleaned = whitespace_clean(html.unescape(html.unescape(fixed)).strip()).lower()
    return fixed, cleaned


def case(tokenizer, text):
    fixed, cleaned = clean(text)
    assert cleaned == whitespace_clean(basic_clean(text)).lower()
    bpe_ids = tokenizer.encode(text)
    return {
        "text": text,
        "ftfy": fixed,
        "cleaned": cleaned,
        "bpe_count": len(bpe_ids),
        "ids": clip_tokenize(tokenizer, text),
    }


def hf_notes(merges, tokenizer):
    """ids of transformers' CLIPTokenizer for HF_NOTE_TEXTS (a note: the Swift port matches OpenAI)."""
    from transformers import CLIPTokenizer
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        (folder / "vocab.json").write_text(json.dumps(tokenizer.encoder, ensure_ascii=False), "utf-8")
        (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", "utf-8")
        hf = CLIPTokenizer.from_pretrained(str(folder))
        notes = []
        for text in HF_NOTE_TEXTS:
            openai_ids = [tokenizer.encoder["<|startoftext|>"]] + tokenizer.encode(text) + [tokenizer.encoder["<|endoftext|>"]]
            hf_ids = hf(text)["input_ids"]
            notes.append({
                "text": text,
                "openai_ids": openai_ids,
                "hf_fast_ids": hf_ids,
                "differs": openai_ids != hf_ids,
                "tokenizer": f"transformers {__import__('transformers').__version__} {type(hf).__name__}",
            })
    return notes


# MARK: - Fuzz texts (not committed)

FUZZ_PIECES = [
    "a", "B", "z", "Q", "0", "7", " ", "  ", ".", ",", "!", "?", "-", "_", "/", "'", "'s", "'T", "'re", "'ll",
    "'d", "'m", "'ve", "bird", "BEAK", "don't", "it's", "&", "#", ";", "&amp;", "&lt;", "&gt;", "&#39;",
    "&#x41;", "&#X1F426;", "&#128;", "&#0;", "&eacute", "&eacute;", "&EACUTE;", "&SZLIG;", "&notit;",
    "&ampx", "&amp;amp;", "&#", "&#x", "&nbsp;", "&copy", "&NotNestedGreaterGreater;", "<", ">", "<b>",
    "\n", "\r\n", "\r", "\t", "\u2028", "\u2029", "\x85", "\x1b[1m", "\x1b[", "\x0b", "\x0c",
    "\u2018", "\u2019", "\u201c", "\u201d", "\u201b", "\u02bc", "\u2032", "\ufb01", "\ufb03", "\u01c5",
    "\u0149", "\uff21", "\uff41", "\uff10", "\uff01", "\uff76", "\uff9e", "\uffa1", "\u3000",
    "\u0301", "\u0308", "\u0323", "\u0302", "e\u0301", "\u00e9", "\u00c5", "\u212b", "\u03a3",
    "\u039f", "\u03c3", "\u0130", "\u017f", "\u00df", "\u1e9e", "\u212a", "\u0416", "\u65e5",
    "\u1100", "\u1161", "\u11a8", "\u30ab", "\u3099", "\U0001f426", "\u200d", "\ufe0f",
    "\U0001f1fa", "\U0001f3fd", "\u200b", "\ufeff", "\u206a", "\ufffc", "\x00", "\x07", "\x1c",
    "\x7f", "\x81", "\x91", "\x9d", "\u00a0", "\u2003", "\u00b2", "\u00bd", "\u0663", "\u216b",
    "\u2260", "=\u0338", "<|startoftext|>", "<|endoftext|>", "<|ENDOFTEXT|>", "<|\u017ftartoftext|>",
]


def fuzz_texts(count, seed):
    import random
    rng = random.Random(seed)
    pieces = FUZZ_PIECES
    # assigned code points of Unicode 14 (Python's data), outside surrogates and private use
    pool = [c for c in range(0x20, 0x30000)
            if unicodedata.category(chr(c)) not in ("Cn", "Cs", "Co")]
    texts = []
    while len(texts) < count:
        parts = []
        for _ in range(rng.randint(0, 12)):
            if rng.random() < 0.7:
                parts.append(rng.choice(pieces))
            else:
                parts.append(chr(rng.choice(pool)))
        text = "".join(parts)
        if clean(text) == clean(text, fix_encoding=False):  # mojibake repair is not ported
            texts.append(text)
    return texts


# MARK: - Swift tables

def swift_string_table(name, doc, rows):
    """rows: (key, value) -> a Swift string literal of 'key<TAB>hex hex ...' lines."""
    lines = [f"    /// {doc}", f"    static let {name}: String = \"\"\""]
    for key, value in rows:
        assert "\t" not in key and "\\" not in key and '"""' not in key
        codes = " ".join(f"{ord(c):X}" for c in value)
        lines.append(f"        {key}\t{codes}")
    lines.append("        \"\"\"")
    return "\n".join(lines)


def write_swift_tables(path):
    html5 = sorted(html.entities.html5.items())
    # ftfy.chardata.HTML_ENTITIES = the html5 names with ';' plus upper-cased variants that Swift
    # derives at run time with ftfy's own rule (TextCleaning.ftfyEntities); check the rule here.
    derived = {}
    for name, char in html.entities.html5.items():
        if name.endswith(";"):
            derived["&" + name] = char
            if name == name.lower():
                upper = "&" + name.upper()
                if html.unescape(upper) == upper:
                    derived[upper] = char.upper()
    assert derived == ftfy.chardata.HTML_ENTITIES
    width = sorted(ftfy.chardata.WIDTH_MAP.items())
    width_rows = [(f"{code:X}", value) for code, value in width]
    header = f"""// Generated by Tests/CLIPTests/Fixtures/make_tokenizer_golden.py --swift-tables; do not edit.
// Python {sys.version.split()[0]} (unicodedata {unicodedata.unidata_version}), ftfy {ftfy.__version__}.
// Each table is one string literal of lines "key<TAB>code points in hex" (parsed once, lazily):
// a literal this size compiles fast, a 2000-entry dictionary literal would not.

extension TextCleaning {{
"""
    body = "\n\n".join([
        swift_string_table(
            "html5EntityTable",
            f"Python's html.entities.html5 ({len(html5)} names; names without ';' are the legacy ones html.unescape accepts bare).",
            html5),
        swift_string_table(
            "ftfyWidthTable",
            f"ftfy.chardata.WIDTH_MAP: U+3000 and U+FF01..U+FFEF -> NFKC of the single character ({len(width_rows)}).",
            width_rows),
    ])
    path.write_text(header + body + "\n}\n", "utf-8")
    print(f"wrote {path}: {len(html5)} html5 entities, {len(width_rows)} width mappings")


# MARK: - Main

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bpe", type=Path, default=DEFAULT_BPE, help="bpe_simple_vocab_16e6.txt.gz")
    parser.add_argument("--swift-tables", type=Path, help="write the Swift data tables to this path and exit")
    parser.add_argument("--fuzz", type=Path, help="write random texts and their ids to this JSON file and exit "
                        "(for the TOKENIZER_FUZZ_JSON test; not committed)")
    parser.add_argument("--fuzz-count", type=int, default=5000)
    parser.add_argument("--fuzz-seed", type=int, default=1)
    args = parser.parse_args()

    if args.swift_tables:
        write_swift_tables(args.swift_tables)
        return

    merges = read_merges(args.bpe)
    tokenizer = SimpleTokenizer(merges)
    assert len(tokenizer.vocab) == len(set(tokenizer.vocab)) == 49408

    if args.fuzz:
        cases = [case(tokenizer, text) for text in fuzz_texts(args.fuzz_count, args.fuzz_seed)]
        args.fuzz.write_text(json.dumps({"seed": args.fuzz_seed, "cases": cases}, ensure_ascii=True), "utf-8")
        print(f"wrote {args.fuzz}: {len(cases)} random texts (seed {args.fuzz_seed})")
        return

    cases = []
    for text in TEXTS:
        # The golden list covers what the Swift port implements: ftfy's mojibake repair
        # (fix_encoding) must not change any of these texts.
        assert clean(text) == clean(text, fix_encoding=False), f"fix_encoding changes {text!r}"
        cases.append(case(tokenizer, text))
    assert len(cases) >= 60

    mojibake = []
    for text in MOJIBAKE_TEXTS:
        entry = case(tokenizer, text)
        fixed, cleaned = clean(text, fix_encoding=False)
        assert cleaned != entry["cleaned"], f"ftfy does not repair {text!r}"
        entry["ftfy_without_fix_encoding"] = fixed
        entry["cleaned_without_fix_encoding"] = cleaned
        # ids the OpenAI code gives when ftfy's fix_encoding step is switched off
        saved = ftfy.fix_text
        ftfy.fix_text = lambda t, _saved=saved: _saved(t, fix_encoding=False)
        try:
            entry["ids_without_fix_encoding"] = clip_tokenize(tokenizer, text)
        finally:
            ftfy.fix_text = saved
        mojibake.append(entry)

    small = SimpleTokenizer(merges[:TRUNCATED_MERGE_COUNT])
    assert len(small.vocab) == 1514
    truncated = {
        "merge_count": TRUNCATED_MERGE_COUNT,
        "vocab_size": len(small.vocab),
        "sot": small.encoder["<|startoftext|>"],
        "eot": small.encoder["<|endoftext|>"],
        "cases": [case(small, text) for text in TRUNCATED_TEXTS],
    }

    golden = {
        "format": GOLDEN_FORMAT,
        "version": GOLDEN_VERSION,
        "made_by": "Tests/CLIPTests/Fixtures/make_tokenizer_golden.py (OpenAI simple_tokenizer.py + clip.tokenize(truncate=True))",
        "python": sys.version.split()[0],
        "ftfy": ftfy.__version__,
        "regex": re.__version__,
        "unicodedata": unicodedata.unidata_version,
        "bpe_sha256": BPE_SHA256,
        "context_length": CONTEXT_LENGTH,
        "vocab_size": len(tokenizer.vocab),
        "sot": tokenizer.encoder["<|startoftext|>"],
        "eot": tokenizer.encoder["<|endoftext|>"],
        "cases": cases,
        "mojibake_not_repaired": mojibake,
        "truncated_vocabulary": truncated,
        "hf_fast_notes": hf_notes(merges, tokenizer),
    }

    OUT_DIR.mkdir(exist_ok=True)
    (OUT_DIR / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", "utf-8")
    text = json.dumps(golden, ensure_ascii=True, indent=1)
    # one line per id list keeps the file short and diffable
    text = re.sub(r"\[\s*(-?\d+(?:,\s*-?\d+)*)\s*\]", lambda m: "[" + ",".join(m.group(1).split()).replace(",,", ",") + "]", text)
    json.loads(text)
    (OUT_DIR / "golden.json").write_text(text + "\n", "utf-8")
    differing = sum(note["differs"] for note in golden["hf_fast_notes"])
    print(f"wrote {OUT_DIR / 'merges.txt'} ({MERGE_COUNT} merges) and {OUT_DIR / 'golden.json'}: "
          f"{len(cases)} cases, {len(mojibake)} mojibake, {len(truncated['cases'])} truncated-vocab cases, "
          f"HF fast differs on {differing}/{len(HF_NOTE_TEXTS)} note texts")


if __name__ == "__main__":
    main()
