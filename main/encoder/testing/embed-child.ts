// Child process for the crash test: embeds a slide through EmbeddingService, printing "done N" after every
// stored batch, so the parent can SIGKILL it mid-run. Args: slide modelsDir cacheDir batchSize
import { EmbeddingService } from '../embedding-service.js';

const [slide, models, cache, batch] = process.argv.slice(2);
const service = new EmbeddingService({ folders: { user: models, builtIn: models }, cacheDir: cache, batchSize: Number(batch), session: { threads: 1, providers: ['cpu'] } });
await service.embed(slide, {
  mpps: [0.5],
  onProgress: (p) => process.stdout.write(`done ${p.done} cached ${p.cached} total ${p.total}\n`),
});
await service.close();
process.stdout.write('finished\n');
