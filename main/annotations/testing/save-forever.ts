// Child process for the crash test: adds one big polygon at a time and saves, forever, reporting each save.
import { AnnotationStore } from '../annotation-store.js';

const [dataDir, fingerprint] = process.argv.slice(2);
const store = await AnnotationStore.open(fingerprint, { dataDir, autosaveDelayMs: 1 });
for (;;) {
  const n = store.doc.annotations.length;
  const ring = Array.from({ length: 5000 }, (_, i): [number, number] => [n + Math.cos(i) * 100, Math.sin(i) * 100]);
  store.execute({ kind: 'add', annotations: [{ id: `a${n}`, className: 'Tumour', geometry: { type: 'polygon', rings: [ring] } }] });
  await store.flush();
  process.stdout.write(`saved ${n + 1}\n`);
}
