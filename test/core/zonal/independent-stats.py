"""Independent per-parcel NDVI/NDMI statistics from GDAL outputs, standard library only.

argv: labels.raw b04.raw b08.raw b11.raw scl.raw width height scale offset valid_scl(comma) parcels
Each .raw is a GDAL ENVI dump on one grid (labels int32: parcel number + 1, 0 = none; bands
uint16; SCL uint8). Prints JSON: {parcel: {index: {mean, median, std, min, max, p10, p90, valid, total}}}.
"""
import array
import json
import math
import sys


def read(path, code):
    values = array.array(code)
    with open(path, 'rb') as f:
        values.frombytes(f.read())
    return values


def quantile(sorted_values, q):
    h = (len(sorted_values) - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (h - lo) * (sorted_values[hi] - sorted_values[lo])


labels_path, b04_path, b08_path, b11_path, scl_path, width, height, scale, offset, valid_scl, parcels = sys.argv[1:]
labels, b04, b08, b11, scl = read(labels_path, 'i'), read(b04_path, 'H'), read(b08_path, 'H'), read(b11_path, 'H'), read(scl_path, 'B')
scale, offset = float(scale), float(offset)
valid = {int(c) for c in valid_scl.split(',')}
pixels = {p: [] for p in range(int(parcels))}
for i, label in enumerate(labels):
    if label > 0:
        pixels[label - 1].append(i)

result = {}
for parcel, idx in pixels.items():
    out = {}
    for name, a_band, b_band in (('ndvi', b08, b04), ('ndmi', b08, b11)):
        values = []
        for i in idx:
            a, b, c = a_band[i], b_band[i], scl[i]
            if a == 0 or b == 0 or c == 0 or c not in valid:
                continue
            ra, rb = a * scale + offset, b * scale + offset
            if ra + rb == 0:
                continue
            v = (ra - rb) / (ra + rb)
            # The engine stores values as float32; round the same way to compare like with like.
            v = array.array('f', [v])[0]
            if -1 <= v <= 1:
                values.append(v)
        values.sort()
        n = len(values)
        stats = {'valid': n, 'total': len(idx)}
        if n:
            mean = math.fsum(values) / n
            stats.update(
                mean=mean,
                std=math.sqrt(math.fsum((v - mean) ** 2 for v in values) / n),
                min=values[0],
                max=values[-1],
                median=quantile(values, 0.5),
                p10=quantile(values, 0.1),
                p90=quantile(values, 0.9),
            )
        out[name] = stats
    result[parcel] = out
print(json.dumps(result))
