import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const ROOT = path.resolve(__dirname, '..', '..');

/** Compiles the shopper page (screen-ui/ → dist/screen/public/screen-ui/) so a Chromium test sees the current UI code. */
export function buildScreenUi(): void {
  const ui = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.ui.json'], { cwd: ROOT, encoding: 'utf8' });
  if (ui.status !== 0) throw new Error(`UI build failed:\n${ui.stdout}${ui.stderr}`);
}

/** Debian's Chromium, headless, driven by playwright-core. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
}

/**
 * A page at the lane's 1024×768 unless told otherwise. The screen's CSP forbids eval; Playwright's string
 * predicates need it, so a test page bypasses the CSP unless `strictCsp` is set.
 */
export async function newScreenPage(browser: Browser, timeoutMs: number, opts: { width?: number; height?: number; strictCsp?: boolean } = {}): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: opts.width ?? 1024, height: opts.height ?? 768 }, bypassCSP: !opts.strictCsp });
  page.setDefaultTimeout(timeoutMs);
  return page;
}
