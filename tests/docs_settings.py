#!/usr/bin/env python3
"""docs/operations.md's settings table is what `vigil serve --print-settings-markdown` prints.

The table sits between the marker comments BEGIN and END below. The daemon renders it from
its one settings table (app/config.cpp, app/settings_doc.cpp), so a flag, variable, key or
default cannot be documented other than it is:

  docs_settings.py check VIGIL DOC     exit 1 naming each setting whose row differs
  docs_settings.py write VIGIL DOC     rewrite the block (make docs)
  docs_settings.py selftest VIGIL DOC  exit 1 unless `check` names a setting whose documented
                                       default was changed, and one that was left out
"""
import re
import subprocess
import sys

BEGIN = "<!-- BEGIN settings: generated from app/config.cpp by `make docs`; do not edit -->"
END = "<!-- END settings -->"
FIX = "run `make docs` to write the code's table into the document"


def generated(vigil):
    out = subprocess.run([vigil, "serve", "--print-settings-markdown"], check=True,
                         capture_output=True, text=True).stdout
    return out.splitlines()


def block(text, doc):
    """The lines between the markers, and the text before and after them."""
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        sys.exit(f"{doc}: needs one settings block, from the line\n  {BEGIN}\nto the line\n  {END}")
    head, rest = text.split(BEGIN + "\n", 1)
    body, tail = rest.split(END, 1)
    return body.splitlines(), head, tail


def cells(line):
    """A table row's cells; '\\|' is a '|' inside a cell."""
    parts = re.split(r"(?<!\\)\|", line.strip())
    return [p.strip() for p in parts[1:-1]]


def rows(lines):
    """(header, {key: (cells, line)}, keys in order) of a settings table."""
    table = [cells(l) for l in lines if l.strip().startswith("|")]
    if len(table) < 2:
        return [], {}, []
    header, by_key, order = table[0], {}, []
    key_at = header.index("file key") if "file key" in header else None
    for line_cells in table[2:]:
        if key_at is None or key_at >= len(line_cells):
            continue
        m = re.match(r"`([^`]*)`", line_cells[key_at])
        key = m.group(1) if m else line_cells[key_at]
        by_key[key] = line_cells
        order.append(key)
    return header, by_key, order


def compare(doc_lines, code_lines, doc):
    """Every difference, one message each, naming the setting."""
    doc_header, doc_rows, doc_order = rows(doc_lines)
    code_header, code_rows, code_order = rows(code_lines)
    problems = []
    if doc_header != code_header:
        problems.append(f"{doc}: the table's columns are {doc_header}, vigil prints {code_header}")
    for key in code_order:
        want = code_rows[key]
        flag = want[0] if want else ""
        if key not in doc_rows:
            problems.append(f"setting {key} ({flag}): missing from {doc}")
            continue
        have = doc_rows[key]
        for i, column in enumerate(code_header):
            w = want[i] if i < len(want) else ""
            h = have[i] if i < len(have) else ""
            if w != h:
                problems.append(f"setting {key} ({flag}): {column}: {doc} says {h!r}, "
                                f"vigil says {w!r}")
    for key in doc_order:
        if key not in code_rows:
            problems.append(f"setting {key}: in {doc}, but vigil serve has no such setting")
    if not problems and [l.rstrip() for l in doc_lines] != [l.rstrip() for l in code_lines]:
        problems.append(f"{doc}: the settings block differs from vigil's table (order or text "
                        f"outside the rows)")
    return problems


def main(argv):
    if len(argv) != 4 or argv[1] not in ("check", "write", "selftest"):
        sys.exit(__doc__)
    mode, vigil, doc = argv[1:]
    with open(doc, encoding="utf-8") as f:
        text = f.read()
    doc_lines, head, tail = block(text, doc)
    code_lines = generated(vigil)
    if mode == "write":
        with open(doc, "w", encoding="utf-8") as f:
            f.write(head + BEGIN + "\n" + "\n".join(code_lines) + "\n" + END + tail)
        return 0
    if mode == "selftest":
        header, code_rows, order = rows(code_lines)
        changed, dropped = order[1], order[2]
        broken = code_lines[:2]
        for key in order:
            row = list(code_rows[key])
            if key == dropped:
                continue
            if key == changed:
                row[header.index("default")] = "`42s`"
            broken.append("| " + " | ".join(row) + " |")
        found = compare(broken, code_lines, doc)
        print("\n".join(found))
        named_default = any(p.startswith(f"setting {changed} ") and ": default:" in p
                            for p in found)
        named_missing = any(p.startswith(f"setting {dropped} ") and "missing" in p for p in found)
        if named_default and named_missing:
            print(f"selftest: the check names {changed}'s default and the missing {dropped}")
            return 0
        print("selftest: the check did not name both broken settings")
        return 1
    problems = compare(doc_lines, code_lines, doc)
    for p in problems:
        print(p)
    if problems:
        print(FIX)
        return 1
    print(f"{doc}: the settings table matches vigil's ({len(rows(code_lines)[2])} settings)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
