"""OpenSlide baseline for bench/tiles.bench.ts: DeepZoomGenerator tiles read and JPEG-encoded, one at a time.

usage: python3 openslide_tiles.py SLIDE TILE_SIZE OVERLAP REQUESTS_JSON  ->  JSON on stdout
"""
import io
import json
import resource
import sys
import time

import openslide
from openslide.deepzoom import DeepZoomGenerator

slide_path, tile_size, overlap, requests_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
requests = json.load(open(requests_path))
slide = openslide.OpenSlide(slide_path)
dz = DeepZoomGenerator(slide, tile_size=tile_size, overlap=overlap, limit_bounds=False)
times = []
total_bytes = 0
start = time.perf_counter()
cpu0 = time.process_time()
for level, col, row in requests:
    t0 = time.perf_counter()
    buf = io.BytesIO()
    dz.get_tile(level, (col, row)).save(buf, 'jpeg', quality=75)
    total_bytes += buf.tell()
    times.append((time.perf_counter() - t0) * 1000)
wall = time.perf_counter() - start
cpu = time.process_time() - cpu0
print(json.dumps({
    'wallSeconds': wall,
    'timesMs': times,
    'cpuMs': cpu * 1000,
    'bytes': total_bytes,
    'peakRssMb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    'levelCount': dz.level_count,
}))
