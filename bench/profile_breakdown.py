#!/usr/bin/env python3
"""Where a statement's CPU goes: a `perf` profile with call stacks, read
back by operator and by kind of work.

A flat profile of the release build names the hash-map probes and zstd but
leaves a fifth of the samples on inlined iterator loops (`Map::fold`,
`from_iter`) with no caller. With the call stacks unwound from DWARF (the
release build keeps line tables; no frame pointers needed) each sample is
charged to

  * its operator: the innermost stream on its stack. With --checked-pass
    the four hash joins of the checked pass are told apart by how many
    hash-join frames the stack holds from that frame to its root (the
    join itself and the joins downstream that pull from it: 4 is the
    first join, over the scan, 1 the last), and a projection is named by
    the join it reads from; and
  * its kind of work: the first frame that is not a generic iterator,
    allocation or buffer helper (`take_native` rather than `Map::fold`);
    allocation and memory copies are judged on the sampled frame itself.

Usage (the statement alone, as in BENCHMARKS.md; -D skips the checkpoints
computed before it, in milliseconds):

  perf record -o so.perf -e cpu-clock -F 499 --call-graph dwarf,16384 -D 25000 -- \\
      zafra profile-sql --input DATA --sql so.sql --views-as-of 2026-03-31
  perf script -i so.perf -F tid,ip,sym --no-inline > so.script
  python3 bench/profile_breakdown.py so.script --checked-pass [--top N]
"""
from __future__ import annotations

import argparse
import collections
import re

# Frames that say nothing of the work: iterator adapters, allocation,
# buffers. The first frame of a stack (leaf first) not matching is the
# sample's kernel.
GENERIC = re.compile(
    r"^(<core::|core::|<alloc::|alloc::|<hashbrown|hashbrown|<arrow_buffer|arrow_buffer::"
    r"|\[unknown\]|__mem|_int_|malloc|free|cfree|realloc|_mid_memalign|__posix_memalign"
    r"|unlink_chunk|<arrow_array::array::primitive_array::PrimitiveArray<T> as core::iter)"
)

ALLOCATION = re.compile(r"malloc|free|memmove|memset|memcpy|realloc|memalign|unlink_chunk|_int_")

# Kinds of work, first match wins (on the kernel frame).
KINDS = [
    ("join output: take (copying rows)", r"arrow_select::take::|InProgress.*copy_rows|InProgress.*set_source|coalesce"),
    ("join probe: hash-map lookups", r"get_matched_indices|JoinHashMap"),
    ("join probe: key comparison", r"equal_rows|compare_unchecked|compare_impl"),
    ("hashing keys", r"hash_utils::|create_hashes"),
    ("unmatched rows (right joins)", r"get_anti_indices|append_probe|adjust_indices"),
    ("Parquet encoding (the checkpoints and outputs written)",
     r"parquet::(column::writer|arrow::arrow_writer|util::interner|encodings::encoding|file::writer)"
     r"|ZSTD_compress|lz4_flex::block::compress|write_gather"),
    ("decompression (zstd, lz4)", r"ZSTD_|lz4_flex::block::decompress"),
    ("SHA-256 digests (inputs, outputs)", r"sha2::"),
    ("Parquet decoding (other)", r"^<?parquet::"),
    ("aggregation", r"group_values|GroupValues|groups_accumulator|NullState|aggregates::|binary_view_map|binary_map::"),
    ("decimal arithmetic", r"i256|try_binary|try_unary|PrimitiveArray<T>::unary|arity::"),
    ("comparisons, CASE, filters", r"cmp::apply_op|filter::|case::|BinaryExpr|boolean"),
    ("repartition", r"repartition::"),
    ("sorting and merging", r"sorts::|::sort::|lexsort|interleave"),
    ("the kernel zeroing new pages", r"clear_page"),
]

JOIN_NAMES = {4: "duplicate-key join", 3: "fx join", 2: "known-clients join", 1: "season join"}
JOIN = "HashJoinStream::poll_next_impl"


def read_samples(path: str) -> list[list[str]]:
    """Stacks of `perf script -F tid,ip,sym` output, leaf first."""
    samples: list[list[str]] = []
    current: list[str] | None = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.startswith("\t"):
                if current:
                    samples.append(current)
                current = []
                continue
            parts = line.strip().split(" ", 1)
            if len(parts) == 2 and current is not None:
                current.append(parts[1])
    if current:
        samples.append(current)
    return samples


def operator(stack: list[str], checked_pass: bool) -> str:
    """The innermost operator of a stack (leaf first)."""
    if any(re.search(r"parquet::(arrow::arrow_writer|column::writer|file::writer)|zafra::encode::", s) for s in stack):
        return "Parquet encoding (checkpoints, outputs)"
    # Hash-join frames from each frame to the root: the join at that frame
    # (if any) and the joins downstream of it.
    joins_to_root = sum(JOIN in s for s in stack)
    for sym in stack:
        if JOIN in sym:
            return JOIN_NAMES.get(joins_to_root, f"hash join {joins_to_root}") if checked_pass else "hash join"
        if "ProjectionStream" in sym and "poll_next" in sym:
            if not checked_pass:
                return "projection"
            # It reads from the join with one more frame to the root.
            return f"projection over {JOIN_NAMES.get(joins_to_root + 1, 'the scan')}"
        if "SortExec" in sym or "sorts::" in sym:
            return "sort, merge"
        if "FinalHashAggregateStream" in sym or "GroupedHashAggregateStream" in sym:
            return "aggregation (final)"
        if "PartialHashAggregateStream" in sym:
            return "aggregation (partial)"
        if "Unfold" in sym or "FileStream" in sym:
            return "Parquet scan (decode, its projection)"
        if "repartition::" in sym or "PerPartitionStream" in sym:
            return "repartition"
    return "other"


def kernel(stack: list[str]) -> str:
    return next((sym for sym in stack if not GENERIC.match(sym)), stack[0] if stack else "?")


def kind(stack: list[str]) -> str:
    if stack and ALLOCATION.search(stack[0]):
        return "allocation, memory copies"
    k = kernel(stack)
    return next((name for name, rx in KINDS if re.search(rx, k)), "other")


def short(symbol: str) -> str:
    for _ in range(3):
        symbol = re.sub(r"<[^<>]*>", "", symbol)
    return symbol[:100]


def table(title: str, counts: collections.Counter, n: int, top: int | None = None) -> None:
    print(f"\n| {title} | % of samples |\n|---|---:|")
    for key, count in counts.most_common(top):
        print(f"| {key} | {100 * count / n:.1f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("script", help="output of `perf script -F tid,ip,sym --no-inline`")
    ap.add_argument("--top", type=int, default=25, help="rows of the operator x kernel table")
    ap.add_argument("--checked-pass", action="store_true",
                    help="name the four hash joins of the checked pass (the profile is of its statement alone)")
    args = ap.parse_args()
    samples = [s for s in read_samples(args.script) if s]
    n = len(samples)
    if n == 0:
        raise SystemExit(f"no samples with call stacks in {args.script}")
    print(f"{n} samples")
    operators = [operator(s, args.checked_pass) for s in samples]
    table("operator", collections.Counter(operators), n)
    table("kind of work", collections.Counter(kind(s) for s in samples), n)
    table("operator: kernel", collections.Counter(f"{o}: `{short(kernel(s))}`" for o, s in zip(operators, samples)), n, args.top)


if __name__ == "__main__":
    main()
