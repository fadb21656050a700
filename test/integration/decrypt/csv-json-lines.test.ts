import { describe, expect, it } from 'vitest';
import { createDecryptor } from '../../../decrypt/decryptor';
import { edgeProtect } from '../../helpers/decrypt';
import { testKeyPair } from '../../helpers/keys';

/**
 * Found by an attacker pass (decrypt, substitute.ts): `containerFormatOf` reads a text as JSON, or as JSON
 * records, *before* it looks at `text/csv` / `text/html`. A one-column CSV whose fields are all
 * quoted (`"email"\n"a@b.c"\n`, what most exporters write) is, line by line, a JSON string each: it
 * is read as JSON Lines, and a plaintext quote is written `\"`. RFC 4180 has no backslash escape:
 * the field ends at that quote, and the rest of the value becomes new fields (a one-column file
 * gains columns; strict readers refuse it). The same holds for HTML whose every line is a JSON
 * value: `'` is not escaped by JSON, so an attribute quoted with `'` is closed.
 */

const decryptor = createDecryptor({ keys: [{ id: '01', privateKeyPem: testKeyPair().privateKeyPem }] });
const sealed = (value: string): string =>
  JSON.parse(edgeProtect(JSON.stringify([{ notes: value }]), 'application/json'))[0].notes as string;

/** RFC 4180 fields of one line. */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      i += 1;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') {
          value += '"';
          i += 2;
        } else if (line[i] === '"') {
          i += 1;
          break;
        } else value += line[i++];
      }
      const comma = line.indexOf(',', i);
      value += comma < 0 ? line.slice(i) : line.slice(i, comma);
      fields.push(value);
      i = comma < 0 ? line.length + 1 : comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      fields.push(comma < 0 ? line.slice(i) : line.slice(i, comma));
      i = comma < 0 ? line.length + 1 : comma + 1;
    }
  }
  return fields;
}

describe('F4 (Medium): text/csv (and text/html) whose lines are JSON values are filled as JSON Lines', () => {
  it('one-column quoted CSV: the plaintext x","admin adds a column', async () => {
    const text = `"notes"\n"${sealed('x","admin')}"\n`;
    let out: string;
    try {
      out = (await decryptor.decrypt(text, { contentType: 'text/csv' })).text;
    } catch {
      return; // refusing is fine
    }
    const rows = out.split('\n').filter((l) => l !== '');
    for (const row of rows) expect(csvFields(row)).toHaveLength(1);
  });

  it("HTML whose every line is a JSON string: ' closes a single-quoted attribute", async () => {
    const text = `"<p title='${sealed("x' onmouseover='alert(1)")}'>hi</p>"\n`;
    let out: string;
    try {
      out = (await decryptor.decrypt(text, { contentType: 'text/html; charset=utf-8' })).text;
    } catch {
      return;
    }
    expect(out).not.toContain("' onmouseover='");
  });
});
