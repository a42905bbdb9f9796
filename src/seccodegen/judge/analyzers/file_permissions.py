"""CWE-732: files and directories created with the default permissions, which others may write.

A rule of ``seccodegen-checks`` (id ``default-permission-creation``), modelled on CodeQL's
``cpp/world-writable-file-creation`` (its ``FilePermissions.qll``) and
``cpp/open-call-with-mode-argument``:

* ``fopen``/``fopen64``/``freopen``/``_wfopen`` with a mode that starts with ``w`` or ``a`` creates
  the file with mode 0666, less the process's umask;
* ``open``/``open64``/``openat`` with ``O_CREAT`` (or ``O_TMPFILE``) and no mode argument creates it
  with whatever happens to be in the mode's register (CodeQL: "assume anything is permitted").

With the default umask of many services and containers, 000, such a file is world-writable;
the program does not choose, the environment does. Explicit modes (``open(p, O_CREAT, 0666)``,
``chmod(p, 0777)``, ``umask(0)``) are the ``world-writable-permissions`` rule's.

Where it deliberately differs from CodeQL:

* **C++ creations too**: ``std::ofstream`` objects opened on a path (mode 0666
  less the umask, like ``fopen``) and ``std::filesystem::create_directory``/``create_directories``
  (0777 less the umask). CodeQL's query models neither.
* **A program that sets permissions itself is not flagged.** CodeQL clears a creation only when
  a ``umask`` call that masks others' write reaches it in the same function. Here any of these,
  anywhere in the file, clears every default-mode creation in it: a ``umask`` whose constant masks
  ``S_IWOTH``; ``chmod``/``fchmod``/``fchmodat``/``std::filesystem::permissions`` with a mode that
  does not give others write (or that removes it); ``open``/``openat``/``creat``/``mkdir``/
  ``mkfifo`` with an explicit mode that does not give others write. Reason: such a program chose
  the modes that matter (a job file created with the default mode inside a directory made 0700
  is out of others' reach; a token file created and then narrowed to 0600 ends private), while a
  program that never mentions permissions leaves them to the environment. It misses a program
  that restricts one file and creates another with the default mode.
"""

from __future__ import annotations

import re

CWE = "CWE-732"
RULE = "default-permission-creation"

S_IWOTH = 0o002

# fopen(path, "w") / fopen(path, "a+b"): group 1 = the mode literal's first character
FOPEN_CREATE = re.compile(r"\b(?:fopen|fopen64|freopen|_wfopen)\s*\([^;]*?,\s*L?\"([wa])[^\"]*\"")
# open(path, FLAGS) with O_CREAT/O_TMPFILE in FLAGS: the call's text up to its matching ')'
OPEN_CALL = re.compile(r"\b(?:open|open64|openat)\s*\(")
OFSTREAM_OPEN = re.compile(
    r"\b(?:std::)?ofstream\s+\w+\s*[({]\s*[^)}\s]|"  # std::ofstream out(path ...
    r"\b(?:std::)?ofstream\s*[({]\s*[^)}\s]|"  # std::ofstream(path) << ...
    r"\b\w+\s*\.\s*open\s*\(\s*[^)\s]"  # out.open(path): checked against the declared stream type
)
CREATE_DIRECTORY = re.compile(r"\b(?:std::)?(?:filesystem::|fs::)?create_director(?:y|ies)\s*\(")

UMASK_CALL = re.compile(r"\b_?umask\s*\(([^;]*?)\)")
MODE_SETTERS = re.compile(r"\b(?:chmod|fchmod|fchmodat|lchmod|_chmod)\s*\(([^;]*?)\)\s*(?:[;)!=<>|&]|$)")
FS_PERMISSIONS = re.compile(r"\bpermissions\s*\(([^;]*?)\)\s*;")
EXPLICIT_MODE_CREATES = re.compile(r"\b(?:open|open64|openat|creat|mkdir|mkdirat|mkfifo)\s*\(([^;]*?)\)\s*[;)!=<>|&]")

OTHERS_WRITE_NAMES = re.compile(r"\bS_IWOTH\b|\bS_IRWXO\b|\bACCESSPERMS\b|\bALLPERMS\b|\bDEFFILEMODE\b")
FS_OTHERS_WRITE = re.compile(r"\bperms::(?:all|others_write|others_all|mask)\b")
OCTAL = re.compile(r"(?<![\w.])(0[0-7]+|[1-9][0-9]*)(?![\w.])")


