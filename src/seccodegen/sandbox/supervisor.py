"""The small program that runs first inside the sandbox when the job has a working directory.

It is run by the system Python (``python3 -I -S``, no site packages) as the sandbox's process 2
(bubblewrap's init is process 1) and:

1. copies the caller's files (visible read-only at the staging dir) into the job's tmpfs cwd;
2. runs the job's command and waits for it;
3. SIGKILLs every other process left in the sandbox (daemons, background children);
4. writes the command's exact exit status (negative: killed by that signal) as the first line
   of the status pipe (its fd number is the first argument), then, if asked, a tar stream of the working directory, which the parent unpacks
   into the caller's directory (safely: :func:`seccodegen.sandbox.process.unpack`).

It runs as the same user as the job, so a job can interfere with it -- but only with its own
status and files, which it controls anyway; it cannot reach the parent or another job.
"""

SOURCE = r"""
import os, shutil, signal, sys, tarfile
status_fd, staging, workdir, copy_back = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4] == "1"
argv = sys.argv[5:]
if staging != "-":
    shutil.copytree(staging, workdir, symlinks=True, dirs_exist_ok=True)
os.chdir(workdir)
pid = os.fork()
if pid == 0:
    os.close(status_fd)
    try:
        os.execvp(argv[0], argv)
    except OSError as exc:
        os.write(2, ("sandbox: cannot run %s: %s\n" % (argv[0], exc.strerror)).encode())
        os._exit(127)
_, status = os.waitpid(pid, 0)
try:
    os.kill(-1, signal.SIGKILL)
except OSError:
    pass
out = os.fdopen(status_fd, "wb")
out.write(b"%d\n" % os.waitstatus_to_exitcode(status))
out.flush()
if copy_back:
    def keep(info):
        return info if (info.isfile() or info.isdir()) else None
    try:
        with tarfile.open(fileobj=out, mode="w|") as tar:
            tar.add(".", filter=keep)
    except (OSError, tarfile.TarError):
        pass
"""
