"""What the dataflow core knows about library functions: sources, copies, allocators, frees, exits.

Argument positions are 0-based. A *label* names where tainted data came from: ``src:<function>``
for an input function (``src:argv`` for ``main``'s argv, ``src:stdin`` for ``std::cin``) and
``param:<name>`` for a function's parameter (queries decide whether parameters count).
"""

from __future__ import annotations

# function -> argument positions it fills with input ("*" from that position on)
SOURCE_OUT_ARGS: dict[str, tuple[int | str, ...]] = {
    "fgets": (0,), "fgetws": (0,), "gets": (0,), "gets_s": (0,), "read": (1,), "pread": (1,),
    "recv": (1,), "recvfrom": (1,), "recvmsg": (1,), "fread": (0,), "getline": (0,), "getdelim": (0,),
    "scanf": ("*1",), "vscanf": ("*1",), "fscanf": ("*2",), "wscanf": ("*1",), "fwscanf": ("*2",),
    "__isoc99_scanf": ("*1",), "__isoc99_fscanf": ("*2",), "__isoc23_scanf": ("*1",), "__isoc23_fscanf": ("*2",),
}  # fmt: skip
# function -> taint label of its return value
SOURCE_RETURNS: dict[str, str] = {
    name: f"src:{name}"
    for name in (
        "getenv", "secure_getenv", "fgets", "gets", "fgetc", "getc", "getchar", "getwchar", "fgetwc",
        "readline", "getpass", "getlogin", "recv", "read",
    )
}  # fmt: skip
# pseudo-random values: labelled ``rand:<function>``, which :func:`tainted` does not count as input
# (an arithmetic query may: CodeQL's cpp/uncontrolled-arithmetic does)
SOURCE_RETURNS.update({name: f"rand:{name}" for name in ("rand", "random", "lrand48", "mrand48", "rand_r")})
# functions whose result depends on their inputs only as a yes/no or an order: results are untainted
NO_PROPAGATION = {
    "strcmp", "strncmp", "strcasecmp", "strncasecmp", "memcmp", "wcscmp", "compare", "isalnum", "isalpha",
    "isdigit", "isxdigit", "isspace", "isupper", "islower", "ispunct", "isprint", "iscntrl", "access",
    "stat", "lstat", "empty", "fclose", "feof", "ferror", "free", "printf", "fprintf", "puts", "fputs",
}  # fmt: skip
# string/memory copies: function -> (destination position, source positions; "*k" = from k on)
COPIES: dict[str, tuple[int, tuple[int | str, ...]]] = {
    "strcpy": (0, (1,)), "strncpy": (0, (1,)), "strcat": (0, (1,)), "strncat": (0, (1,)),
    "stpcpy": (0, (1,)), "stpncpy": (0, (1,)), "strlcpy": (0, (1,)), "strlcat": (0, (1,)),
    "wcscpy": (0, (1,)), "wcsncpy": (0, (1,)), "wcscat": (0, (1,)), "wcsncat": (0, (1,)),
    "memcpy": (0, (1,)), "memmove": (0, (1,)), "memccpy": (0, (1,)), "bcopy": (1, (0,)),
    "sprintf": (0, ("*1",)), "vsprintf": (0, ("*1",)), "snprintf": (0, ("*2",)), "vsnprintf": (0, ("*2",)),
    "swprintf": (0, ("*2",)), "asprintf": (0, ("*1",)), "sscanf": ("*2", (0,)), "__isoc99_sscanf": ("*2", (0,)),
    "realpath": (1, (0,)), "strtok": (0, (0,)),
    # C++ members: the object is position -1
    "append": (-1, ("*0",)), "assign": (-1, ("*0",)), "insert": (-1, ("*0",)), "push_back": (-1, (0,)),
    "operator+=": (0, (1,)), "operator=": (0, (1,)), "operator<<": (0, (1,)),
}  # fmt: skip
# results that may be NULL: the allocation/open family (CWE-690)
MAY_RETURN_NULL = {
    "malloc", "calloc", "realloc", "reallocarray", "aligned_alloc", "strdup", "strndup", "wcsdup",
    "fopen", "fdopen", "freopen", "tmpfile", "popen", "opendir", "fdopendir",
}  # fmt: skip
# function -> (position of a ``&p`` argument it may leave NULL, why): the pointer strsep advances
# becomes NULL when the delimiter is not in the rest of the string (the last token)
NULL_OUT_ARGS = {"strsep": (0, "sets it to NULL when the delimiter is missing")}
# calls that move a block and free the old one when they succeed (call_effects.moved_block)
REALLOCS = {"realloc", "reallocarray"}
# function -> position of the heap pointer it releases (``delete`` is handled as an expression).
# realloc is not here: on failure the old block stays valid, and the usual
# ``tmp = realloc(p, n); if (!tmp) { free(p); ... }`` must not read as a double free.
FREES = {"free": 0, "cfree": 0, "g_free": 0}
# calls that never return: a branch ending in one of them does not continue
NO_RETURN = {
    "exit", "_exit", "_Exit", "quick_exit", "abort", "err", "errx", "verr", "verrx", "__assert_fail",
    "__assert_rtn", "__builtin_trap", "__builtin_unreachable", "longjmp", "siglongjmp", "terminate",
    "pthread_exit", "__stack_chk_fail",
}  # fmt: skip
# printf-style functions: function -> position of the format argument (the ``v`` variants take a
# ``va_list`` after it); the file's own wrappers are found by :func:`.summaries.format_params`
FORMAT_FUNCTIONS: dict[str, int] = {
    "printf": 0, "vprintf": 0, "wprintf": 0, "vwprintf": 0, "warn": 0, "warnx": 0, "vwarn": 0, "vwarnx": 0,
    "fprintf": 1, "vfprintf": 1, "fwprintf": 1, "vfwprintf": 1, "dprintf": 1, "vdprintf": 1,
    "sprintf": 1, "vsprintf": 1, "asprintf": 1, "vasprintf": 1, "syslog": 1, "vsyslog": 1,
    "err": 1, "errx": 1, "verr": 1, "verrx": 1, "printw": 0, "mvprintw": 2,
    "snprintf": 2, "vsnprintf": 2, "swprintf": 2, "vswprintf": 2,
    "__printf_chk": 1, "__fprintf_chk": 2, "__sprintf_chk": 3, "__snprintf_chk": 4,
}  # fmt: skip
# stream types whose ``>>``/``getline``/``read`` produce input, by type-name fragment -> label
INPUT_STREAMS = {"basic_istream": "src:stdin", "basic_ifstream": "src:file", "basic_fstream": "src:file",
                 "basic_iostream": "src:stdin"}  # fmt: skip
