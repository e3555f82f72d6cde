#!/usr/bin/python3
"""Decodes a PNG with the standard library only (zlib; no PIL) and prints what says whether a
screenshot shows something:

    width height distinct_colours background_fraction luminance_std accent_pixels

`accent_pixels` counts pixels within 40 (sum of |dRGB|) of the colour given with --accent
(#rrggbb, default the report's teal #21918c). Exit status 0, or 1 with a message for a file
that is not an 8-bit, non-interlaced PNG (grey, grey+alpha, RGB or RGBA).

Usage: png_stats.py FILE.png [--accent #rrggbb]"""
import struct
import sys
import zlib


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, hdr = 8, [], None
    while pos + 8 <= len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if typ == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif typ == b"IDAT":
            idat.append(body)
        elif typ == b"IEND":
            break
    if hdr is None:
        raise ValueError("no IHDR chunk")
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or interlace != 0 or ctype not in (0, 2, 4, 6):
        raise ValueError("unsupported PNG: depth %d, colour type %d, interlace %d"
                         % (depth, ctype, interlace))
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    if len(raw) != h * (stride + 1):
        raise ValueError("image data has %d bytes, expected %d" % (len(raw), h * (stride + 1)))
    rows, prev = [], bytearray(stride)
    for y in range(h):
        base = y * (stride + 1)
        ft, line = raw[base], bytearray(raw[base + 1:base + 1 + stride])
        if ft == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif ft == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif ft == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif ft == 4:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                ul = prev[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + paeth(left, prev[i], ul)) & 255
        elif ft != 0:
            raise ValueError("bad filter type %d in row %d" % (ft, y))
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def main():
    args = sys.argv[1:]
    accent = "#21918c"
    if "--accent" in args:
        k = args.index("--accent")
        accent = args[k + 1]
        del args[k:k + 2]
    if len(args) != 1:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    try:
        w, h, bpp, rows = decode(args[0])
    except (OSError, ValueError, zlib.error) as e:
        print("png_stats: %s: %s" % (args[0], e), file=sys.stderr)
        return 1
    ar, ag, ab = (int(accent[i:i + 2], 16) for i in (1, 3, 5))
    counts = {}
    n = s = s2 = 0
    acc = 0
    for row in rows:
        for x in range(0, len(row), bpp):
            if bpp >= 3:
                r, g, b = row[x], row[x + 1], row[x + 2]
            else:
                r = g = b = row[x]
            key = (r << 16) | (g << 8) | b
            counts[key] = counts.get(key, 0) + 1
    for key, c in counts.items():
        r, g, b = key >> 16, (key >> 8) & 255, key & 255
        lum = 0.299 * r + 0.587 * g + 0.114 * b
        n += c
        s += c * lum
        s2 += c * lum * lum
        if abs(r - ar) + abs(g - ag) + abs(b - ab) <= 40:
            acc += c
    mean = s / n
    std = max(s2 / n - mean * mean, 0) ** 0.5
    bg = max(counts.values()) / n
    print("%d %d %d %.4f %.2f %d" % (w, h, len(counts), bg, std, acc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
