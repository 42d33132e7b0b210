// The desktop shell: Electron wiring only. Services, routing and dispatch are the plain modules the
// browser host uses too; this file creates the window, the `tessera://` protocol, the IPC channel,
// the menu, the open dialog and the recent-documents list.
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, shell, type MenuItemConstructorOptions } from 'electron';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TesseraEvent } from '../contracts/tessera-api.js';
import { composeServices } from '../services/compose-services.js';
import { toApiError } from '../services/api-error.js';
import { rendererDir } from '../services/app-paths.js';
import { APP_URL, TESSERA_SCHEME, createTesseraProtocolHandler } from './tile-protocol.js';
import { CHOOSE_SLIDES_CHANNEL, EVENT_CHANNEL, isTrustedSender, registerApiIpc } from './ipc.js';
import { SLIDE_EXTENSIONS, registerChooseFileIpc, type FileDialogRequest } from './choose-file.js';

const here = dirname(fileURLToPath(import.meta.url));

protocol.registerSchemesAsPrivileged([TESSERA_SCHEME]);

const services = composeServices({ transport: 'electron', recentFile: join(app.getPath('userData'), 'recent-slides.json') });
const { slides, api } = services;
let mainWindow: BrowserWindow | null = null;
/** Slides asked for before the window was ready (command line, macOS open-file). */
const pendingPaths: string[] = [];

function broadcast(event: TesseraEvent): void {
  for (const win of BrowserWindow.getAllWindows()) win.webContents.send(EVENT_CHANNEL, event);
}
services.events.on(broadcast);

/** Opens slides from outside the renderer (menu, dialog, recent, file drop on the dock, argv). */
async function openPaths(paths: string[]): Promise<void> {
  for (const path of paths) {
    try {
      const info = await slides.open(path);
      app.addRecentDocument(info.path);
      broadcast({ type: 'slide-opened', slide: info });
    } catch (err) {
      broadcast({ type: 'error', message: `Could not open ${path}: ${toApiError(err).message}` });
    }
  }
  void rebuildMenu();
}

async function chooseSlideFiles(): Promise<string[]> {
  const options: Electron.OpenDialogOptions = {
    title: 'Open slide',
    properties: ['openFile', 'multiSelections'],
    filters: [
      { name: 'Whole-slide images', extensions: SLIDE_EXTENSIONS },
      { name: 'All files', extensions: ['*'] },
    ],
  };
  const result = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
  return result.canceled ? [] : result.filePaths;
}

/** One native dialog for a path the contract takes (see choose-file.ts); null when cancelled. */
async function showFileDialog(request: FileDialogRequest): Promise<string | null> {
  const { type, ...options } = request;
  if (type === 'save') {
    const r = mainWindow ? await dialog.showSaveDialog(mainWindow, options) : await dialog.showSaveDialog(options);
    return r.canceled || !r.filePath ? null : r.filePath;
  }
  const { directory, ...rest } = options;
  const open: Electron.OpenDialogOptions = { ...rest, properties: [directory ? 'openDirectory' : 'openFile'] };
  const r = mainWindow ? await dialog.showOpenDialog(mainWindow, open) : await dialog.showOpenDialog(open);
  return r.canceled ? null : (r.filePaths[0] ?? null);
}

async function rebuildMenu(): Promise<void> {
  const recent = await slides.recent.list();
  const isMac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: '&File',
      submenu: [
        { label: 'Open Slide…', accelerator: 'CmdOrCtrl+O', click: async () => openPaths(await chooseSlideFiles()) },
        {
          label: 'Open Recent',
          submenu: recent.length
            ? recent.map((r) => ({ label: r.name, toolTip: r.path, click: () => void openPaths([r.path]) }))
            : [{ label: 'No recent slides', enabled: false }],
        },
        {
          label: 'Open Sample Slide',
          click: async () => {
            try {
              broadcast({ type: 'slide-opened', slide: await slides.openSample() });
            } catch (err) {
              broadcast({ type: 'error', message: toApiError(err).message });
            }
          },
        },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: '&View',
      submenu: [{ role: 'reload' }, { role: 'toggleDevTools' }, { type: 'separator' }, { role: 'togglefullscreen' }],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [{ label: 'Tessera on the web', click: () => void shell.openExternal('https://github.com/') }],
    },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

function createWindow(): BrowserWindow {
  const preload = join(here, 'preload.cjs');
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 800,
    minHeight: 500,
    backgroundColor: '#17191c',
    title: 'Tessera',
    show: false,
    webPreferences: {
      preload: existsSync(preload) ? preload : undefined,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  // No navigation away from the app, no new windows: links go to the system browser.
  win.webContents.on('will-navigate', (e, url) => {
    if (!url.startsWith('tessera://app/')) e.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('did-finish-load', () => {
    const paths = pendingPaths.splice(0);
    if (paths.length) void openPaths(paths);
  });
  void win.loadURL(APP_URL);
  return win;
}

function slideArgs(argv: string[]): string[] {
  return argv.slice(app.isPackaged ? 1 : 2).filter((a) => !a.startsWith('-') && existsSync(a));
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', (_e, argv) => {
    void openPaths(slideArgs(argv));
    if (mainWindow) {
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.focus();
    }
  });
  app.on('open-file', (e, path) => {
    e.preventDefault();
    if (mainWindow && !mainWindow.webContents.isLoading()) void openPaths([path]);
    else pendingPaths.push(path);
  });

  void app.whenReady().then(async () => {
    protocol.handle('tessera', createTesseraProtocolHandler(slides, rendererDir));
    registerApiIpc(ipcMain, api);
    ipcMain.handle(CHOOSE_SLIDES_CHANNEL, (event) => (isTrustedSender(event) ? chooseSlideFiles() : []));
    registerChooseFileIpc(ipcMain, showFileDialog);
    await rebuildMenu();
    const fromArgs = slideArgs(process.argv);
    pendingPaths.push(...fromArgs);
    if (fromArgs.length === 0) {
      // Started without a slide: open on the built-in sample.
      slides.openSample().then((info) => broadcast({ type: 'slide-opened', slide: info }), () => {});
    }
    mainWindow = createWindow();
    mainWindow.on('closed', () => (mainWindow = null));
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
    });
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  // Unsaved annotation edits (autosave is debounced) are flushed before the process goes.
  let closed = false;
  app.on('will-quit', (e) => {
    if (closed) return;
    e.preventDefault();
    closed = true;
    void services
      .close()
      .catch((err: unknown) => dialog.showErrorBox('Tessera could not save your annotations', (err as Error).message))
      .finally(() => app.quit());
  });
}
