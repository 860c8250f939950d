import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';

export const SCREENSHOT_LANGS = ['en', 'zh-CN'] as const;
export const SCREENSHOT_VIEWPORT = { width: 1280, height: 800 };

/** A console page to photograph: its name in the file name (`console-<name>-<lang>.png`) and its path. */
export interface ConsoleShot {
  name: string;
  path: string;
}

/** Logs a fresh page in to the console (the login form, as a user types it). */
export async function loginInBrowser(page: Page, base: string, username: string, password: string): Promise<void> {
  await page.goto(`${base}/login`);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('button[type="submit"]')]);
}

/**
 * Screenshots of `shots` in English and Chinese at 1280×800 (the top of the page, as a user first sees it) into `outDir`/console-<name>-<lang>.png, as
 * `username` sees them; the language is chosen as a user does (`?lang=` on the first page, kept in a cookie). The
 * login page is taken before logging in. Returns the files written.
 */
export async function takeConsoleScreenshots(
  browser: Browser,
  base: string,
  login: { username: string; password: string },
  shots: readonly ConsoleShot[],
  outDir: string,
): Promise<string[]> {
  fs.mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  for (const lang of SCREENSHOT_LANGS) {
    const context = await browser.newContext({ viewport: SCREENSHOT_VIEWPORT, locale: lang });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    try {
      await page.goto(`${base}/login?lang=${encodeURIComponent(lang)}`);
      const loginFile = path.join(outDir, `console-login-${lang}.png`);
      await page.screenshot({ path: loginFile });
      files.push(loginFile);
      await page.fill('input[name="username"]', login.username);
      await page.fill('input[name="password"]', login.password);
      await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('button[type="submit"]')]);
      for (const shot of shots) {
        const sep = shot.path.includes('?') ? '&' : '?';
        await page.goto(`${base}${shot.path}${sep}lang=${encodeURIComponent(lang)}`);
        await page.waitForLoadState('networkidle');
        // charts draw after load: wait until each chart container holds its canvas/svg
        const charts = page.locator('[data-chart]');
        for (let i = 0; i < (await charts.count()); i++) await charts.nth(i).locator('canvas, svg').first().waitFor();
        // ECharts animates its first drawing: shoot once two frames 300 ms apart are the same
        if ((await charts.count()) > 0) {
          let last = await page.screenshot();
          for (let i = 0; i < 20; i++) {
            await page.waitForTimeout(300);
            const now = await page.screenshot();
            if (now.equals(last)) break;
            last = now;
          }
        }
        const file = path.join(outDir, `console-${shot.name}-${lang}.png`);
        await page.screenshot({ path: file });
        files.push(file);
      }
    } finally {
      await context.close();
    }
  }
  return files;
}
