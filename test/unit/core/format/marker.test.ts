import { describe, expect, it } from 'vitest';
import {
  createMarkerMatcher,
  decodeRsaPayload,
  encodeRsaPayload,
  isKeyId,
  isRsaPayload,
  markerClose,
  markerOpen,
  markerWriter,
  scanMarkers,
} from '../../../../core/format/marker';

describe('marker format', () => {
  it('wraps key 01 as #01#…#10#, as the reference post does', () => {
    expect(markerWriter('01').wrap('QUJD')).toBe('#01#QUJD#10#');
    expect(markerWriter('01').overhead).toBe(8);
    expect(markerOpen('a7Z')).toBe('#a7Z#');
    expect(markerClose('a7Z')).toBe('#Z7a#');
  });

  it('refuses key ids that could imitate a delimiter', () => {
    for (const bad of ['', '0#1', 'abc def', '123456789', 'ü', '-1']) expect(isKeyId(bad)).toBe(false);
    for (const good of ['01', 'A', 'k2026v01']) expect(isKeyId(good)).toBe(true);
    expect(() => markerWriter('0#')).toThrow(RangeError);
  });

  it('encodes the payload as standard padded base64 and reads it back', () => {
    const bytes = Uint8Array.from([0xfb, 0xff, 0xfe, 0x00, 0x01]);
    const payload = encodeRsaPayload(bytes);
    expect(payload).toBe('+//+AAE=');
    expect(isRsaPayload(payload)).toBe(true);
    expect([...(decodeRsaPayload(payload) ?? [])]).toEqual([...bytes]);
  });

  it('tells the post-compatible payload from anything else', () => {
    for (const other of ['abc', 'QUJD=', 'v2.QUJD', 'QU-D', 'QUJD====', '']) expect(isRsaPayload(other)).toBe(false);
    expect(decodeRsaPayload('v2.QUJD')).toBeUndefined();
  });
});

describe('createMarkerMatcher', () => {
  const markers = createMarkerMatcher(['01', '02']);

  it('finds every marker of known ids, left to right, with offsets', () => {
    const text = 'a #01#QUJD#10# b "#02#RUZH#20#" c';
    const found = markers.find(text);
    expect(found.map((m) => [m.keyId, m.payload, text.slice(m.start, m.end)])).toEqual([
      ['01', 'QUJD', '#01#QUJD#10#'],
      ['02', 'RUZH', '#02#RUZH#20#'],
    ]);
  });

  it('ignores lone mentions, unknown ids, mismatched closers and empty payloads', () => {
    for (const text of ['a lone #01# mention', '#03#QUJD#30#', '#01#QUJD#20#', '#01##10#', '#01#has space#10#', '#01#QUJD']) {
      expect(markers.test(text), text).toBe(false);
      expect(markers.find(text), text).toEqual([]);
    }
  });

  it('reads adjacent markers as two, never one spanning both', () => {
    const text = '#01#QUJD#10##01#RUZH#10#';
    expect(markers.find(text).map((m) => m.payload)).toEqual(['QUJD', 'RUZH']);
  });

  it('finds a known marker that starts at the closer of a marker-shaped text of an unknown id', () => {
    // `#ab#X#ba#` is text (id ab is not known), and its closing `#` opens `#01#QUJD#10#`.
    const text = '#ab#X#ba#01#QUJD#10#';
    expect(markers.find(text).map((m) => [m.keyId, m.payload])).toEqual([['01', 'QUJD']]);
    expect(markers.test(text)).toBe(true);
  });

  it('test() is repeatable (no regex state carried between calls)', () => {
    expect(markers.test('#01#QUJD#10#')).toBe(true);
    expect(markers.test('#01#QUJD#10#')).toBe(true);
  });
});

describe('scanMarkers and the injection check agree', () => {
  it('scanMarkers reads left to right: a marker shape may hide a known marker from the scan', () => {
    const text = '#10#x#01#QUJD#10#';
    expect(scanMarkers(text).map((m) => m.keyId)).toEqual(['10']);
  });

  it('test() finds a known marker at any offset, so the hidden one is still refused', () => {
    expect(createMarkerMatcher(['01']).test('#10#x#01#QUJD#10#')).toBe(true);
    // The stored text the decrypt service scans may lose the prefix (here an escaped "#").
    expect(scanMarkers('\\u002310#x#01#QUJD#10#').map((m) => m.keyId)).toEqual(['01']);
  });

  it('scanMarkers finds markers of any key id, skipping shapes whose closer is not the reverse', () => {
    const text = '#ab#QUJD#cd# #k9#QUJD#9k# #01#RUZH#10#';
    expect(scanMarkers(text).map((m) => [m.keyId, m.payload])).toEqual([
      ['k9', 'QUJD'],
      ['01', 'RUZH'],
    ]);
  });
});
