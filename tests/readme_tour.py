#!/usr/bin/env python3
"""Runs the README's quick tour against a throw-away daemon, as a reader would.

  readme_tour.py VIGIL README

The tour is the text between the marker comments BEGIN and END below. Each line of its
```console blocks that starts with "$ " is a command; the lines after it, up to the next
command, are what the README says it prints. The daemon is started as `make run` starts it
(1s tick, a data directory, here a temporary one) on a free port of 127.0.0.1; the commands run
in order in a temporary directory, with `vigil` on PATH, VIGIL_URL naming the daemon,
`localhost:8080` in a command replaced by its address, TZ=UTC and NO_COLOR=1.

Each command must exit 0, and print every line the README shows for it, up to what varies from
run to run: each word holding a digit (a time, a count, an id, a port) stands for any such word,
and a run of spaces for any run (table columns widen with their values). Lines the README
shortened (with "…") and the ^C that ends a watch are left out. A `vigil watch` command follows
a stream until Ctrl-C: it gets SIGINT after 3 s, and must then exit 0 having printed something.
The daemon is named `myhost`, as in the README. Exit 1 naming the first command that does not.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BEGIN = "<!-- BEGIN tour: tests/readme_tour.py runs these commands -->"
END = "<!-- END tour -->"
WATCH_SECONDS = 3
TIMEOUT = 30
NODE = "myhost"


def shape(line):
    """A line up to what varies between runs: hex-or-decimal words with a digit, space runs."""
    return re.sub(r" +", " ", re.sub(r"[0-9a-f]*[0-9][0-9a-f]*", "#", line.rstrip()))


def tour(readme):
    """[(command, [expected lines])] of the console blocks between the markers."""
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    if text.count(BEGIN) != 1 or text.count(END) != 1:
        sys.exit(f"{readme}: needs one tour, from the line\n  {BEGIN}\nto the line\n  {END}")
    body = text.split(BEGIN, 1)[1].split(END, 1)[0]
    steps = []
    for block in re.findall(r"```console\n(.*?)```", body, re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif steps:
                steps[-1][1].append(line)
    if not steps:
        sys.exit(f"{readme}: the tour has no command")
    return steps


def start_daemon(vigil, work):
    log = open(os.path.join(work, "daemon.log"), "w+")
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    proc = subprocess.Popen([vigil, "serve", "--listen", "127.0.0.1:0", "--data-dir",
                             os.path.join(work, "var"), "--tick-interval", "1s", "--node", NODE],
                            stdout=log, stderr=log, env=env, cwd=work)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        log.seek(0)
        m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", log.read())
        if m:
            return proc, m.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    log.seek(0)
    sys.exit("the daemon did not start:\n" + log.read())


def run(command, env, work):
    """(exit code, output lines) of one command; a `vigil watch` is stopped like a reader does."""
    proc = subprocess.Popen(["bash", "-o", "pipefail", "-c", command], cwd=work, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    following = command.startswith("vigil watch")
    try:
        out, _ = proc.communicate(timeout=WATCH_SECONDS if following else TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGINT if following else signal.SIGKILL)
        out, _ = proc.communicate(timeout=TIMEOUT)
        if not following:
            return f"no answer within {TIMEOUT}s", out.splitlines()
    return proc.returncode, out.splitlines()


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    vigil, readme = os.path.abspath(argv[1]), argv[2]
    steps = tour(readme)
    work = tempfile.mkdtemp(prefix="vigil-tour-")
    proc, url = start_daemon(vigil, work)
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    env.update(PATH=os.path.dirname(vigil) + os.pathsep + env.get("PATH", ""), VIGIL_URL=url,
               TZ="UTC", NO_COLOR="1")
    address = url[len("http://"):]
    failed = None
    try:
        for command, expected in steps:
            actual_command = command.replace("localhost:8080", address).replace(
                "127.0.0.1:8080", address)
            code, lines = run(actual_command, env, work)
            printed = {shape(l) for l in lines}
            print(f"$ {command}\n" + "\n".join(lines))
            if code != 0:
                failed = f"`{command}` exited {code}"
            elif command.startswith("vigil watch") and not lines:
                failed = f"`{command}` printed nothing in {WATCH_SECONDS}s"
            else:
                for want in expected:
                    if want.strip() and "…" not in want and want != "^C" \
                            and shape(want) not in printed:
                        failed = f"`{command}` did not print the README's line {want!r}"
                        break
            if failed:
                break
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(work, ignore_errors=True)
    if failed:
        print(f"README tour: {failed}")
        return 1
    print(f"README tour: {len(steps)} commands ran as the README shows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
