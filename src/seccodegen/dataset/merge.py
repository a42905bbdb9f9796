"""Merge the commits of all sources: filters, then deduplication by (repo, sha) and by CVE."""

from __future__ import annotations

from dataclasses import dataclass

from seccodegen.dataset.changes import CommitRecord, Dropped


@dataclass
class Origin:
    """A commit together with the index of the ``sources`` entry it came from."""

    index: int
    record: CommitRecord


def apply_filters(
    items: list[Origin], languages: tuple[str, ...], cwes: tuple[str, ...], drops: list[Dropped]
) -> list[Origin]:
    kept = []
    for item in items:
        rec = item.record
        if cwes and not set(rec.cwe_ids) & set(cwes):
            drops.append(
                Dropped(
                    rec.location,
                    "filtered out: no CWE in the cwe filter",
                    rec.source,
                    f"cwe_ids={rec.cwe_ids}",
                )
            )
            continue
        if languages:
            for f in rec.files:
                if f.language not in languages:
                    drops.append(
                        Dropped(
                            f.location,
                            "filtered out: language not in the languages filter",
                            rec.source,
                            f.language,
                        )
                    )
            rec.files = [f for f in rec.files if f.language in languages]
            if not rec.files:
                continue
        kept.append(item)
    return kept


def deduplicate(items: list[Origin], drops: list[Dropped]) -> list[Origin]:
    """Keep one record per fix.

    Records with whole files are preferred over fragment-only ones, then earlier ``sources``
    entries win. The same (repo, sha) twice is merged (CVE/CWE ids united, ``also_in`` noted). A
    record from another source whose CVEs are all already covered is the same fix seen twice
    (e.g. a Debian patch of an upstream commit) and is dropped; several commits of one source
    for one CVE are all kept (fixes often span commits).
    """
    ordered = sorted(items, key=lambda it: (not it.record.complete, it.index))
    by_key: dict[tuple[str, str], Origin] = {}
    cve_origins: dict[str, set[int]] = {}
    cve_holder: dict[str, CommitRecord] = {}
    kept: list[Origin] = []
    for item in ordered:
        rec = item.record
        first = by_key.get(rec.key)
        if first is not None:
            first.record.cve_ids = sorted(set(first.record.cve_ids) | set(rec.cve_ids))
            first.record.cwe_ids = sorted(
                set(first.record.cwe_ids) | set(rec.cwe_ids), key=lambda c: int(c.split("-")[1])
            )
            if rec.source not in first.record.also_in and rec.source != first.record.source:
                first.record.also_in.append(rec.source)
            drops.append(
                Dropped(
                    rec.location,
                    "duplicate commit (same repo and sha)",
                    rec.source,
                    f"kept from {first.record.source}: {first.record.location}",
                )
            )
            continue
        covered = rec.cve_ids and all(
            cve in cve_origins and item.index not in cve_origins[cve] for cve in rec.cve_ids
        )
        if covered:
            holder = cve_holder[rec.cve_ids[0]]
            if rec.source not in holder.also_in and rec.source != holder.source:
                holder.also_in.append(rec.source)
            drops.append(
                Dropped(
                    rec.location,
                    "duplicate fix (its CVEs already come from another source)",
                    rec.source,
                    f"{', '.join(rec.cve_ids)} kept from {holder.source}: {holder.location}",
                )
            )
            continue
        by_key[rec.key] = item
        for cve in rec.cve_ids:
            cve_origins.setdefault(cve, set()).add(item.index)
            cve_holder.setdefault(cve, rec)
        kept.append(item)
    kept.sort(key=lambda it: it.index)  # stable: reading order within a source is kept
    return kept
