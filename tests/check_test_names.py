#!/usr/bin/env python3
"""Fails when a Catch test name would not run as itself under ctest.

catch_discover_tests passes each name as the test binary's first argument: a name that
starts with '-' is read as a Catch option (and the binary runs every test instead), a ';'
splits the name into pieces CMake runs separately. Each such name is printed as
FILE:LINE: "name" and the exit status is 1. Files under a fixtures/ folder below a root
are inputs of other tests and are skipped.
"""
import pathlib
import re
import sys

NAME = re.compile(r'\b(?:(?:TEST_CASE|SCENARIO)\s*\(|TEST_CASE_METHOD\s*\(\s*\w+\s*,)\s*"((?:[^"\\]|\\.)*)"')
BAD = [(lambda n: n.startswith("-"), "starts with '-'"),
       (lambda n: ";" in n, "contains ';'")]

def main(roots):
    found = 0
    for root in roots:
        for path in sorted(pathlib.Path(root).rglob("*.cpp")):
            if "fixtures" in path.relative_to(root).parts:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            for m in NAME.finditer(text):
                name = m.group(1)
                line = text.count("\n", 0, m.start()) + 1
                for test, why in BAD:
                    if test(name):
                        print(f'{path}:{line}: "{name}" {why}')
                        found += 1
    return 1 if found else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
