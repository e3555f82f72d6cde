#!/usr/bin/python3
"""Reference numbers for tests/test_csv.c, from Python's csv module (standard library only).

Run:  /usr/bin/python3 tools/ref/csv_counts.py [SHARED_DATA]   (default ../shared/data)

STS-B is read the way its README says (split on TAB, no quoting); Ruddit with csv.reader
(RFC 4180, newline=''). For every record we note the 1-based physical line it starts on,
which is what prle_table_row_line() must return. Texts are not printed (Ruddit content
warning): rows are identified by id, lengths and newline counts.
"""
import csv
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..", "shared", "data")


def stsb(split):
    with open(os.path.join(DATA, "stsb", f"sts-{split}.csv"), "rb") as f:
        lines = f.read().decode("utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    rows = [l.split("\t") for l in lines]
    extra = sum(1 for r in rows if len(r) > 7)
    quoted = next(i for i, r in enumerate(rows) if r[5].startswith('"'))
    print(f"stsb {split}: rows={len(rows)} rows_with_9_fields={extra} "
          f"min_fields={min(len(r) for r in rows)} max_fields={max(len(r) for r in rows)}")
    r = rows[quoted]
    print(f"  first row whose sentence1 starts with '\"': row={quoted} line={quoted + 1} "
          f"id={r[3]} score={r[4]} sentence1={r[5]!r}")
    r9 = next(i for i, r in enumerate(rows) if len(r) == 9)
    print(f"  first 9-field row: row={r9} id={rows[r9][3]} score={rows[r9][4]}")


def ruddit():
    path = os.path.join(DATA, "ruddit", "text-freddiehorn-2023", "ruddit_with_text.csv")
    with open(path, encoding="utf-8", newline="") as f:
        rd = csv.reader(f)
        header = next(rd)
        rows, starts, prev = [], [], rd.line_num
        for r in rd:
            starts.append(prev + 1)
            prev = rd.line_num
            rows.append(r)
        n_lines = rd.line_num
    body = header.index("comment_body")
    multi = [i for i, r in enumerate(rows) if "\n" in r[body]]
    total = sum(len(r[body].encode()) for r in rows)
    print(f"ruddit freddiehorn: header={','.join(header)} rows={len(rows)} physical_lines={n_lines} "
          f"bodies_with_newline={len(multi)} body_bytes_total={total}")
    for i in (multi[0], multi[len(multi) // 2], rows.__len__() - 1):
        r = rows[i]
        print(f"  row={i} line={starts[i]} comment_id={r[0]} score={r[2]} "
              f"body_bytes={len(r[body].encode())} body_newlines={r[body].count(chr(10))} "
              f"title_bytes={len(r[3].encode())}")


if __name__ == "__main__":
    stsb("train")
    ruddit()
