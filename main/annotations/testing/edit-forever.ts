// Child process for the kill -9 test: one small edit every 20 ms, forever, with the default autosave
// timings; reports each edit ("edit N") so the parent knows what it made before it killed the process.
import { AnnotationStore } from '../annotation-store.js';

const [dataDir, fingerprint] = process.argv.slice(2);
const store = await AnnotationStore.open(fingerprint, { dataDir });
for (let n = store.doc.annotations.length; ; n++) {
  store.execute({ kind: 'add', annotations: [{ id: `e${n}`, className: 'Tumour', geometry: { type: 'point', x: n, y: 0 } }] });
  process.stdout.write(`edit ${n + 1}\n`);
  await new Promise((r) => setTimeout(r, 20));
}
