import { csrfField, html, type Html } from '../console/html';
import type { ConsoleContext, ConsoleReply, ConsoleRequest } from '../console/types';
import { fleetRows } from './fleet-query';
import { kioskHref } from './page-parts';
import { addTag, MAX_TAGS_PER_KIOSK, removeTag } from './tags';

/** A kiosk's tags on its page: each with a remove button, and a form to add one (users who may send commands). */
export function tagsSection(req: ConsoleRequest, store: string, device: string, tags: readonly string[], canEdit: boolean): Html {
  const t = req.t;
  const action = `${kioskHref(store, device)}/tags`;
  return html`<section id="tags"><h2>${t('fleet.tags.title')}</h2>
    ${tags.length === 0 ? html`<p class="muted">${t('fleet.tags.none')}</p>` : ''}
    <ul class="tags">${tags.map(
      (tag) => html`<li data-tag="${tag}"><span class="badge">${tag}</span>${canEdit
        ? html` <form method="post" action="${action}" class="inline">${csrfField(req.csrfToken)}<input type="hidden" name="action" value="remove"><input type="hidden" name="tag" value="${tag}"><button type="submit">${t('fleet.tags.remove')}</button></form>`
        : ''}</li>`,
    )}</ul>
    ${canEdit
      ? html`<form method="post" action="${action}" class="filters">${csrfField(req.csrfToken)}<input type="hidden" name="action" value="add">
      <label>${t('fleet.filter.tag')}<input name="tag" maxlength="32" pattern="[a-z0-9][a-z0-9_\\-]{0,31}" required></label>
      <button type="submit">${t('fleet.tags.add')}</button></form>`
      : ''}</section>`;
}

/** POST /fleet/:store/:device/tags — `action=add|remove`, `tag`; the kiosk must be in scope; audited. */
export async function tagPost(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleReply> {
  const { store, device } = req.params;
  const t = req.t;
  const tag = (req.body.tag ?? '').trim();
  const action = req.body.action === 'remove' ? 'remove' : req.body.action === 'add' ? 'add' : null;
  if (!action) return { error: { status: 400, message: t('fleet.tags.bad') } };
  const [row] = await fleetRows(ctx.store, req.scope, { store, device, includeRetired: true }, ctx.clock.now());
  if (!row) return { error: { status: 404, message: t('fleet.kiosk.unknown') } };
  const out = action === 'add' ? await addTag(ctx.store.db, store, device, tag, req.user.username, ctx.clock.now()) : await removeTag(ctx.store.db, store, device, tag);
  if (out === 'invalid') return { error: { status: 400, message: t('fleet.tags.bad') } };
  if (out === 'too_many') return { error: { status: 409, message: t('fleet.tags.tooMany', { max: MAX_TAGS_PER_KIOSK }) } };
  if (out === 'added' || out === 'removed') {
    await ctx.audit.record({ actor: req.user.username, action: action === 'add' ? 'kiosk.tag' : 'kiosk.untag', target: `${store}/${device}`, detail: { tag }, ip: req.ip });
    ctx.live.publish('fleet', store);
  }
  return { redirect: `${kioskHref(store, device)}#tags` };
}
