#!/usr/bin/env python3
"""Writes routeros_vectors.json next to this script: RouterOS API encodings made by librouteros.

librouteros is an independent implementation of the API, so its bytes check ours (RouterOSWordTests).
Run it again only to add vectors; the JSON is committed.

    python3 -m pip install librouteros
    python3 Tests/ProvisioningServiceTests/Vectors/make_vectors.py
"""

import hashlib
import json
import pathlib
from importlib.metadata import version

from librouteros.exceptions import ProtocolError
from librouteros.protocol import encode_length, encode_sentence, encode_word

# Every length class boundary, and the first length past each.
LENGTHS = [0, 1, 0x7F, 0x80, 0x3FFF, 0x4000, 0x1FFFFF, 0x200000, 0xFFFFFFF, 0x10000000, 0xFFFFFFFF]

# Whole words up to 2 MiB; the 256 MiB word at 0xFFFFFFF is left to the length vectors.
WORD_LENGTHS = [0, 1, 0x7F, 0x80, 0x3FFF, 0x4000, 0x1FFFFF, 0x200000]

# A word of length n is this pattern repeated and cut to n bytes.
PATTERN = "abcdefghijklmnopqrstuvwxyz0123456789"

# Words whose whole encoding is written out; longer ones are checked by prefix, size and SHA-256.
FULL_HEX_LIMIT = 0x100

SENTENCES = [
    [],
    ["/login", "=name=admin", "=password=secret"],
    ["/ppp/secret/add", "=name=alice", "=password=p=w", "=profile=10M", ".tag=7"],
    ["/queue/simple/print", "?name=q1", "?name=q2", "?#|", "=.proplist=.id,name,max-limit", ".tag=12"],
    ["!re", "=.id=*1", "=name=alice", "=disabled=false", ".tag=7"],
    ["!done", "=ret=*1A", ".tag=3"],
    ["!trap", "=category=1", "=message=failure: already have such name", ".tag=4"],
    ["!empty", ".tag=5"],
    ["!fatal", "not logged in"],
    ["/ppp/secret/set", "=.id=*2", "=comment=\u00c1lvaro \u2014 caf\u00e9 \u2713"],
    ["/ip/firewall/address-list/add", "=list=overdue", "=address=10.0.0.7", "=comment=" + "x" * 200],
]


def word_of(length: int) -> str:
    return (PATTERN * (length // len(PATTERN) + 1))[:length]


def main() -> None:
    lengths = []
    for length in LENGTHS:
        try:
            lengths.append({"length": length, "hex": encode_length(length).hex()})
        except ProtocolError as error:
            # librouteros stops at the four-byte class; the five-byte form (0xF0) is tested in Swift alone.
            lengths.append({"length": length, "unsupported": str(error)})

    words = []
    for length in WORD_LENGTHS:
        encoded = encode_word(word_of(length), "ascii")
        vector = {
            "length": length,
            "prefix_hex": encoded[: len(encoded) - length].hex(),
            "encoded_size": len(encoded),
            "sha256": hashlib.sha256(encoded).hexdigest(),
        }
        if len(encoded) <= FULL_HEX_LIMIT:
            vector["hex"] = encoded.hex()
        words.append(vector)

    sentences = [{"words": words, "hex": encode_sentence(*words, encoding="utf-8").hex()} for words in SENTENCES]

    document = {
        "generator": f"librouteros {version('librouteros')} (librouteros.protocol.encode_length, encode_word, encode_sentence)",
        "word_pattern": PATTERN,
        "lengths": lengths,
        "words": words,
        "sentences": sentences,
    }
    output = pathlib.Path(__file__).with_name("routeros_vectors.json")
    output.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {output.name}: {len(lengths)} lengths, {len(words)} words, {len(sentences)} sentences")


if __name__ == "__main__":
    main()
