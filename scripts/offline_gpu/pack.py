"""Pack files into transfer folders of at most --budget-mib MiB each, for a GPU machine without
network access that receives files in pieces of limited size (e.g. one upload of at most 64 MiB at
a time, the repository included).

Large files (GGUF weights) are cut into byte ranges named ``<file>.part-NNNN`` (NNNN counts across
all folders), and small files travel whole. Folders are filled in order: ``OUT/c00``, ``OUT/c01``,
...; send one per transfer beside the repository. On the machine,
``scripts/offline_gpu/run_experiment.sh start`` puts each file back together and checks its
sha256 (written to ``OUT/c00/SHA256SUMS`` here).

    python scripts/offline_gpu/pack.py --out .carry --whole .carry/w0/*.whl data.gz --split a.gguf b.gguf
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from seccodegen.artifacts import file_sha256

MIB = 1 << 20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=".carry")
    ap.add_argument("--budget-mib", type=float, default=60.0, help="MiB per folder (leave room for the repository, which travels too)")
    ap.add_argument("--whole", nargs="*", default=[], help="small files that travel whole (first)")
    ap.add_argument("--split", nargs="*", default=[], help="large files cut into byte ranges")
    args = ap.parse_args()
    out = Path(args.out)
    budget = int(args.budget_mib * MIB)
    used: list[int] = []  # bytes per folder c00, c01, ...

    def folder(i: int) -> Path:
        d = out / f"c{i:02d}"
        d.mkdir(parents=True, exist_ok=True)
        return d

    def first_fit(size: int) -> int:
        for i, u in enumerate(used):
            if u + size <= budget:
                return i
        used.append(0)
        return len(used) - 1

    # whole files first, largest first, each into the first folder with room
    for src in sorted((Path(n) for n in args.whole), key=lambda p: -p.stat().st_size):
        size = src.stat().st_size
        if size > budget:
            raise SystemExit(f"{src}: larger than one folder; pass it with --split")
        i = first_fit(size)
        shutil.copy2(src, folder(i) / src.name)
        used[i] += size
    # then the large files' byte ranges fill what room is left, folder by folder, then new ones
    sums, part, i = [], 0, 0
    for name in args.split:
        src = Path(name)
        sums.append(f"{file_sha256(src)}  {src.name}\n")
        with open(src, "rb") as fh:
            while True:
                while i < len(used) and used[i] >= budget - MIB:  # skip folders with under 1 MiB left
                    i += 1
                if i == len(used):
                    used.append(0)
                chunk = fh.read(budget - used[i])
                if not chunk:
                    break
                (folder(i) / f"{src.name}.part-{part:04d}").write_bytes(chunk)
                used[i] += len(chunk)
                part += 1
    (out / "c00" / "SHA256SUMS").write_text("".join(sums))  # travels with the first call
    for d in sorted(out.glob("c*")):
        size = sum(f.stat().st_size for f in d.iterdir())
        print(f"{d}: {size / MIB:.1f} MiB, {len(list(d.iterdir()))} files")


if __name__ == "__main__":
    main()
