"""Security queries on the dataflow core: one module per weakness, each registered in :data:`QUERIES`.

A query looks at one function's :class:`~seccodegen.judge.dataflow.FunctionFacts` and returns
:class:`Hit` s. :func:`run_queries` parses a file once and runs every (or the named) query on
every function; hits at the same place from the two passes over a loop body are reported once.
"""

from __future__ import annotations

from seccodegen.judge.dataflow.queries import (  # noqa: F401  (import = registration)
    accumulated_offset,
    allocation_size,
    allocation_too_small,
    backward_scan,
    command_injection,
    concat_size,
    container_index,
    counted_write,
    dangling_pointer,
    data_length,
    empty_container,
    empty_string,
    format_string,
    growth_check,
    html_injection,
    integer_overflow,
    invalidated_reference,
    null_deref,
    off_by_one,
    offset_before_check,
    out_of_bounds,
    over_read,
    overflow_buffer,
    path_injection,
    prefix_compare,
    sized_copy,
    strncat_size,
    subtraction_wrap,
    unsigned_wrap,
    unterminated_copy,
    use_after_free,
    wider_comparison,
)
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit, Query, run_queries

__all__ = ["QUERIES", "Hit", "Query", "run_queries"]
