import { isKioskError } from '../../kernel/errors';
import { ID_FIELDS, SECRET_CHANNELS, SECRET_FIELDS, type SecretChannel } from '../../protocol/payments/channel-secrets';
import { formatTime } from '../console/format';
import { csrfField, html, type Html } from '../console/html';
import type { ConsoleContext, ConsoleRequest, RouteDef } from '../console/types';
import { CHAIN, ChannelSecretsRegistry, type ChannelSecretsRow } from './registry';
import { setChannelSecrets } from './set-secrets';
import { kioskChannelStatus, type KioskChannelStatus } from './status';

/**
 * The console's /channels page (admins only: `channels.manage`): every scope's and channel's merchant ids,
 * fingerprints and version, each kiosk's sealing key and delivery (waiting for its key / delivered / applied /
 * failed), and a form per channel to set or rotate. Secret fields are password inputs and textareas that are never
 * filled from what HQ holds: a value, once entered, is never sent to a browser again.
 */

const PEM_FIELDS = new Set(['clientCertPem', 'clientKeyPem', 'merchantPrivateKeyPem', 'gatewayPublicKeyPem', 'signKeyPem', 'signCertPem']);

const scopeText = (req: ConsoleRequest, scope: string): string => (scope === CHAIN ? req.t('channels.chain') : req.t('channels.store', { store: scope }));
const pairs = (o: Record<string, string>): Html => html`${Object.entries(o).map(([k, v]) => html`<div><span class="field">${k}</span> <code>${v}</code></div>`)}`;

function valuesTable(req: ConsoleRequest, ctx: ConsoleContext, rows: readonly ChannelSecretsRow[]): Html {
  if (!rows.length) return html`<p class="empty">${req.t('channels.none')}</p>`;
  return html`<table class="channel-values">
<thead><tr><th>${req.t('channels.scope')}</th><th>${req.t('channels.channel')}</th><th>${req.t('channels.version')}</th><th>${req.t('channels.ids')}</th><th>${req.t('channels.fingerprints')}</th><th>${req.t('channels.setBy')}</th></tr></thead>
<tbody>${rows.map(
    (r) =>
      html`<tr data-scope="${r.scope}" data-channel="${r.channel}"><td>${scopeText(req, r.scope)}</td><td>${r.channel}</td><td>v${r.version}</td><td>${pairs(r.ids)}</td><td>${pairs(r.fingerprints)}</td><td>${r.set_by}, ${formatTime(r.set_at, ctx.settings.timezone, req.lang)}</td></tr>`,
  )}</tbody></table>`;
}

function statusText(req: ConsoleRequest, k: KioskChannelStatus): string {
  if (k.status === 'failed') return req.t('channels.status.failed', { reason: k.reason ?? '' });
  if (k.status === 'delivered' || k.status === 'applied') return req.t(`channels.status.${k.status}`, { version: k.configVersion ?? '?' });
  return req.t(`channels.status.${k.status}`);
}

function kiosksTable(req: ConsoleRequest, kiosks: readonly KioskChannelStatus[]): Html {
  if (!kiosks.length) return html`<p class="empty">${req.t('channels.noKiosks')}</p>`;
  return html`<table class="channel-kiosks">
<thead><tr><th>${req.t('channels.kiosk')}</th><th>${req.t('channels.sealKey')}</th><th>${req.t('channels.due')}</th><th>${req.t('channels.status')}</th></tr></thead>
<tbody>${kiosks.map(
    (k) =>
      html`<tr data-kiosk="${k.store}/${k.device}" data-status="${k.status}"><td>${k.store}/${k.device}</td><td>${k.keyFingerprint ? html`<code>${k.keyFingerprint}</code>` : req.t('channels.noKey')}</td><td>${k.version === null ? '—' : `v${k.version}`}</td><td>${statusText(req, k)}</td></tr>`,
  )}</tbody></table>`;
}

