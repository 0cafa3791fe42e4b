"""`node scripts/test.mjs --cpu`: runs a command and writes the CPU time of every process it started.

Usage: python3 scripts/cputime.py OUTPUT COMMAND [ARGUMENT...]

/usr/bin/time counts a command's CPU time and that of every process the command waited for, at any depth (a
process's time is added to its parent's when the parent waits for it). A process whose parent ends first is
waited for by init instead, and its time is counted nowhere: esbuild's service process (started by vite, vitest
and the esbuild API; it ends once the process that started it has ended and its stdin closes) had its CPU time
left out of every step that used it. Here the command runs under a child subreaper (Linux's
PR_SET_CHILD_SUBREAPER): the processes it leaves behind become this process's children, and it waits for
them too (for at most 10 s after the command ends; any still running then are named in OUTPUT and left).

OUTPUT gets one line, `USER SYSTEM LEFT_USER LEFT_SYSTEM LEFT_COUNT STILL_RUNNING`: the CPU seconds of
the command and all its processes, then those of the processes it left running (included in the first two),
how many there were, and how many were still running when this stopped waiting. The exit status is the
command's (128 + the signal when a signal ended it).
"""

import ctypes
import os
import signal
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def main() -> int:
    output, command = sys.argv[1], sys.argv[2:]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print(f"cputime.py: prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(ctypes.get_errno())}", file=sys.stderr)
        return 2
    child = os.fork()
    if child == 0:
        try:
            os.execvp(command[0], command)
        except OSError as error:
            print(f"cputime.py: {command[0]}: {error.strerror}", file=sys.stderr)
            os._exit(127)
    # Interrupted (Ctrl-C reaches the whole process group): wait for the command as it ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    user = system = left_user = left_system = 0.0
    left = 0
    status = 0
    deadline = None
    while True:
        try:
            pid, wait_status, usage = os.wait4(-1, 0 if deadline is None else os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            if time.monotonic() >= deadline:
                break
            time.sleep(0.05)
            continue
        user += usage.ru_utime
        system += usage.ru_stime
        if pid == child:
            status = wait_status
            deadline = time.monotonic() + 10
        else:
            left_user += usage.ru_utime
            left_system += usage.ru_stime
            left += 1
    # Children still running after the wait: counted (they pass to init when this process ends).
    still_running = sum(1 for entry in os.listdir("/proc") if entry.isdigit() and _parent(entry) == os.getpid())
    with open(output, "w", encoding="utf8") as file:
        file.write(f"{user:.2f} {system:.2f} {left_user:.2f} {left_system:.2f} {left} {still_running}\n")
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def _parent(pid: str) -> int:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf8") as file:
            text = file.read()
    except OSError:
        return -1
    return int(text[text.rindex(")") + 2 :].split(" ")[1])


if __name__ == "__main__":
    sys.exit(main())