def _arguments(args: str) -> list[str]:
    """The top-level comma-separated arguments of an argument list's text."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(args):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(args[start:i].strip())
            start = i + 1
    out.append(args[start:].strip())
    return [a for a in out if a]


def _call_args(text: str, open_paren: int) -> str:
    """The text between the '(' at ``open_paren`` and its matching ')' (to the end if unmatched)."""
    depth = 0
    for i in range(open_paren, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return text[open_paren + 1 : i]
    return text[open_paren + 1 :]


def _numbers(text: str) -> list[int]:
    """The integer literals of ``text``, octal where they start with 0 (``0640``, ``022``)."""
    return [int(n, 8) if n.startswith("0") else int(n) for n in OCTAL.findall(text)]


def _mode_gives_others_write(mode: str) -> bool | None:
    """True/False when ``mode``'s text shows whether others may write; None when it cannot tell
    (a variable)."""
    if OTHERS_WRITE_NAMES.search(mode) or FS_OTHERS_WRITE.search(mode):
        return True
    numbers = _numbers(mode)
    if numbers:
        return any(n & S_IWOTH for n in numbers)
    if re.search(r"\bS_I[RWX](?:USR|GRP|OTH)\b|\bS_IRWX[UG]\b|\bperms::\w+", mode):
        return False  # only owner/group (or others' read/exec) bits named
    return None


def _umask_masks_others_write(arg: str) -> bool:
    if re.search(r"\bS_IWOTH\b|\bS_IRWXO\b", arg):
        return True
    numbers = _numbers(arg)
    return bool(numbers) and all(n & S_IWOTH for n in numbers)


def program_sets_permissions(code: str) -> bool:
    """Whether the program chooses permissions itself somewhere (see the module's docstring)."""
    if any(_umask_masks_others_write(m.group(1)) for m in UMASK_CALL.finditer(code)):
        return True
    for m in MODE_SETTERS.finditer(code):
        args = _arguments(m.group(1))
        mode_at = 2 if "chmodat" in m.group(0) else 1  # fchmodat(dirfd, path, mode, flags)
        if len(args) > mode_at and _mode_gives_others_write(args[mode_at]) is False:
            return True
    for m in FS_PERMISSIONS.finditer(code):
        args = _arguments(m.group(1))
        if len(args) < 2:
            continue
        mode, opts = args[1], " ".join(args[2:])
        if "remove" in opts and FS_OTHERS_WRITE.search(mode):
            return True  # permissions(p, others_write, perm_options::remove)
        if "add" not in opts and _mode_gives_others_write(mode) is False:
            return True
    for m in EXPLICIT_MODE_CREATES.finditer(code):
        args = _arguments(m.group(1))
        name = m.group(0).split("(")[0].strip()
        has_mode = len(args) >= (4 if name in ("openat", "mkdirat") else 3 if name.startswith("open") else 2)
        if has_mode and _mode_gives_others_write(args[-1]) is False:
            return True
    return False


def _stream_names(body: str) -> set[str]:
    return set(re.findall(r"\b(?:std::)?ofstream\s+(\w+)\s*(?:;|[({])", body))


def default_mode_creations(statement: str, body: str) -> list[str]:
    """One message per creation with the default permissions in ``statement`` (a statement of
    a function whose whole text is ``body``)."""
    found = []
    m = FOPEN_CREATE.search(statement)
    if m:
        found.append(f"fopen(..., \"{m.group(1)}...\") creates the file with mode 0666 less the umask")
    for call in OPEN_CALL.finditer(statement):
        args = _arguments(_call_args(statement, call.end() - 1))
        flags_at = 2 if call.group(0).startswith("openat") else 1
        if len(args) == flags_at + 1 and re.search(r"\bO_CREAT\b|\bO_TMPFILE\b", args[flags_at]):
            found.append("open(..., O_CREAT) without a mode argument: the mode is undefined")
    for m in OFSTREAM_OPEN.finditer(statement):
        text = m.group(0)
        if ".open" in text:
            stream = text.split(".")[0].strip()
            if stream not in _stream_names(body):
                continue
        found.append("a std::ofstream creates the file with mode 0666 less the umask")
        break
    if mkdir := CREATE_DIRECTORY.search(statement):
        if _arguments(_call_args(statement, mkdir.end() - 1)):
            found.append("create_directory/create_directories makes the directory with mode 0777 less the umask")
    return found
