#!/usr/bin/python3
"""Reference for prle__path_join_norm (src/core/str.c), the lexical normalisation of config
paths: Python's posixpath.normpath(posixpath.join(base, rel)), an independent implementation.
Prints the C table of tests/test_config.c (test_config__path_join_norm).

Usage: /usr/bin/python3 tools/ref/path_norm_ref.py

posixpath keeps exactly two leading slashes ("//a"), which POSIX leaves implementation-defined;
prle folds them to one, so no case starts with "//"."""
import posixpath

CASES = [  # (base, rel); base None: rel alone
    ("/work/main/configs", "../runs"),
    ("/work/main/configs", "../cache/stsb-glove"),
    ("/work/main/configs", "../../shared/data"),
    ("/work/main/configs", "/abs/x.csv"),
    ("/work/main/configs", "./a/./b/"),
    ("/work/main/configs", "a//b///c"),
    ("/work/main/configs", "a/b/../c"),
    ("/work/main/configs", "a/../../../../../../x"),
    ("/work/main/configs", ".."),
    ("/work/main/configs", "."),
    ("/", ".."),
    ("/a/b/", "../.."),
    ("/a/./b/../c/", "d/.."),
    ("configs", "../runs"),
    ("configs", "../../x"),
    ("a/b", "../../.."),
    ("../a", "../b"),
    ("..", "x/../.."),
    (".", "."),
    ("x", ".."),
    (None, "a/b/../c"),
    (None, "./"),
    (None, "../../a/./b/.."),
    (None, "/.."),
    (None, "/../a/.."),
    ("", "a/./b"),
]

for base, rel in CASES:
    want = posixpath.normpath(posixpath.join(base, rel) if base else rel)
    assert not want.startswith("//")
    b = "NULL" if base is None else '"%s"' % base
    print('        {%s, "%s", "%s"},' % (b, rel, want))
