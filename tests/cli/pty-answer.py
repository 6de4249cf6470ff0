#!/usr/bin/env python3
# pty-answer.py ANSWER... -- COMMAND [ARG...]: run COMMAND on a
# pseudo-terminal, as a person at a terminal would (git's t/lib-terminal.sh
# does the same for git add -p), answering each prompt that ends in "? "
# with the next ANSWER and a line end; past the last answer, an end of
# file (Ctrl-D).  Writes what the command wrote on the terminal to stdout
# (CR LF as LF) and exits with its exit status.
import os, pty, re, select, sys

args = sys.argv[1:]
split = args.index("--")
answers, cmd = args[:split], args[split + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
out = b""
seen = 0
prompt = re.compile(rb"\]\? (\x1b\[m)?$")
while True:
    r, _, _ = select.select([fd], [], [], 30)
    if not r:
        sys.stderr.write("pty-answer.py: no output for 30 seconds\n")
        os.kill(pid, 9)
        break
    try:
        data = os.read(fd, 65536)
    except OSError:
        break
    if not data:
        break
    out += data
    if prompt.search(out[seen:]):
        seen = len(out)
        if answers:
            os.write(fd, answers.pop(0).encode() + b"\n")
        else:
            os.write(fd, b"\x04")
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.replace(b"\r\n", b"\n").decode("utf-8", "replace"))
sys.exit(os.waitstatus_to_exitcode(status))