STREAM_READS = {"getline", "read", "get", "readsome"}
# library function -> argument positions it dereferences unconditionally (a NULL there crashes)
DEREF_ARGS: dict[str, tuple[int, ...]] = {
    "strcpy": (0, 1), "strncpy": (0, 1), "strcat": (0, 1), "strncat": (0, 1), "strlen": (0,),
    "strcmp": (0, 1), "strncmp": (0, 1), "strchr": (0,), "strrchr": (0,), "strstr": (0, 1),
    "strdup": (0,), "memcpy": (0, 1), "memmove": (0, 1), "memset": (0,), "memcmp": (0, 1),
    "sprintf": (0,), "vsprintf": (0,), "fprintf": (0,), "vfprintf": (0,), "fputs": (0, 1), "fputc": (1,),
    "putc": (1,), "fgets": (0, 2), "fgetc": (0,), "getc": (0,), "fread": (0, 3), "fwrite": (0, 3),
    "fscanf": (0,), "fseek": (0,), "ftell": (0,), "rewind": (0,), "feof": (0,), "ferror": (0,),
    "fclose": (0,), "fileno": (0,), "getline": (2,), "readdir": (0,), "closedir": (0,), "pclose": (0,),
    "puts": (0,), "atoi": (0,), "atol": (0,), "strtol": (0,), "strtoul": (0,), "sscanf": (0,),
    "strtok": (1,), "toupper": (), "qsort": (0,),
}  # fmt: skip


def arg_positions(spec: tuple[int | str, ...], n: int) -> list[int]:
    """The argument positions a spec of this module names in a call of ``n`` arguments: ``(0, 1)``
    -> [0, 1]; ``("*0",)`` -> every position from 0 on."""
    out: list[int] = []
    for p in spec:
        out += list(range(int(p[1:]), n)) if isinstance(p, str) else [p] if p < n else []
    return out
