// The desktop file dialogs: one per kind of path the contract takes, asked for only by our own renderer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHOOSE_FILE_CHANNEL, fileDialogFor, registerChooseFileIpc, type FileDialogRequest } from './choose-file.js';
import type { IpcMainLike } from './ipc.js';

test('each kind opens its dialog with its filter; save suggests the path and filters by its extension', () => {
  assert.deepEqual(fileDialogFor({ kind: 'model' }), {
    type: 'open',
    title: 'Import encoder model',
    filters: [
      { name: 'ONNX models or timm checkpoints', extensions: ['onnx', 'safetensors', 'bin', 'pth', 'pt'] },
      { name: 'All files', extensions: ['*'] },
    ],
  });
  assert.deepEqual(fileDialogFor({ kind: 'model-folder', defaultPath: '/m' }), {
    type: 'open',
    directory: true,
    title: 'Import a timm checkpoint folder',
    defaultPath: '/m',
    filters: [],
  });
  assert.equal(fileDialogFor({ kind: 'slide' }).filters[0].extensions.includes('svs'), true);
  // From the format list: every reader's extensions, MIRAX's included.
  for (const ext of ['ndpi', 'mrxs', 'scn', 'bif', 'dcm', 'tiff']) assert.ok(fileDialogFor({ kind: 'slide' }).filters[0].extensions.includes(ext), ext);
  assert.deepEqual(fileDialogFor({ kind: 'annotations' }).filters[0].extensions, ['geojson', 'json', 'xml']);
  assert.deepEqual(fileDialogFor({ kind: 'probe', defaultPath: '/p' }).defaultPath, '/p');
  assert.deepEqual(fileDialogFor({ kind: 'save', defaultPath: '/out/a.GeoJSON' }), {
    type: 'save',
    title: 'Save as',
    defaultPath: '/out/a.GeoJSON',
    filters: [
      { name: 'GEOJSON files', extensions: ['geojson'] },
      { name: 'All files', extensions: ['*'] },
    ],
  });
  assert.throws(() => fileDialogFor({ kind: 'anything' }), /Unknown file kind/);
  assert.throws(() => fileDialogFor(undefined), /Unknown file kind/);
});

test('the channel answers our renderer with the chosen path and others with null', async () => {
  let handler: ((event: { senderFrame?: { url: string } | null }, ...args: unknown[]) => unknown) | undefined;
  const ipcMain: IpcMainLike = {
    handle: (channel, listener) => {
      assert.equal(channel, CHOOSE_FILE_CHANNEL);
      handler = listener;
    },
  };
  const shown: FileDialogRequest[] = [];
  registerChooseFileIpc(ipcMain, async (r) => (shown.push(r), '/chosen.onnx'));
  assert.equal(await handler!({ senderFrame: { url: 'tessera://app/index.html' } }, { kind: 'model' }), '/chosen.onnx');
  assert.equal(await handler!({ senderFrame: { url: 'https://example.com/' } }, { kind: 'model' }), null);
  assert.equal(shown.length, 1);
});
