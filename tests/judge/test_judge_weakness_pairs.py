"""The project's own analyzers over benchmarks/data/weakness_pairs.jsonl: hand-written programs,
each weakness beside its fix, in the styles code models write them (docs/judge.md, "Hand-written
weakness pairs"). Every vulnerable program must be flagged and every fix not, except the wrong
verdicts listed in KNOWN_WRONG with the reason; an entry that starts passing fails the test too,
so the list stays true. The other analyzers (gcc, clang-tidy, cppcheck, semgrep) are left out
here to keep the test fast; the full judge's table is in the doc."""

from __future__ import annotations

from pathlib import Path

import pytest

from seccodegen.judge.calibration import judge_cases
from seccodegen.judge.calibration_pairs import pair_cases
from seccodegen.judge.config import JudgeConfig
from seccodegen.judge.dataflow import frontend

pytestmark = pytest.mark.skipif(not frontend.available(), reason="libclang not installed")

PAIRS = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "weakness_pairs.jsonl"
SCANF = "scanf(\"%s\") into a fixed-size array is left to cppcheck's invalidscanf"
LOOKUP = "a lookup's NULL (getenv, strchr) is not a source of seccodegen's own null-deref (precision); cppcheck and gcc's analyzer report it"
HEAP_OBJECTS = "a C++ object deleted by another object's method or destructor (a cache, a registry, an owner) while a raw pointer to it is kept: ownership across classes is not modelled"
ELEMENTS = "an array element freed in one loop or helper and used or freed again later: elements are not tracked as freed one by one"
FIELDS = "a count or total held in a struct field and checked there: numbers in fields are read as their struct (not followed field by field)"
KNOWN_WRONG: dict[str, str] = {
    "strcat_path:after": "a validation loop walking the name with a pointer (*p == '/') is not read as a path check (CodeQL's cpp/path-injection accepts no C check either)",
    "add_len:before": "an unsigned short truncating a sum of strlen() lengths: lengths of existing memory are never reported",
    "counter_loop:before": "a short counter incremented once per input line: a count is not input arithmetic",
    "unique_ptr_get:before": "a raw pointer from a unique_ptr that went out of scope: smart-pointer lifetimes are not modelled",
    "getenv_deref:before": LOOKUP,
    "strchr_deref:before": LOOKUP,
    "reverse_copy:before": "the destination is a pointer parameter whose size only the caller knows (taking the callers' array size flagged 14 more samples of the fresh cells, none exploited)",
    "size_t_mul:before": "malloc(n * sizeof(point)) with an unsigned 32-bit n cannot wrap size_t (CodeQL's cpp/uncontrolled-allocation-size stops at arithmetic its range analysis proves in range): a large request, no overflow",
    "scanf_s:before": SCANF,
    "scanf_word:before": SCANF,
    "login_prompt_scanf:before": SCANF,
    # the second blind batch (the last 120 pairs): what the own analyzers still miss, each left to
    # the full judge's other tools or out of reach for the reason given
    "spool_dir_trailing_slash:before": LOOKUP,
    "http_header_split_colon:before": LOOKUP,
    "query_user_param_strstr:before": LOOKUP,
    "score_row_strtok_field:before": LOOKUP,
    "locale_prefix_getenv:before": LOOKUP,
    "shell_builtin_dispatch:before": "a table lookup helper that returns NULL for an unknown name, called through b->run: a struct field read of a helper's NULL result is not followed",
    "request_user_from_token:before": "a struct field set on one path only and read on the other (req.user): fields are not followed as may-be-NULL across the function",
    "note_board_selected:before": "selected = notes[i]; free(notes[j]) in a later iteration: aliases of array elements are not tracked",
    "first_word_strtok_copy:before": "a strtok() result points into the copy freed before the return: strtok's result is not an alias of its argument",
    "record_field_after_grow:before": "a pointer into a struct field's block kept across the realloc() that moved it: the block a field points to is not followed through a realloc of another variable",
    "event_listener_unsubscribe:before": "a deleted object still stored in a vector that is iterated later: container elements are not tracked as freed one by one",
    "image_buffer_shallow_copy:before": "a class without a copy constructor passed by value: both destructors free the buffer (the rule of three is not modelled)",
    "team_roster_captain_delete:before": "captain points to an element of players; every element is deleted, then captain: a field alias of an element is not followed",
    "frame_payload_load:before": "a copy count read into a struct field (fr->len) and checked against the source only: field counts are read as their struct",
    "initials_from_words:before": "a std::string constructed with 4 characters, written at a count the input decides: container sizes from constructors are not tracked",
    "sample_batch_copy:after": "b.count clamped inside make_batch(): a struct's fields carry the struct's input taint, so the loop over b.values looks unbounded",
    "buddy_pool_order_shift:after": "p->pages assigned a checked value in the same function: a field of a pointer parameter keeps the parameter's label",
    "ticket_order_sum_new:after": "a total bounded inside its helper (total_tickets returns at most MAX_TICKETS): return values carry their input labels, not their ranges",
    "log_room_underflow:before": "input handed over inside a struct reaches text sinks only (its numbers are not followed field by field)",
    "frame_trailer_underflow:before": "input handed over inside a struct reaches text sinks only (its numbers are not followed field by field)",
    "vertex_buffer_u32:after": "seccodegen-checks reads a limit written as a shift (1u << 20) as no literal bound",
    "spool_user_unlink_query:before": "strstr(s, \"../\") misses a final \"..\": a search for \"..\" in any form is read as a path check",
    "asset_pack_delete_cin:before": "find(\"../\") misses a final \"..\": a search for \"..\" in any form is read as a path check",
    "host_resolve_denylist_cpp:before": "a deny-list of shell metacharacters (find_first_of) that lets $( through: character searches count as allow-lists",
    # the third blind batch (docs/judge.md, "A third blind batch")
    "admin_expire_active_session_cpp:before": HEAP_OBJECTS,
    "batch_jobs_failed_output:before": ELEMENTS,
    "chat_room_slot_close:before": ELEMENTS,
    "command_alias_registry_cpp:before": HEAP_OBJECTS,
    "command_history_reserve:before": "realloc()'s result stored through a struct parameter (h->lines = p) and indexed there: allocations are followed in locals, not in fields (gcc's analyzer reports it)",
    "editor_basename_getenv:before": LOOKUP,
    "glyph_cache_evict_cpp:before": HEAP_OBJECTS,
    "inbox_preview_alias_free:before": "m->preview = m->body on one path, both fields freed: aliases between struct fields are not followed",
    "latency_histogram_calloc_cpp:before": "calloc()'s result stored in a struct field a helper returns by value, indexed in the caller: allocations are followed in locals, not in fields",
    "length_unit_bsearch:before": LOOKUP,
    "mailing_list_domains:before": LOOKUP,
    "nmea_gga_fields:before": LOOKUP,
    "number_lines_longest_realloc:before": "a pointer into a buffer kept across the realloc() that moved it, used after the loop: the block a pointer points into is not followed through a realloc of another variable",
    "playlist_now_playing_remove:before": "a global pointer to an element a helper frees: globals are followed for frees of the global itself, not for the elements it points to",
    "service_port_map_find_cpp:before": LOOKUP,
    "sketch_resize_dynamic_cast_cpp:before": LOOKUP,
    "sound_bank_owner_delete_cpp:before": HEAP_OBJECTS,
    "ticket_queue_close_erase_cpp:before": HEAP_OBJECTS,
    "vhost_select_strstr:before": LOOKUP,
    "worker_rename_log_tag:before": "lg.tag aliases w.name, which a helper frees and replaces: aliases between struct fields are not followed",
    "sensor_frame_fread_len:before": FIELDS,
    "country_code_sizeof_param:before": "a copy bounded by sizeof of a pointer parameter (8) into a 4-byte array: left to clang-tidy's bugprone-sizeof-expression",
    "kv_config_skip_equals:before": "a pointer stepped past the NUL (p++ over an '=' that is not there) and read: pointer walks past a terminator are not modelled",
    "cpp_checksum_range_file:before": "a range [off, off + len) of a vector where only off is checked: an index within a range is not a modelled access",
    "hex_pairs_decode_file:before": "text[i + 1] in a loop bounded by i < len over an odd length: the second index of a pair is not compared with the loop's bound",
    "ledger_records_fread:after": FIELDS,
    "line_editor_insert_memmove:before": "memmove/memcpy into a global line at an offset without a capacity check: offsets into global buffers are left to cppcheck and clang-tidy",
    "cpp_slot_buffer_unique_ptr:before": "memcpy into a unique_ptr<char[]>'s block of 48 bytes: sizes of smart-pointer arrays are not tracked",
    "cpp_cache_path_sprintf:before": "a length check dir + 1 + key + 4 > 32 that forgets the NUL before sprintf: summed lengths are not compared with a format's output",
    "cpp_sample_window_peak:before": "i <= start + w over a window: a bound by an expression other than the container's size is not read as one",
    "retry_backoff_env_ms:after": "a delay clamped by a conditional expression (d > MAX / 2 ? MAX : d * 2) in a loop of at most MAX_TRIES: ranges through ?: are not computed",
    "line_buffer_short_index:after": "malloc(n) with n from scanf and no upper bound in both halves: uncontrolled-allocation-size reports the size (as CodeQL does); the pair's weakness is the short counter",
    "csv_field_count_u8:before": "an unsigned char counter that wraps, then sizes an array: a count of items is not input arithmetic",
    "warehouse_weight_total_cpp:after": FIELDS,
    "wallet_withdraw_underflow_cpp:before": "balance_ - amount in a member function's check: class members are not followed as input",
    "palette_chunk_u16_bytes_cpp:before": "uint16_t bytes = count * 4 with count a uint16_t: the product is computed in int (no overflow) and truncated on the store; truncation is not reported",
    "lang_catalog_copy_walk:after": "a helper that copies the name into the path and rejects '/' and '..' while copying, its result tested by the caller: checks inside a path builder are not carried to the caller's path",
    "media_library_fs_remove_handler:before": "a request field read from a std::map (it->second) joined to a folder: values of containers filled from a request are not followed as input",
    "service_restart_env_allowlist:after": "seccodegen-checks reads snprintf(cmd, ..., svc->unit) as a command built from a value; the dataflow query knows svc is an element of a const table",
    "mail_report_quote_cpp:after": "a shell-quoting helper ('...' with every ' escaped) is not read as a sanitizer (CodeQL's cpp/command-line-injection accepts none either)",
}


def test_own_analyzers_on_the_weakness_pairs(tmp_path: Path) -> None:
    cases = pair_cases(PAIRS)
    assert len(cases) == 2 * 624
    cfg = JudgeConfig(cache_dir=str(tmp_path / "cache"), analyzers=("seccodegen-dataflow", "seccodegen-checks"))
    wrong, fixed = [], []
    for o in judge_cases(cases, cfg):
        name = o.case.name.split(":", 2)[2]  # "<file>:<line>:<func_name>:<before|after>"
        right = bool(o.judged_vulnerable) is o.case.vulnerable
        if name in KNOWN_WRONG:
            if right:
                fixed.append(name)
        elif not right:
            wrong.append(name)
    assert not wrong, f"wrong verdicts not in KNOWN_WRONG: {wrong}"
    assert not fixed, f"now right, remove from KNOWN_WRONG: {fixed}"
