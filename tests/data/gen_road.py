#!/usr/bin/env python3
"""Writes road.png: a synthetic 640x360 dash-cam-like road scene (sky
gradient, grass, a grey road narrowing to a vanishing point, white solid
edge lines, two dashed lane lines), for tsr run --task segment on
TwinLiteNet. Python standard library only; deterministic. Usage:
  python3 gen_road.py road.png"""
import random
import struct
import sys
import zlib

W, H = 640, 360
VX, VY = 320, 150  # vanishing point
rng = random.Random(2024)


def lerp(a, b, t):
    return a + (b - a) * t


def road_x(y, frac):
    """x of the line at fraction |frac| across the road (0 left edge, 1 right) on row y."""
    t = (y - VY) / (H - VY)
    left, right = lerp(VX - 4, -140, t), lerp(VX + 4, W + 140, t)
    return lerp(left, right, frac)


rows = []
for y in range(H):
    row = bytearray()
    for x in range(W):
        if y < VY:  # sky
            t = y / VY
            px = (int(lerp(110, 190, t)), int(lerp(150, 210, t)), int(lerp(220, 235, t)))
        else:
            px = (70, 120, 50)  # grass
            xl, xr = road_x(y, 0.0), road_x(y, 1.0)
            if xl <= x <= xr:
                g = 95 + rng.randrange(0, 12)
                px = (g, g, g + 3)
                t = (y - VY) / (H - VY)
                half = max(1.0, 6.0 * t)
                for frac, dashed in ((0.03, False), (0.97, False), (0.36, True), (0.64, True)):
                    lx = road_x(y, frac)
                    if abs(x - lx) <= half and (not dashed or int((1.0 / max(t, 0.02)) * 6) % 2 == 0):
                        px = (235, 235, 235)
        row += bytes(px)
    rows.append(bytes(row))

raw = b"".join(b"\x00" + r for r in rows)


def chunk(tag, data):
    c = struct.pack(">I", len(data)) + tag + data
    return c + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
with open(sys.argv[1] if len(sys.argv) > 1 else "road.png", "wb") as f:
    f.write(png)
