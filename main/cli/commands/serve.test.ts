// `tessera serve` as a user runs it: the URL it prints carries the per-session access token (as Jupyter's
// does), and the host it started answers nothing without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../tessera.ts', import.meta.url));

test('tessera serve prints http://127.0.0.1:PORT/?token=…; requests without the token get 401', { timeout: 60_000 }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'tessera-serve-'));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', `const { main } = await import(${JSON.stringify(cli)}); process.exitCode = await main(['serve', '--no-open']);`],
    { env: { ...process.env, XDG_CONFIG_HOME: home, TESSERA_DATA_DIR: home }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed; stderr: ${stderr}`)), 45_000);
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        if (stdout.includes('\n')) {
          clearTimeout(timer);
          resolve(stdout.split('\n')[0]);
        }
      });
      child.once('exit', () => reject(new Error(`serve exited; stderr: ${stderr}`)));
    });
    const m = /^http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]{32,})$/.exec(line);
    assert.ok(m, `printed ${JSON.stringify(line)}`);
    const base = `http://127.0.0.1:${m[1]}/`;
    assert.equal((await fetch(`${base}slides`)).status, 401);
    const open = await fetch(`${base}api/openSlide`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: '/etc/passwd' }) });
    assert.equal(open.status, 401);
    assert.doesNotMatch(await open.text(), /root/);
    const page = await fetch(line);
    assert.notEqual(page.status, 401);
    await page.arrayBuffer();
    assert.match(String(page.headers.get('set-cookie')), /HttpOnly; SameSite=Strict/);
    const list = await fetch(`${base}slides`, { headers: { 'x-tessera-token': m[2] } });
    assert.equal(list.status, 200);
  } finally {
    child.kill('SIGTERM');
    await exited;
    rmSync(home, { recursive: true, force: true });
  }
});
