import type { ScreenSession } from '../../runtime/screen/screen-session';
import type { ScreenView } from '../../protocol/screen';

/** The view once `pred` holds: now, or at the next emitted view that satisfies it (fails after `guardMs`). */
export function viewWhen(session: ScreenSession, pred: (v: ScreenView) => boolean, what: string, guardMs = 10_000): Promise<ScreenView> {
  const now = session.view();
  if (pred(now)) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const on = (v: ScreenView) => {
      if (!pred(v)) return;
      clearTimeout(guard);
      session.off('view', on);
      resolve(v);
    };
    const guard = setTimeout(() => {
      session.off('view', on);
      reject(new Error(`no view with ${what}; last: ${JSON.stringify(session.view()).slice(0, 1500)}`));
    }, guardMs);
    session.on('view', on);
  });
}
