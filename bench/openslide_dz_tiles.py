"""OpenSlide's DeepZoomGenerator tiles as PNG files, for bench/tile-fidelity.bench.ts.

usage: python3 openslide_dz_tiles.py SLIDE TILE_SIZE OVERLAP REQUESTS_JSON OUT_DIR  ->  OUT_DIR/<level>_<col>_<row>.png
"""
import json
import sys

import openslide
from openslide.deepzoom import DeepZoomGenerator

slide_path, tile_size, overlap, requests_path, out_dir = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
dz = DeepZoomGenerator(openslide.OpenSlide(slide_path), tile_size=tile_size, overlap=overlap, limit_bounds=False)
for level, col, row in json.load(open(requests_path)):
    dz.get_tile(level, (col, row)).convert('RGB').save(f'{out_dir}/{level}_{col}_{row}.png')
