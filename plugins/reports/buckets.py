"""Duration histograms: bucket numbers and percentiles read from them.

A duration of ``s`` whole seconds falls in bucket ``s`` when ``s < 64``;
above, each doubling (64-127 s, 128-255 s, ...) is cut into 16 equal
buckets, so a bucket is at most 1/16 of its values wide. Each bucket keeps
how many durations fell in it and their sum, which makes the estimate below
exact whenever the durations near the percentile fall in separate buckets
(docs/reports.md, "Medians and p90")."""

from __future__ import annotations

import math

SMALL = 64
SUB = 16


def bucket_of(seconds: int) -> int:
    """The bucket number of a duration in whole seconds (negative counts as 0)."""
    s = max(int(seconds), 0)
    if s < SMALL:
        return s
    exponent = s.bit_length() - 1  # 2**exponent <= s < 2**(exponent + 1)
    sub = (s >> (exponent - 4)) - SUB
    return SMALL + (exponent - 6) * SUB + sub


def bucket_bounds(bucket: int) -> tuple[int, int]:
    """``[low, high)`` in seconds of a bucket."""
    if bucket < SMALL:
        return bucket, bucket + 1
    exponent = 6 + (bucket - SMALL) // SUB
    width = 1 << (exponent - 4)
    low = (SUB + (bucket - SMALL) % SUB) * width
    return low, low + width


def percentile(buckets, fraction):
    """The nearest-rank percentile (``fraction`` of 0.5 for the median, 0.9
    for p90) of the durations summarized by ``buckets``: an iterable of
    ``(bucket, count, total_seconds)``. Returns whole seconds, or None when
    there is nothing to rank. The value is the mean of the durations in the
    bucket holding the rank."""
    rows = sorted((b, n, t) for b, n, t in buckets if n > 0)
    count = sum(n for _, n, _ in rows)
    if count == 0:
        return None
    rank = max(1, math.ceil(fraction * count))
    seen = 0
    for _, n, total in rows:
        seen += n
        if seen >= rank:
            return round(total / n)
    return None  # unreachable: rank <= count
