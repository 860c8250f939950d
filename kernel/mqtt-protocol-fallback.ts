import type { EventEmitter } from 'node:events';
import type { IClientOptions, MqttClient } from 'mqtt';

/** Why an MQTT 5 client went back to 3.1.1 (for the one log line). */
export interface ProtocolFallback {
  /** What the broker did: its CONNACK refusal, or closing the connection before any CONNACK. */
  cause: string;
  /** The CONNACK refusal's `error` event that caused it (the client's other listeners get it next), if any. */
  error?: Error;
}

/** CONNACK codes that mean "not this protocol version": 3.1.1's return code 1, MQTT 5's reason 0x84. */
const PROTOCOL_REFUSED = new Set([1, 0x84]);
/** A broker that closes this many MQTT 5 CONNECTs in a row without a CONNACK (the TCP/TLS connection was up) is taken as 3.1.1-only. */
export const CLOSES_BEFORE_FALLBACK = 2;

/** The options of `opts` for MQTT 3.1.1: protocol level 4, no MQTT 5 properties (connect's, the will's). */
export function mqtt311Options<T extends IClientOptions>(opts: T): T {
  const out: T = { ...opts, protocolVersion: 4 };
  delete out.properties;
  if (out.will) {
    const will = { ...out.will };
    delete will.properties;
    out.will = will;
  }
  return out;
}

/**
 * Lets an mqtt.js v5 client set to MQTT 5 (`protocolVersion: 5`) reach a broker that speaks only 3.1.1 (Aedes; older
 * brokers): when the broker refuses the version (CONNACK return code 1 / reason 0x84) or closes
 * CLOSES_BEFORE_FALLBACK MQTT 5 CONNECTs in a row before any CONNACK although the connection was up, the client switches
 * to 3.1.1 for the rest of its life (`mqtt311Options`: no session expiry property — `clean: false` keeps a 3.1.1
 * session anyway) and connects again on its own reconnect schedule. `onFallback` is called once, with the cause.
 * A client that starts at 3.1.1, or has fallen back, is left alone. Returns a function that detaches it.
 *
 * mqtt.js stops reconnecting after a CONNACK refusal (`reconnectSuppressed`, node_modules/mqtt build/lib/handlers/
 * connack.js) unless `reconnectOnConnackError` (the kiosk's and HQ's long-lived clients set it); the refusal's `error`
 * is emitted before the socket's `close`, so clearing that flag there lets the `close` schedule the next attempt as
 * any other, whichever way the client is set.
 */
export function applyProtocolFallback(client: MqttClient, onFallback: (f: ProtocolFallback) => void): () => void {
  let socketUp = false;
  let connack = false;
  let closesBeforeConnack = 0;
  let stream: EventEmitter | null = null;
  const up = () => (socketUp = true);
  const fallBack = (cause: string, error?: Error) => {
    const v311 = mqtt311Options(client.options);
    client.options.protocolVersion = 4;
    delete client.options.properties;
    client.options.will = v311.will;
    detach();
    onFallback(error ? { cause, error } : { cause });
  };
  /** Follows the connection attempt on `client.stream` (a net or TLS socket: 'connect' / 'secureConnect' when it is up). */
  const track = () => {
    stream?.off('connect', up).off('secureConnect', up);
    connack = false;
    const s = client.stream as unknown as (EventEmitter & { connecting?: boolean; destroyed?: boolean }) | undefined;
    stream = s ?? null;
    socketUp = s?.connecting === false && s.destroyed === false;
    if (s && !socketUp) s.once('connect', up).once('secureConnect', up);
  };
  const onSend = (packet: { cmd: string }) => {
    if (packet.cmd === 'connect') track();
  };
  const onReceive = (packet: { cmd: string; reasonCode?: number }) => {
    if (packet.cmd !== 'connack') return;
    connack = true;
    if (!packet.reasonCode) closesBeforeConnack = 0;
  };
  const onError = (e: Error & { code?: unknown }) => {
    if (client.options.protocolVersion !== 5 || !connack || client.connected || typeof e.code !== 'number' || !PROTOCOL_REFUSED.has(e.code)) return;
    (client as unknown as { reconnectSuppressed: boolean }).reconnectSuppressed = false;
    fallBack(`the broker refused MQTT 5 (CONNACK ${e.code}: ${e.message})`, e);
  };
  const onClose = () => {
    if (client.options.protocolVersion !== 5 || client.disconnecting || connack || !socketUp) return;
    socketUp = false;
    if (++closesBeforeConnack >= CLOSES_BEFORE_FALLBACK) {
      fallBack(`the broker closed ${closesBeforeConnack} MQTT 5 connections in a row before answering (no CONNACK)`);
    }
  };
  // mqtt.connect() without `manualConnect` has already sent its first CONNECT
  if (client.stream && !client.connected) track();
  client.on('packetsend', onSend);
  client.on('packetreceive', onReceive);
  client.on('error', onError);
  client.on('close', onClose);
  function detach(): void {
    client.off('packetsend', onSend);
    client.off('packetreceive', onReceive);
    client.off('error', onError);
    client.off('close', onClose);
    stream?.off('connect', up).off('secureConnect', up);
    stream = null;
  }
  return client.options.protocolVersion === 5 ? detach : (detach(), detach);
}