function channelForm(req: ConsoleRequest, channel: SecretChannel): Html {
  const field = (name: string, secret: boolean): Html => {
    const label = req.t(`channels.field.${name}`);
    const id = `${channel}-${name}`;
    if (!secret) return html`<label for="${id}">${label}</label><input id="${id}" name="${name}" required maxlength="64" autocomplete="off">`;
    if (PEM_FIELDS.has(name)) return html`<label for="${id}">${label}</label><textarea id="${id}" name="${name}" required rows="4" cols="64" autocomplete="off" spellcheck="false"></textarea>`;
    return html`<label for="${id}">${label}</label><input id="${id}" type="password" name="${name}" required autocomplete="new-password">`;
  };
  return html`<form method="post" action="/channels/set" class="channel-form" data-channel="${channel}">
<h3>${req.t('channels.setFor', { channel })}</h3>${csrfField(req.csrfToken)}<input type="hidden" name="channel" value="${channel}">
<label for="${channel}-scope">${req.t('channels.scopeField')}</label><input id="${channel}-scope" name="scope" required value="*" maxlength="64">
${(ID_FIELDS[channel] as readonly string[]).map((f) => field(f, false))}
${(SECRET_FIELDS[channel] as readonly string[]).map((f) => field(f, true))}
<button type="submit">${req.t('channels.save')}</button></form>`;
}

/** The values of one channel from the form: its fields only, PEM line ends normalised. */
function formValues(channel: SecretChannel, body: Record<string, string | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const f of [...(ID_FIELDS[channel] as readonly string[]), ...(SECRET_FIELDS[channel] as readonly string[])]) {
    const v = body[f];
    out[f] = v === undefined || v === '' ? undefined : PEM_FIELDS.has(f) ? `${v.replace(/\r\n/g, '\n').trim()}\n` : v.trim();
  }
  return out;
}

export const ROUTES: RouteDef[] = [
  {
    method: 'GET',
    path: '/channels',
    permission: 'channels.manage',
    nav: { label: 'channels.nav', order: 65 },
    async handler(req, ctx) {
      const rows = await new ChannelSecretsRegistry(ctx.store.db).list();
      const kiosks = await kioskChannelStatus(ctx.store.db.read);
      const flash = req.query.saved ? html`<p class="flash" role="status">${req.query.saved}</p>` : '';
      const body = html`${flash}<p>${req.t('channels.intro')}</p>
<h2>${req.t('channels.values')}</h2>${valuesTable(req, ctx, rows)}
<h2>${req.t('channels.kiosks')}</h2>${kiosksTable(req, kiosks)}
<h2>${req.t('channels.set')}</h2><p>${req.t('channels.keep')}</p>
${ctx.secretsKey ? SECRET_CHANNELS.map((c) => channelForm(req, c)) : html`<p class="warning">${req.t('channels.unavailable')}</p>`}`;
      return { page: { title: req.t('channels.title'), body, live: ['config', 'fleet'] } };
    },
  },
  {
    method: 'POST',
    path: '/channels/set',
    permission: 'channels.manage',
    async handler(req, ctx) {
      if (!ctx.secretsKey) return { error: { status: 503, message: req.t('channels.unavailable') } };
      const channel = req.body.channel as SecretChannel;
      if (!SECRET_CHANNELS.includes(channel)) return { error: { status: 400, message: req.t('channels.badChannel') } };
      const scope = (req.body.scope ?? '').trim();
      try {
        const r = await setChannelSecrets(
          { store: ctx.store, mqtt: ctx.mqtt, hqKey: ctx.hqKey, clock: ctx.clock, secretsKey: ctx.secretsKey, audit: ctx.audit, live: ctx.live },
          { scope, channel, values: formValues(channel, req.body), user: req.user.username, ip: req.ip },
        );
        const vars = { channel, scope: scopeText(req, scope), version: r.row.version };
        const saved = r.deliveries
          ? req.t('channels.saved', { ...vars, sent: r.deliveries.filter((d) => d.status === 'sent').length, waiting: r.deliveries.filter((d) => d.status === 'waiting_key').length })
          : req.t('channels.savedOnly', vars);
        return { redirect: `/channels?saved=${encodeURIComponent(saved)}` };
      } catch (e) {
        // field names and rules only: a problem never quotes a value
        if (isKioskError(e, 'BAD_DATA')) return { error: { status: 422, message: req.t('channels.invalid', { problems: e.message }) } };
        throw e;
      }
    },
  },
];
