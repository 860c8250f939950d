import type { Browser, BrowserContext, Page } from 'playwright-core';
import { loginInBrowser, SCREENSHOT_VIEWPORT } from './console-screenshots';

/**
 * A fresh browser context at the screenshot viewport in `locale`, its page (30 s timeouts) logged in to the console
 * at `base` as `username`. Every dialog the page opens (a form's confirm()) is accepted and its message kept in
 * `confirmations`, in order. Close `context` when done.
 */
export async function consolePage(browser: Browser, base: string, login: { username: string; password: string }, locale: string): Promise<{ context: BrowserContext; page: Page; confirmations: string[] }> {
  const context = await browser.newContext({ viewport: SCREENSHOT_VIEWPORT, locale });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const confirmations: string[] = [];
  page.on('dialog', (d) => {
    confirmations.push(d.message());
    void d.accept();
  });
  await loginInBrowser(page, base, login.username, login.password);
  return { context, page, confirmations };
}
