/**
 * Where a JSON text stops being JSON: the offset of the first character a strict parser refuses.
 * V8's SyntaxError gives a position for some mistakes only, so `fle check-config` finds it here to
 * report every invalid config with a line and column. Iterative, so deep nesting cannot overflow.
 *
 * @example jsonErrorOffset('{"a": 1,}') // 8 (the "}" where a member name was expected)
 */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const n = text.length;
  const ws = (): void => {
    while (i < n && ' \t\n\r'.includes(text[i] as string)) i += 1;
  };
  const string = (): boolean => {
    if (text[i] !== '"') return false;
    i += 1;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i += 1;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return false;
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else return false;
      } else i += 1;
    }
    return false;
  };
  const scalar = (): boolean => {
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m || m[0] === '') return false;
    i += m[0].length;
    return true;
  };
  // A stack of open containers: '{' or '['; each step expects a value or a member.
  const stack: string[] = [];
  let expectValue = true;
  for (;;) {
    ws();
    if (expectValue) {
      const c = text[i];
      if (c === '{' || c === '[') {
        stack.push(c);
        i += 1;
        ws();
        if (text[i] === (c === '{' ? '}' : ']')) {
          stack.pop();
          i += 1;
          expectValue = false;
          continue;
        }
        if (c === '{') {
          if (!string()) return i;
          ws();
          if (text[i] !== ':') return i;
          i += 1;
        }
        continue;
      }
      if (!(c === '"' ? string() : scalar())) return i;
      expectValue = false;
      continue;
    }
    const top = stack[stack.length - 1];
    if (top === undefined) return i < n ? i : undefined;
    const c = text[i];
    if (c === ',') {
      i += 1;
      if (top === '{') {
        ws();
        if (!string()) return i;
        ws();
        if (text[i] !== ':') return i;
        i += 1;
      }
      expectValue = true;
    } else if (c === (top === '{' ? '}' : ']')) {
      stack.pop();
      i += 1;
    } else return i;
  }
}
