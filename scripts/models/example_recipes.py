#!/usr/bin/env python3
# Writes assets/recipes/*.json, the example recipes (File > Open example, <prefix>/share/ebm-studio/recipes):
# the model card's compositions (docs/model_card/recipes) with the models named by bare file name, a
# four-concept one and a masked one, each pinning today's assets/models files by SHA-256. Rerun after a
# shipped model file changes (tests/eval/shipped_models_test.cpp checks the pins).
import base64, glob, hashlib, json, math, os, struct, zlib
root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
models = {n: hashlib.sha256(open(f'{root}/assets/models/{n}.safetensors','rb').read()).hexdigest()
          for n in ('position','size','shape','color')}
def ref(name): return {"name": name, "path": f"{name}.safetensors", "sha256": models[name]}
def write(stem, model_names, composition):
    r = {"format": "ebm-recipe", "version": 1, "models": [ref(n) for n in model_names],
         "composition": composition, "seed": 0, "batch": 8, "device": "cpu"}
    with open(f'{root}/assets/recipes/{stem}.json', 'w') as f:
        json.dump(r, f, indent=2); f.write('\n')
# 1. the model card's compositions, unchanged but for the model paths
for path in sorted(glob.glob(f'{root}/docs/model_card/recipes/*.json')):
    card = json.load(open(path))
    write(os.path.splitext(os.path.basename(path))[0], [m['name'] for m in card['models']], card['composition'])
def onehot(n, i): return [1.0 if k == i else 0.0 for k in range(n)]
# 2. four concepts: one prior (MODEL_CARD.md, 2026-12-04: 'each' left empty floors in 100 % of four-concept samples)
write('position_size_shape_color', ['position','size','shape','color'], {
    "op": "and", "prior": "shared", "children": [
        {"op": "term", "name": "position", "model": "position", "label": [-0.5, 0.3]},
        {"op": "term", "name": "large", "model": "size", "label": [0.65]},
        {"op": "term", "name": "sphere", "model": "shape", "label": onehot(3, 1)},
        {"op": "term", "name": "red", "model": "color", "label": onehot(20, 0)}]})
# 3. masked: red acts only in a soft disc around where position (0.5, 0.5) puts the object
#    (image point (0.594, 0.425) by the cubes renderer's camera; radius 0.18 of the image, 0.06 soft edge)
N = 64
cx, cy, r, soft = 0.594, 0.425, 0.18, 0.06
rows = b''
for y in range(N):
    row = bytearray([0])  # filter: none
    for x in range(N):
        d = math.hypot((x + 0.5) / N - cx, (y + 0.5) / N - cy)
        v = 1.0 if d <= r else max(0.0, 1.0 - (d - r) / soft)
        row.append(round(255 * v))
    rows += bytes(row)
def chunk(t, data): return struct.pack('>I', len(data)) + t + data + struct.pack('>I', zlib.crc32(t + data) & 0xffffffff)
png = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', N, N, 8, 0, 0, 0, 0)) + \
      chunk(b'IDAT', zlib.compress(rows, 9)) + chunk(b'IEND', b'')
uri = 'data:image/png;base64,' + base64.b64encode(png).decode()
# One prior, as red ∧ position unmasked: summed it drew an object in 72 % (CPU draft, n = 64; 89 % at
# 400 steps on an H100 with a third out of place), around one prior 98 % once a masked term's share of
# the prior kept its whole gradient (2026-12-06, docs/measurements/2026-12-06_75f5c25_cpu2_masked_color_and_position_draft.tgz).
write('masked_color_and_position', ['color','position'], {
    "op": "and", "prior": "shared", "children": [
        {"op": "term", "name": "red", "model": "color", "label": onehot(20, 0), "mask": uri},
        {"op": "term", "name": "position", "model": "position", "label": [0.5, 0.5]}]})
