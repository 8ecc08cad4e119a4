// The generated contract against what Go really sends: testdata/samples.json
// holds, for every method's result and every event, values of the real Go
// types encoded by encoding/json (internal/apigen writes it; a Go test keeps
// it current). Every one must decode, and every field of the wrong type must
// not — so a decoder that drifts from Go fails here.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  EVENT_DECODERS,
  EVENT_NAMES,
  SERVICES,
  decodeChatSummary,
  decodeConnection,
  decodeMessage,
  decodeMessagePage,
  decodeSafetyNumber,
  decodeSettings,
  decodeStatus,
  type MethodSpec,
} from './contract.gen';
import { ApiError, type Decoder } from './decode';

interface Samples {
  results: Record<string, unknown[]>;
  events: Record<string, unknown[]>;
}
const samples = JSON.parse(readFileSync(resolve(import.meta.dirname, 'testdata/samples.json'), 'utf8')) as Samples;

const methods: [string, Decoder<unknown>][] = Object.values(SERVICES).flatMap((svc) =>
  Object.values(svc.methods as Record<string, MethodSpec<unknown>>).map(
    (m): [string, Decoder<unknown>] => [`${svc.service}.${m.method}`, m.result],
  ),
);
const events: [string, Decoder<unknown>][] = EVENT_NAMES.map((n) => [n, EVENT_DECODERS[n] as Decoder<unknown>]);

describe('samples from Go', () => {
  it('cover exactly the methods and events of the contract', () => {
    expect(Object.keys(samples.results).sort()).toEqual(methods.map(([k]) => k).sort());
    expect(Object.keys(samples.events).sort()).toEqual(events.map(([k]) => k).sort());
  });

  describe.each([
    ['result', methods, samples.results],
    ['event', events, samples.events],
  ] as const)('every %s', (_kind, table, values) => {
    it.each(table)('%s decodes every sample', (key, decode) => {
      const list = values[key];
      expect(list?.length).toBeGreaterThan(0);
      for (const sample of list ?? []) {
        expect(() => decode(sample), JSON.stringify(sample)).not.toThrow();
      }
      // The last sample is the zero value; the others carry every field set,
      // and decode to themselves.
      for (const sample of (list ?? []).slice(0, -1)) expect(decode(sample)).toEqual(sample);
    });

    it.each(table)('%s refuses each field of the wrong type, or missing', (key, decode) => {
      const sample = values[key]?.[0];
      if (typeof sample !== 'object' || sample === null) return;
      const items = Array.isArray(sample) ? (sample as unknown[]) : [sample];
      const first = items[0] as Record<string, unknown>;
      for (const [field, value] of Object.entries(first)) {
        const wrong = typeof value === 'string' ? 7 : 'seven';
        const broken = { ...first, [field]: wrong };
        const missing: Record<string, unknown> = { ...first };
        delete missing[field];
        for (const bad of [broken, missing]) {
          const input = Array.isArray(sample) ? [bad] : bad;
          expect(() => decode(input), `${key}.${field}`).toThrow(ApiError);
        }
      }
    });
  });
});

describe('decoders', () => {
  const [status] = samples.results['AccountService.Status'] as [Record<string, unknown>];
  const [settings] = samples.results['SettingsService.Get'] as [Record<string, unknown>];
  const [connection] = samples.results['ConnectionService.Status'] as [Record<string, unknown>];
  const [chat] = samples.results['ChatService.OpenDirect'] as [Record<string, unknown>];
  const [message] = samples.results['ChatService.Send'] as [Record<string, unknown>];

  it.each([
    ['an unknown vault state', () => decodeStatus({ ...status, state: 'open' })],
    ['an unknown theme', () => decodeSettings({ ...settings, theme: 'pink' })],
    ['an unknown connection state', () => decodeConnection({ ...connection, state: 'sleeping' })],
    ['an unknown chat kind', () => decodeChatSummary({ ...chat, kind: 'vanishing' })],
    ['an unknown role', () => decodeChatSummary({ ...chat, myRole: 'king' })],
    ['an unknown message status', () => decodeMessage({ ...message, status: 'lost' })],
    ['a fraction where Go sends an integer', () => decodeMessage({ ...message, seq: 1.5 })],
    ['a page that is not a list', () => decodeMessagePage({ messages: {}, nextBefore: '' })],
    ['a page with a broken message', () => decodeMessagePage({ messages: [{ id: 1 }], nextBefore: '' })],
    ['emoji that are not strings', () => decodeSafetyNumber({ digits: '1', emoji: [1] })],
    ['null', () => decodeStatus(null)],
    ['a list', () => decodeStatus([])],
  ])('refuse %s', (_name, decode) => {
    expect(decode).toThrow(ApiError);
  });

  it('name where the shape differs', () => {
    expect(() => decodeStatus({ ...status, state: 'open' })).toThrow(
      'unexpected Status.state from Hush: "open" is not one of new, locked, unlocked',
    );
    expect(() => decodeMessagePage({ messages: [{ ...message, status: 'lost' }], nextBefore: '' })).toThrow(
      'unexpected MessagePage.messages[0].status from Hush',
    );
  });

  it('accept a role of none in results, and null lists as empty', () => {
    expect(decodeChatSummary({ ...chat, myRole: '' }).myRole).toBe('');
    expect(decodeSafetyNumber({ digits: '1', emoji: null })).toEqual({ digits: '1', emoji: [] });
    expect(decodeMessagePage({ messages: null, nextBefore: '' })).toEqual({ messages: [], nextBefore: '' });
  });

  it('ignore fields this build does not know', () => {
    expect(decodeStatus({ ...status, extra: true })).toEqual(status);
  });
});
