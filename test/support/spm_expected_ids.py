#!/usr/bin/env python3
"""Independent expected token ids for test/tokenizer.test.ts.

Builds a SentencePiece model from the vocabulary in a GGUF file (pieces, scores and types) configured the way
Llama 2's tokenizer.model is -- BPE, byte fallback, a dummy "▁" prefix, no whitespace collapsing, identity
normalisation -- and prints the ids SentencePiece assigns to each test string, as JSON.

It has its own minimal GGUF parser so that it shares no code with runtime/gguf.ts.

Needs Debian's python3-sentencepiece and python3-protobuf:
    /usr/bin/python3 test/support/spm_expected_ids.py models/stories260K/stories260K.gguf
"""

import json
import struct
import sys

import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as model_pb2

TEST_STRINGS = [
    "Once upon a time, there was a little girl named Lily.",
    "Hello world",
    'Tim said, "Let\'s play!" She smiled.',
    "I have 3 apples, 42 pears and 1,000 grapes.",
    "café naïve",
    "Lily saw a 🐶.",
    " one leading space",
    "  two leading spaces",
    "a  b   c",
    "trailing space ",
    "line one\nline two",
    "\ttab",
    "Ünïcödé – “quotes” … ™",
    "日本語",
    "non\u00a0breaking",
    "<s> is not special",
    "",
]

SCALAR_FORMATS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
STRING, ARRAY = 8, 9


def read_gguf_metadata(path):
    with open(path, "rb") as f:
        data = f.read()
    pos = 0

    def take(fmt):
        nonlocal pos
        (value,) = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return value

    def read_string():
        nonlocal pos
        length = take("<Q")
        text = data[pos : pos + length].decode("utf-8")
        pos += length
        return text

    def read_value(value_type):
        if value_type == STRING:
            return read_string()
        if value_type == ARRAY:
            element_type = take("<I")
            return [read_value(element_type) for _ in range(take("<Q"))]
        return take(SCALAR_FORMATS[value_type])

    magic, version = take("<4s"), take("<I")
    assert magic == b"GGUF" and version in (2, 3), "not a GGUF v2/v3 file"
    take("<Q")  # tensor count
    metadata = {}
    for _ in range(take("<Q")):
        key = read_string()
        metadata[key] = read_value(take("<I"))
    return metadata


def build_sentencepiece_model(metadata):
    model = model_pb2.ModelProto()
    for piece, score, piece_type in zip(
        metadata["tokenizer.ggml.tokens"], metadata["tokenizer.ggml.scores"], metadata["tokenizer.ggml.token_type"]
    ):
        entry = model.pieces.add()
        entry.piece, entry.score, entry.type = piece, score, piece_type  # GGUF token types use SentencePiece's numbering
    model.trainer_spec.model_type = model_pb2.TrainerSpec.BPE
    model.trainer_spec.vocab_size = len(model.pieces)
    model.trainer_spec.byte_fallback = True
    model.trainer_spec.unk_id = metadata["tokenizer.ggml.unknown_token_id"]
    model.trainer_spec.bos_id = metadata["tokenizer.ggml.bos_token_id"]
    model.trainer_spec.eos_id = metadata["tokenizer.ggml.eos_token_id"]
    model.trainer_spec.pad_id = -1
    model.normalizer_spec.name = "identity"
    model.normalizer_spec.add_dummy_prefix = True
    model.normalizer_spec.remove_extra_whitespaces = False
    model.normalizer_spec.escape_whitespaces = True
    return model


def main():
    metadata = read_gguf_metadata(sys.argv[1])
    processor = spm.SentencePieceProcessor(model_proto=build_sentencepiece_model(metadata).SerializeToString())
    expected = [[text, processor.encode(text)] for text in TEST_STRINGS]
    print(json.dumps(expected, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
